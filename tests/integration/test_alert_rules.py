"""monitoring/ as make lint judges it: promtool checks Prometheus's config and the alert rules
and runs their unit tests (lint/judges.py); each check fails on a planted error. The native
run's rendering of the same config (stack/monitoring.py) keeps the rules and changes only the
targets."""

import shutil
import subprocess
import sys

import pytest
import yaml

from stack import monitoring
from stack.env import ROOT

sys.path.insert(0, str(ROOT / "lint"))
import judges  # noqa: E402


def promtool(folder):
    done = subprocess.run(judges.promtool(folder), capture_output=True, text=True)
    return done.returncode, done.stdout + done.stderr


@pytest.fixture
def copy(tmp_path):
    folder = tmp_path / "monitoring"
    shutil.copytree(ROOT / "monitoring", folder)
    return folder


def test_the_shipped_config_and_rules_pass(copy):
    status, out = promtool(copy)
    assert status == 0, out
    assert "SUCCESS" in out


@pytest.mark.parametrize(
    "file, old, new, said",
    [
        ("rules.yml", 'up{job="api"} == 0', 'up{job="api"} ==', "parse error"),
        ("rules.yml", "for: 1m", "for: a minute", "not a valid duration"),
        ("prometheus.yml", "job_name: nginx", "job_name: api", "found multiple scrape configs with job name"),
        # The rule still parses, but its unit test expects it to fire at 9.5% errors.
        ("rules.yml", "> 0.05", "> 0.5", "FAILED"),
    ],
    ids=["bad-expression", "bad-duration", "duplicate-job", "moved-threshold"],
)
def test_promtool_fails_on_a_planted_error(copy, file, old, new, said):
    path = copy / file
    assert old in path.read_text()
    path.write_text(path.read_text().replace(old, new, 1))
    status, out = promtool(copy)
    assert status != 0
    assert said in out, out


def test_native_config_scrapes_loopback_with_the_same_rules(tmp_path):
    settings = monitoring.with_listeners({"NGINX_EXPORTER_PORT": "19113"})
    config = yaml.safe_load(monitoring.render_config(settings, tmp_path, scrape_interval="1s").read_text())
    shipped = yaml.safe_load((ROOT / "monitoring" / "prometheus.yml").read_text())
    assert config["rule_files"] == [str(ROOT / "monitoring" / "rules.yml")]
    targets = {job["job_name"]: job["static_configs"] for job in config["scrape_configs"]}
    assert targets == {
        "api": [{"targets": [monitoring.DEFAULT_METRICS_BIND]}],
        "nginx": [{"targets": ["127.0.0.1:19113"]}],
    }
    assert [job["job_name"] for job in shipped["scrape_configs"]] == list(targets)
    assert config["global"]["scrape_interval"] == "1s"
    done = subprocess.run(
        ["promtool", "check", "config", str(tmp_path / "prometheus.yml")], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
