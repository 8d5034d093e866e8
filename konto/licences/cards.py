"""What a licence card needs, for the Licencje page and the back office alike."""

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
    extensions = {}
    installations = {}
    if ids:
        for ext in (
            LicenceExtension.select(LicenceExtension, Product)
            .join(Product)
            .where(LicenceExtension.licence.in_(ids))
            .order_by(LicenceExtension.id)
        ):
            extensions.setdefault(ext.licence_id, []).append(ext)
        for row in Installation.select().where(Installation.licence.in_(ids)).order_by(Installation.id):
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
