"""make bench's own logic, cheaply: the profile attribution, gunicorn's request path in one
process, and the command line's answer to a bad option (no load, no stack started)."""

import json
import os
import re
import shutil
import subprocess
import sys

import pytest

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
        "--only takes parts out of load,production,hotspots,observability,scaling,concurrency,gunicorn,pages,"
        " not nonsense" in proc.stderr
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


H2LOAD_OUTPUT = """starting benchmark...
spawning thread #0: 2 total client(s). Timing-based test with 0s of warm-up time and 2s of main duration.
Main benchmark duration is started for thread #0.
finished in 2.00s, 1500.00 req/s, 1.20MB/s
requests: 3000 total, 3008 started, 3000 done, 2990 succeeded, 10 failed, 0 errored, 0 timeout
status codes: 2990 2xx, 0 3xx, 4 4xx, 6 5xx
traffic: 2.40MB (2516352) total, 48.65KB (49818) headers (space savings 80.53%), 2.29MB (2400000) data
"""


def test_h2load_summary_and_log_become_the_result_wrk_gives():
    from bench.wrk import parse_h2load

    log = [f"1700000000{i:06d}\t200\t{d}" for i, d in enumerate(range(100, 1100, 10))]  # 100 requests
    result = parse_h2load(H2LOAD_OUTPUT, log, 5)
    assert result["requests"] == 3000
    assert result["duration_us"] == 2_000_000  # h2load's own "finished in", not the -D asked for
    assert result["errors"] == {"connect": 0, "read": 0, "write": 0, "status": 10, "timeout": 0}
    assert (result["latency_us"]["p50"], result["latency_us"]["p99"], result["latency_us"]["max"]) == (590, 1080, 1090)


def test_h2load_without_a_summary_is_a_bench_error():
    from bench.wrk import BenchError, parse_h2load

    with pytest.raises(BenchError, match="h2load gave no summary"):
        parse_h2load("connect to localhost:1: Connection refused\n", [], 2)


def test_the_tuned_caddyfile_is_the_benchs_one_plus_the_global_options(tmp_path):
    from bench.production import CADDYFILE, TUNED_CADDY, tuned_caddyfile

    kept = CADDYFILE.read_text()
    tuned = tuned_caddyfile(kept)
    assert tuned.replace(TUNED_CADDY["global"], "", 1) == kept
    (tmp_path / "Caddyfile").write_text(tuned)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "DOMAIN": "localhost"}
    check = subprocess.run(
        ["caddy", "adapt", "--config", str(tmp_path / "Caddyfile"), "--adapter", "caddyfile"],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
    )
    assert check.returncode == 0, check.stderr
    assert '"protocols":["h1","h2"]' in check.stdout


def test_nginx_terminating_tls_is_the_shipped_template_rendered_with_tls(tmp_path):
    from bench.production import BENCH_ONLY, nginx_tls_conf
    from stack.native import NativeStack
    from support.tls_proxies import make_certificate

    stack = NativeStack({"HTTP_PORT": "18080"}, name=f"test-bench-tls-{os.getpid()}", quiet=True, build=False)
    try:
        stack.run_dir.mkdir(parents=True, exist_ok=True)
        stack.render()
        make_certificate(tmp_path)
        conf = nginx_tls_conf(stack, tmp_path / "tls", 18443, tmp_path)
        server = (tmp_path / "tls" / "conf.d" / "default.conf").read_text()
        main, stacks_main = conf.read_text(), (stack.run_dir / "nginx.conf").read_text()
        # nginx -t while the stack's folder (its temp paths) is there.
        check = subprocess.run(
            ["nginx", "-t", "-q", "-p", str(tmp_path / "tls"), "-c", str(conf), "-e", str(tmp_path / "error.log")],
            capture_output=True,
            text=True,
            timeout=30,
        )
    finally:
        shutil.rmtree(stack.run_dir, ignore_errors=True)
    assert "listen 127.0.0.1:18443 ssl" in server
    assert "listen 18080" not in server
    assert server.count(BENCH_ONLY) == 1
    assert (tmp_path / "tls" / "tls-certificate.conf").read_text().startswith(f"ssl_certificate {tmp_path}/cert.pem;")
    assert str(tmp_path / "tls" / "access.log") in server
    assert check.returncode == 0, check.stderr
    # Its workers run as the stack's do: as root, `nobody` would get 502s from a checkout shut to it.
    user = re.match(r"user [^;]+;\n", stacks_main)
    assert (user and main.startswith(user.group(0))) or (os.geteuid() != 0 and not main.startswith("user "))


