"""Licences: issuing, suspending, extensions and trials, Abonament, program installations.

Every function takes the acting person explicitly: `staff` (checked by the back office
before it calls) or `user` with the company (checked here with konto.permissions, so the
program API of issue 13 can call the same functions). Refusals raise flows.Refused with a
machine-readable code.

Installations: a program registers a licence (number, installation id, machine name) →
pending → staff accept or reject; an accepted one is active until released. A licence never
has more active installations than its stations: the check and the change happen in one
transaction holding the licence row (BEGIN IMMEDIATE on SQLite, SELECT … FOR UPDATE
elsewhere), so two acceptances racing for the last station make one active installation.
A decision is a conditional UPDATE on a pending row: two staff deciding at once make one.
"""

import re
from datetime import timedelta

from flask_babel import gettext as _
from peewee import IntegrityError

from konto import audit
from konto import clock
from konto import permissions
from konto.db import database
from konto.db import locked
from konto.db import write_transaction
from konto.flows import Refused
from konto.i18n_cache import lazy_gettext as _l
from konto.licences import history
from konto.licences import numbers
from konto.licences import status
from konto.links import external_url
from konto.mail import send_email
from konto.models import Edition
from konto.models import Installation
from konto.models import Licence
from konto.models import LicenceExtension
from konto.models import Product
from konto.models import TrialUse
from konto.models import User

REASON_MAX = 500
INSTALLATION_ID = re.compile(r"^[A-Za-z0-9._:{}\-]{1,64}$")
MACHINE_NAME_MAX = 100
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _licence_for_update(licence_id):
    licence = locked(Licence.select().where(Licence.id == licence_id)).first()
    if licence is None:
        raise Refused("LICENCE_NOT_FOUND", _("Nie ma takiej licencji."), status=404)
    return licence


def _live_extensions(licence):
    return list(
        LicenceExtension.select(LicenceExtension, Product)
        .join(Product)
        .where((LicenceExtension.licence == licence) & LicenceExtension.ended_at.is_null())
    )


def stations_total(licence, today=None):
    return status.stations_total(licence, _live_extensions(licence), today or clock.today())


def active_installations(licence):
    return Installation.select().where((Installation.licence == licence) & (Installation.status == "active")).count()


def _tell_admins(licence, subject, message, reason=None):
    """E-mail the administrators of the licence's company, when the company is in the portal."""
    company = history.company_of(licence.tax_id)
    for admin in history.admins_of(company):
        send_email(
            admin.email,
            subject,
            "licence_changed",
            user=admin,
            company=company,
            licence=licence,
            number=numbers.masked(licence.number),
            message=message,
            reason=reason,
            link=external_url("licences.index", company_id=company.id),
        )


def clean_reason(text, required):
    text = _CONTROL.sub(" ", text or "").strip()
    if required and not text:
        raise Refused("REASON_REQUIRED", _("Podaj powód: klient go zobaczy."))
    if len(text) > REASON_MAX:
        raise Refused("REASON_TOO_LONG", _("Powód może mieć najwyżej %(n)d znaków.", n=REASON_MAX))
    return text or None


# --- the back office ---------------------------------------------------------------------


