"""Every package that frontend/package-lock.json locks accepts the Node in use (the one .nvmrc
pins, or the machine's that engines allows): the check behind npm's EBADENGINE warning, with npm's
own semver. (.nvmrc against package.json's engines: tests/unit/stack/test_node.py.)"""

import json
import shutil
import subprocess
from pathlib import Path

from stack import node
from stack.env import ROOT

# For every package in package-lock.json: does the Node in use satisfy its engines.node.
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
