"""The runner's reading of the real engine: ready for this user, refused for a user outside the
docker group (the engine's socket is root:docker 0660). tests/integration/test_mode_choice.py
runs the whole `make up` on the same two words of the docker client."""

import os
import shutil

import pytest

from stack import docker as docker_mode


def test_the_engine_is_ready_for_this_user(docker_engine):
    assert docker_mode.engine_state() == ("ready", docker_engine.server_version)


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None, reason="needs root and setpriv")
def test_a_user_outside_the_docker_group_is_refused(docker_engine):
    as_nobody = ("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "env", "HOME=/tmp", "docker")
    state, detail = docker_mode.engine_state(docker=as_nobody)
    assert state == "refused", detail
    assert "permission denied" in detail
    line = str(docker_mode.unusable_engine_error(state, detail, forced=False))
    assert line.startswith("Docker is installed, but this user may not use its engine") and "\n" not in line