def issue(
    staff,
    tax_id,
    product_code,
    edition_code,
    stations,
    valid_until=None,
    abonament_until=None,
    number=None,
    pending=False,
):
    """Issue a licence to a taxpayer (canonical VATIN); returns it. A number typed by staff is
    checked (format and check character); without one a new number is made."""
    product = Product.get_or_none((Product.code == product_code) & (Product.kind == "program") & Product.offered)
    edition = product and Edition.get_or_none(
        (Edition.product == product) & (Edition.code == edition_code) & Edition.offered
    )
    if product is None or edition is None:
        raise Refused("UNKNOWN_PRODUCT", _("Wybierz program i edycję z katalogu."))
    if not isinstance(stations, int) or not 1 <= stations <= 999:
        raise Refused("BAD_STATIONS", _("Liczba stanowisk: od 1 do 999."))
    if number is not None:
        number = numbers.parse(number)
        if number[:2] != product.prefix:
            raise Refused(
                "WRONG_PREFIX",
                _(
                    "Numery licencji programu %(name)s zaczynają się od %(prefix)s.",
                    name=product.name,
                    prefix=product.prefix,
                ),
            )
    for _attempt in range(5):
        candidate = number or numbers.generate(product.prefix)
        try:
            with write_transaction():
                licence = Licence.create(
                    number=candidate,
                    tax_id=tax_id,
                    product=product,
                    edition=edition,
                    stations=stations,
                    status="pending" if pending else "active",
                    valid_until=valid_until,
                    abonament_until=abonament_until,
                    issued_by=staff.id,
                    issued_at=clock.now(),
                )
                history.record(tax_id, "issued", staff, licence, f"{product.name} {edition.name}", by_staff=True)
                audit.record("licence_issued", staff, f"{candidate} → {tax_id}")
                _tell_admins(
                    licence,
                    _l("Nowa licencja dla firmy"),
                    _l(
                        "Obsługa wystawiła dla Twojej firmy licencję %(product)s %(edition)s.",
                        product=product.name,
                        edition=edition.name,
                    ),
                )
            return licence
        except IntegrityError:
            if number is not None:
                raise Refused("NUMBER_TAKEN", _("Licencja o tym numerze już istnieje.")) from None
    raise Refused("NUMBER_TAKEN", _("Nie udało się nadać numeru. Spróbuj ponownie."))


# action: (from states, to state, history event, audit event, reason required)
TRANSITIONS = {
    "suspend": (("active", "pending"), "suspended", "suspended", "licence_suspended", True),
    "resume": (("suspended",), "active", "resumed", "licence_resumed", False),
    "revoke": (("active", "pending", "suspended"), "revoked", "revoked", "licence_revoked", True),
    "activate": (("pending",), "active", "activated", "licence_activated", False),
}
_TOLD = {
    "suspend": lambda: _l("Obsługa zawiesiła licencję."),
    "resume": lambda: _l("Obsługa wznowiła licencję. Działa jak wcześniej."),
    "revoke": lambda: _l("Obsługa unieważniła licencję."),
    "activate": lambda: _l("Licencja jest aktywna."),
}


def change_status(staff, licence_id, action, reason=""):
    """Suspend, resume, revoke or activate a licence; the reason is shown to the customer."""
    if action not in TRANSITIONS:
        raise Refused("UNKNOWN_ACTION", _("Nieznana czynność."))
    sources, target, event, audit_event, needs_reason = TRANSITIONS[action]
    reason = clean_reason(reason, needs_reason)
    with write_transaction():
        licence = _licence_for_update(licence_id)
        changed = (
            Licence.update(status=target, reason=reason if target in ("suspended", "revoked") else None)
            .where((Licence.id == licence.id) & Licence.status.in_(sources))
            .execute()
        )
        if not changed:
            raise Refused(
                "WRONG_STATE", _("Tej czynności nie można wykonać dla licencji w obecnym stanie."), status=409
            )
        history.record(licence.tax_id, event, staff, licence, reason, by_staff=True)
        audit.record(audit_event, staff, f"{licence.number}: {reason or ''}".strip(": "))
        licence.status, licence.reason = target, reason
        _tell_admins(
            licence, _l("Zmiana licencji: %(state)s", state=status.LICENCE_LABELS[target]), _TOLD[action](), reason
        )
    return licence


def renew_abonament(staff, licence_id, until):
    """Set the Abonament's end date (a renewal); notices start again for the new date."""
    if until is None:
        raise Refused("DATE_REQUIRED", _("Podaj datę końca Abonamentu."))
    with write_transaction():
        licence = _licence_for_update(licence_id)
        if licence.status == "revoked":
            raise Refused("WRONG_STATE", _("Licencja jest unieważniona."), status=409)
        Licence.update(abonament_until=until).where(Licence.id == licence.id).execute()
        licence.abonament_until = until
        detail = _("do %(date)s", date=until.strftime("%d.%m.%Y"))
        history.record(licence.tax_id, "abonament_renewed", staff, licence, detail, by_staff=True)
        audit.record("abonament_renewed", staff, f"{licence.number}: {until.isoformat()}")
    return licence


