#!/bin/sh
# Keeps nginx serving the certificate at TLS_CERT and TLS_KEY (17-derive-tls.envsh): writes
# NGINX_TLS_STATE, the file the TLS server includes, and reloads nginx whenever the files change
# (the ACME client got or renewed the certificate). Until both files exist, nginx refuses every
# TLS handshake and plain http still answers ACME's challenge.
#   tls-watch.sh --once   write the state and exit (before nginx starts)
#   tls-watch.sh          then check every 2 s, for as long as it runs
# Natively NGINX_RUN_DIR names the run folder (nginx -p); in the image nginx's own paths apply.
# The same script in both: a supervisord program natively, started in the background by
# docker-entrypoint.d/40-tls-watch.sh in the image. It never needs to signal another container.
set -u
: "${TLS_CERT:?}" "${TLS_KEY:?}" "${NGINX_TLS_STATE:?}"

nginx_cmd() {
    if [ -n "${NGINX_RUN_DIR:-}" ]; then
        nginx -p "$NGINX_RUN_DIR" -c "$NGINX_RUN_DIR/nginx.conf" -e "$NGINX_RUN_DIR/error.log" "$@"
    else
        nginx "$@"
    fi
}

# Size, change time and inode of both files; empty while one is missing or unreadable.
stamp() {
    [ -r "$TLS_CERT" ] && [ -r "$TLS_KEY" ] && stat -L -c '%s %Y %Z %i' "$TLS_CERT" "$TLS_KEY" 2>/dev/null | tr '\n' ' '
}

write_state() {
    if [ -n "$1" ]; then
        printf 'ssl_certificate %s;\nssl_certificate_key %s;\n' "$TLS_CERT" "$TLS_KEY"
    else
        printf '# No certificate at %s yet: every handshake is refused until there is one.\nssl_reject_handshake on;\n' "$TLS_CERT"
    fi >"$NGINX_TLS_STATE.new" && mv -f "$NGINX_TLS_STATE.new" "$NGINX_TLS_STATE"
}

last=$(stamp)
write_state "$last"
[ "${1:-}" != --once ] || exit 0

while sleep 2; do
    now=$(stamp)
    [ "$now" != "$last" ] || continue
    # Written at once, or still being written? Only a state that holds for a second counts.
    sleep 1
    [ "$(stamp)" = "$now" ] || continue
    write_state "$now"
    # A certificate that does not load (a key of another one) leaves nginx as it was: tried
    # again on the next change.
    what="the certificate at $TLS_CERT changed"
    [ -n "$now" ] || what="$TLS_CERT is gone"
    if out=$(nginx_cmd -t -q 2>&1) && nginx_cmd -s reload; then
        echo "tls-watch: $what: nginx reloaded"
    else
        echo "tls-watch: $TLS_CERT changed, but nginx refuses it and keeps the one it serves: $out" >&2
    fi
    last=$now
done
