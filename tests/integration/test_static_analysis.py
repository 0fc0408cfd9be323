"""gixy-ng, nginx's configuration analyser, on the configs the stack really runs with."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

GIXY = Path(sys.executable).with_name("gixy")


def gixy_findings(conf):
    result = subprocess.run([str(GIXY), "-f", "json", str(conf)], capture_output=True, text=True)
    assert result.stdout.strip(), f"gixy printed nothing: {result.stderr}"
    return json.loads(result.stdout)


def summary(findings):
    return [f"{f['plugin']}: {f['reason']}" for f in findings]


@pytest.mark.parametrize(
    "overrides",
    [{}, {"TRUSTED_PROXIES": "10.0.0.0/8 ::1", "ALLOWED_HOSTS": "example.com .example.org"}],
    ids=["defaults", "proxies-and-hosts"],
)
def test_rendered_native_config_has_no_findings(start_stack, overrides):
    stack = start_stack(**overrides)
    assert summary(gixy_findings(stack.run_dir / "nginx.conf")) == []


def test_gixy_does_report_a_known_problem(tmp_path):
    # The check must be able to fail: a classic alias traversal is reported.
    conf = tmp_path / "nginx.conf"
    conf.write_text("events {} http { server { location /files { alias /srv/files/; } } }\n")
    assert any(f["plugin"] == "alias_traversal" for f in gixy_findings(conf))
