"""`copier copy` of this checkout with answers unlike the defaults, as a template user starts a
project: the new project's unit suites pass, and its name, title, prefix, port and domain are the
answers, with the old title and prefix left nowhere. The copy is the product and its tests: the
template's own tooling (bench/, tests/bench/, tests/template/, copier.yml) stays behind unless
with_bench=true keeps the benchmark, and the Makefile says so instead of breaking."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from template.line_counts import stay_behind

from stack import rename
from support.copies import ROOT, SHARED, clean_env, link_installed, run, run_unit_suites

COPIER = str(Path(sys.executable).parent / "copier")
ANSWERS = {
    "title": "Kestrel Board",
    "name": "kestrel-board",
    "api_prefix": "/v2/svc",
    "port": "9137",
    "domain": "board.kestrel.test",
}
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def copier_copy(dest, answers, template=ROOT):
    args = [COPIER, "copy", "--trust", "--defaults", "--vcs-ref", "HEAD", "--quiet"]
    for key, value in answers.items():
        args += ["--data", f"{key}={value}"]
    return subprocess.run(
        [*args, str(template), str(dest)],
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )


def git(*args, cwd):
    """git with a fixed identity (the tests commit in their own repositories)."""
    identity = ["-c", "user.name=Template Test", "-c", "user.email=template-test@localhost"]
    return run(["git", *identity, *args], cwd)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A project made by copier copy from this checkout (uncommitted changes included)."""
    dest = tmp_path_factory.mktemp("copier") / "kestrel-board"
    done = copier_copy(dest, ANSWERS)
    assert done.returncode == 0, done.stdout + done.stderr
    link_installed(dest)
    return dest


def test_unit_suites_pass_in_the_new_project(project):
    vitest, pytest_out = run_unit_suites(project)
    assert re.search(r"Tests\s+\d+ passed", ANSI.sub("", vitest)), vitest
    assert re.search(r"\d+ passed", pytest_out) and "failed" not in pytest_out, pytest_out


@pytest.mark.parametrize(
    "file, line",
    [
        ("frontend/src/site.ts", "export const SITE_TITLE = 'Kestrel Board'"),
        ("backend/app/settings.py", '    "API_PREFIX": "/v2/svc",'),
        ("frontend/vite.config.ts", "export const DEFAULT_API_PREFIX = '/v2/svc'"),
        (".env.example", "API_PREFIX=/v2/svc"),
        (".env.example", "HTTP_PORT=9137"),
        ("stack/env.py", 'DEFAULT_HTTP_PORT = "9137"'),
        ("frontend/vite.config.ts", "export const DEFAULT_HTTP_PORT = 9137"),
        ("docker-compose.yml", '      - "${HTTP_BIND:+${HTTP_BIND:-}:}${HTTP_PORT:-9137}:80"'),
        (".env.example", "# In production, for example: ALLOWED_HOSTS=board.kestrel.test"),
        ("frontend/package.json", '  "name": "kestrel-board",'),
    ],
)
def test_answers_are_where_they_belong(project, file, line):
    assert line in (project / file).read_text().splitlines()


def test_old_title_and_prefix_are_nowhere(project):
    old_prefix = re.compile(r"/api(?=[/'\"`\s)},:;?\]|]|$)", re.M)
    title_left, prefix_left = [], []
    for path, text in rename.text_files(project):
        where = str(path.relative_to(project))
        if "URL check" in text:
            title_left.append(where)
        if old_prefix.search(text):
            prefix_left.append(where)
    assert title_left == []
    assert prefix_left == []


def test_answers_are_kept_for_copier_update(project):
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert {key: str(answers[key]) for key in ANSWERS} == ANSWERS
    assert answers["with_bench"] is False
    assert answers["_src_path"] == str(ROOT)


def walk(project):
    """Every folder and file of the project (relative, POSIX), not entering the linked installs."""
    for folder, dirs, files in os.walk(project):
        here = Path(folder).relative_to(project)
        dirs[:] = [d for d in dirs if (here / d).as_posix() not in SHARED]
        yield from ((here / name).as_posix() for name in dirs + files)


