"""A team's own APP_* setting, written in .env and nowhere else, inside the API's container as
`docker compose run` starts it from a checkout with that .env (the api image's entrypoint and
the compose file as shipped; tests/integration/test_own_settings.py covers the other modes)."""

import subprocess

from support.docker.compose import ComposeStack, copy_checkout, project_name


def test_an_app_setting_in_dotenv_reaches_the_api_container(docker_engine, tmp_path):
    checkout = copy_checkout(tmp_path / "checkout")
    (checkout / ".env").write_text("APP_GREETING=hello from .env\nGUNICORN_THREADS=\n")
    stack = ComposeStack(project_name("-own"), directory=checkout)
    try:
        done = subprocess.run(
            [*stack.compose_command, "run", "--rm", "--no-deps", "--build", "api", "env"],
            cwd=checkout,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        environ = dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)
        assert environ["APP_GREETING"] == "hello from .env"
        assert environ["API_BIND"] == "0.0.0.0:8000"
        assert "GUNICORN_THREADS" not in environ, "an empty setting reaches no process"
    finally:
        stack.down()
