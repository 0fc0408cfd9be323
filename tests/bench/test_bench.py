"""make bench's own logic, cheaply: the profile attribution, gunicorn's request path in one
process, and the command line's answer to a bad option (no load, no stack started)."""

import json
import subprocess
import sys

from bench import hotspots
from stack.env import ROOT


def test_hotspots_charge_a_stdlib_frame_to_the_part_that_called_it():
    raw = [
        "handle (gunicorn/workers/gthread.py:553);__call__ (werkzeug/middleware/proxy_fix.py:183);"
        "split (re/__init__.py:10) 3",
        "handle (gunicorn/workers/gthread.py:553);access (gunicorn/glogging.py:391) 1",
    ]
    result = hotspots.analyse(raw)
    assert result["samples"] == 4
    assert result["parts_pct"] == {"ProxyFix": 75.0, "gunicorn: access log": 25.0}
    assert list(result["top_functions_pct"]) == ["split (re/__init__.py)", "access (gunicorn/glogging.py)"]


def run_request_path(job):
    """bench.request_path as the benchmark runs it: the job as JSON on stdin, the result on stdout."""
    return subprocess.run(
        [sys.executable, "-m", "bench.request_path"],
        input=json.dumps(job),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_request_path_times_each_case_and_answers_200(tmp_path):
    request = "GET /api/result HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n{}\r\n"
    job = {
        "cases": {"bare": request.format(""), "fwd": request.format("X-Forwarded-Proto: https\r\n")},
        "rounds": 2,
        "number": 20,
        "log_path": str(tmp_path / "access.log"),
    }
    proc = run_request_path(job)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    for case in ("bare", "fwd"):
        assert len(result[case]["total_us"]) == 2
        assert all(t > 0 for t in result[case]["total_us"])
        assert set(result[case]) == {"total_us", "parse", "environ", "app", "access_log"}
    assert not (tmp_path / "access.log").exists()


def test_request_path_refuses_to_time_an_error(tmp_path):
    job = {
        "cases": {"missing": "GET /api/nowhere HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"},
        "rounds": 1,
        "number": 2,
        "log_path": str(tmp_path / "access.log"),
    }
    proc = run_request_path(job)
    assert proc.returncode != 0
    assert "'missing' answered 404" in proc.stderr


def test_a_bad_part_is_named_with_what_is_allowed():
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--only", "load,nonsense"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 2
    assert (
        "--only takes parts out of load,hotspots,observability,scaling,concurrency,pages, not nonsense" in proc.stderr
    )
    assert "Traceback" not in proc.stderr


def test_minimal_nginx_config_with_the_headers_is_valid_nginx(tmp_path):
    from bench import stacks

    (tmp_path / "tmp").mkdir()
    conf = tmp_path / "nginx.conf"
    conf.write_text(stacks._minimal_nginx_conf(tmp_path, 8080, tmp_path / "gunicorn.sock", headers=True, prefix="/v1"))
    check = subprocess.run(
        ["nginx", "-t", "-q", "-p", str(tmp_path), "-c", str(conf), "-e", str(tmp_path / "error.log")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert check.returncode == 0, check.stderr
    assert "proxy_set_header X-Forwarded-Prefix /v1;" in conf.read_text()
