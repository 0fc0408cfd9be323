import pytest

from app import create_app


@pytest.fixture
def make_app():
    """Build an app from an explicit environment (defaults otherwise)."""

    def make(**environ):
        return create_app({"TESTING": True}, environ=environ)

    return make


@pytest.fixture
def client(make_app):
    """A test client of the default app, mounted under /api like gunicorn does."""
    return make_app().test_client()
