"""Company registries behind one interface, with a database cache in front.

`lookup(tax_id)` is all the views call. Which registry answers is configuration:
KONTO_REGISTRY=demo (default, fictional data) or gus (GUS BIR 1.1 for Polish NIPs, VIES
for other EU numbers).
"""

import importlib
from datetime import timedelta

from flask import current_app

from konto.models import RegistryCache
from konto.models import utcnow
from konto.registry.base import FOUND
from konto.registry.base import NOT_FOUND
from konto.registry.base import UNAVAILABLE
from konto.registry.base import CompanyData
from konto.registry.base import LookupResult

__all__ = ["FOUND", "NOT_FOUND", "UNAVAILABLE", "CompanyData", "LookupResult", "lookup", "provider"]

# Imported when first used: the real clients pull in requests and lxml (~10 MiB per worker),
# which a demo never needs.
_PROVIDERS = {
    "demo": "konto.registry.demo:DemoRegistry",
    "gus": "konto.registry.composite:RealRegistries",
}


def provider():
    """The configured registry, made once per app."""
    existing = current_app.extensions.get("konto_registry")
    if existing is None:
        module, _, cls = _PROVIDERS[current_app.config["KONTO_REGISTRY"]].partition(":")
        existing = current_app.extensions["konto_registry"] = getattr(importlib.import_module(module), cls)()
    return existing


def lookup(tax_id, refresh=False):
    """Look a number up: from the cache when fresh (no upstream call), else the registry.

    Found and not-found answers are cached for REGISTRY_CACHE_TTL seconds; an unavailable
    registry is never cached. `refresh=True` skips the cache ("Odśwież dane z rejestru").
    """
    ttl = timedelta(seconds=current_app.config["REGISTRY_CACHE_TTL"])
    if not refresh:
        cached = RegistryCache.get_or_none(RegistryCache.tax_id == tax_id.vatin)
        if cached is not None and utcnow() - cached.fetched_at < ttl:
            if cached.found:
                result = LookupResult.found(cached.source, CompanyData.from_dict(cached.data))
            else:
                result = LookupResult.not_found(cached.source)
            result.from_cache = True
            result.fetched_at = cached.fetched_at
            return result
    result = provider().lookup(tax_id)
    result.fetched_at = utcnow()
    if result.status in (FOUND, NOT_FOUND):
        data = result.company.to_dict() if result.company else None
        # One upsert statement: atomic by itself, and safe when two lookups race.
        RegistryCache.insert(
            tax_id=tax_id.vatin,
            found=result.status == FOUND,
            data=data,
            source=result.source,
            fetched_at=result.fetched_at,
        ).on_conflict(
            conflict_target=[RegistryCache.tax_id],
            preserve=[RegistryCache.found, RegistryCache.data, RegistryCache.source, RegistryCache.fetched_at],
        ).execute()
    return result


def init_app(app):
    """Check the registry setting."""
    name = app.config["KONTO_REGISTRY"]
    if name not in _PROVIDERS:
        raise RuntimeError(f"Unknown KONTO_REGISTRY={name!r}; use one of: {', '.join(_PROVIDERS)}.")
