"""Joining a company that is in the portal already: the request, and its administrators' decision."""

from peewee import IntegrityError

from konto import audit
from konto.db import write_transaction
from konto.flows import members
from konto.flows.companies import mail_about_company
from konto.i18n_cache import lazy_gettext as _l
from konto.models import AccessRequest
from konto.models import Membership
from konto.models import User
from konto.models import utcnow


def ask(user, company):
    """Ask the company's administrators to let the user in; they are told by e-mail.

    One request per user and company: asking again changes nothing, and a declined request
    becomes pending again (without new e-mails). A member of the company asks nothing.
    """
    try:
        with write_transaction():
            _ask(user, company)
    except IntegrityError:
        pass  # a parallel click asked first (databases without SQLite's IMMEDIATE lock): one request


def _ask(user, company):
    if Membership.select().where((Membership.user == user.id) & (Membership.company == company.id)).exists():
        return
    existing = AccessRequest.get_or_none((AccessRequest.user == user.id) & (AccessRequest.company == company.id))
    if existing is None:
        AccessRequest.create(user=user.id, company=company)
        audit.record("access_requested", user.id, company.tax_id)
        admins = User.select().join(Membership).where(
            (Membership.company == company) & (Membership.role == members.ADMIN)
        )
        for admin in admins:
            subject = _l("Prośba o dostęp do firmy %(name)s", name=company.name)
            mail_about_company(admin, subject, "access_requested", company, requester=user)
    elif existing.status == "declined":
        AccessRequest.update(status="pending", created_at=utcnow(), decided_at=None).where(
            AccessRequest.id == existing.id
        ).execute()


def decide(user, company, request_id, accept, role=members.MEMBER):
    """An administrator of the company accepts (the requester becomes a member with `role`,
    administrator or użytkownik) or declines a request; the requester is told by e-mail.

    Returns the request, or None when the company has no such request or the user is not its
    administrator. A request decided already stays as it was.
    """
    if role not in members.ROLES:
        return None
    with write_transaction():
        locked, refused = members.acting_admin(user, company.id)
        access = AccessRequest.get_or_none((AccessRequest.id == request_id) & (AccessRequest.company == company.id))
        if refused or access is None:
            return None
        if access.status == "pending":
            _decide(user, locked, access, "accepted" if accept else "declined", role)
    return access


def _decide(user, company, access, status, role):
    AccessRequest.update(status=status, decided_at=utcnow(), decided_by=user.id).where(
        AccessRequest.id == access.id
    ).execute()
    access.status = status
    requester = User.get_by_id(access.user_id)
    accepted = status == "accepted"
    audit.record("access_granted" if accepted else "access_declined", user.id, f"{company.tax_id}: {requester.email}")
    if accepted:
        members.join(requester, company, role)
        members.record(company, "access_granted", user, requester.email, members.role_label(role))
        audit.record("access_received", requester.id, f"{members.company_label(company)}: {members.role_label(role)}")
    subject = _l("Decyzja w sprawie dostępu do firmy %(name)s", name=company.name)
    mail_about_company(
        requester, subject, "access_decided", company, accepted=accepted, role_name=members.ROLE_LABELS.get(role, role)
    )
