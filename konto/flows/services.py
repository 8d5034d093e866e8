"""Services (Usługi): which a company's licences include, and turning one on or off.

A service is available while a usable licence of the company (active or expiring) includes
it, through its program, edition or a live extension. An administrator turns it on by
accepting the current version of that service's terms; a new version of the terms in the
catalogue asks for acceptance again before the service counts as on.
"""

from dataclasses import dataclass

from flask_babel import gettext as _

from konto import audit
from konto import clock
from konto import permissions
from konto.client import client_agent
from konto.client import client_ip
from konto.db import write_transaction
from konto.flows import Refused
from konto.licences import history
from konto.licences import status
from konto.models import CompanyService
from konto.models import Inclusion
from konto.models import Licence
from konto.models import LicenceExtension
from konto.models import Product
from konto.models import Service
from konto.models import ServiceTermsAcceptance


@dataclass
class ServiceView:
    service: object
    included: bool  # a usable licence includes it now
    row: object  # CompanyService or None

    @property
    def enabled(self):
        return bool(self.row and self.row.enabled)

    @property
    def terms_outdated(self):
        return self.enabled and self.row.terms_version != self.service.terms_version

    @property
    def code(self):
        """on | off | terms (on, but the terms changed) | unavailable (on, but no licence includes it now)."""
        if self.enabled and not self.included:
            return "unavailable"
        if self.terms_outdated:
            return "terms"
        return "on" if self.enabled else "off"


def included_services(tax_id, today=None):
    """Service ids that the taxpayer's usable licences include now."""
    today = today or clock.today()
    licences = [lic for lic in Licence.select().where(Licence.tax_id == tax_id) if status.usable(lic, today)]
    if not licences:
        return set()
    pairs = {(lic.product_id, lic.edition_id) for lic in licences}
    extensions = (
        LicenceExtension.select(LicenceExtension, Product)
        .join(Product)
        .where(LicenceExtension.licence.in_([lic.id for lic in licences]) & LicenceExtension.ended_at.is_null())
    )
    extension_products = {e.product_id for e in extensions if status.extension_usable(e, today)}
    found = set()
    for inclusion in Inclusion.select():
        if inclusion.product_id in extension_products:
            found.add(inclusion.service_id)
        elif any(
            inclusion.product_id == product and inclusion.edition_id in (None, edition) for product, edition in pairs
        ):
            found.add(inclusion.service_id)
    return found


def services_of(tax_id, today=None):
    """What the Usługi page shows: included services, and any left on that is no longer included."""
    included = included_services(tax_id, today)
    rows = {row.service_id: row for row in CompanyService.select().where(CompanyService.tax_id == tax_id)}
    shown = []
    for service in Service.select().order_by(Service.sort):
        row = rows.get(service.id)
        if service.id in included or (row and row.enabled):
            shown.append(ServiceView(service, service.id in included, row))
    return shown


def _admin_and_service(user, company, code):
    member = permissions.membership(user, company.id)
    if member is None:
        raise Refused("NOT_FOUND", _("Nie ma takiej firmy."), status=404)
    if not permissions.can(member, permissions.MANAGE):
        raise Refused("FORBIDDEN", _("Usługi włącza i wyłącza administrator firmy."), status=403)
    service = Service.get_or_none(Service.code == code)
    if service is None:
        raise Refused("NOT_FOUND", _("Nie ma takiej usługi."), status=404)
    return service


def enable(user, company, code, accepted_version):
    """Turn a service on, accepting the terms version the administrator read."""
    service = _admin_and_service(user, company, code)
    if service.id not in included_services(company.tax_id):
        raise Refused("NOT_INCLUDED", _("Licencje firmy nie obejmują tej usługi."), status=409)
    if accepted_version != service.terms_version:
        raise Refused(
            "TERMS_CHANGED", _("Regulamin usługi zmienił się w międzyczasie. Przeczytaj nową wersję i zaakceptuj ją.")
        )
    with write_transaction():
        row = CompanyService.get_or_none(
            (CompanyService.tax_id == company.tax_id) & (CompanyService.service == service)
        )
        if row is not None and row.enabled and row.terms_version == service.terms_version:
            return row  # already on with these terms (a double click)
        values = dict(enabled=True, terms_version=service.terms_version, changed_at=clock.now(), changed_by=user.id)
        if row is None:
            row = CompanyService.create(tax_id=company.tax_id, service=service, **values)
        else:
            CompanyService.update(**values).where(CompanyService.id == row.id).execute()
        ServiceTermsAcceptance.create(
            tax_id=company.tax_id,
            service=service,
            version=service.terms_version,
            user=user.id,
            ip=client_ip(),
            user_agent=client_agent(),
            accepted_at=clock.now(),
        )
        history.record(
            company.tax_id,
            "service_enabled",
            user,
            None,
            _("%(name)s (regulamin z %(version)s)", name=service.name, version=service.terms_version),
        )
        audit.record("service_enabled", user, f"{company.tax_id}: {service.code} {service.terms_version}")
    return row


def disable(user, company, code):
    service = _admin_and_service(user, company, code)
    with write_transaction():
        changed = (
            CompanyService.update(enabled=False, changed_at=clock.now(), changed_by=user.id)
            .where(
                (CompanyService.tax_id == company.tax_id) & (CompanyService.service == service) & CompanyService.enabled
            )
            .execute()
        )
        if changed:
            history.record(company.tax_id, "service_disabled", user, None, service.name)
            audit.record("service_disabled", user, f"{company.tax_id}: {service.code}")
    return bool(changed)
