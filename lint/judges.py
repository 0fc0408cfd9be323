"""The security judges of `make lint`, each on what the stack really ships, each with its config
in lint/ that names every rule it skips and why.

  hadolint  both Dockerfiles                                   lint/hadolint.yaml
  checkov   the Dockerfiles, the rendered Kubernetes overlays,  lint/checkov.yaml
            the compose and Swarm files (lint/checkov_checks),
            the workflow, and secrets in all of them
  zizmor    .github (the workflow and Dependabot), offline      lint/zizmor.yml
  gixy      every rendering of the nginx template               lint/gixy.cfg
  bandit    backend/ and stack/                                 lint/bandit.yaml
  promtool  monitoring/: Prometheus's config, the alert rules   monitoring/rules_test.yml
            and their unit tests (promtool test rules)

usage: python lint/judges.py [NAME ...]   (no NAME: all of them, in parallel)
Exit status 1 when a judge has findings (they are printed), 0 otherwise.
"""

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
LINT = ROOT / "lint"
BIN = Path(sys.executable).parent
# checkov in a venv of its own (make lint installs it): it cannot share pytest's packaging.
CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"

DOCKERFILES = ("backend/Dockerfile", "nginx/Dockerfile")
COMPOSE_FILES = ("docker-compose.yml", "docker-compose.dev.yml", "docker-compose.https.yml", "deploy/swarm/stack.yml")
OVERLAYS = ("deploy/k8s/base", "deploy/k8s/overlays/production")
WORKFLOWS = (".github/workflows/ci.yml",)
MONITORING = ROOT / "monitoring"

# Every way the template is rendered: the settings of each (nginx/render.sh derives the rest).
_LIMITS = {"API_RATE_LIMIT": "20", "API_RATE_BURST": "40", "API_CONN_LIMIT": "20"}
_K8S_PRODUCTION = {
    **_LIMITS,
    "RESOLVER": "kube-dns.kube-system.svc.cluster.local",
    "API_BIND": "api.vue-flask-nginx.svc.cluster.local:8000",
    "NGINX_LISTEN_PORT": "8080",
    "STUB_STATUS_BIND": "127.0.0.1:8081",
}
RENDERINGS = {
    "native": ({}, "native"),
    "native-proxies-hosts": (
        {"TRUSTED_PROXIES": "10.0.0.0/8 ::1", "ALLOWED_HOSTS": "example.com .example.org"},
        "native",
    ),
    "native-dev": ({"SPA_DEV_SERVER": "127.0.0.1:5173"}, "native"),
    "docker": ({"RESOLVER": "127.0.0.11", "API_BIND": "api:8000", "STUB_STATUS_BIND": "0.0.0.0:8081"}, "image"),
    "docker-dev": ({"RESOLVER": "127.0.0.11", "API_BIND": "api:8000", "SPA_DEV_SERVER": "web:5173"}, "image"),
    # docker-compose.https.yml: nginx terminating TLS, the ACME challenge on plain http.
    "docker-https": (
        {
            "RESOLVER": "127.0.0.11",
            "API_BIND": "api:8000",
            "TLS_CERT": "/acme/certificates/app.example.com.crt",
            "TLS_KEY": "/acme/certificates/app.example.com.key",
            "ACME_WEBROOT": "/acme/webroot",
            **_LIMITS,
        },
        "image",
    ),
    "kubernetes": (_K8S_PRODUCTION, "image"),
}


def render_nginx(out, settings, main="native", nginx_dir=ROOT / "nginx"):
    """One rendering of the site into `out` through nginx/render.sh; returns its nginx.conf. main:
    "native" (nginx/native/nginx.conf.template) or "image" (the image's nginx/nginx.conf)."""
    out.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("NGINX_")}
    env.update(
        API_BIND=f"unix:{out}/gunicorn.sock",
        NGINX_RUN_DIR=str(out),
        NGINX_WEB_ROOT=str(out / "html"),
        NGINX_ACCESS_LOG=str(out / "access.log"),
        SPA_DEV_SERVER="",
    )
    env.update(settings)
    env.setdefault("NGINX_TLS_STATE", str(out / "tls-certificate.conf"))
    done = subprocess.run(["sh", str(nginx_dir / "render.sh")], env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"judges: nginx/render.sh failed for {settings}: {done.stderr.strip()}")
    if "TLS_CERT" in settings:
        # The include nginx/tls-watch.sh writes (no certificate here: handshakes refused).
        done = subprocess.run(
            ["sh", str(nginx_dir / "tls-watch.sh"), "--once"], env=env, capture_output=True, text=True
        )
        if done.returncode:
            raise SystemExit(f"judges: nginx/tls-watch.sh failed for {settings}: {done.stderr.strip()}")
    conf = out / "nginx.conf"
    if main == "image":
        text = (nginx_dir / "nginx.conf").read_text()
        conf.write_text(text.replace("/etc/nginx/conf.d/", f"{out}/conf.d/"))
    return conf


