"""The repository's tooling files: the CI workflow and the Dependabot config against their
published schemas (vendored by check-jsonschema, so offline), what they run and cover, and the
Node version every dependency accepts."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from stack import node
from support.copies import ROOT

CHECK_JSONSCHEMA = str(Path(sys.executable).parent / "check-jsonschema")
WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"
DEPENDABOT = ROOT / ".github" / "dependabot.yml"

# For every package in package-lock.json: does the Node in use satisfy its engines.node, the
# check behind npm's EBADENGINE warning (with npm's own semver).
ENGINE_CHECK = """
const semver = require(process.argv[1])
const lock = require(process.argv[2])
const bad = []
for (const [path, pkg] of Object.entries(lock.packages)) {
  const range = pkg.engines && pkg.engines.node
  if (typeof range === 'string' && !semver.satisfies(process.version, range)) bad.push(`${path}: ${range}`)
}
console.log(JSON.stringify({ version: process.version, bad }))
"""


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
    assert pinned == {"/", "/backend", "/stack", "/bench"}
    assert covered["pip"] == pinned
    assert covered["npm"] == {"/frontend"}
    assert covered["docker"] == dockerfiles
    assert covered["github-actions"] == {"/"}


def test_nvmrc_pins_a_node_that_engines_allows():
    spec, lower = node.engines_range()
    assert node.allowed(node.pinned_version(), lower), f".nvmrc {node.pinned_version()} is outside {spec}"


def npm_semver(env):
    """npm's own semver module, beside the npm that PATH finds (npm's layout, or Debian's)."""
    npm_dir = Path(shutil.which("npm", path=env["PATH"])).resolve().parents[1]
    for candidate in (npm_dir / "node_modules" / "semver", npm_dir.parent / "semver"):
        if (candidate / "package.json").exists():
            return candidate
    raise AssertionError(f"no semver module beside npm in {npm_dir}")


def test_every_locked_package_accepts_the_node_in_use():
    env = node.environ()
    done = subprocess.run(
        ["node", "-e", ENGINE_CHECK, str(npm_semver(env)), str(ROOT / "frontend" / "package-lock.json")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["version"].startswith(f"v{node.engines_range()[1][0]}.")
    assert result["bad"] == [], f"Node {result['version']} is outside these engines: {result['bad']}"
