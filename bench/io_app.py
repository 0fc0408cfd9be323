"""The bench's I/O-bound app: the API as backend/wsgi.py builds it, plus `/io`, which waits
50 ms as a database call would. Only `python -m bench` serves it (gunicorn ...
bench.io_app:app); the API itself has no such route."""

import time

from app import create_app

WAIT_S = 0.050

app = create_app()


def io_wait():
    # time.sleep, so that an async worker (gevent patches it) yields while it waits.
    time.sleep(WAIT_S)
    return {"waited_ms": int(WAIT_S * 1000)}


app.add_url_rule("/io", "io_wait", io_wait)
