"""`make https-local`'s certificates: a local CA made once, and a certificate for localhost it signs.

The CA lives in .run/local-ca/ (ca.crt, and ca.key readable by its owner only) and is kept
across runs, so a developer trusts it once (docs/https.md). It is name-constrained to localhost
and the loopback addresses: even if its key leaked, it could not vouch for any other site. The
certificate nginx serves is tls/certificates/localhost.crt (with its key beside it, the same
layout as lego's), made again when it is missing, expires within 30 days, or another CA signed it.
openssl (Debian: openssl) makes them.
"""

import fcntl
import os
import subprocess
import tempfile

from . import tools
from .env import ROOT
from .errors import StackError

FOLDER = ROOT / ".run" / "local-ca"
NAME = "localhost"
CA_DAYS = 3650
DAYS = 90
RENEW_SECONDS = 30 * 86400
_ADDRESSES = "IP:127.0.0.1,IP:0:0:0:0:0:0:0:1"


def paths(folder=FOLDER):
    """(CA certificate, the served certificate, its key)."""
    certificates = folder / "tls" / "certificates"
    return folder / "ca.crt", certificates / f"{NAME}.crt", certificates / f"{NAME}.key"


def _openssl(*args):
    command = ["openssl", *args]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode:
        raise StackError(f"openssl {args[0]} failed making the local CA: {result.stderr.strip()}")
    return result.stdout


def _valid(certificate, ca):
    """The certificate exists, chains to `ca` and has more than RENEW_SECONDS left."""
    if not certificate.exists():
        return False
    verify = subprocess.run(["openssl", "verify", "-CAfile", str(ca), str(certificate)], capture_output=True)
    ends = subprocess.run(
        ["openssl", "x509", "-checkend", str(RENEW_SECONDS), "-noout", "-in", str(certificate)], capture_output=True
    )
    return verify.returncode == 0 and ends.returncode == 0


def ensure(folder=FOLDER):
    """Make the CA (once) and the localhost certificate (when needed); returns paths(folder).
    Two runs at once (make https-local and a test, say) take turns."""
    tools.require("openssl")
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _ensure(folder)


def _ensure(folder):
    ca_cert, cert, key = paths(folder)
    ca_key = folder / "ca.key"
    cert.parent.mkdir(parents=True, exist_ok=True)
    if not (ca_cert.exists() and ca_key.exists()):
        old = os.umask(0o077)
        try:
            _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", str(ca_key))
        finally:
            os.umask(old)
        _openssl(
            "req", "-x509", "-new", "-key", str(ca_key), "-days", str(CA_DAYS), "-out", str(ca_cert),
            "-subj", "/O=vue-flask-nginx development/CN=vue-flask-nginx local CA (make https-local)",
            "-addext", "basicConstraints=critical,CA:TRUE,pathlen:0",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            "-addext", f"nameConstraints=critical,permitted;DNS:{NAME},"
            "permitted;IP:127.0.0.0/255.0.0.0,permitted;IP:0:0:0:0:0:0:0:1/FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF",
        )  # fmt: skip
    if _valid(cert, ca_cert):
        return ca_cert, cert, key
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        request, extensions = os.path.join(tmp, "req.csr"), os.path.join(tmp, "ext.cnf")
        new_key = cert.parent / f"{NAME}.key.new"
        _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", str(new_key))
        # Readable by nginx's user in the container too (a bind mount keeps the owner): a key
        # for localhost only, under a CA that can sign nothing else.
        new_key.chmod(0o644)
        _openssl("req", "-new", "-key", str(new_key), "-subj", f"/CN={NAME}", "-out", request)
        with open(extensions, "w") as out:
            out.write(
                f"subjectAltName=DNS:{NAME},{_ADDRESSES}\nbasicConstraints=critical,CA:FALSE\n"
                "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n"
            )
        new_cert = cert.parent / f"{NAME}.crt.new"
        _openssl(
            "x509", "-req", "-in", request, "-CA", str(ca_cert), "-CAkey", str(ca_key), "-CAcreateserial",
            "-CAserial", os.path.join(tmp, "ca.srl"), "-days", str(DAYS), "-extfile", extensions, "-out", str(new_cert),
        )  # fmt: skip
        # The key first: the watcher reloads nginx on the certificate's change, with its key in place.
        new_key.replace(key)
        new_cert.replace(cert)
    return ca_cert, cert, key
