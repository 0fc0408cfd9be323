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
        pytest.param({"CORS_ORIGINS": "https://*.com"}, "CORS_ORIGINS", id="cors-star-tld"),
        pytest.param({"CORS_ORIGINS": "https://*example.com"}, "CORS_ORIGINS", id="cors-star-in-label"),
        pytest.param({"CORS_ORIGINS": "https://a.*.example.com"}, "CORS_ORIGINS", id="cors-star-inside"),
        pytest.param({"CORS_ORIGINS": "https://*.10.0.0.1"}, "CORS_ORIGINS", id="cors-star-address"),
        pytest.param({"CORS_ORIGINS": "https://app.example.com/"}, "CORS_ORIGINS", id="cors-path"),
        pytest.param({"CORS_ORIGINS": "https://app.example.com:0"}, "CORS_ORIGINS", id="cors-port-zero"),
        pytest.param({"CORS_ORIGINS": "https://app.example.(com|net)"}, "CORS_ORIGINS", id="cors-regex"),
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


# (CORS_ORIGINS, Origin, allowed?): the wildcard form is one or more DNS labels in front of the
# name, same scheme, same port; exact origins are compared as text (never as a regex).
CORS_CASES = [
    ("https://*.example.com", "https://app.example.com", True),
    ("https://*.example.com", "https://a.b.example.com", True),
    ("https://*.example.com", "HTTPS://App.Example.COM", True),
    ("https://*.example.com", "https://xexample.com.attacker.net", False),
    ("https://*.example.com", "https://example.com.attacker.net", False),
    ("https://*.example.com", "https://attacker.net/.example.com", False),
    ("https://*.example.com", "https://evilexample.com", False),
    ("https://*.example.com", "https://example.com", False),
    ("https://*.example.com", "http://app.example.com", False),
    ("https://*.example.com", "https://app.example.com:8443", False),
    ("https://*.example.com", "https://app.example.com.", False),
    ("https://*.example.com:8443", "https://app.example.com:8443", True),
    ("https://*.example.com:8443", "https://app.example.com", False),
    ("https://app.example.com", "https://app.example.com", True),
    ("https://app.example.com", "https://app.example.com.attacker.net", False),
    ("https://app.example.com", "https://appxexample.com", False),
    ("http://[::1]:5173", "http://[::1]:5173", True),
    ("http://[::1]:5173", "http://1:5173", False),
    ("http://localhost:5173 https://*.example.com", "http://localhost:5173", True),
]


@pytest.mark.parametrize("setting, origin, allowed", CORS_CASES)
def test_cors_origin_table(make_app, setting, origin, allowed):
    response = make_app(CORS_ORIGINS=setting).test_client().get("/result", headers={"Origin": origin})
    assert response.headers.get("Access-Control-Allow-Origin") == (origin if allowed else None)
