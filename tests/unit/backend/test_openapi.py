"""The description (app/openapi.yaml) against the app: the same routes and methods, answers that
validate against it (openapi-core), and its own route, <prefix>/openapi.json."""

import pytest
from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from openapi_core.validation.response.exceptions import InvalidData
from openapi_schema_validator import OAS31Validator

from app import openapi

SPEC = openapi.load()
# Flask answers HEAD and OPTIONS on every route by itself; the description leaves them out.
AUTOMATIC_METHODS = {"HEAD", "OPTIONS"}


def get(client, path, **kwargs):
    return client.open(path, environ_overrides={"SCRIPT_NAME": "/api"}, **kwargs)


def routes(app):
    """{path as OpenAPI writes it: {methods}} of the app's own rules (not Flask's /static)."""
    found = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = rule.rule
        for name in rule.arguments:
            path = path.replace(f"<{name}>", f"{{{name}}}")
        found.setdefault(path, set()).update(rule.methods - AUTOMATIC_METHODS)
    return found


def described(spec):
    return {path: {method.upper() for method in item if method != "parameters"} for path, item in spec["paths"].items()}


def test_every_route_and_method_is_described(make_app):
    assert routes(make_app()) == described(SPEC)


def test_a_route_missing_from_the_description_is_found(make_app):
    app = make_app()
    app.add_url_rule("/extra", "extra", lambda: "", methods=["PUT"])
    spec = dict(SPEC, paths={k: v for k, v in SPEC["paths"].items() if k != "/health"})
    assert routes(app) != described(spec)
    assert set(routes(app)) - set(described(spec)) == {"/extra", "/health"}


def test_every_operation_has_an_id():
    ids = [op.get("operationId") for item in SPEC["paths"].values() for op in item.values()]
    assert all(ids) and len(ids) == len(set(ids))


# Each operation once, as a client calls it; the answer must validate against the description.
OPERATIONS = [
    pytest.param("GET", "/", {}, 302, id="redirectToResult"),
    pytest.param("GET", "/result", {}, 200, id="getResult"),
    pytest.param("POST", "/result", {"data": b"anything"}, 200, id="postResult"),
    pytest.param("GET", "/whoami", {}, 200, id="whoAmI"),
    pytest.param("GET", "/health", {}, 200, id="getHealth"),
    pytest.param("GET", "/openapi.json", {}, 200, id="getOpenApi"),
    pytest.param("POST", "/result", {"data": b"x" * 2048}, 413, id="postResult-too-large"),
]


@pytest.fixture(scope="module")
def contract():
    return OpenAPI.from_dict(SPEC)


@pytest.mark.parametrize("method, path, kwargs, status", OPERATIONS)
def test_answers_validate_against_the_description(make_app, contract, method, path, kwargs, status):
    client = make_app(MAX_BODY_SIZE="1k").test_client()
    response = get(client, path, method=method, headers={"Host": "localhost:8000"}, **kwargs)
    assert response.status_code == status
    contract.validate_response(WerkzeugOpenAPIRequest(response.request), WerkzeugOpenAPIResponse(response))


def test_an_answer_out_of_the_description_fails_validation(make_app, contract):
    app = make_app()
    app.view_functions["api.health"] = lambda: {"status": "ok", "extra": 1}
    response = get(app.test_client(), "/health", headers={"Host": "localhost:8000"})
    with pytest.raises(InvalidData, match="extra"):
        contract.validate_response(WerkzeugOpenAPIRequest(response.request), WerkzeugOpenAPIResponse(response))


@pytest.mark.parametrize(
    "method, path, status",
    [("GET", "/nope", 404), ("DELETE", "/result", 405), ("PUT", "/openapi.json", 405)],
)
def test_errors_off_the_description_have_its_error_shape(client, method, path, status):
    response = get(client, path, method=method)
    assert response.status_code == status
    OAS31Validator(SPEC["components"]["schemas"]["Error"]).validate(response.json)


@pytest.mark.parametrize(
    "headers, server",
    [
        pytest.param({"Host": "localhost:8000"}, "http://localhost:8000/api", id="host"),
        pytest.param(
            {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "public.example:443", "X-Forwarded-Prefix": "/t/api"},
            "https://public.example/t/api",
            id="forwarded",
        ),
    ],
)
def test_served_description_names_the_public_server(client, headers, server):
    response = get(client, "/openapi.json", headers=headers)
    assert response.json["servers"] == [{"url": server}]
    assert dict(response.json, servers=None) == dict(SPEC, servers=None)


def test_served_description_is_revalidated_with_its_etag(client):
    first = get(client, "/openapi.json", headers={"Host": "localhost:8000"})
    assert first.headers["Cache-Control"] == "no-cache"
    assert "X-Forwarded-Host" in first.headers["Vary"]
    again = get(client, "/openapi.json", headers={"Host": "localhost:8000", "If-None-Match": first.headers["ETag"]})
    assert (again.status_code, again.data) == (304, b"")
    # Another public root is another body, so another ETag: the old copy is not current there.
    other = get(client, "/openapi.json", headers={"Host": "other:8000", "If-None-Match": first.headers["ETag"]})
    assert other.status_code == 200
    assert other.headers["ETag"] != first.headers["ETag"]
