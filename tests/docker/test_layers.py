"""Layer order: a rebuild after an edit to the frontend and to the API's code reuses the
dependency layers (pip install, npm ci) and rebuilds only what the edit touches. Built on a
copy of the checkout, with the build cache of the running stack's images."""

import re
import subprocess
import time

import pytest

from support.docker.compose import ComposeStack, copy_checkout, project_name


def build_steps(output):
    """{step text: cached?} from `docker compose --progress plain build` output."""
    names = dict(re.findall(r"^#(\d+) (\[[^\]]+\] .+)$", output, re.M))
    cached = set(re.findall(r"^#(\d+) CACHED$", output, re.M))
    return {text: number in cached for number, text in names.items()}


def step(steps, pattern):
    (found,) = [text for text in steps if re.search(pattern, text)]
    return steps[found]


@pytest.fixture(scope="module")
def edited_build(docker_stack, tmp_path_factory):
    """Build output of both images from a copy with one edit in frontend/ and one in backend/."""
    copy = copy_checkout(tmp_path_factory.mktemp("layers"))
    # Edits no earlier build has seen (BuildKit keeps its cache after the images are gone).
    edit = f"edit {time.time_ns()}"
    view = copy / "frontend/src/views/HomeView.vue"
    view.write_text(view.read_text() + f"\n<!-- {edit} -->\n")
    routes = copy / "backend/app/api.py"
    routes.write_text(routes.read_text() + f"\n# {edit}\n")
    stack = ComposeStack(project_name("-layers"), directory=copy)
    try:
        result = subprocess.run(
            ["docker", "compose", "--progress", "plain", *stack.compose_command[2:], "build"],
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        yield build_steps(result.stdout + result.stderr)
    finally:
        stack.down(keep_cache=False)


def test_python_dependencies_are_reused_after_code_edits(edited_build):
    assert step(edited_build, r"\[api .*RUN pip install") is True
    assert step(edited_build, r"\[api .*COPY app/") is False


def test_npm_dependencies_are_reused_after_a_frontend_edit(edited_build):
    assert step(edited_build, r"\[nginx build .*RUN npm ci") is True
    assert step(edited_build, r"\[nginx build .*npm run build") is False
