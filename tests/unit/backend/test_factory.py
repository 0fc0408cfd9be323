import pytest

from app import create_app
from app.settings import SettingsError


def test_config_defaults(make_app):
    app = make_app()
    assert app.config["API_PREFIX"] == "/api"
    assert app.config["MAX_CONTENT_LENGTH"] == 1024 * 1024
    assert app.config["TRUSTED_HOSTS"] is None


def test_testing_flag_comes_from_test_config():
    assert not create_app(environ={}).testing
    assert create_app({"TESTING": True}, environ={}).testing


@pytest.mark.parametrize(
    "environ, names",
    [
        pytest.param({"API_PREFIX": "api"}, "API_PREFIX", id="prefix-without-slash"),
        pytest.param({"API_PREFIX": "/api/"}, "API_PREFIX", id="prefix-trailing-slash"),
        pytest.param({"API_PREFIX": "/a pi"}, "API_PREFIX", id="prefix-space"),
        pytest.param({"MAX_BODY_SIZE": "lots"}, "MAX_BODY_SIZE", id="size-word"),
        pytest.param({"MAX_BODY_SIZE": "0"}, "MAX_BODY_SIZE", id="size-zero"),
        pytest.param({"FORWARDED_HOPS": "-1"}, "FORWARDED_HOPS", id="hops-negative"),
        pytest.param({"CORS_ORIGINS": "*"}, "CORS_ORIGINS", id="cors-star"),
        pytest.param({"CORS_ORIGINS": "localhost:5173"}, "CORS_ORIGINS", id="cors-no-scheme"),
        pytest.param({"ALLOWED_HOSTS": "http://example.com"}, "ALLOWED_HOSTS", id="hosts-url"),
    ],
)
def test_bad_setting_is_refused_with_its_name(environ, names):
    with pytest.raises(SettingsError, match=names):
        create_app(environ=environ)


@pytest.mark.parametrize(
    "value, expected",
    [("1m", 1048576), ("512k", 524288), ("2048", 2048), ("1G", 1073741824)],
)
def test_body_size_units(make_app, value, expected):
    assert make_app(MAX_BODY_SIZE=value).config["MAX_CONTENT_LENGTH"] == expected


def test_cors_is_off_by_default(client):
    response = client.get("/result", headers={"Origin": "http://localhost:5173"})
    assert "Access-Control-Allow-Origin" not in response.headers


def test_cors_allows_only_listed_origins(make_app):
    client = make_app(CORS_ORIGINS="http://localhost:5173").test_client()
    allowed = client.get("/result", headers={"Origin": "http://localhost:5173"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "http://localhost:5173"
    assert "Access-Control-Allow-Credentials" not in allowed.headers
    other = client.get("/result", headers={"Origin": "http://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
