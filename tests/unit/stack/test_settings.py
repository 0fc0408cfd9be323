"""Every setting checked before anything starts, each bad value on one line (stack/settings.py)."""

import pytest

from stack import settings as stack_settings
from support.bad_settings import BAD_VALUES


def test_empty_values_mean_the_defaults():
    values = stack_settings.validate({name: "" for name in stack_settings.SETTING_NAMES})
    assert values == {**stack_settings.DEFAULTS}


@pytest.mark.parametrize("name, value, message", BAD_VALUES, ids=[f"{n}={v}" for n, v, _ in BAD_VALUES])
def test_bad_value_gets_one_line_naming_it(name, value, message):
    with pytest.raises(stack_settings.BadSettings) as error:
        stack_settings.validate({name: value})
    assert len(error.value.problems) == 1
    assert error.value.problems[0].startswith(message)


# Checked where they are used: the https settings by stack/https.py (tests/unit/stack/test_https.py),
# the TLS files by nginx's derivation (tests/unit/stack/test_tls_derivation.py), IMAGE_TAG by Docker Compose.
CHECKED_ELSEWHERE = {
    *("DOMAIN", "ACME_EMAIL", "ACME_CA", "HTTPS_PORT", "HTTP_REDIRECT_PORT"),
    *("TLS_CERT", "TLS_KEY", "ACME_WEBROOT", "IMAGE_TAG"),
}


def test_every_setting_has_a_bad_value_case():
    assert {name for name, _, _ in BAD_VALUES} == set(stack_settings.SETTING_NAMES) - CHECKED_ELSEWHERE


def test_every_bad_value_is_listed_at_once():
    with pytest.raises(stack_settings.BadSettings) as error:
        stack_settings.validate({"WEB_CONCURRENCY": "zero", "GUNICORN_WORKER_CLASS": "nope", "HTTP_PORT": "x"})
    assert [p.split("=")[0] for p in error.value.problems] == ["HTTP_PORT", "WEB_CONCURRENCY", "GUNICORN_WORKER_CLASS"]
