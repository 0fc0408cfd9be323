#!/bin/sh
# The ACME client of `make https`: lego gets a certificate for DOMAIN by ACME's http-01 challenge
# and renews it, for as long as it runs. nginx serves the challenge files from ACME_WEBROOT on
# plain http and reloads itself when the certificate changes (nginx/tls-watch.sh); lego never
# touches nginx. One script for both modes: docker-compose.https.yml's `acme` service
# (goacme/lego) and, natively, a program of the stack's supervisord (stack/tls_edge.py).
#
#   DOMAIN, ACME_EMAIL   the name and the ACME account's contact (make https checks both)
#   ACME_CA              the ACME directory (default: Let's Encrypt)
#   ACME_PATH            lego's folder: the account, and certificates/DOMAIN.crt and .key
#   ACME_WEBROOT         where the challenge files go (default: ACME_PATH/webroot)
#   ACME_RENEW_DAYS      renew when fewer days are left (default 30; Let's Encrypt's are 90)
#   ACME_RENEW_EVERY     seconds between two checks (default 43200: twice a day)
# LEGO_CA_CERTIFICATES (lego's own): extra roots to trust the CA's https with (a test CA).
set -u

say() { echo "acme: $*"; }
whole() {
    case "$2" in "" | *[!0-9]*) say "$1='$2' is not a whole number of ${3}." >&2; exit 2 ;; esac
}

if [ -z "${ACME_EMAIL:-}" ]; then
    say "ACME_EMAIL is not set: set the ACME account's contact (e.g. ACME_EMAIL=ops@example.com); make https-local needs no ACME client." >&2
    exit 2
fi
[ -n "${DOMAIN:-}" ] || { say "DOMAIN is not set: set it to the public name (e.g. DOMAIN=app.example.com)." >&2; exit 2; }
path=${ACME_PATH:?set ACME_PATH to lego\'s folder}
webroot=${ACME_WEBROOT:-$path/webroot}
days=${ACME_RENEW_DAYS:-30}
every=${ACME_RENEW_EVERY:-43200}
whole ACME_RENEW_DAYS "$days" days
whole ACME_RENEW_EVERY "$every" seconds
mkdir -p "$webroot" || exit 2

set -- --accept-tos --email "$ACME_EMAIL" --domains "$DOMAIN" \
    --server "${ACME_CA:-https://acme-v02.api.letsencrypt.org/directory}" \
    --path "$path" --http --http.webroot "$webroot"
certificate="$path/certificates/$DOMAIN.crt"

# The first certificate: tried again after 1 min, then less often (a CA limits failed
# validations: Let's Encrypt allows 5 an hour), until there is one.
delay=60
until [ -s "$certificate" ]; do
    say "asking ${ACME_CA:-Let's Encrypt} for a certificate for $DOMAIN (http-01 from $webroot)"
    if lego "$@" run; then
        say "certificate for $DOMAIN obtained: $certificate"
        break
    fi
    say "no certificate yet; trying again in $delay s" >&2
    sleep "$delay"
    delay=$((delay * 2 > 3600 ? 3600 : delay * 2))
done

# Renewal: lego renews only when fewer than ACME_RENEW_DAYS are left, otherwise says so and exits.
while sleep "$every"; do
    lego "$@" renew --days "$days" --no-random-sleep || say "renewal failed; trying again in $every s" >&2
done
