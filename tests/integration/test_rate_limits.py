"""API_RATE_LIMIT, API_RATE_BURST and API_CONN_LIMIT on the real stack: a client over a limit
gets the API's JSON 429 with Retry-After, never HTML; the SPA's files and other clients are
still served; the limits are off by default. Bounded: a few dozen requests on loopback."""

import socket
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from support.rawhttp import request

RATE, BURST = 2, 3
# Above the flood's own concurrency (FLOOD_THREADS), so that the floods meet the rate limit only.
CONNECTIONS, FLOOD_THREADS = 3, 2
TOO_MANY = {
    "error": "Too Many Requests",
    "message": "Too many requests from this address: retry after Retry-After seconds.",
    "status": 429,
}


@pytest.fixture(scope="module")
def limited(start_stack):
    return start_stack(API_RATE_LIMIT=str(RATE), API_RATE_BURST=str(BURST), API_CONN_LIMIT=str(CONNECTIONS))


def flood(port, count, path="/api/health", source=None):
    with ThreadPoolExecutor(FLOOD_THREADS) as pool:
        return list(pool.map(lambda _: request(port, path, source=source, timeout=5), range(count)))


def assert_too_many(response):
    assert response.status == 429
    assert response.header("Content-Type") == "application/json"
    assert response.header("Retry-After") == "1"
    assert response.json() == TOO_MANY


def test_a_flood_gets_json_429s_with_retry_after(limited):
    started = time.monotonic()
    answers = flood(limited.port, 20)
    seconds = time.monotonic() - started
    statuses = [a.status for a in answers]
    # The first, the burst, and what the rate frees meanwhile pass; the rest are refused.
    assert BURST <= statuses.count(200) <= 1 + BURST + RATE * seconds + 1, (statuses, seconds)
    refused = [a for a in answers if a.status != 200]
    assert refused and all(a.status == 429 for a in refused), statuses
    for answer in refused:
        assert_too_many(answer)
    assert all(a.header("Retry-After") is None for a in answers if a.status == 200)


def test_the_spa_and_other_clients_are_served_during_a_flood(limited):
    flood(limited.port, 12)
    for path in ("/", "/about", "/favicon.svg"):
        assert request(limited.port, path).status == 200, path
    # Another address has its own budget.
    assert request(limited.port, "/api/health", source="127.0.0.2").status == 200


def test_the_budget_comes_back_after_retry_after(limited):
    flood(limited.port, 12, source="127.0.0.3")
    assert request(limited.port, "/api/health", source="127.0.0.3").status == 429
    time.sleep(1)  # Retry-After
    assert request(limited.port, "/api/health", source="127.0.0.3").status == 200


def test_requests_in_flight_over_the_connection_limit_get_a_json_429(limited):
    # Requests whose bodies have not come yet hold the limit; one more is refused.
    def ask(status):
        deadline = time.monotonic() + 5
        while (answer := request(limited.port, "/api/health", source="127.0.0.4")).status != status:
            assert time.monotonic() < deadline, f"still {answer.status}, not {status}"
        return answer

    held = []
    try:
        for _ in range(CONNECTIONS):
            sock = socket.create_connection(("127.0.0.1", limited.port), source_address=("127.0.0.4", 0), timeout=5)
            sock.sendall(b"POST /api/result HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\n")
            held.append(sock)
        assert_too_many(ask(429))
        assert request(limited.port, "/", source="127.0.0.4").status == 200
    finally:
        for sock in held:
            sock.close()
    # Once they are gone, the address is served again.
    ask(200)


def test_limits_are_off_by_default(stack):
    statuses = [a.status for a in flood(stack.port, 30, source="127.0.0.6")]
    assert statuses == [200] * 30
