"""`make dev` with Docker, checked statically like docker-compose.yml (no engine runs here): the
override keeps the production services and wiring, adds Vite, and renders nginx's template in
dev mode with the compose environment the way the image does."""

import re

import yaml

from stack.env import ROOT
from support.image import nginx_accepts, render_as_the_image_does

BASE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
DEV_FILE = yaml.safe_load((ROOT / "docker-compose.dev.yml").read_text())
DEV = DEV_FILE["services"]


def merged_environment(service):
    """What compose gives the service: the base file's environment with the override's on top."""
    return {**BASE[service].get("environment", {}), **DEV[service].get("environment", {})}


def vite_container_port():
    command = " ".join(DEV["web"]["command"])
    return re.search(r"npm run dev -- .*--port (\d+)", command).group(1)


def test_override_adds_vite_and_changes_no_production_wiring():
    assert set(DEV) == {"web", "api", "nginx"}
    assert set(DEV["api"]) == {"environment", "volumes"}
    assert set(DEV["nginx"]) == {"environment", "depends_on"}
    # Nothing the production stack relies on is replaced.
    for service in ("api", "nginx"):
        assert not set(DEV[service]["environment"]) & set(BASE[service]["environment"]), service


def test_nginx_proxies_the_spa_to_vite_where_it_listens():
    assert DEV["nginx"]["environment"]["SPA_DEV_SERVER"] == f"web:{vite_container_port()}"
    assert DEV["web"]["ports"] == [f"127.0.0.1:${{VITE_PORT:-5173}}:{vite_container_port()}"]
    assert "--host 0.0.0.0" in " ".join(DEV["web"]["command"]), "Vite must listen beyond the container's loopback"


def test_nginx_waits_for_vite_and_still_for_the_api():
    assert DEV["nginx"]["depends_on"] == {"web": {"condition": "service_healthy"}}
    assert BASE["nginx"]["depends_on"]["api"] == {"condition": "service_healthy"}
    assert f":{vite_container_port()}/@vite/client" in " ".join(DEV["web"]["healthcheck"]["test"])


def test_vite_sends_the_api_to_nginx_with_the_same_settings():
    web = DEV["web"]["environment"]
    nginx_port = BASE["nginx"]["ports"][0].rsplit(":", 1)[1]
    assert web["DEV_API_TARGET"] == f"http://nginx:{nginx_port}"
    # The SPA and nginx read the same prefix and hosts (Vite's allowedHosts).
    for name in ("API_PREFIX", "ALLOWED_HOSTS"):
        assert web[name] == BASE["nginx"]["environment"][name] == f"${{{name}:-}}"


def test_gunicorn_reloads_the_checkouts_backend():
    workdir = re.findall(r"^WORKDIR\s+(\S+)", (ROOT / "backend" / "Dockerfile").read_text(), re.M)[-1]
    assert DEV["api"]["environment"]["GUNICORN_RELOAD"] == "1"
    assert DEV["api"]["volumes"] == [f"./backend:{workdir}:ro"]


def test_vite_runs_the_checkouts_frontend_with_its_own_node_modules():
    web = DEV["web"]
    assert f"./frontend:{web['working_dir']}" in web["volumes"]
    modules = [v for v in web["volumes"] if v.endswith(f"{web['working_dir']}/node_modules")]
    assert modules and not modules[0].startswith("."), "node_modules must be a volume, not the host's"
    assert modules[0].split(":")[0] in DEV_FILE["volumes"]


def test_vite_image_is_the_node_version_that_builds_the_spa():
    build_stage = re.search(r"^FROM\s+(node:\S+)", (ROOT / "nginx" / "Dockerfile").read_text(), re.M).group(1)
    assert DEV["web"]["image"] == build_stage
    assert re.search(r":\d+\.\d+\.\d+", build_stage)


def location_body(rendered, path):
    return re.search(rf"location {re.escape(path)} {{\n(.*?)\n    }}", rendered, re.S).group(1)


def test_dev_environment_renders_vite_locations_and_a_valid_config(tmp_path):
    rendered = render_as_the_image_does(merged_environment("nginx"), tmp_path)
    for path in ("/", "/assets/"):
        body = location_body(rendered, path)
        assert "proxy_pass http://web:5173;" in body
        assert "proxy_set_header Upgrade $http_upgrade;" in body
        assert "try_files" not in body
    assert "style-src 'self' 'unsafe-inline';" in rendered
    # The API location is production's.
    production = render_as_the_image_does(BASE["nginx"]["environment"], tmp_path)
    assert location_body(rendered, "/api/") == location_body(production, "/api/")

    # As in test_compose: Debian's nginx cannot resolve compose names; swap in addresses.
    environment = dict(
        merged_environment("nginx"), RESOLVER="", API_BIND="127.0.0.1:8000", SPA_DEV_SERVER="127.0.0.1:5173"
    )
    ok, message = nginx_accepts(render_as_the_image_does(environment, tmp_path), tmp_path)
    assert ok, message


def test_vite_is_published_on_loopback_only():
    # Vite serves the checkout's sources: never on every interface of the host.
    (port,) = DEV["web"]["ports"]
    assert port.startswith("127.0.0.1:")


def test_vite_has_limits():
    assert {"mem_limit", "cpu_quota", "cpu_period", "pids_limit"} <= set(DEV["web"])
