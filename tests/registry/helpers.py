"""Helpers of the registry tests."""

from konto import registry
from konto.models import RegistryCache
from konto.taxid import parse
from tests.standins import registry_config


def app_config(tmp_path, gus, mf, vies, **overrides):
    config = {
        "TESTING": True,
        "DATABASE_URL": "sqlite:///" + str(tmp_path / "t.sqlite3"),
        "SECRET_KEY": "x",
        "KONTO_DEMO": True,
        "WTF_CSRF_ENABLED": False,
        "REGISTRY_CONNECT_TIMEOUT": 2.0,
        "REGISTRY_READ_TIMEOUT": 5.0,
    }
    config.update(registry_config(gus, mf, vies))
    config.update(overrides)
    return config


def look(number, refresh=False):
    """konto.registry.lookup of a number as the user types it (cache in front)."""
    return registry.lookup(parse(number), refresh=refresh)


def cached_numbers():
    return {row.tax_id for row in RegistryCache.select()}


def all_calls(*standins):
    return sum(standin.total_calls() for standin in standins)
