"""Faults under load: the stack keeps answering and loses nothing.

Load comes from a bounded loop of threads against loopback (tests/support/load.py); each test
prints its counts (requests sent, failed) and stops everything it started.
"""

import os
import signal
import socket
import time

import pytest

from support.load import Load
from support.processes import descendants
from support.rawhttp import request


@pytest.fixture
def own_stack(start_stack):
    """A stack of its own, for tests that stop or freeze parts of it."""
    return start_stack(API_TIMEOUT=2)


def test_api_down_answers_json_502_at_once(own_stack):
    own_stack.stop_process("gunicorn")
    started = time.monotonic()
    response = request(own_stack.port, "/api/result")
    elapsed = time.monotonic() - started
    assert response.status == 502 and response.json()["status"] == 502
    assert elapsed < 1, f"the 502 took {elapsed:.2f} s"


def test_slow_api_gets_json_504_and_the_next_request_is_served(own_stack):
    workers = descendants(own_stack.pids()["gunicorn"])
    assert workers
    for pid in workers:
        os.kill(pid, signal.SIGSTOP)  # the API hangs: nothing answers
    try:
        started = time.monotonic()
        response = request(own_stack.port, "/api/result", timeout=15)
        elapsed = time.monotonic() - started
    finally:
        for pid in workers:
            os.kill(pid, signal.SIGCONT)
    assert response.status == 504
    assert response.json() == {
        "error": "Gateway Timeout",
        "message": "The API did not answer within API_TIMEOUT.",
        "status": 504,
    }
    assert 1.5 < elapsed < 5, f"504 after {elapsed:.2f} s with API_TIMEOUT=2"
    assert request(own_stack.port, "/api/result").status == 200


@pytest.mark.parametrize("server", ["gunicorn", "nginx"])
def test_reload_under_load_loses_no_request(start_stack, server):
    # SIGHUP: gunicorn starts new workers while the old ones drain; nginx does the same (it is
    # what `nginx -s reload` sends). With the default API_TIMEOUT: own_stack's 2 s (for the 504
    # test) turned a request that waited out new workers' start on a busy machine into a 504.
    own_stack = start_stack()
    with Load(own_stack.port) as load:
        load.wait_for(100)
        os.kill(own_stack.pids()[server], signal.SIGHUP)
        time.sleep(2)
        load.wait_for(load.total + 100)
    load.report(f"{server} reload")
    assert load.total >= 200
    assert dict(load.outcomes) == {200: load.total}


def test_sigterm_drains_requests_in_flight(own_stack):
    with Load(own_stack.port) as load:
        load.wait_for(100)
        own_stack.stop_process("gunicorn")  # SIGTERM, graceful
        time.sleep(0.5)
    load.report("gunicorn SIGTERM")
    # Every request got a whole answer: a 200 before, a JSON 502 after; none was cut off.
    assert set(load.outcomes) <= {200, 502}, load.outcomes
    assert load.outcomes[200] >= 100 and load.outcomes[502] >= 1
    assert load.bad_bodies == 0


def test_slow_clients_do_not_starve_the_workers(own_stack):
    # 4 gunicorn slots (2 workers x 2 threads); 40 slow clients would hold them all if nginx
    # passed them through. nginx buffers headers and bodies, so gunicorn never sees them.
    slow = []
    try:
        for i in range(40):
            sock = socket.create_connection(("127.0.0.1", own_stack.port), timeout=5)
            if i % 2:
                sock.sendall(b"GET /api/result HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")  # slowloris
            else:
                sock.sendall(
                    b"POST /api/result HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100000\r\n\r\n" + b"x" * 10
                )  # slow body
            slow.append(sock)
        time.sleep(0.5)
        started = time.monotonic()
        statuses = [request(own_stack.port, "/api/result").status for _ in range(20)]
        elapsed = time.monotonic() - started
    finally:
        for sock in slow:
            sock.close()
    print(f"slow clients: 40 held open, 20 normal requests in {elapsed:.2f} s")
    assert statuses == [200] * 20
    assert elapsed < 2


def test_request_id_is_generated_returned_and_logged(own_stack):
    response = request(own_stack.port, "/api/result", source="127.0.0.2")
    request_id = response.header("X-Request-ID")
    assert request_id and len(request_id) == 32 and int(request_id, 16) >= 0
    assert request(own_stack.port, "/about").header("X-Request-ID") not in (None, request_id)
    deadline = time.monotonic() + 5
    while request_id not in own_stack.log_path("gunicorn").read_text():
        assert time.monotonic() < deadline, "the request id never reached gunicorn's access log"
        time.sleep(0.05)
    gunicorn_line = next(line for line in own_stack.log_path("gunicorn").read_text().splitlines() if request_id in line)
    nginx_line = next(
        line for line in (own_stack.run_dir / "access.log").read_text().splitlines() if request_id in line
    )
    # Both logs name the real client, not the proxy in between.
    assert gunicorn_line.startswith("127.0.0.2 ")
    assert nginx_line.startswith("127.0.0.2 ")


def test_request_id_from_a_client_is_not_kept(own_stack):
    response = request(own_stack.port, "/api/result", headers={"X-Request-ID": "forged-id"})
    assert response.header("X-Request-ID") != "forged-id"


def test_request_id_from_a_trusted_proxy_is_kept(start_stack):
    stack = start_stack(TRUSTED_PROXIES="127.0.0.1")
    response = request(stack.port, "/api/result", headers={"X-Request-ID": "lb-7f3a-42"})
    assert response.header("X-Request-ID") == "lb-7f3a-42"
    assert (
        request(stack.port, "/api/result", headers={"X-Request-ID": "lb-7f3a-42"}, source="127.0.0.2").header(
            "X-Request-ID"
        )
        != "lb-7f3a-42"
    )
