"""`python -m stack rename` on a small project folder: the answers it refuses, and the title as
site.ts and the other files get it."""

import re
import shutil

import pytest

from stack import rename
from stack.env import ROOT
from stack.errors import StackError

OLD_TITLE = "Old Title Of The Test"


@pytest.fixture
def project(tmp_path):
    """The files rename reads its current values from, copied from this checkout, titled OLD_TITLE."""
    for file in (rename.SITE, rename.SETTINGS, rename.ENV):
        (tmp_path / file).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / file, tmp_path / file)
    site = tmp_path / rename.SITE
    site.write_text(
        re.sub(r"(?m)^export const SITE_TITLE = .*$", f"export const SITE_TITLE = '{OLD_TITLE}'", site.read_text())
    )
    (tmp_path / "README.md").write_text(f"# {OLD_TITLE}\n")
    return tmp_path


@pytest.mark.parametrize(
    "answers, setting",
    [
        pytest.param({"name": "My App"}, "name=", id="name-with-space"),
        pytest.param({"title": "<b>x</b>"}, "title=", id="title-with-markup"),
        pytest.param({"prefix": "api"}, "prefix=", id="prefix-without-slash"),
        pytest.param({"prefix": "/api/"}, "prefix=", id="prefix-with-trailing-slash"),
        pytest.param({"port": "70000"}, "port=", id="port-too-big"),
        pytest.param({"domain": "http://x.example/"}, "domain=", id="domain-is-a-url"),
    ],
)
def test_bad_answers_are_refused_naming_the_setting(project, answers, setting):
    before = (project / rename.SITE).read_text()
    with pytest.raises(StackError, match=f"^{setting}"):
        rename.rename(project, **answers)
    assert (project / rename.SITE).read_text() == before


@pytest.mark.parametrize(
    "title, line",
    [
        ("Kestrel Board", "export const SITE_TITLE = 'Kestrel Board'"),
        ("Ann's notes", 'export const SITE_TITLE = "Ann\'s notes"'),
        ('Say "hi"', "export const SITE_TITLE = 'Say \"hi\"'"),
    ],
)
def test_title_is_written_once_in_site_js_and_replaced_elsewhere(project, title, line):
    assert rename.current_title(project) == OLD_TITLE
    rename.rename(project, title=title)
    assert line in (project / rename.SITE).read_text().splitlines()
    assert rename.current_title(project) == title
    assert (project / "README.md").read_text() == f"# {title}\n"
    assert OLD_TITLE not in (project / rename.SITE).read_text()


@pytest.mark.parametrize("installed", [".venv", ".venv-checkov", "frontend/node_modules"])
def test_what_tools_install_is_left_alone(project, installed):
    # checkov's venv holds thousands of files naming /api: a rename must not rewrite them.
    inside = project / installed / "lib" / "x.py"
    inside.parent.mkdir(parents=True)
    inside.write_text(f"URL = '/api/v2'  # {OLD_TITLE}\n")
    rename.rename(project, title="New Title", prefix="/svc")
    assert inside.read_text() == f"URL = '/api/v2'  # {OLD_TITLE}\n"
