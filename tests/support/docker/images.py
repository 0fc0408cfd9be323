"""Base images for the project's Dockerfiles: pulled when a registry answers, otherwise built
here as look-alikes from Debian packages.

A look-alike carries the exact name and tag that the Dockerfile names (python:3.13.5-slim-trixie,
...), so the Dockerfiles stay as users run them, and the label LOOKALIKE_LABEL, so it can be told
apart from (and is never taken for) the real image. It is built from a minimal Debian of the suite
that ships the same version (debootstrap, then `docker import`), then one small Dockerfile per
image in lookalikes/. Everything is cached: the debootstrap tarballs under cache_dir(), the
images on the engine (reused while their recipe, a hash of what built them, is unchanged).
"""

import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from python_on_whales import DockerException, docker

from stack.env import ROOT

from .engine import DockerUnavailable, apt_install

HERE = Path(__file__).resolve().parent / "lookalikes"
# compose's monitoring profile's images: a folder of their own, so that their recipes do not
# change the others' (a recipe hashes its whole folder).
MONITORING_HERE = Path(__file__).resolve().parent / "lookalikes-monitoring"
# docker-compose.https.yml's ACME client: a folder of its own too.
ACME_HERE = Path(__file__).resolve().parent / "lookalikes-acme"
LOOKALIKE_LABEL = "vue-flask-nginx.lookalike"
RECIPE_LABEL = "vue-flask-nginx.lookalike.recipe"
MIRROR = "http://deb.debian.org/debian"
# Files that name the base images: the Dockerfiles, and the dev overlay's Vite server.
SOURCES = [ROOT / "backend" / "Dockerfile", ROOT / "nginx" / "Dockerfile", ROOT / "docker-compose.dev.yml"]

# Image repository -> (Debian suite that ships the same major.minor, look-alike Dockerfile,
# command printing the version inside, how the tag's version appears in that output).
KINDS = {
    "python": ("trixie", "python.Dockerfile", "python --version", "Python {}."),
    "nginx": ("sid", "nginx.Dockerfile", "nginx -v 2>&1", "nginx/{}."),
    "node": ("sid", "node.Dockerfile", "node --version", "v{}."),
    # compose's monitoring profile (monitoring_images()), from MONITORING_HERE.
    "prom/prometheus": ("sid", "prometheus.Dockerfile", "prometheus --version", "version {}."),
    "nginx/nginx-prometheus-exporter": (
        "sid",
        "nginx-exporter.Dockerfile",
        "nginx-prometheus-exporter --version 2>&1",
        "{}",
    ),
    # docker-compose.https.yml's acme service (acme_images()), from ACME_HERE; Debian 12 ships 4.9.
    "goacme/lego": ("bookworm", "lego.Dockerfile", "dpkg-query -W -f '${Version}' lego", "{}."),
}


def _folder(kind):
    if kind == "goacme/lego":
        return ACME_HERE
    return MONITORING_HERE if "/" in kind else HERE


def cache_dir():
    """Where debootstrap tarballs are kept between runs (LOOKALIKE_CACHE overrides)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    path = Path(os.environ.get("LOOKALIKE_CACHE") or Path(base) / "vue-flask-nginx" / "lookalikes")
    path.mkdir(parents=True, exist_ok=True)
    return path


def base_images():
    """Every image the Dockerfiles and compose files build FROM or run, e.g. 'nginx:1.30.6-trixie'."""
    names = []
    for source in SOURCES:
        text = source.read_text()
        found = re.findall(r"^FROM\s+(\S+)", text, re.M) + re.findall(r"^\s+image:\s*(\S+)", text, re.M)
        for name in found:
            if ":" in name and "$" not in name and "/" not in name and name not in names:
                names.append(name)
    return names


def monitoring_images():
    """The images of compose's monitoring profile, e.g. 'prom/prometheus:v3.5.3'."""
    import yaml

    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    return [s["image"] for s in services.values() if "monitoring" in s.get("profiles", ())]


def acme_images():
    """The images docker-compose.https.yml runs, e.g. 'goacme/lego:v4.9.1'."""
    return sorted(set(re.findall(r"^\s+image:\s*(\S+)", (ROOT / "docker-compose.https.yml").read_text(), re.M)))


def _exists(name):
    return docker.image.exists(name)


def is_lookalike(name):
    return _exists(name) and LOOKALIKE_LABEL in (docker.image.inspect(name).config.labels or {})


def _recipe(kind, tag):
    """A hash of everything that makes the look-alike: a change rebuilds it."""
    digest = hashlib.sha256(f"{kind}:{tag}:{KINDS[kind]}".encode())
    for path in sorted(_folder(kind).iterdir()):
        digest.update(path.name.encode() + path.read_bytes())
    for cert in _host_certificates():
        digest.update(cert.read_bytes())
    return digest.hexdigest()[:16]


def _host_certificates():
    """The host's local CA certificates: builds in the images reach PyPI and npm through them."""
    return sorted(Path("/usr/local/share/ca-certificates").glob("**/*.crt"))


