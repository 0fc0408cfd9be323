#!/bin/sh
# Starts Caddy with the Caddyfile beside this script, in the foreground. An empty setting is
# unset first, so that the Caddyfile's {$NAME:default} applies to it.
set -eu
for name in DOMAIN ACME_EMAIL ACME_CA CADDY_UPSTREAM CADDY_HTTP_PORT CADDY_HTTPS_PORT; do
    eval "value=\${$name:-}"
    [ -n "$value" ] || unset "$name"
done
# Go's garbage collector runs when the heap has grown by GOGC %: 400 instead of Go's 100 costs
# Caddy less CPU per request for some 17 MiB more memory under load (docs/performance.md).
export GOGC="${GOGC:-400}"
[ -n "${DOMAIN:-}" ] || { echo "caddy/run.sh: DOMAIN is not set: set it to the public name (e.g. DOMAIN=app.example.com)." >&2; exit 1; }
exec caddy run --config "$(dirname "$0")/Caddyfile" --adapter caddyfile
