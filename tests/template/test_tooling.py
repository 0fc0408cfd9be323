"""The repository's tooling files: the CI workflow and the Dependabot config against their
published schemas (vendored by check-jsonschema, so offline), and what they run and cover. (The
Node that .nvmrc pins and package-lock.json's engines: tests/test_npm_lock.py, a product test.)"""

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from support.copies import ROOT

CHECK_JSONSCHEMA = str(Path(sys.executable).parent / "check-jsonschema")
WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"
DEPENDABOT = ROOT / ".github" / "dependabot.yml"


@pytest.mark.parametrize(
    "schema, path",
    [("vendor.github-workflows", WORKFLOW), ("vendor.dependabot", DEPENDABOT)],
    ids=["workflow", "dependabot"],
)
def test_config_matches_its_published_schema(schema, path):
    done = subprocess.run(
        [CHECK_JSONSCHEMA, "--builtin-schema", schema, str(path)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_schema_check_rejects_a_broken_workflow(tmp_path):
    broken = yaml.safe_load(WORKFLOW.read_text())
    broken["jobs"]["test"]["stepz"] = broken["jobs"]["test"].pop("steps")
    path = tmp_path / "ci.yml"
    path.write_text(yaml.safe_dump(broken))
    done = subprocess.run(
        [CHECK_JSONSCHEMA, "--builtin-schema", "vendor.github-workflows", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stdout + done.stderr


def test_workflow_runs_make_test_and_make_audit():
    workflow = yaml.safe_load(WORKFLOW.read_text())
    commands = [step.get("run", "") for job in workflow["jobs"].values() for step in job["steps"]]
    assert any(command.startswith("make test") for command in commands)
    assert "make audit" in commands


def test_dependabot_covers_pip_npm_docker_and_actions():
    config = yaml.safe_load(DEPENDABOT.read_text())
    covered = {}
    for update in config["updates"]:
        dirs = update.get("directories") or [update["directory"]]
        covered.setdefault(update["package-ecosystem"], set()).update(dirs)
    dockerfiles = {f"/{p.parent.relative_to(ROOT)}" for p in ROOT.glob("*/Dockerfile")}
    # Every folder with a pinned .in file (Dependabot edits the pins; make lock the hashes).
    pinned = {
        "/" + str(p.parent.relative_to(ROOT)).strip(".")
        for p in [*ROOT.glob("requirements*.in"), *ROOT.glob("*/requirements*.in")]
    }
    assert pinned == {"/", "/backend", "/stack", "/lint", "/bench"}
    assert covered["pip"] == pinned
    assert covered["npm"] == {"/frontend"}
    assert covered["docker"] == dockerfiles
    assert covered["github-actions"] == {"/"}


def steps():
    workflow = yaml.safe_load(WORKFLOW.read_text())
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def test_actions_are_pinned_by_commit_with_their_tag_beside():
    uses = re.findall(r"^\s*(?:- )?uses: (\S+)(.*)$", WORKFLOW.read_text(), re.M)
    assert uses
    for action, comment in uses:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", action), action
        assert re.fullmatch(r"\s+# v\d+\.\d+\.\d+", comment), f"{action}: no '# vX.Y.Z' for Dependabot and readers"


def test_checkout_leaves_no_token_behind():
    checkouts = [step for step in steps() if step.get("uses", "").startswith("actions/checkout@")]
    assert checkouts and all(step["with"]["persist-credentials"] is False for step in checkouts)


def test_dependabot_waits_a_week_before_proposing_a_release():
    for update in yaml.safe_load(DEPENDABOT.read_text())["updates"]:
        assert update["cooldown"]["default-days"] >= 7, update["package-ecosystem"]