def _debootstrap(suite):
    """A minimal Debian of `suite` as an image (`vue-flask-nginx-lookalike/debian:SUITE`),
    from a cached tarball when there is one."""
    image = f"vue-flask-nginx-lookalike/debian:{suite}"
    if _exists(image):
        return image
    tarball = cache_dir() / f"debian-{suite}-minbase.tar"
    if not tarball.exists():
        if os.geteuid() != 0:
            raise DockerUnavailable(f"building the Debian {suite} base needs root (debootstrap)")
        if shutil.which("debootstrap") is None:
            apt_install("debootstrap")
        with tempfile.TemporaryDirectory(dir=cache_dir()) as tmp:
            rootfs = Path(tmp) / "rootfs"
            log = cache_dir() / f"debootstrap-{suite}.log"
            print(f"docker harness: debootstrap {suite} (log: {log}) ...", flush=True)
            with open(log, "w") as out:
                subprocess.run(
                    ["debootstrap", "--variant=minbase", "--include=ca-certificates", suite, str(rootfs), MIRROR],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    check=True,
                )
            # Unstable's Release file may be past its Valid-Until on the mirror reached here.
            (rootfs / "etc/apt/apt.conf.d/99lookalike").write_text(
                'Acquire::Check-Valid-Until "false";\nAPT::Install-Recommends "false";\n'
            )
            shutil.rmtree(rootfs / "var/cache/apt/archives", ignore_errors=True)
            (rootfs / "var/cache/apt/archives/partial").mkdir(parents=True)
            for lists in (rootfs / "var/lib/apt/lists").glob("*_*"):
                lists.unlink()
            partial = tarball.with_suffix(".tar.part")
            subprocess.run(["tar", "-C", str(rootfs), "--numeric-owner", "-cf", str(partial), "."], check=True)
            partial.rename(tarball)
    docker.image.import_(
        tarball,
        image,
        changes=["ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 'CMD ["bash"]'],
    )
    return image


def _current(name):
    """True when `name` is a look-alike built by the recipe as it is now."""
    repository, tag = name.split(":", 1)
    return _exists(name) and (docker.image.inspect(name).config.labels or {}).get(RECIPE_LABEL) == _recipe(
        repository, tag
    )


def _build_lookalike(name):
    repository, tag = name.split(":", 1)
    suite, dockerfile, version_command, version_pattern = KINDS[repository]
    recipe = _recipe(repository, tag)
    if _current(name):
        return name
    base = _debootstrap(suite)
    major_minor = ".".join(tag.split("-")[0].removeprefix("v").split(".")[:2])
    with tempfile.TemporaryDirectory() as context:
        context = Path(context)
        for path in _folder(repository).iterdir():
            shutil.copy2(path, context / path.name)
        (context / "certs").mkdir()
        for cert in _host_certificates():
            shutil.copy2(cert, context / "certs" / cert.name)
        print(f"docker harness: building the look-alike {name} from Debian {suite} ...", flush=True)
        docker.legacy_build(
            context,
            file=context / dockerfile,
            tags=[name],
            build_args={"BASE": base},
            labels={
                LOOKALIKE_LABEL: f"built from Debian {suite} packages for tests; not the official image",
                RECIPE_LABEL: recipe,
            },
        )
    shown = docker.run(name, ["sh", "-c", version_command], remove=True, entrypoint="")
    expected = version_pattern.format(major_minor)
    if expected not in shown:
        raise DockerUnavailable(
            f"the look-alike {name} has {shown.strip()!r}, not {expected}: Debian {suite} no longer ships that version"
        )
    return name


def ensure_base_images(names=None):
    """Make every base image exist on the engine: a present one is kept, a missing one is
    pulled, and when the pull fails a look-alike is built. Returns {name: "present" | "pulled"
    | "look-alike"}."""
    names = names or base_images()
    outcome, to_build = {}, []
    with open(cache_dir() / ".lock", "w") as lock:
        # One builder at a time on this machine; the others then find the images made.
        fcntl.flock(lock, fcntl.LOCK_EX)
        for name in names:
            if _exists(name) and not is_lookalike(name):
                outcome[name] = "present"
                continue
            try:
                docker.image.pull(name, quiet=True)
                outcome[name] = "pulled"
            except DockerException:
                to_build.append(name)
        unknown = [n for n in to_build if n.split(":", 1)[0] not in KINDS]
        if unknown:
            raise DockerUnavailable(f"cannot pull {', '.join(unknown)} and no look-alike recipe exists for it")
        # The suites' bases first (in parallel), then the images (in parallel).
        with ThreadPoolExecutor(max_workers=3) as pool:
            list(pool.map(_debootstrap, sorted({KINDS[n.split(":", 1)[0]][0] for n in to_build if not _current(n)})))
            for name in pool.map(_build_lookalike, to_build):
                outcome[name] = "look-alike"
    return outcome
