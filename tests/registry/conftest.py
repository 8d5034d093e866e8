"""Fixtures: the three stand-ins, and an app (create_app) with KONTO_REGISTRY=gus pointed at them."""

import pytest

from konto import create_app
from konto.db import database
from tests.registry.helpers import app_config
from tests.standins import start_gus_standin
from tests.standins import start_mf_standin
from tests.standins import start_vies_standin


@pytest.fixture
def gus():
    standin = start_gus_standin()
    yield standin
    standin.stop()


@pytest.fixture
def mf():
    standin = start_mf_standin()
    yield standin
    standin.stop()


@pytest.fixture
def vies():
    standin = start_vies_standin()
    yield standin
    standin.stop()


@pytest.fixture
def registry_app(tmp_path, gus, mf, vies):
    app = create_app(app_config(tmp_path, gus, mf, vies))
    yield app
    database.close()


@pytest.fixture
def ctx(registry_app):
    """Inside the app and a database connection, as a request is."""
    with registry_app.app_context(), database.connection_context():
        yield registry_app
