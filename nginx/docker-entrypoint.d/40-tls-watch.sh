#!/bin/sh
# With TLS_CERT (docker-compose.https.yml): write the TLS state before nginx starts, then keep
# watching the certificate in the background; the watcher reloads nginx, the master of this same
# container, whenever the ACME client renews it (nginx/tls-watch.sh).
[ -n "${TLS_CERT:-}" ] || exit 0
/usr/local/bin/tls-watch --once || exit 1
/usr/local/bin/tls-watch </dev/null &
