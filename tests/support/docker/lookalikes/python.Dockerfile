# Look-alike of the official python:X.Y.Z-slim-trixie image, from Debian trixie's packages.
# What the project's Dockerfile relies on: `python` and `pip` on PATH, pip installing into the
# image's Python (no PEP 668 refusal), useradd, CA certificates that reach PyPI.
ARG BASE
FROM ${BASE}
COPY certs/ /usr/local/share/ca-certificates/
# A venv at /usr/local stands in for the official image's own Python in /usr/local: `python`,
# `pip` and installed console scripts land in /usr/local/bin, as there.
RUN set -eux; \
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 0755 /usr/sbin/policy-rc.d; \
    apt-get update -qq; \
    apt-get install -y -qq --no-install-recommends python3 python3-venv ca-certificates >/dev/null; \
    update-ca-certificates; \
    python3 -m venv /usr/local; \
    rm -rf /var/lib/apt/lists/* /usr/sbin/policy-rc.d; \
    python --version; pip --version
ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin \
    LANG=C.UTF-8 \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
    PIP_CERT=/etc/ssl/certs/ca-certificates.crt
CMD ["python3"]
