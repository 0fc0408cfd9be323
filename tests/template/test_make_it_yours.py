"""docs/make-it-yours.md, followed in a copy of the checkout: its `sh step` blocks run there, its
`file=` blocks are written where they say, then the copy's unit suites must pass and the new page
must answer."""

import re
import shlex
import subprocess
import sys

import pytest

from support.copies import ROOT, copy_checkout, run, run_unit_suites

GUIDE = ROOT / "docs" / "make-it-yours.md"
FENCE = re.compile(r"^```(?P<info>[^\n`]*)\n(?P<body>.*?)^```$", re.M | re.S)
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def guide_blocks():
    """[(info words, options, body)] of the guide's fenced blocks, in order."""
    blocks = []
    for match in FENCE.finditer(GUIDE.read_text()):
        words = shlex.split(match["info"])
        options = dict(word.split("=", 1) for word in words if "=" in word)
        blocks.append(([w for w in words if "=" not in w], options, match["body"]))
    return blocks


def apply_block(project, words, options, body):
    """Do what one block says; returns the file it changed (None for a shell step)."""
    if "file" not in options:
        run(["bash", "-euo", "pipefail", "-c", body], project, timeout=300)
        return None
    path = project / options["file"]
    if "append" in words:
        # At the end, after two blank lines as Python wants between functions.
        path.write_text(path.read_text().rstrip("\n") + "\n\n\n" + body)
    elif "above" in options:
        lines = path.read_text().splitlines(keepends=True)
        at = [i for i, line in enumerate(lines) if options["above"] in line]
        assert len(at) == 1, f"{options['file']}: the marker {options['above']!r} is not there exactly once"
        lines[at[0] : at[0]] = [body]
        path.write_text("".join(lines))
    else:
        path.write_text(body)
    return options["file"]


@pytest.fixture(scope="module")
def followed(tmp_path_factory):
    """A copy of the checkout after every step of the guide: (project, files the page step changed)."""
    project = copy_checkout(tmp_path_factory.mktemp("guide") / "app")
    blocks = guide_blocks()
    page_files = set()
    in_page_step = False
    for words, options, body in blocks:
        if "file" in options and options["file"].startswith("backend/app/api.py"):
            in_page_step = True  # the third step starts with the endpoint
        if "step" in words or "file" in options:
            changed = apply_block(project, words, options, body)
            if in_page_step and changed:
                page_files.add(changed)
    return project, page_files


def test_the_guide_has_steps_for_rename_delete_and_a_page():
    blocks = guide_blocks()
    shell_steps = [body for words, _, body in blocks if "step" in words]
    files = [options["file"] for _, options, _ in blocks if "file" in options]
    assert any("make rename" in body for body in shell_steps)
    assert any("rm " in body and "diagnose.ts" in body for body in shell_steps)
    assert "frontend/src/views/HomeView.vue" in files
    assert any(body.strip() == "make api-types" for body in shell_steps)


def test_adding_the_page_touches_the_route_the_description_and_the_page(followed):
    _, page_files = followed
    assert page_files == {
        "backend/app/api.py",
        "backend/app/openapi.yaml",
        "frontend/src/views/GreetingView.vue",
        "frontend/src/router/index.ts",
    }


def test_the_types_are_made_again_from_the_description(followed):
    project, _ = followed
    types = (project / "frontend/src/api-schema.d.ts").read_text()
    assert '"/greeting": {' in types and 'operations["getGreeting"]' in types


def test_the_diagnostic_is_gone_and_the_proxy_path_stays(followed):
    project, _ = followed
    for gone in (
        "frontend/src/diagnose.js",
        "frontend/src/components/StatusBanner.vue",
        "tests/e2e/test_home_checks.py",
    ):
        assert not (project / gone).exists(), gone
    for kept in ("nginx/templates/default.conf.template", "backend/gunicorn.conf.py", "backend/app/errors.py"):
        assert (project / kept).exists(), kept
    leftovers = subprocess.run(
        ["grep", "-rlE", "diagnose|StatusBanner|CheckList|FactPanel", "frontend/src"],
        cwd=project,
        capture_output=True,
        text=True,
    ).stdout.split()
    assert leftovers == [], f"still pointing at the deleted diagnostic: {leftovers}"


def test_renamed_title_is_in_the_one_place(followed):
    project, _ = followed
    assert "export const SITE_TITLE = 'Acme Portal'" in (project / "frontend/src/site.ts").read_text()
    assert '"name": "acme-portal"' in (project / "frontend/package.json").read_text()


def test_unit_suites_pass_after_the_guide(followed):
    project, _ = followed
    vitest, pytest_out = run_unit_suites(project)
    assert re.search(r"Tests\s+\d+ passed", ANSI.sub("", vitest)), vitest
    assert re.search(r"\d+ passed", pytest_out) and "failed" not in pytest_out, pytest_out


def test_the_new_endpoint_answers_under_the_prefix(followed):
    project, _ = followed
    probe = (
        "from app import create_app\n"
        "client = create_app({'TESTING': True}).test_client()\n"
        "r = client.get('/greeting?name=Ann', environ_overrides={'SCRIPT_NAME': '/api'})\n"
        "print(r.status_code, r.get_json())\n"
    )
    out = run([sys.executable, "-c", probe], project / "backend")
    assert out.strip() == "200 {'message': 'Hello, Ann!'}"


def test_the_guide_code_passes_the_linters(followed):
    project, page_files = followed
    frontend = [
        f.removeprefix("frontend/")
        for f in page_files | {"frontend/src/views/HomeView.vue"}
        if f.startswith("frontend/")
    ]
    npm = [sys.executable, "-m", "stack", "npm", "exec", "--"]
    run([*npm, "eslint", *frontend], project)
    run([*npm, "prettier", "--check", *frontend], project)
    # The page's call against the description's types, not incrementally: node_modules/.tmp,
    # where that state goes, is the checkout's own, linked into the copy.
    run([*npm, "vue-tsc", "--noEmit", "--incremental", "false", "-p", "tsconfig.app.json"], project)
    ruff = str(ROOT / ".venv" / "bin" / "ruff")
    run([ruff, "check", "--no-cache", "backend/app/api.py"], project)
    run([ruff, "format", "--no-cache", "--check", "backend/app/api.py"], project)