def add_extension(staff, licence_id, product_code, quantity=1, valid_until=None):
    """Add a PLUS level (replacing a lower or other one), a module (replacing its trial) or extra stations."""
    with write_transaction():
        licence = _licence_for_update(licence_id)
        if licence.status == "revoked":
            raise Refused("WRONG_STATE", _("Licencja jest unieważniona."), status=409)
        product = Product.get_or_none((Product.code == product_code) & (Product.kind != "program") & Product.offered)
        if product is None or licence.product.code not in (product.applies_to or []):
            raise Refused("UNKNOWN_EXTENSION", _("To rozszerzenie nie pasuje do tego programu."))
        if product.kind == "plus":
            quantity = 1
        if not isinstance(quantity, int) or not 1 <= quantity <= 999:
            raise Refused("BAD_QUANTITY", _("Liczba: od 1 do 999."))
        now = clock.now()
        live = _live_extensions(licence)
        replaced = [
            e
            for e in live
            if (product.kind == "plus" and e.product.kind == "plus")
            or (product.kind == "module" and e.product_id == product.id)
        ]
        for old in replaced:
            LicenceExtension.update(ended_at=now).where(LicenceExtension.id == old.id).execute()
        extension = LicenceExtension.create(
            licence=licence,
            product=product,
            quantity=quantity,
            valid_until=valid_until,
            created_by=staff.id,
            created_at=now,
        )
        detail = product.name if product.kind == "plus" else f"{product.name} × {quantity}"
        history.record(licence.tax_id, "extension_added", staff, licence, detail, by_staff=True)
        audit.record("extension_added", staff, f"{licence.number}: {detail}")
    return extension


def end_extension(staff, licence_id, extension_id):
    with write_transaction():
        licence = _licence_for_update(licence_id)
        extension = LicenceExtension.get_or_none(
            (LicenceExtension.id == extension_id) & (LicenceExtension.licence == licence)
        )
        if extension is None:
            raise Refused("NOT_FOUND", _("Nie ma takiego rozszerzenia."), status=404)
        ended = (
            LicenceExtension.update(ended_at=clock.now())
            .where((LicenceExtension.id == extension.id) & LicenceExtension.ended_at.is_null())
            .execute()
        )
        if not ended:
            raise Refused("WRONG_STATE", _("To rozszerzenie jest już zakończone."), status=409)
        history.record(licence.tax_id, "extension_ended", staff, licence, extension.product.name, by_staff=True)
        audit.record("extension_ended", staff, f"{licence.number}: {extension.product.name}")


# --- the company's side --------------------------------------------------------------------


def _company_licence(user, company, licence_id, action=permissions.MANAGE):
    """The licence of this company, for a member allowed to do the action (else Refused)."""
    member = permissions.membership(user, company.id)
    if member is None:
        raise Refused("NOT_FOUND", _("Nie ma takiej firmy."), status=404)
    if not permissions.can(member, action):
        raise Refused("FORBIDDEN", _("To może zrobić tylko administrator firmy."), status=403)
    licence = locked(Licence.select().where((Licence.id == licence_id) & (Licence.tax_id == company.tax_id))).first()
    if licence is None:
        raise Refused("LICENCE_NOT_FOUND", _("Nie ma takiej licencji."), status=404)
    return licence


def start_trial(user, company, licence_id, product_code):
    """An administrator starts a module's trial: once per licence and module, never again."""
    with write_transaction():
        licence = _company_licence(user, company, licence_id)
        today = clock.today()
        if not status.usable(licence, today):
            raise Refused(
                "LICENCE_NOT_USABLE", _("Okres próbny można rozpocząć tylko dla aktywnej licencji."), status=409
            )
        product = Product.get_or_none((Product.code == product_code) & (Product.kind == "module") & Product.offered)
        if product is None or not product.trial_days or licence.product.code not in (product.applies_to or []):
            raise Refused("NO_TRIAL", _("To rozszerzenie nie ma okresu próbnego dla tego programu."), status=404)
        if any(e.product_id == product.id for e in _live_extensions(licence)):
            raise Refused("ALREADY_HAS", _("Licencja ma już to rozszerzenie."), status=409)
        try:
            with database.atomic():  # a savepoint: the unique index says "once"
                TrialUse.create(licence=licence, product=product, started_by=user.id, started_at=clock.now())
        except IntegrityError:
            raise Refused(
                "TRIAL_USED",
                _(
                    "Okres próbny %(name)s został już wykorzystany dla tej licencji. Nie można go rozpocząć ponownie.",
                    name=product.name,
                ),
                status=409,
            ) from None
        until = today + timedelta(days=product.trial_days - 1)
        extension = LicenceExtension.create(
            licence=licence,
            product=product,
            quantity=product.seats or 1,
            trial_until=until,
            created_by=user.id,
            created_at=clock.now(),
        )
        detail = _("%(name)s do %(date)s", name=product.name, date=until.strftime("%d.%m.%Y"))
        history.record(licence.tax_id, "trial_started", user, licence, detail)
        audit.record("trial_started", user, f"{numbers.masked(licence.number)}: {product.name}")
    return extension


