#!/bin/sh
# Container health check: nginx answers / for a host it serves. It names the first of
# ALLOWED_HOSTS (a leading dot dropped), so restricting hosts does not fail the check.
# curl: the official Debian-based nginx image ships it (and no wget).
host=$(printf '%s' "${ALLOWED_HOSTS:-localhost}" | tr ',' ' ' | awk '{print $1}')
exec curl -fsS -o /dev/null --max-time 4 -H "Host: ${host#.}" http://127.0.0.1/
