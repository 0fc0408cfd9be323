"""Cache-Control on the API's answers: no-store unless a route sets its own."""

import pytest
from flask import jsonify


@pytest.mark.parametrize(
    "method, path, status",
    [
        pytest.param("GET", "/", 302, id="redirect"),
        pytest.param("GET", "/result", 200, id="result"),
        pytest.param("POST", "/result", 200, id="result-post"),
        pytest.param("GET", "/whoami", 200, id="whoami"),
        pytest.param("GET", "/health", 200, id="health"),
        pytest.param("GET", "/nope", 404, id="not-found"),
        pytest.param("DELETE", "/result", 405, id="method-not-allowed"),
    ],
)
def test_every_answer_is_no_store(client, method, path, status):
    response = client.open(path, method=method, environ_overrides={"SCRIPT_NAME": "/api"})
    assert response.status_code == status
    assert response.headers.getlist("Cache-Control") == ["no-store"]


def test_a_route_that_sets_its_own_keeps_it(make_app):
    app = make_app()

    @app.get("/catalogue")
    def catalogue():
        response = jsonify(items=[])
        response.cache_control.max_age = 60
        response.cache_control.public = True
        return response

    response = app.test_client().get("/catalogue")
    assert response.headers.getlist("Cache-Control") == ["max-age=60, public"]
