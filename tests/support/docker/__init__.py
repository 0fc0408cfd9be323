"""Docker for the tests: an engine, the Compose v2 plugin and the base images, made available
on a machine that may have none of them (see engine.py and images.py).

    engine = ensure_engine()          # Engine; engine.stop() at the end stops only our dockerd
    engine.compose_version = ensure_compose()
    ensure_base_images()              # {image: "present" | "pulled" | "look-alike"}

Each raises DockerUnavailable(reason) when Docker cannot run here; the `docker_engine`
fixture (tests/conftest.py) turns that into a skip that names the reason.
"""

from .engine import DockerUnavailable, Engine, ensure_compose, ensure_engine
from .images import LOOKALIKE_LABEL, base_images, ensure_base_images, is_lookalike

__all__ = [
    "DockerUnavailable",
    "Engine",
    "LOOKALIKE_LABEL",
    "base_images",
    "ensure_base_images",
    "ensure_compose",
    "ensure_engine",
    "is_lookalike",
]
