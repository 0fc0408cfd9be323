"""The runner's own logic, without starting anything: settings files and missing tools."""

import pytest

from stack import env, tools
from stack import settings as stack_settings
from stack.errors import StackError


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
    assert env.http_port({"HTTP_PORT": ""}) == 8000


def test_dotenv_follows_compose_rules(tmp_path):
    dotenv = tmp_path / ".env"
    dotenv.write_text(
        "API_TIMEOUT=30 # seconds\n"
        "export ALLOWED_HOSTS=\"example.com .example.org\"  # quoted, with a comment\n"
        "CORS_ORIGINS='http://a.example:5173' \n"
        "MAX_BODY_SIZE=\n"
        "HTTP_PORT=9000\n"
        "VITE_PORT=${HTTP_PORT}1\n"
    )
    settings = env.load(environ={}, dotenv=dotenv)
    assert settings == {"API_TIMEOUT": "30", "ALLOWED_HOSTS": "example.com .example.org",
                        "CORS_ORIGINS": "http://a.example:5173", "MAX_BODY_SIZE": "", "HTTP_PORT": "9000",
                        "VITE_PORT": "90001"}


@pytest.mark.parametrize("key, hint", [
    ("ALOWED_HOSTS", "did you mean ALLOWED_HOSTS?"),
    ("GUNICORN_WORKERS", "did you mean GUNICORN_WORKER_CLASS?"),
    ("api_prefix", "did you mean API_PREFIX?"),
    ("SOMETHING_ELSE", "the settings are listed in .env.example"),
])
def test_unknown_dotenv_key_is_warned_with_the_nearest_setting(tmp_path, key, hint):
    dotenv = tmp_path / ".env"
    dotenv.write_text(f"HTTP_PORT=8000\n{key}=1\n")
    warnings = []
    env.load(environ={}, dotenv=dotenv, warn=warnings.append)
    assert warnings == [f".env:2: {key} is not a setting of the stack; {hint}"]


def test_empty_values_mean_the_defaults():
    values = stack_settings.validate({name: "" for name in env.SETTING_NAMES})
    assert values == {**stack_settings.DEFAULTS}


# Every setting with a bad value: the one line the runner prints for it.
BAD_VALUES = [
    ("STACK", "podman", "STACK='podman' is not a mode: use docker or native, or leave it empty to choose."),
    ("HTTP_PORT", "http", "HTTP_PORT='http' is not a TCP port: use a number from 1 to 65535."),
    ("HTTP_PORT", "70000", "HTTP_PORT='70000' is not a TCP port: use a number from 1 to 65535."),
    ("VITE_PORT", "0", "VITE_PORT='0' is not a TCP port: use a number from 1 to 65535."),
    ("API_PREFIX", "api/", "API_PREFIX='api/' is not a path prefix"),
    ("TRUSTED_PROXIES", "10.0.0.0/8 not-an-ip", "TRUSTED_PROXIES holds 'not-an-ip', which is not an IP address"),
    ("TRUSTED_PROXIES", "fe80::1%eth0", "TRUSTED_PROXIES holds 'fe80::1%eth0', an address with a zone id"),
    ("ALLOWED_HOSTS", "http://example.com", "ALLOWED_HOSTS holds 'http://example.com'"),
    ("CORS_ORIGINS", "*", "CORS_ORIGINS holds '*'"),
    ("MAX_BODY_SIZE", "1 MB", "MAX_BODY_SIZE='1 MB' is not a size"),
    ("API_TIMEOUT", "30s", "API_TIMEOUT='30s' must be a whole number of seconds from 1 to 86399."),
    ("API_TIMEOUT", "99999999999999999999", "API_TIMEOUT='99999999999999999999' must be a whole number"),
    ("API_TIMEOUT", "90", "GUNICORN_TIMEOUT=60 must be above API_TIMEOUT=90"),
    ("API_BIND", "localhost", "API_BIND='localhost' is not host:port or unix:/path"),
    ("API_BIND", "unix:api.sock", "API_BIND='unix:api.sock': a unix socket needs an absolute path"),
    ("FORWARDED_HOPS", "many", "FORWARDED_HOPS='many' must be a whole number from 0 to 5"),
    ("WEB_CONCURRENCY", "zero", "WEB_CONCURRENCY='zero' must be a whole number from 1 to 256."),
    ("WEB_CONCURRENCY", "0", "WEB_CONCURRENCY='0' must be a whole number from 1 to 256."),
    ("GUNICORN_WORKER_CLASS", "nope", "GUNICORN_WORKER_CLASS='nope' is not a worker class: use one of gthread, sync."),
    ("GUNICORN_THREADS", "-2", "GUNICORN_THREADS='-2' must be a whole number from 1 to 256."),
    ("GUNICORN_TIMEOUT", "1.5", "GUNICORN_TIMEOUT='1.5' must be a whole number of seconds from 2 to 86400."),
    ("GUNICORN_KEEPALIVE", "forever", "GUNICORN_KEEPALIVE='forever' must be a whole number of seconds from 1 to 3600."),
    ("GUNICORN_LOG_LEVEL", "loud",
     "GUNICORN_LOG_LEVEL='loud' is not a log level: use one of debug, info, warning, error, critical."),
    ("ACCESS_LOG", "yes", "ACCESS_LOG='yes': use 1 to show every request, or 0 (or empty) not to."),
]


@pytest.mark.parametrize("name, value, message", BAD_VALUES, ids=[f"{n}={v}" for n, v, _ in BAD_VALUES])
def test_bad_value_gets_one_line_naming_it(name, value, message):
    with pytest.raises(stack_settings.BadSettings) as error:
        stack_settings.validate({name: value})
    assert len(error.value.problems) == 1
    assert error.value.problems[0].startswith(message)


def test_every_setting_has_a_bad_value_case():
    assert {name for name, _, _ in BAD_VALUES} == set(env.SETTING_NAMES)


def test_every_bad_value_is_listed_at_once():
    with pytest.raises(stack_settings.BadSettings) as error:
        stack_settings.validate({"WEB_CONCURRENCY": "zero", "GUNICORN_WORKER_CLASS": "nope", "HTTP_PORT": "x"})
    assert [p.split("=")[0] for p in error.value.problems] == ["HTTP_PORT", "WEB_CONCURRENCY", "GUNICORN_WORKER_CLASS"]
