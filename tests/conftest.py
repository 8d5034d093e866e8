"""Fixtures and hooks: a fresh app and database per test. Helpers are in tests/helpers.py."""

import pytest

from konto import clock as app_clock
from konto import create_app
from konto.db import database
from tests.helpers import ON_POSTGRES
from tests.helpers import Clock
from tests.helpers import Journey
from tests.helpers import LiveServer
from tests.helpers import drop_postgres_schemas
from tests.helpers import make_config
from tests.licence_helpers import make_staff


def pytest_configure(config):
    config.addinivalue_line("markers", "sqlite_only: needs the SQLite file itself (skipped on PostgreSQL)")


def pytest_collection_modifyitems(config, items):
    if ON_POSTGRES:
        skip = pytest.mark.skip(reason="SQLite only (KONTO_TEST_DATABASE is PostgreSQL)")
        for item in items:
            if item.get_closest_marker("sqlite_only"):
                item.add_marker(skip)


@pytest.fixture(scope="session", autouse=True)
def _drop_postgres_schemas():
    """The test schemas go at the end of the session (a throw-away cluster or not)."""
    yield
    drop_postgres_schemas()


@pytest.fixture
def app(tmp_path):
    app = create_app(make_config(tmp_path))
    yield app
    database.close()


@pytest.fixture
def csrf_app(tmp_path):
    """An app with CSRF protection on, as in production."""
    app = create_app(make_config(tmp_path, WTF_CSRF_ENABLED=True))
    yield app
    database.close()


@pytest.fixture
def ctx(app):
    """A request context and a database connection: for calling flows directly."""
    with app.test_request_context(), database.connection_context():
        yield


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def journey(client):
    return Journey(client)


@pytest.fixture
def clock(monkeypatch):
    """The TOTP clock, under the test's control."""
    clock = Clock()
    monkeypatch.setattr("konto.factors._now", clock)
    return clock


@pytest.fixture
def live_server(tmp_path):
    app = create_app(make_config(tmp_path, WTF_CSRF_ENABLED=True))
    server = LiveServer(app)
    yield server
    server.stop()
    database.close()


@pytest.fixture(autouse=True)
def _real_time():
    """A test that moved the app's clock (konto.clock.travel) leaves it at real time."""
    yield
    app_clock.travel(None)


@pytest.fixture
def staff(app, clock):
    """obsluga@example.com: an account with the staff role and an authenticator app, past the back
    office's confirmation (password and code)."""
    return make_staff(app, clock)
