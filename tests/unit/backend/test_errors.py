"""Every error the app answers is JSON: {"error", "message", "status"}."""

from flask import abort


def test_unknown_route_is_json_404(client):
    response = client.get("/nope")
    assert response.status_code == 404
    assert response.is_json
    assert response.json["status"] == 404
    assert response.json["error"] == "Not Found"


def test_wrong_method_is_json_405_with_allow(client):
    response = client.delete("/result")
    assert response.status_code == 405
    assert response.json["error"] == "Method Not Allowed"
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}


def test_body_over_limit_is_json_413(make_app):
    client = make_app(MAX_BODY_SIZE="1k").test_client()
    response = client.post("/result", data=b"x" * 2048)
    assert response.status_code == 413
    assert response.json["status"] == 413


def test_unexpected_exception_is_json_500_without_internals(make_app):
    app = make_app()
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret detail")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    assert response.json["error"] == "Internal Server Error"
    assert "secret" not in response.get_data(as_text=True)
    assert response.headers.getlist("Cache-Control") == ["no-store"]


def test_aborts_keep_their_code(make_app):
    app = make_app()

    @app.get("/teapot")
    def teapot():
        abort(418)

    response = app.test_client().get("/teapot")
    assert (response.status_code, response.json["status"]) == (418, 418)
