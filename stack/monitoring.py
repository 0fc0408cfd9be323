"""MONITORING=1 natively: Debian's prometheus and prometheus-nginx-exporter beside the stack.

The same monitoring/ config as compose's monitoring profile: prometheus.yml with its targets set
to the native listeners (all on loopback), and rules.yml as it is. The API's metrics (METRICS_BIND)
and nginx's stub_status (STUB_STATUS_BIND) get loopback ports of their own when left empty.
NativeStack runs the two programs under its supervisord (stack/native.py).
"""

import json
import urllib.parse
import urllib.request

import yaml

from .env import ROOT, parse_port
from .supervision import Program

CONFIG = ROOT / "monitoring"
# Natively, with MONITORING=1 and the setting empty (in Docker the compose file names them).
DEFAULT_METRICS_BIND = "127.0.0.1:9180"
DEFAULT_STUB_STATUS_BIND = "127.0.0.1:8081"
PROGRAMS = ("prometheus", "prometheus-nginx-exporter")


def enabled(settings):
    return settings.get("MONITORING") == "1"


def with_listeners(settings):
    """The settings with the internal listeners that monitoring scrapes filled in."""
    values = dict(settings)
    values["METRICS_BIND"] = values.get("METRICS_BIND") or DEFAULT_METRICS_BIND
    values["STUB_STATUS_BIND"] = values.get("STUB_STATUS_BIND") or DEFAULT_STUB_STATUS_BIND
    return values


def ports(settings):
    """{setting: port} of every listener monitoring adds (checked free before the start)."""
    return {
        "PROMETHEUS_PORT": parse_port(settings.get("PROMETHEUS_PORT") or "9090", "PROMETHEUS_PORT"),
        "NGINX_EXPORTER_PORT": parse_port(settings.get("NGINX_EXPORTER_PORT") or "9113", "NGINX_EXPORTER_PORT"),
        "METRICS_BIND": int(settings["METRICS_BIND"].rpartition(":")[2]),
        "STUB_STATUS_BIND": int(settings["STUB_STATUS_BIND"].rpartition(":")[2]),
    }


def render_config(settings, run_dir, scrape_interval=None):
    """monitoring/prometheus.yml with the native targets, into run_dir; returns its path.
    scrape_interval (e.g. "1s"): scrape and evaluate that often (the tests)."""
    config = yaml.safe_load((CONFIG / "prometheus.yml").read_text())
    config["rule_files"] = [str(CONFIG / name) for name in config["rule_files"]]
    targets = {
        "api": settings["METRICS_BIND"],
        "nginx": f"127.0.0.1:{ports(settings)['NGINX_EXPORTER_PORT']}",
    }
    for job in config["scrape_configs"]:
        for key in [k for k in job if k.endswith("_sd_configs") or k == "static_configs"]:
            del job[key]
        job["static_configs"] = [{"targets": [targets[job["job_name"]]]}]
    if scrape_interval:
        config["global"].update(scrape_interval=scrape_interval, evaluation_interval=scrape_interval)
    path = run_dir / "prometheus.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def programs(settings, run_dir, log_path, scrape_interval=None):
    """The two supervisord programs; both stop before nginx and gunicorn (higher priority)."""
    port = ports(settings)
    config = render_config(settings, run_dir, scrape_interval)
    return [
        Program(
            "prometheus",
            [
                "prometheus",
                f"--config.file={config}",
                f"--storage.tsdb.path={run_dir / 'prometheus-data'}",
                "--storage.tsdb.retention.time=2d",
                f"--web.listen-address=127.0.0.1:{port['PROMETHEUS_PORT']}",
            ],
            log=str(log_path("prometheus")),
            priority=40,
            stop_wait=15,
        ),
        Program(
            "nginx-exporter",
            [
                "prometheus-nginx-exporter",
                f"--nginx.scrape-uri=http://{settings['STUB_STATUS_BIND']}/stub_status",
                f"--web.listen-address=127.0.0.1:{port['NGINX_EXPORTER_PORT']}",
                # It exits when stub_status does not answer at its start: nginx may still be starting.
                "--nginx.retries=20",
                "--nginx.retry-interval=500ms",
            ],
            log=str(log_path("nginx-exporter")),
            priority=40,
            stop_wait=10,
        ),
    ]


def prometheus_url(settings):
    return f"http://127.0.0.1:{ports(settings)['PROMETHEUS_PORT']}"


def _get(url):
    # Our own loopback listeners (bandit's B310 fears file: and custom schemes).
    with urllib.request.urlopen(url, timeout=2) as answer:  # nosec B310
        return answer.status, answer.read()


def prometheus_ready(settings):
    try:
        return _get(f"{prometheus_url(settings)}/-/ready")[0] == 200
    except OSError:
        return False


def exporter_ready(settings):
    try:
        status, body = _get(f"http://127.0.0.1:{ports(settings)['NGINX_EXPORTER_PORT']}/metrics")
    except OSError:
        return False
    return status == 200 and b"nginx_up 1" in body


def query(settings, promql):
    """The result list of an instant query on the running Prometheus."""
    url = f"{prometheus_url(settings)}/api/v1/query?{urllib.parse.urlencode({'query': promql})}"
    return json.loads(_get(url)[1])["data"]["result"]


def rules(settings):
    """Every rule the running Prometheus loaded, with its health ("ok" once evaluated)."""
    groups = json.loads(_get(f"{prometheus_url(settings)}/api/v1/rules")[1])["data"]["groups"]
    return [rule for group in groups for rule in group["rules"]]
