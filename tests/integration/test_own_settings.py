"""A team's own setting (a name starting with APP_) reaches the API after one edit, with no list
of names to change: natively from .env or the shell (read here inside gunicorn's worker), in the
systemd units' environment, in Docker from .env (as compose itself resolves the api service),
and in Kubernetes from the settings ConfigMap the api pods read whole. Swarm is not covered.
"""

import subprocess
from pathlib import Path

import yaml

from stack import systemd
from stack.env import ROOT, load
from stack.settings import own, validate
from support.stacks import stack_settings

OWN = {"APP_GREETING": "hello from .env", "APP_FEATURE_X": "on"}


def process_environ(pid):
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(entry.decode().split("=", 1) for entry in raw if b"=" in entry)


def workers_of(pid):
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def test_dotenv_keys_with_the_prefix_are_settings_not_typos(tmp_path):
    dotenv = tmp_path / ".env"
    dotenv.write_text("".join(f"{k}={v}\n" for k, v in OWN.items()) + "APP_=x\nAPPX_Y=1\n")
    warnings = []
    values = load(environ={}, dotenv=dotenv, warn=warnings.append)
    assert own(values) == {**OWN, "APP_": "x"}
    assert [w.split(":")[2].strip().split()[0] for w in warnings] == ["APPX_Y"]


def test_the_api_process_gets_them_natively(start_stack):
    stack = start_stack(**OWN)
    master = stack.pids()["gunicorn"]
    workers = workers_of(master)
    assert workers
    for pid in [master, *workers]:
        environ = process_environ(pid)
        assert {k: environ.get(k) for k in OWN} == OWN


def test_the_systemd_api_unit_gets_them():
    env = systemd.api_environment(validate(stack_settings(**OWN)), "unix:/run/app/gunicorn.sock")
    assert {k: env.get(k) for k in OWN} == OWN


def test_compose_passes_them_to_the_api_service_from_dotenv(tmp_path):
    """`docker compose config` on a copy of the compose file with a .env: compose's own reading."""
    (tmp_path / "docker-compose.yml").write_text((ROOT / "docker-compose.yml").read_text())
    (tmp_path / ".env").write_text("".join(f"{k}={v}\n" for k, v in OWN.items()) + "API_BIND=127.0.0.1:9\n")
    done = subprocess.run(
        ["docker", "compose", "config", "--format", "json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    services = yaml.safe_load(done.stdout)["services"]
    api = services["api"]["environment"]
    assert {k: api.get(k) for k in OWN} == OWN
    assert api["API_BIND"] == "0.0.0.0:8000", "the stack's own settings win over .env"
    assert not set(OWN) & set(services["nginx"].get("environment", {}))
