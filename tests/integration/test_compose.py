"""The Docker side, checked statically: no engine runs here, so `docker compose up` is never
tried. The compose file must parse and keep its contract, and the nginx image must render the
very template the native run renders, with the same derivation script."""

import os
import re

import pytest
import yaml

from stack.env import ROOT, read_dotenv
from stack.settings import SETTING_NAMES, read_by
from support.image import DERIVE, TEMPLATE, nginx_accepts, render_as_the_image_does

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]


class ComposeLoader(yaml.SafeLoader):
    """docker-compose.https.yml's `!override` is compose's tag, not YAML's: read as the list it tags."""


ComposeLoader.add_constructor("!override", ComposeLoader.construct_sequence)
HTTPS_SERVICES = yaml.load((ROOT / "docker-compose.https.yml").read_text(), ComposeLoader)["services"]
DOCKERFILES = [ROOT / "backend" / "Dockerfile", ROOT / "nginx" / "Dockerfile"]
# Natively the runner's; in Docker the compose file sets the internal listeners itself, and
# MONITORING is compose's monitoring profile (the runner passes it as COMPOSE_PROFILES).
NATIVE_ONLY = {
    "STACK",
    "API_BIND",
    "ACCESS_LOG",
    "METRICS_BIND",
    "STUB_STATUS_BIND",
    "MONITORING",
    "NGINX_EXPORTER_PORT",
    # The make https overlay gives nginx the certificate's paths in its own volume.
    "TLS_CERT",
    "TLS_KEY",
    "ACME_WEBROOT",
}
MONITORING = {"nginx-exporter", "prometheus"}


def compose_variables():
    """The settings that the compose files read: docker-compose.yml, the `make dev` override
    (which alone reads VITE_PORT) and the `make https` overlay."""
    lines = [
        line
        for name in ("docker-compose.yml", "docker-compose.dev.yml", "docker-compose.https.yml")
        for line in (ROOT / name).read_text().splitlines()
    ]
    code = "\n".join(line for line in lines if not line.lstrip().startswith("#"))
    return set(re.findall(r"\$\{([A-Z_]+)", code))


def test_services_are_api_and_nginx_and_monitoring_is_a_profile():
    assert {name for name, service in SERVICES.items() if "profiles" not in service} == {"api", "nginx"}
    assert {name for name, service in SERVICES.items() if service.get("profiles") == ["monitoring"]} == MONITORING


def test_nginx_is_the_only_public_port():
    # HTTP_BIND set: published on that address only (tests/docker renders it with compose).
    assert SERVICES["nginx"]["ports"] == ["${HTTP_BIND:+${HTTP_BIND:-}:}${HTTP_PORT:-8000}:80"]
    assert "ports" not in SERVICES["api"] and "ports" not in SERVICES["nginx-exporter"]
    # Prometheus's UI on loopback only; the metrics listeners are never published.
    assert SERVICES["prometheus"]["ports"] == ["127.0.0.1:${PROMETHEUS_PORT:-9090}:9090"]


def test_monitoring_images_are_the_official_ones_pinned():
    assert re.fullmatch(r"prom/prometheus:v\d+\.\d+\.\d+", SERVICES["prometheus"]["image"])
    assert re.fullmatch(r"nginx/nginx-prometheus-exporter:\d+\.\d+\.\d+", SERVICES["nginx-exporter"]["image"])


