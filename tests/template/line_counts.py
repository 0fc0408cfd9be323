"""Lines of a project by kind: the product, its locks, its tests, and the template's own tooling
(what `copier copy` leaves behind). Run on this checkout and on a copy to compare:

    .venv/bin/python tests/template/line_counts.py . /path/to/a/copy

Installed and generated parts (.venv, node_modules, the build, runtime files) and symlinks are
not counted; binary files (the screenshots and charts) are counted as files, not lines."""

import os
import sys
from pathlib import Path, PurePosixPath

# What stays behind in a copy (copier.yml's _exclude), as paths from the project's root.
STAY_BEHIND = ("bench", "tests/bench", "tests/template", "copier.yml", "{{_copier_conf.answers_file}}.jinja")
# Copier's record of the answers, written into the copy for `copier update`.
ANSWERS_FILE = ".copier-answers.yml"
LOCKS = ("package-lock.json", "requirements.txt", "requirements-dev.txt")
NOT_COUNTED = {
    ".git",
    "node_modules",
    ".venv",
    ".venv-checkov",
    ".tools",
    "dist",
    ".run",
    "test-results",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
}
KINDS = ("product", "locks", "tests", "tooling")


def stay_behind(relpath):
    """Whether a path relative to the project's root is, or is inside, one of STAY_BEHIND."""
    path = PurePosixPath(relpath)
    return any(path == PurePosixPath(p) or PurePosixPath(p) in path.parents for p in STAY_BEHIND)


def kind(relpath):
    """product, locks, tests or tooling, for a path relative to the project's root."""
    path = PurePosixPath(relpath)
    if stay_behind(path) or str(path) == ANSWERS_FILE:
        return "tooling"
    if path.name in LOCKS:
        return "locks"
    if path.parts[0] == "tests" or "__tests__" in path.parts:
        return "tests"
    return "product"


def files(root):
    """Relative paths (POSIX) of the project's own files."""
    root = Path(root)
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in NOT_COUNTED and not (Path(folder) / d).is_symlink())
        for name in sorted(names):
            path = Path(folder) / name
            if name not in NOT_COUNTED and not path.is_symlink():
                yield path.relative_to(root).as_posix()


def count(root):
    """{kind: {"files": n, "lines": n, "binary": n}} of the project at root."""
    totals = {k: {"files": 0, "lines": 0, "binary": 0} for k in KINDS}
    for relpath in files(root):
        data = (Path(root) / relpath).read_bytes()
        entry = totals[kind(relpath)]
        entry["files"] += 1
        if b"\0" in data[:8192]:
            entry["binary"] += 1
        else:
            entry["lines"] += data.count(b"\n") + (not data.endswith(b"\n") and bool(data))
    return totals


def table(roots):
    """Lines (and files, binary ones in brackets) of each kind, one row per project."""
    rows = [f"{'':<30}" + "".join(f"{k:>30}" for k in KINDS)]
    for root in roots:
        totals = count(root)
        cells = [f"{t['lines']} lines, {t['files']} ({t['binary']}) files" for t in map(totals.get, KINDS)]
        rows.append(f"{str(root)[-30:]:<30}" + "".join(f"{cell:>30}" for cell in cells))
    return "\n".join(rows)


if __name__ == "__main__":
    print(table(sys.argv[1:] or ["."]))
