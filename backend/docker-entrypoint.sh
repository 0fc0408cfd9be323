#!/bin/sh
# Every setting that is set but empty is unset before the command starts: compose passes each
# one as ${NAME:-}, and empty must mean "the default" in every process, gunicorn's own reads
# included (gunicorn turns WEB_CONCURRENCY into a number when it is imported, before
# gunicorn.conf.py runs, and fails on an empty string).
for name in $(env | sed -n 's/^\([A-Za-z_][A-Za-z0-9_]*\)=$/\1/p'); do
    unset "$name"
done
exec "$@"
