"""CLIENT_TIMEOUT on the real stack: a client that sends its request a byte at a time, or stops
in the middle of its body, is dropped within the configured time while others are served."""

import socket
import threading
import time

import pytest

from support.rawhttp import request

TIMEOUT = 2
# Scheduling and nginx's timer resolution on a loaded 2-core machine.
MARGIN = 2.5


@pytest.fixture(scope="module")
def strict(start_stack):
    return start_stack(CLIENT_TIMEOUT=str(TIMEOUT))


def trickle(port, data, interval, limit):
    """Send `data` a byte every `interval` s until nginx closes; (seconds until it did or until
    `limit`, what nginx answered)."""
    started = time.monotonic()
    answer = b""
    with socket.create_connection(("127.0.0.1", port), timeout=limit) as sock:
        for byte in data:
            try:
                sock.sendall(bytes([byte]))
            except OSError:
                break
            sock.settimeout(interval)
            try:
                chunk = sock.recv(4096)
            except TimeoutError:
                chunk = None
            except OSError:
                break
            if chunk is not None:
                answer += chunk
                if not chunk:
                    break
            if time.monotonic() - started > limit:
                break
    return time.monotonic() - started, answer


def test_headers_a_byte_a_second_are_cut_off_while_others_are_served(strict):
    served = []

    def others():
        while len(served) < 3:
            served.append(request(strict.port, "/api/health", timeout=5).status)
            time.sleep(0.5)

    thread = threading.Thread(target=others)
    thread.start()
    data = b"GET /api/health HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + b"a" * 60 + b"\r\n\r\n"
    seconds, answer = trickle(strict.port, data, interval=1.0, limit=TIMEOUT + 3 * MARGIN)
    thread.join(10)
    assert seconds < TIMEOUT + MARGIN, f"still connected after {seconds:.1f} s"
    assert b"200 OK" not in answer
    assert served == [200, 200, 200]


def test_a_body_that_stops_is_dropped_in_time_and_never_reaches_the_api(strict):
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", strict.port), timeout=TIMEOUT + 3 * MARGIN) as sock:
        sock.sendall(b"POST /api/result HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10\r\n\r\nabc")
        answer = b""
        while chunk := sock.recv(4096):
            answer += chunk
    seconds = time.monotonic() - started
    assert seconds < TIMEOUT + MARGIN, f"still connected after {seconds:.1f} s"
    # nginx closes a timed-out request without an answer (its 408 is never sent), and buffers
    # the body first, so the API never saw it.
    assert answer == b""


def test_the_default_leaves_a_slow_client_its_ten_seconds(stack):
    # Not a timeout so short that a slow network breaks: the default still waits.
    seconds, _ = trickle(stack.port, b"GET / HTTP/1.1\r\n", interval=1.0, limit=TIMEOUT + MARGIN + 1)
    assert seconds >= TIMEOUT + MARGIN
