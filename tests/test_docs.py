"""The documentation, checked as files (no stack runs): the README stays a front page, every
relative link and #anchor in the Markdown files resolves, every `make TARGET` the README and
docs/ name is a target of the Makefile, and docs/settings.md lists every setting with the
default the code has."""

import re
import shlex
import subprocess
from pathlib import Path
from urllib.parse import unquote

import pytest

from stack.env import ROOT
from stack.settings import DEFAULTS, SETTING_NAMES

README = ROOT / "README.md"
DOCS = ROOT / "docs"
SETTINGS_PAGE = DOCS / "settings.md"
README_MAX_LINES = 200
# How docs/settings.md writes a setting whose default is the empty string.
EMPTY_DEFAULT = "(empty)"

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(`+)(.+?)\1")
_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
_REFERENCE = re.compile(r"^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)", re.M)
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:|^//")
_HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$")
_MAKE = re.compile(r"(?<![\w./-])make[ \t]+([^\n]*)")
_TARGET = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def outside_fences(text):
    """(lines outside fenced code blocks, lines inside them)."""
    outside, inside, fence = [], [], None
    for line in text.splitlines():
        opening = _FENCE.match(line)
        if fence is None and opening:
            fence = opening.group(1)
        elif fence is not None and re.fullmatch(rf" {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}\s*", line):
            fence = None
        elif fence is not None:
            inside.append(line)
        else:
            outside.append(line)
    return outside, inside


def split_code(text):
    """(prose, code): the text outside fenced code blocks with inline code spans blanked out,
    and the contents of the code blocks and code spans."""
    outside, code = outside_fences(text)
    for line in outside:
        code.extend(match.group(2) for match in _CODE_SPAN.finditer(line))
    prose = [_CODE_SPAN.sub(lambda m: " " * len(m.group(0)), line) for line in outside]
    return "\n".join(prose), code


def slug(heading):
    """The anchor GitHub gives a heading: its text lower-cased, punctuation but - and _ dropped,
    each space a '-'."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link: its text
    text = re.sub(r"[^\w\- ]", "", text.lower())
    return text.replace(" ", "-")


def anchors(text):
    """Every anchor of a Markdown text's headings; a repeated one gets -1, -2, ... as on GitHub."""
    seen, found = {}, set()
    for line in outside_fences(text)[0]:
        match = _HEADING.match(line.replace("`", ""))
        if match:
            base = slug(match.group(2))
            count = seen.get(base, 0)
            seen[base] = count + 1
            found.add(base if count == 0 else f"{base}-{count}")
    return found


def broken_links(path, text, read=lambda p: p.read_text(encoding="utf-8")):
    """The relative links (and images) of a Markdown file whose target or #anchor is missing."""
    prose, _ = split_code(text)
    targets = [m.group(1) for m in _LINK.finditer(prose)] + _REFERENCE.findall(prose)
    problems = []
    for target in targets:
        if not target or _SCHEME.match(target):
            continue
        file_part, _, anchor = target.partition("#")
        resolved = (path.parent / unquote(file_part)).resolve() if file_part else path
        if not resolved.is_relative_to(ROOT):
            problems.append(f"{target}: outside the repository")
        elif not resolved.exists():
            # A copier copy leaves the benchmark out unless asked (with_bench): links into it stay.
            if not (ROOT / "bench").exists() and resolved.is_relative_to(ROOT / "bench"):
                continue
            problems.append(f"{target}: no such file")
        elif anchor:
            if resolved.suffix != ".md":
                problems.append(f"{target}: an anchor into a file that is not Markdown")
            elif unquote(anchor).lower() not in anchors(text if resolved == path else read(resolved)):
                problems.append(f"{target}: no heading with that anchor in {resolved.relative_to(ROOT)}")
    return problems


def make_targets_named(text):
    """The target of every `make ...` command in a text's code spans and code blocks."""
    _, code = split_code(text)
    named = []
    for snippet in code:
        for match in _MAKE.finditer(snippet):
            command = re.split(r"\s#|;|&&|\|\||\||\)|`", match.group(1))[0].rstrip(" \\")
            try:
                words = shlex.split(command)
            except ValueError:
                words = command.split()
            # The first word that is not an assignment (VAR=value) or an option is the target;
            # what follows it is arguments or prose ("make bench: wrk against ...").
            words = [w for w in words if "=" not in w and not w.startswith("-")]
            if words and _TARGET.match(words[0].rstrip(":,.")):
                named.append(words[0].rstrip(":,."))
    return named


def makefile_targets(makefile):
    """The targets the Makefile defines (`name:` at the start of a line, not `NAME :=`)."""
    return set(re.findall(r"^([A-Za-z0-9][A-Za-z0-9_.-]*)\s*:(?!=)", makefile, re.M))


def settings_rows(text):
    """{setting: the default column as written} of the table in docs/settings.md; a name that
    appears twice is a problem too, returned as the second item."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if re.match(r"\|\s*Setting\s*\|\s*Default\s*\|", line))
    rows, repeated = {}, []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        names = re.findall(r"`([^`]+)`", cells[0])
        assert len(names) == 1, f"a row of the settings table names no single setting: {line}"
        if names[0] in rows:
            repeated.append(names[0])
        rows[names[0]] = cells[1]
    return rows, repeated


def default_as_written(cell):
    """The default a cell states: EMPTY_DEFAULT for the empty string, else one `code` span."""
    if cell == EMPTY_DEFAULT:
        return ""
    match = re.fullmatch(r"`([^`]*)`", cell)
    assert match, f"a default is written {cell!r}: use {EMPTY_DEFAULT} or one `value`"
    return match.group(1)


def settings_problems(text):
    rows, repeated = settings_rows(text)
    problems = [f"{name}: listed twice" for name in repeated]
    problems += [f"{name}: a setting with no row" for name in SETTING_NAMES if name not in rows]
    problems += [f"{name}: a row that is not a setting" for name in rows if name not in SETTING_NAMES]
    for name, cell in rows.items():
        if name in DEFAULTS and default_as_written(cell) != DEFAULTS[name]:
            shown = f"`{DEFAULTS[name]}`" if DEFAULTS[name] else EMPTY_DEFAULT
            problems.append(f"{name}: the table says {cell}, the code's default is {shown}")
    return problems


def markdown_files():
    """README.md, docs/*.md and every other Markdown file git tracks (node_modules left out)."""
    files = {README, *DOCS.glob("*.md")}
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--", "*.md"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):  # not a git checkout (a fresh copier copy)
        listed = ""
    files |= {ROOT / name for name in listed.split("\0") if name and "node_modules" not in Path(name).parts}
    return sorted(path for path in files if path.exists())


def test_the_readme_is_a_front_page():
    lines = len(README.read_text(encoding="utf-8").splitlines())
    assert lines <= README_MAX_LINES, f"README.md has {lines} lines: move detail into docs/"


@pytest.mark.parametrize("path", markdown_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_reaches_a_file_and_heading(path):
    assert broken_links(path, path.read_text(encoding="utf-8")) == []


def test_every_make_target_the_docs_name_exists():
    defined = makefile_targets((ROOT / "Makefile").read_text())
    unknown = {
        f"{path.relative_to(ROOT)}: make {target}"
        for path in [README, *sorted(DOCS.glob("*.md"))]
        for target in make_targets_named(path.read_text(encoding="utf-8"))
        if target not in defined
    }
    assert sorted(unknown) == []


def test_the_settings_table_lists_every_setting_with_its_default():
    assert settings_problems(SETTINGS_PAGE.read_text(encoding="utf-8")) == []
