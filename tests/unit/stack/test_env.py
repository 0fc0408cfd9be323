"""The settings files: `.env` read with Compose's rules, the environment winning (stack/env.py)."""

import pytest

from stack import env
from stack.errors import StackError


def test_dotenv_is_read_and_the_environment_wins(tmp_path):
    dotenv = tmp_path / ".env"
    dotenv.write_text("# comment\n\nHTTP_PORT=9000\nAPI_PREFIX='/v1'\nexport TRUSTED_PROXIES=10.0.0.0/8\n")
    settings = env.load(environ={"HTTP_PORT": "9100"}, dotenv=dotenv)
    assert settings["HTTP_PORT"] == "9100"
    assert settings["API_PREFIX"] == "/v1"
    assert settings["TRUSTED_PROXIES"] == "10.0.0.0/8"


def test_malformed_dotenv_line_is_named(tmp_path):
    dotenv = tmp_path / ".env"
    dotenv.write_text("HTTP_PORT=8000\nthis is not a setting\n")
    with pytest.raises(StackError, match=r"\.env:2: not a KEY=VALUE line"):
        env.load(environ={}, dotenv=dotenv)


@pytest.mark.parametrize("value", ["0", "65536", "http", "-1"])
def test_bad_http_port(value):
    with pytest.raises(StackError, match="HTTP_PORT"):
        env.http_port({"HTTP_PORT": value})


def test_empty_http_port_means_the_default():
    assert env.http_port({"HTTP_PORT": ""}) == int(env.DEFAULT_HTTP_PORT) == 8000


def test_dotenv_follows_compose_rules(tmp_path):
    dotenv = tmp_path / ".env"
    dotenv.write_text(
        "API_TIMEOUT=30 # seconds\n"
        'export ALLOWED_HOSTS="example.com .example.org"  # quoted, with a comment\n'
        "CORS_ORIGINS='http://a.example:5173' \n"
        "MAX_BODY_SIZE=\n"
        "HTTP_PORT=9000\n"
        "VITE_PORT=${HTTP_PORT}1\n"
    )
    settings = env.load(environ={}, dotenv=dotenv)
    assert settings == {
        "API_TIMEOUT": "30",
        "ALLOWED_HOSTS": "example.com .example.org",
        "CORS_ORIGINS": "http://a.example:5173",
        "MAX_BODY_SIZE": "",
        "HTTP_PORT": "9000",
        "VITE_PORT": "90001",
    }


@pytest.mark.parametrize(
    "key, hint",
    [
        ("ALOWED_HOSTS", "did you mean ALLOWED_HOSTS?"),
        ("GUNICORN_WORKERS", "did you mean GUNICORN_WORKER_CLASS?"),
        ("api_prefix", "did you mean API_PREFIX?"),
        ("SOMETHING_ELSE", "the settings are listed in .env.example"),
    ],
)
def test_unknown_dotenv_key_is_warned_with_the_nearest_setting(tmp_path, key, hint):
    dotenv = tmp_path / ".env"
    dotenv.write_text(f"HTTP_PORT=8000\n{key}=1\n")
    warnings = []
    env.load(environ={}, dotenv=dotenv, warn=warnings.append)
    assert warnings == [f".env:2: {key} is not a setting of the stack; {hint}"]


@pytest.mark.parametrize(
    "value, address",
    [("", None), ("127.0.0.1", "127.0.0.1"), ("::1", "::1"), ("[::1]", "::1"), ("0.0.0.0", "0.0.0.0")],
)
def test_http_bind_takes_an_ip_address(value, address):
    parsed = env.http_bind({"HTTP_BIND": value})
    assert (str(parsed) if parsed else None) == address


@pytest.mark.parametrize("value", ["localhost", "127.0.0.1:8000", "[127.0.0.1]", "[::1", "fe80::1%eth0", "010.0.0.1"])
def test_http_bind_refuses_anything_else(value):
    with pytest.raises(StackError, match=r"^HTTP_BIND=.* is not an IP address"):
        env.http_bind({"HTTP_BIND": value})
