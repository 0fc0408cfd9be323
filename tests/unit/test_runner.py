"""The runner's own logic, without starting anything: settings files and missing tools."""

import pytest

from stack import env, tools
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
