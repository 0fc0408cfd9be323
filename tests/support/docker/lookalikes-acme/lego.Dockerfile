# Look-alike of the official goacme/lego:vX.Y.Z image, from Debian's lego package of the same
# version. What docker-compose.https.yml relies on: lego at /lego (the official entrypoint), a
# POSIX sh and chown (the official image's busybox has both), and CA certificates.
ARG BASE
FROM ${BASE}
COPY certs/ /usr/local/share/ca-certificates/
RUN set -eux; \
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 0755 /usr/sbin/policy-rc.d; \
    apt-get update -qq; \
    apt-get install -y -qq --no-install-recommends lego ca-certificates >/dev/null; \
    update-ca-certificates; \
    ln -s /usr/bin/lego /lego; \
    rm -rf /var/lib/apt/lists/* /usr/sbin/policy-rc.d; \
    dpkg-query -W lego
ENTRYPOINT ["/lego"]
