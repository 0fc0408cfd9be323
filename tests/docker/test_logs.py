"""The compose stack's logs as it ships (LOG_FORMAT empty: json; gunicorn's access log off): one
request's id in nginx's access line and the app's line, each a JSON object, read from the
containers' output as `docker compose logs` shows it."""

import json
import time

from support.rawhttp import request


def lines_with(stack, request_id):
    """{who: line} for the JSON lines of nginx's and the api's output that carry `request_id`;
    who is the line's logger (gunicorn.access, app), or nginx for nginx's access line."""
    found = {}
    for service in ("nginx", "api"):
        for text in stack.client.container.logs(stack.container(service)).splitlines():
            line = json.loads(text) if text.startswith("{") else {}
            if line.get("request_id") == request_id:
                found[line.get("logger", service)] = line
    return found


def test_one_request_id_in_nginxs_and_the_apps_json_lines(docker_stack):
    response = request(docker_stack.port, "/api/", headers={"X-Request-ID": "forged-id"})
    request_id = response.header("X-Request-ID")
    assert response.status == 302 and request_id not in (None, "forged-id")
    deadline = time.monotonic() + 10
    while len(found := lines_with(docker_stack, request_id)) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert set(found) == {"nginx", "app"}
    nginx = found["nginx"]
    assert (nginx["method"], nginx["path"], nginx["status"], nginx["upstream_status"]) == ("GET", "/api/", 302, "302")
    assert found["app"]["message"] == f"redirect to {response.header('Location')}"
    assert lines_with(docker_stack, "forged-id") == {}
