"""`python -m stack rename`: make the template your app, in place.

- title: the name people read (frontend/src/site.ts, the one place the app uses), and every
  test or doc that quotes it;
- name: the package name (frontend/package.json and its lock), lower case and dashes;
- prefix: where the API lives, everywhere the current one is written (defaults, tests, docs);
- port: the default public port (HTTP_PORT's default in .env.example, compose, the runner, Vite);
- domain: the host name of the deployment, as the ALLOWED_HOSTS example in .env.example.

Copier's task runs the same step on a new project (copier.yml), so a project made either way
reads the same. Lock files, images and installed packages are left alone.
"""

import json
import os
import re
from pathlib import Path

from . import app_settings
from .errors import StackError

SKIP_DIRS = {".git", "node_modules", ".venv", ".venv-checkov", ".tools", "dist", ".run", "test-results", "__pycache__"}
SKIP_FILES = {"package-lock.json", "requirements.txt", "requirements-dev.txt"}
SITE = Path("frontend/src/site.ts")
# Where the current defaults are read from (each is the value the code falls back to).
SETTINGS = Path("backend/app/settings.py")
ENV = Path("stack/env.py")
# The default port, wherever a default is written (not the ports inside containers).
# Each pattern: (what comes before)PORT(what comes after).
PORT_DEFAULTS = [
    (Path(".env.example"), r"(HTTP_PORT=){port}(\n)"),
    (Path(".env.example"), r"(http://localhost:){port}(/)"),
    (Path("docker-compose.yml"), r"(\$\{{HTTP_PORT:-){port}(\}})"),
    (Path("stack/env.py"), r'(DEFAULT_HTTP_PORT = "){port}(")'),
    (Path("docs/settings.md"), r"(\| `HTTP_PORT` \| `){port}(`)"),
    (Path("tests/unit/stack/test_env.py"), r"(== int\(env.DEFAULT_HTTP_PORT\) == ){port}(\n)"),
    (Path("frontend/vite.config.ts"), r"(DEFAULT_HTTP_PORT = ){port}(\n)"),
]
DOMAIN_LINE = "# In production, for example: ALLOWED_HOSTS={domain}"


def text_files(root):
    """Every text file of the project, but lock files and what tools install or build."""
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)  # never entered
        for name in sorted(files):
            path = Path(folder) / name
            if name in SKIP_FILES or name in SKIP_DIRS or path.is_symlink():
                continue
            try:
                yield path, path.read_text(encoding="utf-8")
            except (UnicodeDecodeError, OSError):
                continue


def current_title(root):
    match = re.search(r"^export const SITE_TITLE = ('.*'|\".*\")$", (root / SITE).read_text(), re.M)
    if not match:
        raise StackError(f"{SITE}: no line `export const SITE_TITLE = '...'` to rename.")
    quote, inner = match.group(1)[0], match.group(1)[1:-1]
    if quote == "'":
        inner = re.sub(r'(?<!\\)"', r'\\"', inner.replace("\\'", "'"))
    return json.loads(f'"{inner}"')


def current_prefix(root):
    match = re.search(r'"API_PREFIX": "([^"]+)"', (root / SETTINGS).read_text())
    if not match:
        raise StackError(f'{SETTINGS}: no `"API_PREFIX": "..."` default to rename.')
    return match.group(1)


def current_port(root):
    match = re.search(r'^DEFAULT_HTTP_PORT = "(\d+)"$', (root / ENV).read_text(), re.M)
    if not match:
        raise StackError(f"{ENV}: no HTTP_PORT default to rename.")
    return match.group(1)


def check_answers(name=None, title=None, prefix=None, port=None, domain=None):
    """Raise StackError naming the first answer that is not allowed."""
    if name is not None and not re.fullmatch(r"[a-z][a-z0-9-]{0,213}", name):
        raise StackError(f"name={name!r}: use lower-case letters, digits and dashes, starting with a letter.")
    if title is not None and (not title.strip() or any(c in title for c in "\n\r<>")):
        raise StackError(f"title={title!r}: use one line of text without < or >.")
    if prefix is not None:
        app = app_settings.load()
        try:
            app.parse_prefix(prefix, name="prefix")
        except app.SettingsError as exc:
            raise StackError(str(exc)) from None
    if port is not None and not (str(port).isdigit() and 1 <= int(port) <= 65535):
        raise StackError(f"port={port!r}: use a TCP port number from 1 to 65535.")
    if domain is not None and not re.fullmatch(r"(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?", domain):
        raise StackError(f"domain={domain!r}: use a host name such as app.example.com.")


def _replace_everywhere(root, pattern, replacement):
    changed = []
    for path, text in text_files(root):
        new = re.sub(pattern, replacement, text)
        if new != text:
            path.write_text(new, encoding="utf-8")
            changed.append(path)
    return changed


def _sub_file(path, pattern, replacement, what):
    text = path.read_text()
    new, count = re.subn(pattern, replacement, text)
    if count == 0:
        raise StackError(f"{path}: found no {what} to change.")
    path.write_text(new)


def rename(root, name=None, title=None, prefix=None, port=None, domain=None):
    """Apply the answers that are given (None: leave that one as it is)."""
    root = Path(root)
    check_answers(name, title, prefix, port, domain)
    if title is not None:
        old = current_title(root)
        if title != old:
            _replace_everywhere(root, re.escape(old), lambda _m: title)
            # Quoted as Prettier would: '...', or "..." when the title holds a ' (and no ").
            quoted = json.dumps(title, ensure_ascii=False)
            if "'" not in title or '"' in title:
                quoted = "'" + quoted[1:-1].replace('\\"', '"').replace("'", "\\'") + "'"
            _sub_file(
                root / SITE,
                r"(?m)^export const SITE_TITLE = ('.*'|\".*\")$",
                lambda _m: f"export const SITE_TITLE = {quoted}",
                "SITE_TITLE",
            )
    if name is not None:
        for file in ("frontend/package.json", "frontend/package-lock.json"):
            path = root / file
            data = json.loads(path.read_text())
            data["name"] = name
            if "packages" in data and "" in data["packages"]:
                data["packages"][""]["name"] = name
            path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    if prefix is not None:
        old = current_prefix(root)
        if prefix != old:
            # The prefix as a whole path segment: /api, /api/..., "/api"; not /apiary or app/api.py.
            pattern = re.escape(old) + r"(?=[/'\"`\s)},:;?\]|]|$)"
            _replace_everywhere(root, pattern, lambda _m: prefix)
    if port is not None:
        old = current_port(root)
        if str(port) != old:
            for file, pattern in PORT_DEFAULTS:
                _sub_file(
                    root / file,
                    pattern.format(port=old),
                    lambda m: f"{m.group(1)}{port}{m.group(2)}",
                    f"default port {old}",
                )
            # The docs' examples use the default port too (the URL map, the ready lines).
            for doc in [root / "README.md", *sorted((root / "docs").glob("*.md"))]:
                if doc.exists():
                    doc.write_text(re.sub(rf"(localhost:){old}\b", rf"\g<1>{port}", doc.read_text()))
    if domain is not None:
        path = root / ".env.example"
        text = path.read_text()
        line = DOMAIN_LINE.format(domain=domain)
        text = re.sub(r"(?m)^# In production, for example: ALLOWED_HOSTS=.*\n", "", text)
        text, count = re.subn(r"(?m)^(ALLOWED_HOSTS=.*\n)", lambda m: line + "\n" + m.group(1), text)
        if count == 0:
            raise StackError(f"{path}: found no ALLOWED_HOSTS= line.")
        path.write_text(text)