def _clean_machine_name(text):
    text = _CONTROL.sub(" ", text or "").strip()
    if not text:
        raise Refused("MACHINE_NAME_REQUIRED", _("Podaj nazwę komputera."))
    if len(text) > MACHINE_NAME_MAX:
        raise Refused(
            "MACHINE_NAME_TOO_LONG", _("Nazwa komputera może mieć najwyżej %(n)d znaków.", n=MACHINE_NAME_MAX)
        )
    return text


def request_registration(user, company, number, installation_id, machine_name, source="program"):
    """A program registers a licence of the company on a machine: a pending installation for the
    back office's queue (or the one already pending or active for that installation id)."""
    member = permissions.membership(user, company.id)
    if member is None:
        raise Refused("NOT_FOUND", _("Nie ma takiej firmy."), status=404)
    if not permissions.can(member, permissions.MANAGE):
        raise Refused("FORBIDDEN", _("Licencję rejestruje administrator firmy."), status=403)
    try:
        number = numbers.parse(number)
    except numbers.InvalidNumber as error:
        raise Refused("INVALID_NUMBER", str(error)) from None
    if not INSTALLATION_ID.match(installation_id or ""):
        raise Refused(
            "INVALID_INSTALLATION_ID", _("Identyfikator instalacji: 1–64 znaki (litery, cyfry, . _ : - { }).")
        )
    machine_name = _clean_machine_name(machine_name)
    with write_transaction():
        licence = locked(
            Licence.select().where((Licence.number == number) & (Licence.tax_id == company.tax_id))
        ).first()
        if licence is None:
            raise Refused("LICENCE_NOT_FOUND", _("Ta firma nie ma licencji o takim numerze."), status=404)
        state = status.licence_state(licence, clock.today())
        if state.code in ("revoked", "suspended", "expired"):
            codes = {"revoked": "LICENCE_REVOKED", "suspended": "LICENCE_SUSPENDED", "expired": "LICENCE_EXPIRED"}
            raise Refused(codes[state.code], _("Licencja jest %(state)s.", state=state.label), status=409)
        existing = Installation.get_or_none(
            (Installation.licence == licence)
            & (Installation.installation_id == installation_id)
            & Installation.status.in_(["pending", "active"])
        )
        if existing is not None:
            existing.created = False  # the program asked again: the same registration (idempotent)
            return existing
        if active_installations(licence) >= stations_total(licence):
            raise Refused(
                "TOO_MANY_INSTALLATIONS",
                _("Wszystkie stanowiska licencji są zajęte. Zwolnij jedno albo dokup stanowiska."),
                status=409,
            )
        installation = Installation.create(
            licence=licence,
            installation_id=installation_id,
            machine_name=machine_name,
            requested_by=user.id,
            source=source,
            requested_at=clock.now(),
        )
        history.record(licence.tax_id, "registration_requested", user, licence, machine_name)
        audit.record("installation_requested", user, f"{numbers.masked(licence.number)}: {machine_name}")
    installation.created = True
    return installation


