"""`make doctor` against a correct deployment and deliberately broken ones."""

import io
import subprocess
import sys

from stack import doctor
from stack.env import ROOT
from stack.native import free_port
from support.tls_proxies import FRONTS, PUBLIC_HOST, host_rewriter


def run(url, **kwargs):
    out = io.StringIO()
    code = doctor.run(url, out=out, **kwargs)
    return code, out.getvalue()


def test_correct_stack_is_all_right(stack):
    code, out = run(f"http://localhost:{stack.port}/")
    assert code == 0, out
    assert "FAIL" not in out
    assert f"ok    redirect: /api/ -> http://localhost:{stack.port}/api/result" in out


def test_proxy_that_drops_the_port_is_named(stack, tmp_path):
    port = free_port()
    with host_rewriter(tmp_path, port, stack.port):
        code, out = run(f"http://localhost:{port}/")
    assert code == 1
    assert f"FAIL  port: the API builds URLs with port 80, but you reached it on port {port}" in out
    assert "X-Forwarded-Port" in out


def test_untrusted_tls_proxy_is_named(stack, tmp_path):
    port = free_port()
    with FRONTS["caddy"](tmp_path, port, stack.port):
        code, out = run(f"https://{PUBLIC_HOST}:{port}/", connect="127.0.0.1", cafile=str(tmp_path / "cert.pem"))
    assert code == 1
    assert "FAIL  scheme: the API redirects to http:// but you reached it over https://" in out
    assert "TRUSTED_PROXIES" in out


def test_trusted_tls_proxy_is_all_right(start_stack, tmp_path):
    stack = start_stack(TRUSTED_PROXIES="127.0.0.1")
    port = free_port()
    with FRONTS["haproxy"](tmp_path, port, stack.port):
        code, out = run(f"https://{PUBLIC_HOST}:{port}/", connect="127.0.0.1", cafile=str(tmp_path / "cert.pem"))
    assert code == 0, out


def test_wrong_prefix_is_named(stack):
    code, out = run(f"http://localhost:{stack.port}/", prefix="/v2")
    assert code == 1
    assert "API_PREFIX" in out


def test_unreachable_url_exits_2():
    code, out = run(f"http://127.0.0.1:{free_port()}/")
    assert code == 2
    assert "is the stack running" in out


def test_doctor_command_exit_status(stack):
    ok = subprocess.run(
        [sys.executable, "-m", "stack", "doctor", f"http://localhost:{stack.port}/"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "every URL comes out right" in ok.stdout
