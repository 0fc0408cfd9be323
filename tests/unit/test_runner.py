"""The runner's own logic, without starting anything: settings files and missing tools."""

import pytest

from stack import env, tools
from stack import settings as stack_settings
from stack.errors import StackError
from support.bad_settings import BAD_VALUES


def test_missing_program_names_the_package_and_the_command(monkeypatch):
    monkeypatch.setattr(tools.shutil, "which", lambda name: None if name == "nginx" else f"/usr/bin/{name}")
    with pytest.raises(StackError) as error:
        tools.require("nginx", "envsubst", install=False)
    message = str(error.value)
    assert "missing program(s): nginx" in message
    assert "apt-get install nginx" in message
    assert "STACK=docker" in message


def test_present_programs_pass():
    tools.require("sh")


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


def test_empty_values_mean_the_defaults():
    values = stack_settings.validate({name: "" for name in env.SETTING_NAMES})
    assert values == {**stack_settings.DEFAULTS}


@pytest.mark.parametrize("name, value, message", BAD_VALUES, ids=[f"{n}={v}" for n, v, _ in BAD_VALUES])
def test_bad_value_gets_one_line_naming_it(name, value, message):
    with pytest.raises(stack_settings.BadSettings) as error:
        stack_settings.validate({name: value})
    assert len(error.value.problems) == 1
    assert error.value.problems[0].startswith(message)


# Checked where they are used: the https settings by stack/https.py (tests/unit/test_https_check.py),
# IMAGE_TAG by Docker Compose.
CHECKED_ELSEWHERE = {"DOMAIN", "ACME_EMAIL", "ACME_CA", "HTTPS_PORT", "HTTP_REDIRECT_PORT", "IMAGE_TAG"}


def test_every_setting_has_a_bad_value_case():
    assert {name for name, _, _ in BAD_VALUES} == set(env.SETTING_NAMES) - CHECKED_ELSEWHERE


def test_every_bad_value_is_listed_at_once():
    with pytest.raises(stack_settings.BadSettings) as error:
        stack_settings.validate({"WEB_CONCURRENCY": "zero", "GUNICORN_WORKER_CLASS": "nope", "HTTP_PORT": "x"})
    assert [p.split("=")[0] for p in error.value.problems] == ["HTTP_PORT", "WEB_CONCURRENCY", "GUNICORN_WORKER_CLASS"]


@pytest.mark.parametrize("value", ["", "3"])
def test_gunicorn_gets_web_concurrency_only_when_set(value, tmp_path):
    from stack import settings as stack_settings
    from stack.native import NativeStack

    # TCP, so the check does not depend on how long the checkout's path is (a unix socket's is limited).
    settings = stack_settings.validate({"WEB_CONCURRENCY": value, "HTTP_PORT": "8000", "API_BIND": "127.0.0.1:8001"})
    env = NativeStack(settings, name=f"unit-{tmp_path.name}")._child_env()
    assert env.get("WEB_CONCURRENCY", "absent") == (value or "absent")


def test_no_child_gets_an_empty_setting(tmp_path, monkeypatch):
    """.env.example as shipped (every setting empty): the children get none of them, as in Docker."""
    from stack import settings as stack_settings
    from stack.native import NativeStack

    for name in env.SETTING_NAMES:
        monkeypatch.setenv(name, "")
    settings = stack_settings.validate({**{name: "" for name in env.SETTING_NAMES}, "API_BIND": "127.0.0.1:8001"})
    child = NativeStack(settings, name=f"unit-{tmp_path.name}")._child_env()
    assert [name for name in env.SETTING_NAMES if child.get(name) == ""] == []
    defaults = stack_settings.DEFAULTS
    assert [child[name] for name in ("HTTP_PORT", "API_PREFIX", "GUNICORN_THREADS")] == [
        defaults["HTTP_PORT"],
        defaults["API_PREFIX"],
        defaults["GUNICORN_THREADS"],
    ]