def render_kustomize(out, overlay):
    out.parent.mkdir(parents=True, exist_ok=True)
    done = subprocess.run([str(BIN / "kubectl"), "kustomize", str(ROOT / overlay)], capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"judges: kubectl kustomize {overlay} failed: {done.stderr.strip()}")
    out.write_text(done.stdout)
    return out


def compose_copy(out, path):
    """A compose file as checkov can read it: its YAML loader drops a whole file with Compose's
    `!reset` or `!override` tag in it, silently, so the tag goes (`ports: !reset []` checks as `ports: []`)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    text = re.sub(r"!(reset|override)\s+", "", Path(path).read_text())
    # checkov skips a file it cannot parse without a word: fail here instead.
    yaml.safe_load(text)
    out.write_text(text)
    return out


# ---- the judges: each takes the files to judge and returns its command ---------------------------
def hadolint(dockerfiles):
    return [str(BIN / "hadolint"), "--config", str(LINT / "hadolint.yaml"), "--no-color", *map(str, dockerfiles)]


def checkov(files, external=LINT / "checkov_checks"):
    args = [str(CHECKOV), "--config-file", str(LINT / "checkov.yaml"), "--external-checks-dir", str(external)]
    for path in files:
        args += ["--file", str(path)]
    return args


def zizmor(paths):
    args = [str(BIN / "zizmor"), "--offline", "--persona", "pedantic", "--config", str(LINT / "zizmor.yml")]
    return [*args, "--no-progress", *map(str, paths)]


def gixy(confs):
    return [str(BIN / "gixy"), "--config", str(LINT / "gixy.cfg"), *map(str, confs)]


def bandit(paths):
    return [str(BIN / "bandit"), "--configfile", str(LINT / "bandit.yaml"), "-q", "-r", *map(str, paths)]


def promtool(folder=MONITORING):
    """Prometheus's own checks: the config (with the rule files it names), the rules, and the
    rules' unit tests. promtool from Debian's prometheus (make lint installs it)."""
    checks = [
        f"promtool check config --syntax-only {folder / 'prometheus.yml'}",
        f"promtool check rules {folder / 'rules.yml'}",
        f"promtool test rules {folder / 'rules_test.yml'}",
    ]
    return ["sh", "-c", " && ".join(checks)]


def commands(work):
    """{judge: command} over the project's files; renderings go into `work`."""
    k8s = [render_kustomize(work / "k8s" / f"{Path(o).name}.yaml", o) for o in OVERLAYS]
    compose = [compose_copy(work / "compose" / path, ROOT / path) for path in COMPOSE_FILES]
    confs = [render_nginx(work / "nginx" / name, settings, main) for name, (settings, main) in RENDERINGS.items()]
    return {
        "hadolint": hadolint(ROOT / p for p in DOCKERFILES),
        "checkov": checkov([*(ROOT / p for p in DOCKERFILES), *k8s, *compose, *(ROOT / p for p in WORKFLOWS)]),
        "zizmor": zizmor([ROOT / ".github"]),
        "gixy": gixy(confs),
        "bandit": bandit([ROOT / "backend", ROOT / "stack"]),
        "promtool": promtool(),
    }


def run(cmd, cwd=ROOT):
    """(exit status, output) of one judge."""
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    return done.returncode, (done.stdout + done.stderr).strip()


def main(names):
    if not CHECKOV.exists():
        raise SystemExit(f"judges: {CHECKOV} is missing: make lint installs it (lint/requirements.txt)")
    failed = []
    with tempfile.TemporaryDirectory(prefix="judges-") as tmp:
        work = Path(tmp)
        jobs = {name: cmd for name, cmd in commands(work).items() if not names or name in names}
        started = time.monotonic()
        # Two cores: checkov (the slowest by far) runs beside the others, which run one by one.
        procs = {
            name: (subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
            for name, cmd in jobs.items()
            if name == "checkov"
        }
        results = {}
        for name, cmd in jobs.items():
            if name not in procs:
                results[name] = (*run(cmd), time.monotonic() - started)
        for name, proc in procs.items():
            out, _ = proc.communicate()
            results[name] = (proc.returncode, out.strip(), time.monotonic() - started)
        for name in jobs:
            code, out, seconds = results[name]
            if code:
                failed.append(name)
                print(f"--- {name}: findings ---\n{out.replace(tmp, '<rendered>')}")
            else:
                print(f"judges: {name}: no findings ({seconds:.1f} s)")
    if failed:
        print(f"judges: findings from {', '.join(failed)} (above); each rule a config skips is named in lint/")
        return 1
    return 0


if __name__ == "__main__":
    unknown = set(sys.argv[1:]) - {"hadolint", "checkov", "zizmor", "gixy", "bandit", "promtool"}
    if unknown:
        raise SystemExit(f"judges: no judge {', '.join(sorted(unknown))}")
    sys.exit(main(sys.argv[1:]))
