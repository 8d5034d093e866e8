"""What a licence card needs, for the Licencje page and the back office alike."""

from konto.db import PrebuiltSelect
from konto.licences import status
from konto.models import Edition
from konto.models import Installation
from konto.models import Licence
from konto.models import LicenceExtension
from konto.models import Product


def licence_rows(query, today):
    """Licences with what their cards need: state, Abonament, extensions, installations, stations."""
    licences = list(query.select(Licence, Product, Edition).join(Product).switch(Licence).join(Edition))
    ids = [lic.id for lic in licences]
    extensions = []
    installations = []
    if ids:
        extensions = (
            LicenceExtension.select(LicenceExtension, Product)
            .join(Product)
            .where(LicenceExtension.licence.in_(ids))
            .order_by(LicenceExtension.id)
        )
        installations = Installation.select().where(Installation.licence.in_(ids)).order_by(Installation.id)
    return _cards(licences, extensions, installations, today)


# The Licencje page's three reads, by the company's number, on every visit: their SQL built once
# (tests/test_prebuilt_select.py; tests/test_licences_web.py compares the cards with licence_rows').
_licences_of = PrebuiltSelect(
    lambda tax_id: Licence.select(Licence, Product, Edition)
    .join(Product)
    .switch(Licence)
    .join(Edition)
    .where(Licence.tax_id == tax_id)
    .order_by(Licence.status == "revoked", Licence.id)
)
_extensions_of = PrebuiltSelect(
    lambda tax_id: LicenceExtension.select(LicenceExtension, Product)
    .join(Product)
    .where(LicenceExtension.licence.in_(Licence.select(Licence.id).where(Licence.tax_id == tax_id)))
    .order_by(LicenceExtension.id)
)
_installations_of = PrebuiltSelect(
    lambda tax_id: Installation.select()
    .where(Installation.licence.in_(Licence.select(Licence.id).where(Licence.tax_id == tax_id)))
    .order_by(Installation.id)
)


def company_licence_rows(tax_id, today):
    """licence_rows() of the company's licences (revoked last, then by id)."""
    licences = _licences_of(tax_id)
    if not licences:
        return []
    return _cards(licences, _extensions_of(tax_id), _installations_of(tax_id), today)


def _cards(licences, extension_rows, installation_rows, today):
    extensions = {}
    installations = {}
    for ext in extension_rows:
        extensions.setdefault(ext.licence_id, []).append(ext)
    for row in installation_rows:
        installations.setdefault(row.licence_id, []).append(row)
    rows = []
    for lic in licences:
        exts = extensions.get(lic.id, [])
        live = [e for e in exts if e.ended_at is None]
        insts = installations.get(lic.id, [])
        rows.append(
            {
                "licence": lic,
                "state": status.licence_state(lic, today),
                "abonament": status.abonament_state(lic, today),
                "extensions": [(e, status.extension_state(e, today)) for e in live],
                "old_extensions": [e for e in exts if e.ended_at is not None],
                "installations": insts,
                "active": sum(1 for i in insts if i.status == "active"),
                "pending": [i for i in insts if i.status == "pending"],
                "stations": status.stations_total(lic, live, today),
            }
        )
    return rows
