#!/bin/sh
# Renders every *.template under NGINX_ENVSUBST_TEMPLATE_DIR (/etc/nginx/templates) into
# NGINX_ENVSUBST_OUTPUT_DIR (/etc/nginx/conf.d), keeping sub-folders and dropping the suffix
# (NGINX_ENVSUBST_TEMPLATE_SUFFIX, .template). envsubst replaces only variables that are set and
# whose names match NGINX_ENVSUBST_FILTER (a regular expression; empty: every name), so nginx's
# own $variables stay as they are. As the official image's script documents it.
set -e

template_dir=${NGINX_ENVSUBST_TEMPLATE_DIR:-/etc/nginx/templates}
suffix=${NGINX_ENVSUBST_TEMPLATE_SUFFIX:-.template}
output_dir=${NGINX_ENVSUBST_OUTPUT_DIR:-/etc/nginx/conf.d}
filter=${NGINX_ENVSUBST_FILTER:-}

[ -d "$template_dir" ] || exit 0
if [ ! -w "$output_dir" ]; then
    echo "$0: $template_dir exists, but $output_dir is not writable: nothing rendered" >&2
    exit 0
fi

# Names from awk's ENVIRON: values may span lines, which `env` output would split.
names=$(awk -v filter="$filter" 'BEGIN { for (name in ENVIRON) if (name ~ filter) printf "${%s} ", name }')

find "$template_dir" -follow -type f -name "*$suffix" | while read -r template; do
    relative=${template#"$template_dir/"}
    target="$output_dir/${relative%"$suffix"}"
    mkdir -p "$(dirname "$target")"
    [ -n "${NGINX_ENTRYPOINT_QUIET_LOGS:-}" ] || echo "$0: rendering $template into $target"
    envsubst "$names" <"$template" >"$target"
done
