"""Settings for the native stacks that the integration tests start."""

from stack.native import free_port


def stack_settings(**overrides):
    """Defaults of the template with small worker counts and a free port; overrides win."""
    settings = {"HTTP_PORT": str(free_port()), "WEB_CONCURRENCY": "2", "GUNICORN_THREADS": "2"}
    settings.update({k: str(v) for k, v in overrides.items()})
    return settings
