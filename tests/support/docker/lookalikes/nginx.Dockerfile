# Look-alike of the official nginx:X.Y.Z-trixie image, from Debian unstable's nginx (the suite
# that ships the same version). What the project relies on: the entrypoint's behaviour
# (docker-entrypoint.sh and 20-envsubst-on-templates.sh beside this file, written from the
# official image's documentation), a user and group `nginx` (101), curl and envsubst, the
# logs going to the container's stdout/stderr, /etc/nginx/conf.d and /usr/share/nginx/html.
ARG BASE
FROM ${BASE}
COPY certs/ /usr/local/share/ca-certificates/
RUN set -eux; \
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 0755 /usr/sbin/policy-rc.d; \
    apt-get update -qq; \
    apt-get install -y -qq --no-install-recommends nginx gettext-base curl ca-certificates >/dev/null; \
    update-ca-certificates; \
    groupadd --system --gid 101 nginx; \
    useradd --system --gid nginx --uid 101 --no-create-home --home-dir /nonexistent \
        --shell /bin/false nginx; \
    rm -rf /etc/nginx/sites-enabled /etc/nginx/sites-available /var/www; \
    mkdir -p /etc/nginx/conf.d /usr/share/nginx/html /var/cache/nginx /docker-entrypoint.d; \
    chown nginx:nginx /var/cache/nginx; \
    ln -sf /dev/stdout /var/log/nginx/access.log; \
    ln -sf /dev/stderr /var/log/nginx/error.log; \
    rm -rf /var/lib/apt/lists/* /usr/sbin/policy-rc.d; \
    nginx -v
COPY nginx.conf /etc/nginx/nginx.conf
COPY default.conf /etc/nginx/conf.d/default.conf
COPY index.html /usr/share/nginx/html/index.html
COPY docker-entrypoint.sh /docker-entrypoint.sh
COPY 20-envsubst-on-templates.sh /docker-entrypoint.d/20-envsubst-on-templates.sh
RUN chmod 0755 /docker-entrypoint.sh /docker-entrypoint.d/20-envsubst-on-templates.sh
ENV LANG=C.UTF-8
ENTRYPOINT ["/docker-entrypoint.sh"]
EXPOSE 80
STOPSIGNAL SIGQUIT
CMD ["nginx", "-g", "daemon off;"]
