"""The product catalogue: konto/data/catalogue.toml copied into the database.

The file is the source; the tables are what licences refer to. `sync()` runs when the app
starts and costs one query when the file has not changed (its SHA-256 is kept in
CatalogueState). A code removed from the file stays in the database, marked not offered, so
old licences still show their product.
"""

import hashlib
import tomllib
from functools import lru_cache
from pathlib import Path

from konto.db import write_transaction
from konto.models import CatalogueState
from konto.models import Edition
from konto.models import Inclusion
from konto.models import Product
from konto.models import Service
from konto.models import utcnow

CATALOGUE_FILE = Path(__file__).resolve().parent.parent / "data" / "catalogue.toml"
KINDS = ("plus", "module", "stations")


def load(path=CATALOGUE_FILE):
    """(the file's parsed content, its SHA-256)."""
    raw = path.read_bytes()
    return tomllib.loads(raw.decode("utf-8")), hashlib.sha256(raw).hexdigest()


@lru_cache(maxsize=1)
def _translations():
    """{(table, code, field, language): text} from the file's `description_en`, `terms_en`."""
    data, _digest = load()
    found = {}
    for section, table in (("program", "product"), ("extension", "product"), ("service", "service")):
        for item in data.get(section, []):
            for key, value in item.items():
                field, _, language = key.rpartition("_")
                if field in ("description", "terms") and language in ("en",):
                    found[(table, item["code"], field, language)] = value
    return found


def text(row, field, language):
    """A product's or service's description or terms in the language: the file's
    `<field>_<language>`, else as stored (Polish, the catalogue's own language)."""
    stored = getattr(row, field)
    if language == "pl":
        return stored
    return _translations().get((row._meta.table_name, row.code, field, language), stored)


def _upsert(model, where, values):
    row = model.get_or_none(where)
    if row is None:
        return model.create(**values)
    model.update(**values).where(model.id == row.id).execute()
    return model.get_by_id(row.id)


def _check(data):
    prefixes = [program["prefix"] for program in data.get("program", [])]
    if len(prefixes) != len(set(prefixes)):
        raise ValueError("catalogue: two programs share a licence-number prefix")
    for extension in data.get("extension", []):
        if extension["kind"] not in KINDS:
            raise ValueError(f"catalogue: unknown extension kind {extension['kind']!r}")


def sync(path=CATALOGUE_FILE):
    """Copy the file into the tables if it changed; True when something was written."""
    data, digest = load(path)
    state = CatalogueState.select().first()
    if state is not None and state.digest == digest:
        return False
    _check(data)
    with write_transaction():
        state = CatalogueState.select().first()  # another process may have done it meanwhile
        if state is not None and state.digest == digest:
            return False
        Product.update(offered=False).execute()
        Edition.update(offered=False).execute()
        Service.update(offered=False).execute()
        products = {}
        editions = {}
        for sort, program in enumerate(data.get("program", [])):
            product = _upsert(
                Product,
                Product.code == program["code"],
                dict(
                    code=program["code"],
                    kind="program",
                    name=program["name"],
                    prefix=program["prefix"],
                    description=program.get("description"),
                    sort=sort,
                    offered=True,
                    applies_to=None,
                ),
            )
            products[product.code] = product
            for order, edition in enumerate(program["editions"]):
                row = _upsert(
                    Edition,
                    (Edition.product == product) & (Edition.code == edition["code"]),
                    dict(
                        product=product,
                        code=edition["code"],
                        name=edition["name"],
                        stations=edition["stations"],
                        sort=order,
                        offered=True,
                    ),
                )
                editions[(product.code, row.code)] = row
        for sort, extension in enumerate(data.get("extension", [])):
            product = _upsert(
                Product,
                Product.code == extension["code"],
                dict(
                    code=extension["code"],
                    kind=extension["kind"],
                    name=extension["name"],
                    description=extension.get("description"),
                    level=extension.get("level", 0),
                    seats=extension.get("seats"),
                    trial_days=extension.get("trial_days"),
                    applies_to=list(extension.get("applies_to", [])),
                    sort=100 + sort,
                    offered=True,
                    prefix=None,
                ),
            )
            products[product.code] = product
        Inclusion.delete().execute()
        for sort, service in enumerate(data.get("service", [])):
            row = _upsert(
                Service,
                Service.code == service["code"],
                dict(
                    code=service["code"],
                    name=service["name"],
                    description=service.get("description"),
                    terms_version=service["terms_version"],
                    terms=service["terms"].strip(),
                    sort=sort,
                    offered=True,
                ),
            )
            for target in service.get("included_in", []):
                code, _, edition = target.partition("/")
                if code not in products or (edition and (code, edition) not in editions):
                    raise ValueError(f"catalogue: service {row.code} is included in unknown {target!r}")
                Inclusion.create(
                    service=row, product=products[code], edition=editions[(code, edition)] if edition else None
                )
        CatalogueState.delete().execute()
        CatalogueState.create(digest=digest, synced_at=utcnow())
    return True


def programs():
    """The programs offered, with their editions, for the back office's forms."""
    rows = list(Product.select().where((Product.kind == "program") & Product.offered).order_by(Product.sort))
    editions = {}
    for edition in Edition.select().where(Edition.offered).order_by(Edition.sort):
        editions.setdefault(edition.product_id, []).append(edition)
    return [(product, editions.get(product.id, [])) for product in rows]


def extensions_for(program):
    """The extensions offered for a program."""
    return [
        product
        for product in Product.select().where((Product.kind != "program") & Product.offered).order_by(Product.sort)
        if program.code in (product.applies_to or [])
    ]