def decide_registration(staff, installation_pk, accept, reason=""):
    """Accept or reject a pending registration: exactly one decision, the station rule held."""
    reason = clean_reason(reason, required=not accept)
    with write_transaction():
        row = Installation.get_or_none(Installation.id == installation_pk)
        if row is None:
            raise Refused("NOT_FOUND", _("Nie ma takiego zgłoszenia."), status=404)
        licence = _licence_for_update(row.licence_id)
        row = Installation.get_by_id(installation_pk)  # read again under the lock
        if row.status != "pending":
            raise Refused("ALREADY_DECIDED", _("To zgłoszenie zostało już rozpatrzone."), status=409)
        if accept:
            state = status.licence_state(licence, clock.today())
            if state.code not in ("active", "expiring", "pending"):
                raise Refused(
                    "LICENCE_NOT_USABLE",
                    _("Licencja jest %(state)s: rejestracji nie można przyjąć.", state=state.label),
                    status=409,
                )
            total = stations_total(licence)
            if active_installations(licence) >= total:
                raise Refused(
                    "TOO_MANY_INSTALLATIONS",
                    _(
                        "Licencja ma już %(n)d aktywnych stanowisk z %(n)d. Odrzuć zgłoszenie albo dodaj stanowiska.",
                        n=total,
                    ),
                    status=409,
                )
        decided = (
            Installation.update(
                status="active" if accept else "rejected",
                decided_at=clock.now(),
                decided_by=staff.id,
                reason=reason,
            )
            .where((Installation.id == row.id) & (Installation.status == "pending"))
            .execute()
        )
        if not decided:
            raise Refused("ALREADY_DECIDED", _("To zgłoszenie zostało już rozpatrzone."), status=409)
        event = "registration_accepted" if accept else "registration_rejected"
        history.record(licence.tax_id, event, staff, licence, reason or row.machine_name, by_staff=True)
        audit.record(
            "installation_accepted" if accept else "installation_rejected",
            staff,
            f"{licence.number}: {row.machine_name}",
        )
        if accept and licence.status == "pending":
            Licence.update(status="active").where(Licence.id == licence.id).execute()
            history.record(licence.tax_id, "activated", staff, licence, None, by_staff=True)
        _tell_registration(licence, row, accept, reason)
    return Installation.get_by_id(row.id)


def _tell_registration(licence, row, accepted, reason):
    company = history.company_of(licence.tax_id)
    people = history.admins_of(company)
    requester = User.get_or_none(User.id == row.requested_by_id) if row.requested_by_id else None
    if requester is not None and all(p.id != requester.id for p in people):
        people.append(requester)
    for person in people:
        send_email(
            person.email,
            _l("Rejestracja licencji przyjęta") if accepted else _l("Rejestracja licencji odrzucona"),
            "registration_decided",
            user=person,
            company=company,
            machine=row.machine_name,
            number=numbers.masked(licence.number),
            product=licence.product.name,
            accepted=accepted,
            reason=reason,
            link=external_url("licences.index", company_id=company.id) if company else None,
        )


def release_installation(user, company, licence_id, installation_pk):
    """An administrator frees a station (the program on that machine stops using the licence)."""
    with write_transaction():
        licence = _company_licence(user, company, licence_id)
        return _release(user, licence, installation_pk, by_staff=False)


def staff_release_installation(staff, installation_pk):
    with write_transaction():
        row = Installation.get_or_none(Installation.id == installation_pk)
        if row is None:
            raise Refused("NOT_FOUND", _("Nie ma takiej instalacji."), status=404)
        licence = _licence_for_update(row.licence_id)
        return _release(staff, licence, installation_pk, by_staff=True)


def _release(actor, licence, installation_pk, by_staff):
    row = Installation.get_or_none((Installation.id == installation_pk) & (Installation.licence == licence))
    if row is None:
        raise Refused("NOT_FOUND", _("Nie ma takiej instalacji."), status=404)
    released = (
        Installation.update(status="released", released_at=clock.now())
        .where((Installation.id == row.id) & (Installation.status == "active"))
        .execute()
    )
    if not released:
        raise Refused("WRONG_STATE", _("To stanowisko nie jest zajęte."), status=409)
    history.record(licence.tax_id, "installation_released", actor, licence, row.machine_name, by_staff=by_staff)
    audit.record("installation_released", actor, f"{numbers.masked(licence.number)}: {row.machine_name}")
    return row
