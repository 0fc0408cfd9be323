"""Which Node.js runs the frontend's npm.

The machine's `node` when frontend/package.json's `engines` allows its version; otherwise (no
Node, or an older or newer major) the Node LTS pinned in `.nvmrc`, installed once into
`.tools/node/` from the npm registry (`node-linux-<arch>` ships the official binary) with the npm
it bundles. The system's Node is never changed: the local one is only put first on PATH for the
commands the runner starts.
"""

import json
import os
import platform
import re
import shutil
import subprocess

from . import tools
from .env import ROOT
from .errors import StackError

TOOLS = ROOT / ".tools" / "node"
BIN = TOOLS / "node_modules" / ".bin"
STAMP = TOOLS / ".installed"
# The npm that the pinned Node release bundles (its changelog: "upgrade npm to ...").
NPM_VERSION = "11.19.1"
_ARCH = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64"}


def pinned_version():
    """The exact Node version of `.nvmrc`, e.g. '24.22.3'."""
    text = (ROOT / ".nvmrc").read_text().strip().lstrip("v")
    if not re.fullmatch(r"\d+\.\d+\.\d+", text):
        raise StackError(f".nvmrc holds {text!r}: it must be one exact Node version such as 24.22.3.")
    return text


def engines_range():
    """`engines.node` of frontend/package.json as (major, minor, patch) lower bound, same major."""
    spec = json.loads((ROOT / "frontend" / "package.json").read_text())["engines"]["node"]
    match = re.fullmatch(r"\^(\d+)\.(\d+)\.(\d+)", spec.strip())
    if not match:
        raise StackError(f"frontend/package.json: engines.node is {spec!r}; the runner reads only '^X.Y.Z'.")
    return spec, tuple(int(part) for part in match.groups())


def allowed(version, lower):
    """True when 'v24.22.3' satisfies ^lower (same major, not older)."""
    match = re.fullmatch(r"v?(\d+)\.(\d+)\.(\d+)", version.strip())
    if not match:
        return False
    found = tuple(int(part) for part in match.groups())
    return found[0] == lower[0] and found >= lower


def _version_of(node):
    try:
        return subprocess.run([node, "--version"], capture_output=True, text=True, timeout=20).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""


def _local_node():
    return BIN / "node"


def _install(version):
    arch = _ARCH.get(platform.machine().lower())
    if arch is None or platform.system() != "Linux":
        raise StackError(
            f"no Node {version} package for {platform.system()} {platform.machine()}: "
            f"install Node {version} yourself (nvm install reads .nvmrc)."
        )
    if shutil.which("npm") is None:
        # Debian's npm (with its own Node) is enough to fetch the pinned one.
        tools.require("npm")
    print(f"stack: installing Node {version} and npm {NPM_VERSION} into .tools/node ...", flush=True)
    shutil.rmtree(TOOLS, ignore_errors=True)
    TOOLS.mkdir(parents=True)
    (TOOLS / "package.json").write_text('{"private": true}\n')
    command = [
        "npm",
        "install",
        "--prefix",
        str(TOOLS),
        "--no-audit",
        "--no-fund",
        "--no-save",
        "--loglevel=error",
        f"node-linux-{arch}@{version}",
        f"npm@{NPM_VERSION}",
    ]
    try:
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    except (OSError, subprocess.CalledProcessError) as exc:
        raise StackError(
            f"could not install Node {version} into .tools/node ({exc}); install Node {version} yourself."
        ) from exc
    found = _version_of(str(_local_node()))
    if found != f"v{version}":
        raise StackError(f".tools/node/node_modules/.bin/node answers {found!r}, not v{version}.")
    STAMP.write_text(version)


def select(install=True):
    """(bin directory to put first on PATH or None, a sentence naming the Node in use).

    install=False only reports: the pinned Node is not installed when it is missing."""
    spec, lower = engines_range()
    system = shutil.which("node")
    system_version = _version_of(system) if system else ""
    if system_version and allowed(system_version, lower):
        return None, f"Node {system_version} ({system})"
    version = pinned_version()
    why = f"the machine's is {system_version}" if system_version else "the machine has none"
    if not (STAMP.exists() and STAMP.read_text() == version and _local_node().exists()):
        if not install:
            return None, f"no Node that fits engines {spec} ({why}): `make up` installs Node {version} into .tools/node"
        _install(version)
    return BIN, f"Node v{version} from .tools/node (engines wants {spec}; {why})"


def environ(base=None, announce=False):
    """A copy of `base` (default: os.environ) whose PATH finds the Node in use first."""
    env = dict(os.environ if base is None else base)
    bin_dir, what = select()
    if announce:
        print(f"stack: npm runs on {what}", flush=True)
    if bin_dir is not None:
        env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    return env


def run_npm(args):
    """`npm ARGS` in frontend/ with the Node in use; returns npm's exit status."""
    env = environ()
    try:
        return subprocess.run(["npm", *args], cwd=ROOT / "frontend", env=env).returncode
    except OSError as exc:
        raise StackError(f"could not run npm ({exc}).") from exc
