"""The judges of `make lint` (lint/judges.py) can fail: one known-bad line planted in a copy of
the file each judges is flagged with the checked-in config, and the same copy without it is not,
so a config that silences everything, or a judge that silently skips a file, is caught."""

import re
import shutil
import subprocess

import pytest

from lint import judges
from stack.env import ROOT

pytestmark = pytest.mark.skipif(not judges.CHECKOV.exists(), reason="make lint installs checkov (.venv-checkov)")


def verdict(cmd):
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    return done.returncode, done.stdout + done.stderr


def planted(tmp_path, relpath, edit):
    """(clean copy, copy with the bad line) of a file of the repository, same name, two folders."""
    text = (ROOT / relpath).read_text()
    bad = edit(text)
    assert bad != text, "the plant did not take"
    copies = []
    for name, body in (("clean", text), ("bad", bad)):
        path = tmp_path / name / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body)
        copies.append(path)
    return copies


def flags(judge, clean, bad, rule):
    """The judge fails the bad copy with `rule` once more than it names it on the clean one."""
    _, clean_out = verdict(judge(clean))
    code, out = verdict(judge(bad))
    assert code != 0 and out.count(rule) > clean_out.count(rule), out


def test_hadolint_flags_sudo(tmp_path):
    clean, bad = planted(tmp_path, "backend/Dockerfile", lambda t: t.replace("USER ", "RUN sudo true\nUSER ", 1))
    flags(lambda p: judges.hadolint([p]), clean, bad, "DL3004")


# checkov takes long to start: every plant of it is judged in one run of a clean tree and one of
# a planted tree, and each plant must add its rule's failure on its own file.
def _plant_dockerfile(text):
    return text + "USER root\n"


def _plant_overlay(text):
    return text.replace("allowPrivilegeEscalation: false", "allowPrivilegeEscalation: true", 1)


def _plant_compose(text):
    return text.replace("read_only: true", "read_only: false")


def _plant_reset_compose(text):
    # checkov drops a file with `!reset` or `!override` silently: the judge's copy must still be judged.
    assert re.search(r"!(reset|override)\b", text)
    return text.replace("\n  nginx:\n", "\n  nginx:\n    read_only: false\n", 1)


def _plant_workflow(text):
    return text.replace("    steps:\n", "    env:\n      ACTIONS_ALLOW_UNSECURE_COMMANDS: true\n    steps:\n", 1)


def _plant_secret(text):
    return text + "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYzQ8hN3kT2s\n"


CHECKOV_PLANTS = {
    # name in the tree: (source, plant, rule)
    "nginx.Dockerfile": ("nginx/Dockerfile", _plant_dockerfile, "CKV_DOCKER_8"),
    "production.yaml": (None, _plant_overlay, "CKV_K8S_20"),
    "docker-compose.judged.yml": ("docker-compose.yml", _plant_compose, "CKV_STACK_1"),
    "docker-compose.https.judged.yml": ("docker-compose.https.yml", _plant_reset_compose, "CKV_STACK_1"),
    # checkov knows a workflow by its folder.
    ".github/workflows/ci.yml": (".github/workflows/ci.yml", _plant_workflow, "CKV_GHA_1"),
    "settings.env": ("deploy/k8s/base/settings.env", _plant_secret, "CKV_SECRET_"),
}


def _failures(out):
    """{(rule, file name)} of checkov's compact output."""
    found = set()
    for block in out.split("Check: ")[1:]:
        rule = block.split(":", 1)[0]
        for path in re.findall(r"File: (\S+?)(?::\d+-\d+)?\s", block):
            found.add((rule, path.rsplit("/", 1)[-1]))
    return found


@pytest.fixture(scope="module")
def checkov_verdicts(tmp_path_factory):
    """checkov's exit status and failures on the clean tree and on the planted one."""
    root = tmp_path_factory.mktemp("checkov")
    overlay = judges.render_kustomize(root / "rendered" / "production.yaml", "deploy/k8s/overlays/production")
    verdicts = {}
    for tree in ("clean", "bad"):
        files = []
        for name, (source, plant, _rule) in CHECKOV_PLANTS.items():
            text = (ROOT / source).read_text() if source else overlay.read_text()
            raw = root / tree / "raw" / name
            raw.parent.mkdir(parents=True, exist_ok=True)
            raw.write_text(plant(text) if tree == "bad" else text)
            path = judges.compose_copy(root / tree / name, raw) if "compose" in name else raw
            if "compose" not in name:
                path = root / tree / name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(raw.read_text())
            files.append(path)
        code, out = verdict(judges.checkov(files))
        verdicts[tree] = (code, _failures(out), out)
    return verdicts


@pytest.mark.parametrize("name", CHECKOV_PLANTS)
def test_checkov_flags_each_planted_line(checkov_verdicts, name):
    rule = CHECKOV_PLANTS[name][2]
    clean_code, clean, clean_out = checkov_verdicts["clean"]
    code, bad, out = checkov_verdicts["bad"]
    assert clean_code == 0 and not clean, clean_out
    assert code != 0
    assert any(r.startswith(rule) and file == name.rsplit("/", 1)[-1] for r, file in bad), out


def test_zizmor_flags_template_injection(tmp_path):
    step = '      - name: Title\n        run: echo "${{ github.event.pull_request.title }}"\n'
    clean, bad = planted(
        tmp_path, ".github/workflows/ci.yml", lambda t: re.sub(r"(\n      - name: make test\n)", "\n" + step + r"\1", t)
    )
    shutil.copy(ROOT / ".github" / "dependabot.yml", clean.parent.parent)
    shutil.copy(ROOT / ".github" / "dependabot.yml", bad.parent.parent)
    flags(lambda p: judges.zizmor([p.parent.parent]), clean, bad, "template-injection")


def test_gixy_flags_an_alias_traversal_in_the_template(tmp_path):
    nginx = {}
    for name in ("clean", "bad"):
        nginx[name] = tmp_path / name / "nginx"
        shutil.copytree(ROOT / "nginx", nginx[name])
    template = nginx["bad"] / "templates" / "default.conf.template"
    text = template.read_text()
    template.write_text(
        text.replace(
            "    location /assets/ {",
            "    location /files {\n        alias /srv/files/;\n    }\n\n    location /assets/ {",
            1,
        )
    )
    confs = {name: judges.render_nginx(tmp_path / "out" / name, {}, "native", nginx[name]) for name in nginx}
    flags(lambda p: judges.gixy([p]), confs["clean"], confs["bad"], "alias_traversal")


def test_gixy_judges_every_rendering(tmp_path):
    confs = [judges.render_nginx(tmp_path / n, s, m) for n, (s, m) in judges.RENDERINGS.items()]
    code, out = verdict(judges.gixy(confs))
    assert code == 0, out
    for conf in confs:
        assert str(conf) in out


def test_bandit_flags_eval(tmp_path):
    clean, bad = planted(tmp_path, "backend/app/api.py", lambda t: t + "\n\ndef judged(text):\n    return eval(text)\n")
    flags(lambda p: judges.bandit([p]), clean, bad, "B307")
