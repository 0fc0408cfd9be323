# Look-alike of the official prom/prometheus:vX.Y.Z image, from Debian's prometheus package.
# What docker-compose.yml relies on: the entrypoint /bin/prometheus, the official image's
# default flags, its data folder /prometheus and its user nobody (65534).
ARG BASE
FROM ${BASE}
COPY certs/ /usr/local/share/ca-certificates/
RUN set -eux; \
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 0755 /usr/sbin/policy-rc.d; \
    apt-get update -qq; \
    apt-get install -y -qq --no-install-recommends prometheus ca-certificates >/dev/null; \
    update-ca-certificates; \
    test -x /bin/prometheus || ln -s /usr/bin/prometheus /bin/prometheus; \
    mkdir -p /prometheus /etc/prometheus; chown 65534:65534 /prometheus; \
    rm -rf /var/lib/apt/lists/* /usr/sbin/policy-rc.d; \
    prometheus --version
USER 65534:65534
WORKDIR /prometheus
EXPOSE 9090
ENTRYPOINT ["/bin/prometheus"]
CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]