def test_the_template_tooling_stays_behind(project):
    found = list(walk(project))
    assert [path for path in found if stay_behind(path)] == []
    assert [path for path in found if path.endswith(".jinja")] == []
    assert {"backend", "stack", "tests/unit", "tests/support", "Makefile", ".copier-answers.yml"} <= set(found)


def test_dependabot_watches_only_folders_the_copy_has(project):
    config = yaml.safe_load((project / ".github/dependabot.yml").read_text())
    folders = {d for update in config["updates"] for d in update.get("directories") or [update["directory"]]}
    assert "/backend" in folders
    assert [d for d in folders if not (project / d.lstrip("/")).is_dir()] == []


def make(project, *args):
    return subprocess.run(["make", *args], cwd=project, env=clean_env(), capture_output=True, text=True, timeout=60)


def test_make_without_the_benchmark(project):
    help_out = run(["make", "help"], project)
    assert "make up " in help_out and "make test " in help_out
    assert "make bench" not in help_out
    bench = make(project, "bench")
    assert bench.returncode != 0
    lines = (bench.stdout + bench.stderr).strip().splitlines()
    assert len(lines) == 1, lines
    assert "not part of this project" in lines[0] and "copier copy --data with_bench=true" in lines[0]
    assert "copier update --trust --data with_bench=true" in lines[0]
    # What the other tasks would run (-n): nothing of bench/ is asked for.
    dry = run(["make", "-n", "lock", "test", "up"], project)
    assert "bench" not in dry


def test_the_root_level_tests_pass_in_the_new_project(project):
    tests = sorted(str(path.relative_to(project)) for path in (project / "tests").glob("test_*.py"))
    assert "tests/test_locks.py" in tests
    out = run([sys.executable, "-m", "pytest", *tests, "-q", "-p", "no:cacheprovider"], project)
    assert re.search(r"\d+ passed", out) and "failed" not in out, out


def test_with_bench_true_keeps_the_benchmark(tmp_path):
    dest = tmp_path / "with-bench"
    done = copier_copy(dest, {"with_bench": "true"})
    assert done.returncode == 0, done.stdout + done.stderr
    assert (dest / "bench/__main__.py").is_file() and (dest / "tests/bench/test_bench.py").is_file()
    assert not (dest / "tests/template").exists() and not (dest / "copier.yml").exists()
    assert "      - /bench" in (dest / ".github/dependabot.yml").read_text().splitlines()
    assert "make bench " in run(["make", "help"], dest)


def test_a_bad_prefix_is_refused_before_anything_is_written(tmp_path):
    dest = tmp_path / "refused"
    done = copier_copy(dest, dict(ANSWERS, api_prefix="v2/"))
    assert done.returncode != 0
    assert "Start with /" in done.stdout + done.stderr
    assert not dest.exists() or not any(dest.iterdir())


def test_copier_update_brings_a_template_change_and_keeps_the_answers(tmp_path):
    template, project = tmp_path / "template", tmp_path / "project"
    git("clone", "--quiet", str(ROOT), str(template), cwd=tmp_path)
    done = copier_copy(project, ANSWERS, template=template)
    assert done.returncode == 0, done.stdout + done.stderr
    git("init", "--quiet", cwd=project)
    git("add", "-A", cwd=project)
    git("commit", "--quiet", "-m", "Start", cwd=project)

    # The template improves a file that the answers changed in the project.
    env_example = template / ".env.example"
    env_example.write_text(env_example.read_text() + "\n# A setting added by the template later.\nNEW_SETTING=\n")
    git("commit", "--quiet", "-am", "Add a setting", cwd=template)
    run([COPIER, "update", "--trust", "--defaults", "--vcs-ref", "HEAD", "--quiet"], project)

    text = (project / ".env.example").read_text()
    assert "NEW_SETTING=" in text.splitlines()
    assert "API_PREFIX=/v2/svc" in text.splitlines() and "HTTP_PORT=9137" in text.splitlines()
    changed = git("status", "--porcelain", cwd=project).split("\n")
    assert sorted(line[3:] for line in changed if line) == [".copier-answers.yml", ".env.example"]