def test_haproxy_terminating_tls_config_is_valid_haproxy(tmp_path):
    from bench.production import haproxy_tls_cfg
    from support.tls_proxies import make_certificate

    make_certificate(tmp_path)
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text(haproxy_tls_cfg(18443, 18081, 18080, tmp_path))
    check = subprocess.run(["haproxy", "-c", "-q", "-f", str(cfg)], capture_output=True, text=True, timeout=30)
    assert check.returncode == 0, check.stderr + check.stdout


def test_the_handshake_client_counts_full_and_resumed_handshakes(tmp_path):
    """Against openssl s_server (one answer per connection): -new resumes none, -reuse all."""
    from bench.production import parse_handshake
    from stack.native import free_port
    from support.processes import running
    from support.tls_proxies import make_certificate

    make_certificate(tmp_path)
    port = free_port()
    server = ["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-cert", str(tmp_path / "cert.pem")]
    server += ["-key", str(tmp_path / "key.pem"), "-www", "-quiet"]
    with running(server, port=port):
        counts = {}
        for mode in ("new", "reuse"):
            proc = subprocess.run(
                [sys.executable, "-m", "bench.handshake", str(port), "localhost", mode, "1"],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert proc.returncode == 0, proc.stderr
            counts[mode] = parse_handshake(proc.stdout)
    assert counts["new"]["connections"] > 5 and counts["new"]["resumed"] == 0
    assert counts["reuse"]["connections"] > 5 and counts["reuse"]["resumed"] == counts["reuse"]["connections"]
    assert counts["new"]["errors"] == counts["reuse"]["errors"] == 0


def test_every_gunicorn_variant_is_settings_the_stack_knows_with_valid_values():
    """A renamed setting would leave a variant measuring the defaults under another label."""
    from bench.workers import VARIANTS
    from stack import app_settings
    from stack.settings import SETTING_NAMES

    labels = [label for label, _, _ in VARIANTS]
    assert len(set(labels)) == len(labels)
    for label, settings, _ in VARIANTS:
        assert set(settings) <= set(SETTING_NAMES), label
        server = app_settings.load().load_server(settings)
        assert server.worker_class == settings["GUNICORN_WORKER_CLASS"], label
        assert server.threads == int(settings["GUNICORN_THREADS"]), label
        assert server.access_log == (settings["GUNICORN_ACCESS_LOG"] == "1"), label


def test_every_worker_model_starts_under_the_stacks_settings_check():
    """gunicorn.conf.py refuses a worker class the settings do not offer; gevent goes to gunicorn
    on its command line instead (BenchStack's worker_class), over a setting the check accepts."""
    from bench.concurrency import MODELS
    from stack import app_settings

    settings_module = app_settings.load()
    for label, settings, worker_class in MODELS:
        server = settings_module.load_server(settings)
        assert server.threads == int(settings["GUNICORN_THREADS"]), label
        if worker_class:
            assert worker_class not in settings_module.WORKER_CLASSES, label
        else:
            assert server.worker_class == settings["GUNICORN_WORKER_CLASS"], label


def test_the_production_report_prints_every_front_with_its_targets():
    from bench import production

    data = json.loads((ROOT / "bench" / "results" / "production.json").read_text())
    text = "\n".join(production.lines(data))
    for front in data["production"]["rows"]:
        assert front in text
    names = [name for name, *_ in production.targets(data)]
    fronts = {r["front"] for r in data["production"]["rows"].values()}
    assert len(names) == 2 * len(fronts) and all(any(f in n for n in names) for f in fronts)
    assert production.errors(data) == 0
