"""`make audit` tells "no advisory service answered" from "advisories found", from the tools'
own words (as npm 11 and pip-audit 2.10 print them)."""

import pytest

from stack import audit

NPM_REFUSED = (
    "npm warn audit 405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk\n"
    "npm error audit endpoint returned an error\n"
)
NPM_FOUND = "# npm audit report\n\nvite  8.0.0 - 8.3.1\nSeverity: high\n1 high severity vulnerability\n"
PIP_UNKNOWN = "flask  Dependency not found on PyPI and could not be audited: flask (3.1.3)\n"
PIP_OFFLINE = "requests.exceptions.ConnectionError: HTTPSConnectionPool(host='api.osv.dev', port=443)\n"
PIP_FOUND = (
    "Found 1 known vulnerability in 1 package\n"
    "Name  Version ID             Fix Versions\n"
    "flask 3.1.0   GHSA-xxxx  3.1.1\n"
)


@pytest.mark.parametrize(
    "code, out, marks, expected",
    [
        pytest.param(0, "found 0 vulnerabilities\n", audit._NPM_NO_SERVICE, "ok", id="npm-clean"),
        pytest.param(1, NPM_REFUSED, audit._NPM_NO_SERVICE, "no-service", id="npm-endpoint-refuses"),
        pytest.param(1, NPM_FOUND, audit._NPM_NO_SERVICE, "found", id="npm-high-advisory"),
        pytest.param(0, "No known vulnerabilities found\n", audit._PIP_NO_SERVICE, "ok", id="pip-clean"),
        pytest.param(1, PIP_UNKNOWN, audit._PIP_NO_SERVICE, "no-service", id="pip-no-advisory-data"),
        pytest.param(1, PIP_OFFLINE, audit._PIP_NO_SERVICE, "no-service", id="pip-service-unreachable"),
        pytest.param(1, PIP_FOUND, audit._PIP_NO_SERVICE, "found", id="pip-advisory"),
    ],
)
def test_status_from_the_tools_output(code, out, marks, expected):
    assert audit.status(code, out, marks) == expected


def test_the_benchmark_lock_is_audited_only_where_bench_is(tmp_path):
    assert audit.python_locks(tmp_path) == audit.LOCKS
    (tmp_path / "bench").mkdir()
    (tmp_path / audit.BENCH_LOCK).write_text("")
    assert audit.python_locks(tmp_path) == (*audit.LOCKS, "bench/requirements.txt")
