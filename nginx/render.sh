#!/bin/sh
# Renders the nginx configuration for the native run, the way the official image does it in
# Docker: derive the NGINX_* variables, then envsubst with exactly that list, so nginx's own
# $variables are left alone.
#   usage: NGINX_RUN_DIR=/abs/dir nginx/render.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
: "${NGINX_RUN_DIR:?set NGINX_RUN_DIR to the directory for the rendered config}"
export NGINX_RUN_DIR

for derive in "$here"/docker-entrypoint.d/*.envsh; do
    . "$derive"
done

command -v envsubst >/dev/null 2>&1 || {
    echo "nginx/render.sh: envsubst is missing: install it with 'apt-get install gettext-base'." >&2
    exit 1
}
vars=$(env | sed -n 's/^\(NGINX_[A-Z0-9_]*\)=.*/${\1}/p' | tr '\n' ' ')
mkdir -p "$NGINX_RUN_DIR/conf.d" "$NGINX_RUN_DIR/tmp"
for template in "$here"/templates/*.template; do
    name=$(basename "$template" .template)
    envsubst "$vars" <"$template" >"$NGINX_RUN_DIR/conf.d/$name"
done
envsubst "$vars" <"$here/native/nginx.conf.template" >"$NGINX_RUN_DIR/nginx.conf"
