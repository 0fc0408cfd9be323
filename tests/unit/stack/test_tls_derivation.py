"""nginx terminating TLS, as the one derivation (17-derive-tls.envsh, after 15- and 16-) renders it
for the image and for nginx/render.sh: the listeners, and one line naming a bad setting."""

import subprocess

import pytest

from stack.env import ROOT

DERIVE = sorted((ROOT / "nginx" / "docker-entrypoint.d").glob("*.envsh"))
GOOD = {"TLS_CERT": "/etc/nginx/tls/app.example.com.crt", "TLS_KEY": "/etc/nginx/tls/app.example.com.key"}


def derive(**settings):
    script = " && ".join(f'. "{path}"' for path in DERIVE)
    env = {"PATH": "/usr/sbin:/usr/bin:/bin", "API_BIND": "api:8000", **settings}
    return subprocess.run(
        [
            "sh",
            "-c",
            f'{script} && printf "%s\\n--\\n%s\\n--\\n%s" "$NGINX_LISTEN" "$NGINX_TLS" "$NGINX_REDIRECT_SERVER"',
        ],
        env=env,
        capture_output=True,
        text=True,
    )


def test_without_a_certificate_nginx_serves_plain_http():
    done = derive()
    assert done.returncode == 0, done.stderr
    listen, tls, redirect = done.stdout.split("\n--\n")
    assert listen.startswith("listen 80;") and (tls, redirect) == ("", "")


def test_with_one_nginx_listens_with_tls_and_http2_and_redirects_plain_http():
    done = derive(**GOOD, HTTPS_PORT="8443", ACME_WEBROOT="/acme/webroot")
    assert done.returncode == 0, done.stderr
    listen, tls, redirect = done.stdout.split("\n--\n")
    assert listen.startswith("listen 443 ssl")
    assert "http2" in listen or "http2 on;" in tls
    assert "include /tmp/tls-certificate.conf;" in tls and "ssl_session_tickets off;" in tls
    assert "listen 80;" in redirect
    assert "return 308 https://$public_hostname:8443$request_uri;" in redirect
    assert "root /acme/webroot;" in redirect
    # On https's own port the redirect names none.
    assert "return 308 https://$public_hostname$request_uri;" in derive(**GOOD).stdout


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"TLS_CERT": GOOD["TLS_CERT"]}, "TLS_CERT is set but TLS_KEY is not"),
        ({"TLS_KEY": GOOD["TLS_KEY"]}, "TLS_KEY is set but TLS_CERT is not"),
        ({**GOOD, "TLS_CERT": "tls/app.crt"}, "TLS_CERT='tls/app.crt' is not an absolute path"),
        ({**GOOD, "TLS_KEY": "/tls/a key;"}, "TLS_KEY='/tls/a key;' holds characters nginx's config would misread"),
        ({**GOOD, "ACME_WEBROOT": "webroot"}, "ACME_WEBROOT='webroot' is not an absolute path"),
        ({**GOOD, "HTTPS_PORT": "70000"}, "HTTPS_PORT='70000' is not a TCP port"),
    ],
)
def test_a_bad_tls_setting_stops_with_one_line_naming_it(settings, message):
    done = derive(**settings)
    assert done.returncode == 1
    assert done.stderr.startswith(f"nginx settings: {message}"), done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
