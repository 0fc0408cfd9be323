# Look-alike of the official node:X.Y.Z-trixie-slim image, from Debian unstable's packages
# (the suite that ships the same Node.js major). What the project relies on: `node`, `npm`
# (npm ci, npm run), a user `node` (uid 1000), CA certificates that reach the npm registry.
ARG BASE
FROM ${BASE}
COPY certs/ /usr/local/share/ca-certificates/
RUN set -eux; \
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 0755 /usr/sbin/policy-rc.d; \
    apt-get update -qq; \
    apt-get install -y -qq --no-install-recommends nodejs npm ca-certificates >/dev/null; \
    update-ca-certificates; \
    groupadd --gid 1000 node; \
    useradd --uid 1000 --gid node --shell /bin/bash --create-home node; \
    rm -rf /var/lib/apt/lists/* /usr/sbin/policy-rc.d; \
    node --version; npm --version
ENV LANG=C.UTF-8 \
    NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
CMD ["node"]
