#!/bin/sh
# Entrypoint of the nginx look-alike, with the official image's documented behaviour: when the
# command is nginx, every file in /docker-entrypoint.d/ is taken in version order; executable
# *.envsh files are sourced (what they export reaches the next steps), executable *.sh files are
# run; then the command replaces this shell. Any other command runs as it is.
set -e

say() {
    [ -n "${NGINX_ENTRYPOINT_QUIET_LOGS:-}" ] || echo "$0: $*"
}

if [ "$1" = "nginx" ] || [ "$1" = "nginx-debug" ]; then
    scripts=$(find /docker-entrypoint.d/ -mindepth 1 -maxdepth 1 -type f 2>/dev/null | sort -V)
    if [ -n "$scripts" ]; then
        for script in $scripts; do
            case "$script" in
                *.envsh)
                    if [ -x "$script" ]; then say "sourcing $script"; . "$script"
                    else say "ignoring $script: not executable"; fi ;;
                *.sh)
                    if [ -x "$script" ]; then say "running $script"; "$script"
                    else say "ignoring $script: not executable"; fi ;;
                *) say "ignoring $script" ;;
            esac
        done
        say "configuration complete; starting nginx"
    else
        say "nothing in /docker-entrypoint.d/"
    fi
fi

exec "$@"
