#!/bin/sh
# Container health check: nginx answers / for a host it serves. It names the first of
# ALLOWED_HOSTS (a leading dot dropped), so restricting hosts does not fail the check.
host=$(printf '%s' "${ALLOWED_HOSTS:-localhost}" | tr ',' ' ' | awk '{print $1}')
exec wget -q -O /dev/null --header "Host: ${host#.}" http://127.0.0.1/
