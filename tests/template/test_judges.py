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


def test_checkov_flags_a_dockerfile_that_ends_as_root(tmp_path):
    clean, bad = planted(tmp_path, "nginx/Dockerfile", lambda t: t + "USER root\n")
    flags(lambda p: judges.checkov([p]), clean, bad, "CKV_DOCKER_8")


def test_checkov_flags_privilege_escalation_in_the_rendered_overlay(tmp_path):
    rendered = judges.render_kustomize(tmp_path / "k8s" / "production.yaml", "deploy/k8s/overlays/production")
    bad = tmp_path / "bad" / "production.yaml"
    bad.parent.mkdir()
    bad.write_text(rendered.read_text().replace("allowPrivilegeEscalation: false", "allowPrivilegeEscalation: true", 1))
    flags(lambda p: judges.checkov([p]), rendered, bad, "CKV_K8S_20")


def test_checkov_flags_a_compose_service_with_a_writable_root(tmp_path):
    clean, bad = planted(tmp_path, "docker-compose.yml", lambda t: t.replace("read_only: true", "read_only: false"))
    flags(lambda p: judges.checkov([judges.compose_copy(p.with_suffix(".judged.yml"), p)]), clean, bad, "CKV_STACK_1")


def test_checkov_reads_a_compose_file_with_reset_tags(tmp_path):
    # checkov drops a file with `!reset` silently: the judge's copy must still be judged.
    writable = "\n  nginx:\n    read_only: false\n"
    clean, bad = planted(tmp_path, "docker-compose.https.yml", lambda t: t.replace("\n  nginx:\n", writable, 1))
    assert "!reset" in bad.read_text()
    flags(lambda p: judges.checkov([judges.compose_copy(p.with_suffix(".judged.yml"), p)]), clean, bad, "CKV_STACK_1")


def test_checkov_flags_unsecure_commands_in_the_workflow(tmp_path):
    env = "    env:\n      ACTIONS_ALLOW_UNSECURE_COMMANDS: true\n"
    clean, bad = planted(
        tmp_path, ".github/workflows/ci.yml", lambda t: t.replace("    steps:\n", env + "    steps:\n", 1)
    )
    flags(lambda p: judges.checkov([p]), clean, bad, "CKV_GHA_1")


def test_checkov_flags_a_secret(tmp_path):
    key = "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYzQ8hN3kT2s\n"
    clean, bad = planted(tmp_path, "deploy/k8s/base/settings.env", lambda t: t + key)
    flags(lambda p: judges.checkov([p]), clean, bad, "CKV_SECRET_")


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
