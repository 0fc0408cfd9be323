"""Missing programs: the package that brings each and the command to install it (stack/tools.py)."""

import pytest

from stack import tools
from stack.errors import StackError


def test_missing_program_names_the_package_and_the_command(monkeypatch):
    monkeypatch.setattr(tools.shutil, "which", lambda name: None if name == "nginx" else f"/usr/bin/{name}")
    with pytest.raises(StackError) as error:
        tools.require("nginx", "envsubst", install=False)
    message = str(error.value)
    assert "missing program(s): nginx" in message
    assert "apt-get install nginx" in message
    assert "STACK=docker" in message


def test_present_programs_pass():
    tools.require("sh")