def test_prometheus_scrapes_the_internal_listeners():
    config = yaml.safe_load((ROOT / "monitoring" / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    metrics_port = SERVICES["api"]["environment"]["METRICS_BIND"].rsplit(":", 1)[1]
    assert jobs["api"]["dns_sd_configs"] == [
        {"names": ["api"], "type": "A", "port": int(metrics_port), "refresh_interval": "15s"}
    ]
    assert metrics_port in SERVICES["api"]["expose"]
    stub_status = SERVICES["nginx"]["environment"]["STUB_STATUS_BIND"].rsplit(":", 1)[1]
    assert f"--nginx.scrape-uri=http://nginx:{stub_status}/stub_status" in SERVICES["nginx-exporter"]["command"]
    assert jobs["nginx"]["static_configs"] == [{"targets": ["nginx-exporter:9113"]}]
    assert SERVICES["prometheus"]["volumes"] == ["./monitoring:/etc/prometheus:ro"]


def test_api_listens_where_nginx_sends():
    api_env = SERVICES["api"]["environment"]
    nginx_env = SERVICES["nginx"]["environment"]
    port = api_env["API_BIND"].rsplit(":", 1)[1]
    assert nginx_env["API_BIND"] == f"api:{port}"
    assert SERVICES["api"]["expose"][0] == port


def test_healthchecks_and_start_order():
    for name in ("api", "nginx"):
        assert SERVICES[name]["healthcheck"]["test"], name
    assert SERVICES["nginx"]["depends_on"] == {"api": {"condition": "service_healthy"}}


def test_nginx_re_resolves_the_api_name():
    assert SERVICES["nginx"]["environment"]["RESOLVER"] == "127.0.0.11"


def test_both_sides_read_the_same_prefix():
    expected = "${API_PREFIX:-}"
    assert SERVICES["api"]["environment"]["API_PREFIX"] == expected
    assert SERVICES["nginx"]["environment"]["API_PREFIX"] == expected
    assert SERVICES["nginx"]["build"]["args"]["API_PREFIX"] == expected


# Compose variables the runner sets itself, never .env: make https-local's certificate folder.
RUNNER_SET = {"TLS_FILES"}


def test_every_compose_variable_is_a_documented_setting():
    documented = set(read_dotenv(ROOT / ".env.example"))
    assert documented == set(SETTING_NAMES)
    assert compose_variables() - RUNNER_SET <= documented
    # Every setting reaches Docker too, except the ones that only mean something natively.
    assert documented - compose_variables() == NATIVE_ONLY


# Set by compose itself, never from .env: where gunicorn listens and nginx connects in Docker.
COMPOSE_OWN = {"api": {"API_BIND", "METRICS_BIND"}, "nginx": {"API_BIND", "RESOLVER", "STUB_STATUS_BIND"}}


@pytest.mark.parametrize("service", ["api", "nginx"])
def test_each_service_gets_the_settings_it_reads(service):
    """The settings table (stack/settings.py `to`) says who reads what; compose passes exactly that."""
    # The TLS settings reach nginx through the make https overlay only.
    environment = {**SERVICES[service]["environment"], **HTTPS_SERVICES.get(service, {}).get("environment", {})}
    passed = set(environment) - COMPOSE_OWN[service]
    # nginx listens on 80 (and 443 with TLS) on every address in its container (compose
    # publishes the ports); the runner's.
    native_only = {"HTTP_PORT", "HTTP_BIND", "ACCESS_LOG", "HTTP_REDIRECT_PORT"}
    assert passed == set(read_by(service)) - COMPOSE_OWN[service] - native_only


def test_settings_are_passed_without_defaults_of_their_own():
    # ${NAME:-} everywhere: the default lives in the code that reads the setting.
    for service in SERVICES.values():
        for name, value in service.get("environment", {}).items():
            if "${" in str(value):
                assert value == f"${{{name}:-}}", (name, value)


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.parent.name)
def test_base_images_are_pinned(dockerfile):
    images = re.findall(r"^FROM\s+(\S+)", dockerfile.read_text(), re.M)
    assert images
    for image in images:
        assert re.search(r":\d+\.\d+\.\d+", image), f"{image} is not pinned to a full version"


def test_api_image_runs_as_non_root():
    users = re.findall(r"^USER\s+(\S+)", (ROOT / "backend" / "Dockerfile").read_text(), re.M)
    assert users and users[-1] not in ("root", "0")


def test_nginx_image_uses_the_shared_template_and_derivation():
    text = (ROOT / "nginx" / "Dockerfile").read_text()
    assert "COPY nginx/templates/ /etc/nginx/templates/" in text
    assert "COPY nginx/docker-entrypoint.d/15-derive-settings.envsh /docker-entrypoint.d/" in text
    assert "NGINX_ENVSUBST_FILTER=^NGINX_" in text
    assert "COPY --from=build /src/dist/" in text, "the SPA is built in a first stage"
    assert os.access(DERIVE, os.X_OK), "the image sources *.envsh only when executable"


def test_template_uses_only_derived_variables():
    used = set(re.findall(r"\$\{([A-Z0-9_]+)\}", TEMPLATE.read_text()))
    exported = {
        name
        for script in sorted(DERIVE.parent.glob("*.envsh"))
        for name in re.findall(r"\b(NGINX_[A-Z0-9_]+)\b", script.read_text().split("export", 1)[1])
    }
    assert used and all(name.startswith("NGINX_") for name in used)
    assert used <= exported | {"NGINX_LISTEN_PORT"}


def test_compose_environment_renders_a_valid_nginx_config(tmp_path):
    environment = dict(SERVICES["nginx"]["environment"])
    rendered = render_as_the_image_does(environment, tmp_path)
    assert "resolver 127.0.0.11 valid=1s ipv6=off;" in rendered
    assert "server api:8000 resolve;" in rendered
    assert "location /api/ {" in rendered
    assert "listen 80;" in rendered
    # stub_status: a server of its own on the compose network's port, not on 80.
    assert "listen 0.0.0.0:8081;\n    server_name _;\n    access_log off;" in rendered

    # Debian's nginx (1.22) predates the upstream "resolve" parameter (1.27.3, in the pinned
    # 1.28 image) and cannot resolve "api" here: check the rest of the config with both
    # swapped for a literal address.
    environment.update(RESOLVER="", API_BIND="127.0.0.1:8000")
    ok, message = nginx_accepts(render_as_the_image_does(environment, tmp_path), tmp_path)
    assert ok, message


@pytest.mark.parametrize("service", ["api", "nginx", *sorted(MONITORING)])
def test_every_service_has_memory_cpu_and_process_limits(service):
    merged = {**COMPOSE["x-hardened"], **SERVICES[service]}
    assert {"mem_limit", "cpu_quota", "cpu_period", "pids_limit"} <= set(merged)
    # cpus would be refused on a host with fewer cores; a CFS quota is not.
    assert "cpus" not in merged and merged["cpu_quota"] >= merged["cpu_period"]
