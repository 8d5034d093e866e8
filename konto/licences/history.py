"""Recording the history of a taxpayer's licences and services, and telling the administrators."""

from konto.i18n_cache import lazy_gettext as _l
from konto.models import Company
from konto.models import LicenceEvent
from konto.models import Membership
from konto.models import User

# How the Licencje page and the back office word each event.
EVENTS = {
    "issued": _l("Licencja wystawiona"),
    "activated": _l("Licencja aktywowana"),
    "suspended": _l("Licencja zawieszona"),
    "resumed": _l("Licencja wznowiona"),
    "revoked": _l("Licencja unieważniona"),
    "abonament_renewed": _l("Abonament przedłużony"),
    "extension_added": _l("Dodano rozszerzenie"),
    "extension_ended": _l("Zakończono rozszerzenie"),
    "trial_started": _l("Rozpoczęto okres próbny"),
    "registration_requested": _l("Rejestracja z programu — oczekuje na akceptację"),
    "registration_accepted": _l("Rejestracja z programu zaakceptowana"),
    "registration_rejected": _l("Rejestracja z programu odrzucona"),
    "installation_released": _l("Zwolniono stanowisko"),
    "service_enabled": _l("Włączono usługę"),
    "service_disabled": _l("Wyłączono usługę"),
    "claim_filed": _l("Wniosek o odzyskanie uprawnień administratora"),
    "claim_objected": _l("Sprzeciw wobec wniosku o uprawnienia administratora"),
    "claim_approved": _l("Wniosek o uprawnienia administratora przyjęty"),
    "claim_rejected": _l("Wniosek o uprawnienia administratora odrzucony"),
    "abonament_notice": _l("Powiadomienie o końcu Abonamentu"),
}


def record(tax_id, event, actor=None, licence=None, detail=None, by_staff=False):
    assert event in EVENTS, event
    return LicenceEvent.create(
        tax_id=tax_id,
        licence=getattr(licence, "id", licence),
        event=event,
        detail=(detail or None) and str(detail)[:500],
        by_staff=by_staff,
        actor=getattr(actor, "id", actor),
    )


def company_of(tax_id):
    return Company.get_or_none(Company.tax_id == tax_id)


def admins_of(company):
    """The administrators of a company (None: nobody)."""
    if company is None:
        return []
    return list(
        User.select()
        .join(Membership)
        .where((Membership.company == company) & (Membership.role == "admin"))
        .order_by(User.id)
    )
