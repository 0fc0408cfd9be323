# Look-alike of the official nginx/nginx-prometheus-exporter:X.Y.Z image, from Debian's
# prometheus-nginx-exporter package: the entrypoint /usr/bin/nginx-prometheus-exporter, user 65534.
ARG BASE
FROM ${BASE}
RUN set -eux; \
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 0755 /usr/sbin/policy-rc.d; \
    apt-get update -qq; \
    apt-get install -y -qq --no-install-recommends prometheus-nginx-exporter >/dev/null; \
    ln -sf /usr/bin/prometheus-nginx-exporter /usr/bin/nginx-prometheus-exporter; \
    rm -rf /var/lib/apt/lists/* /usr/sbin/policy-rc.d; \
    nginx-prometheus-exporter --version
USER 65534:65534
EXPOSE 9113
ENTRYPOINT ["/usr/bin/nginx-prometheus-exporter"]
