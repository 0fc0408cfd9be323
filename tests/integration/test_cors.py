"""CORS_ORIGINS through the real stack (nginx, gunicorn, Flask): a look-alike origin is refused,
the intended one allowed, for exact origins and the https://*.example.com form."""

import pytest

from support.rawhttp import request

SETTING = "https://*.example.com http://localhost:5173 http://[::1]:5173"

# (Origin, allowed?) against SETTING.
CASES = [
    ("https://app.example.com", True),
    ("https://a.b.example.com", True),
    ("http://localhost:5173", True),
    ("http://[::1]:5173", True),
    # Matched at the start as a regex, the old setting let these through:
    ("https://xexample.com.attacker.net", False),
    ("https://app.example.com.attacker.net", False),
    ("http://1:5173", False),
    ("https://example.com", False),
    ("http://app.example.com", False),
    ("https://app.example.com:8443", False),
    ("http://localhost:5173.attacker.net", False),
    ("null", False),
]


@pytest.fixture(scope="module")
def cors_stack(start_stack):
    return start_stack(CORS_ORIGINS=SETTING)


@pytest.mark.parametrize("origin, allowed", CASES)
def test_origin_through_the_stack(cors_stack, origin, allowed):
    response = request(cors_stack.port, "/api/result", headers={"Origin": origin})
    assert response.status == 200
    assert response.header("Access-Control-Allow-Origin") == (origin if allowed else None)
    assert response.header("Access-Control-Allow-Credentials") is None


@pytest.mark.parametrize("origin, allowed", [CASES[0], CASES[4]])
def test_preflight_through_the_stack(cors_stack, origin, allowed):
    response = request(
        cors_stack.port,
        "/api/result",
        method="OPTIONS",
        headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
    )
    assert response.header("Access-Control-Allow-Origin") == (origin if allowed else None)
