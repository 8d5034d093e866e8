"""The user's own account: consents and documents, sessions, a copy of the data, deletion."""

from flask_babel import gettext as _

from konto import audit
from konto import documents
from konto import sessions
from konto.db import database
from konto.db import write_transaction
from konto.flows import invitations
from konto.flows import members
from konto.models import AccessRequest
from konto.models import AdminClaim
from konto.models import AuditEvent
from konto.models import Company
from konto.models import Consent
from konto.models import EmailChange
from konto.models import Invitation
from konto.models import Membership
from konto.models import Passkey
from konto.models import ProgramClient
from konto.models import ProgramConnection
from konto.models import ProgramConnectionCompany
from konto.models import RecoveryCode
from konto.models import Service
from konto.models import ServiceTermsAcceptance
from konto.models import TotpCredential
from konto.models import User
from konto.models import UserSession
from konto.models import utcnow


def change_name(user, first_name, last_name):
    """The account's own name (how the portal and its e-mails address the person, and what the
    administrators of the person's companies see). Recorded when it changes."""
    if (user.first_name, user.last_name) == (first_name, last_name):
        return False
    with database.atomic():
        User.update(first_name=first_name, last_name=last_name).where(User.id == user.id).execute()
        audit.record("name_changed", user.id)
    user.first_name, user.last_name = first_name, last_name
    return True


def set_marketing(user, wanted):
    """Give or withdraw the marketing consent: as easily one way as the other. A withdrawn
    consent keeps its record, dated."""
    active = (Consent.user == user.id) & (Consent.document == documents.MARKETING) & Consent.withdrawn_at.is_null()
    given = Consent.select().where(active).exists()
    with database.atomic():
        if wanted and not given:
            documents.accept(user.id, documents.MARKETING)
            audit.record("consent_given", user.id, documents.MARKETING)
        elif given and not wanted:
            Consent.update(withdrawn_at=utcnow()).where(active).execute()
            audit.record("consent_withdrawn", user.id, documents.MARKETING)


def set_language(user, language):
    """The language of the account's pages and e-mails (one of konto.i18n.LANGUAGES)."""
    User.update(language=language).where(User.id == user.id).execute()
    user.language = language


def accept_documents(user, accepted):
    """The user accepts the current versions of these documents (terms, privacy notice)."""
    with database.atomic():
        for document in accepted:
            documents.accept(user.id, document)
            audit.record("terms_accepted", user.id, f"{document} {documents.VERSIONS[document]}")


def end_session(user, session_id):
    """End one of the user's sessions (another device, or this one); False when it is not theirs."""
    row = UserSession.get_or_none((UserSession.id == session_id) & (UserSession.user == user.id))
    if row is None:
        return False
    with database.atomic():
        audit.record("session_ended", user.id, row.user_agent)
        row.delete_instance()
    return True


def end_other_sessions(user, keep_session):
    """End every session of the user but `keep_session` (this browser's)."""
    with database.atomic():
        sessions.end_all_sessions(user, keep=keep_session)
        audit.record("session_ended", user.id, _("wszystkie pozostałe"))


def _iso(value):
    return value.isoformat() if value else None


def _invitation(invitation, now):
    """An invitation as the export gives it: never its token (only its hash is stored anyway)."""
    return {
        "company": invitation.company.tax_id, "company_name": invitation.company.name, "email": invitation.email,
        "role": invitation.role, "status": invitations.state(invitation, now),
        "created_at": _iso(invitation.created_at), "sent_at": _iso(invitation.sent_at),
        "expires_at": _iso(invitation.expires_at), "decided_at": _iso(invitation.decided_at),
    }  # fmt: skip


def _invitations(user):
    now = utcnow()
    rows = Invitation.select(Invitation, Company).join(Company).order_by(Invitation.id)
    return {
        "sent": [_invitation(i, now) for i in rows.where(Invitation.invited_by == user.id)],
        "received": [_invitation(i, now) for i in rows.where(Invitation.email == user.email)],
    }


def _admin_claims(user):
    """The admin-rights claims the user filed: the statement's file name and size, not its bytes
    (nor where or under which name it is stored)."""
    return [
        {"company": c.company.tax_id, "company_name": c.company.name, "status": c.status,
         "file_name": c.original_name, "file_size": c.size, "created_at": _iso(c.created_at),
         "objections_until": _iso(c.object_until), "objected_at": _iso(c.objected_at),
         "decided_at": _iso(c.decided_at), "reason": c.reason, "file_deleted_at": _iso(c.file_deleted_at)}
        for c in AdminClaim.select(AdminClaim, Company).join(Company)
        .where(AdminClaim.claimant == user.id).order_by(AdminClaim.id)
    ]  # fmt: skip


def _service_terms(user):
    return [
        {"tax_id": a.tax_id, "service": a.service.name, "version": a.version, "accepted_at": _iso(a.accepted_at),
         "ip": a.ip, "user_agent": a.user_agent}
        for a in ServiceTermsAcceptance.select(ServiceTermsAcceptance, Service).join(Service)
        .where(ServiceTermsAcceptance.user == user.id).order_by(ServiceTermsAcceptance.id)
    ]  # fmt: skip


def _programs(user):
    """The programs connected to the account, revoked ones too: never their tokens."""
    connections = list(
        ProgramConnection.select(ProgramConnection, ProgramClient).join(ProgramClient)
        .where(ProgramConnection.user == user.id).order_by(ProgramConnection.id)
    )
    companies = {}
    for link in (ProgramConnectionCompany.select(ProgramConnectionCompany, Membership, Company)
                 .join(Membership).join(Company)
                 .where(ProgramConnectionCompany.connection.in_([c.id for c in connections]))):
        companies.setdefault(link.connection_id, []).append(link.membership.company.tax_id)
    return [
        {"program": c.client.name, "machine_name": c.machine_name, "scope": c.scope,
         "companies": sorted(companies.get(c.id, [])), "created_at": _iso(c.created_at),
         "last_used_at": _iso(c.last_used_at), "last_ip": c.last_ip, "revoked_at": _iso(c.revoked_at),
         "revoked_reason": c.revoked_reason}
        for c in connections
    ]  # fmt: skip


def export_data(user):
    """Everything the portal holds about the user, for a JSON file; the export itself is recorded.
    Never a secret: no password hash, token, code, key or their hashes."""
    audit.record("export", user.id)
    iso = _iso

    return {
        "exported_at": iso(utcnow()),
        "account": {
            "email": user.email, "first_name": user.first_name, "last_name": user.last_name,
            "created_at": iso(user.created_at), "activated_at": iso(user.activated_at),
            "last_login_at": iso(user.last_login_at), "language": user.language,
        },
        "consents": [
            {"document": c.document, "version": c.version, "accepted_at": iso(c.accepted_at),
             "withdrawn_at": iso(c.withdrawn_at), "ip": c.ip, "user_agent": c.user_agent}
            for c in Consent.select().where(Consent.user == user.id).order_by(Consent.id)
        ],
        "companies": [
            {"tax_id": m.company.tax_id, "name": m.company.name, "role": m.role,
             "contact_email": m.contact_email, "contact_phone": m.contact_phone, "contact_sms": m.contact_sms,
             "statement_version": m.statement_version, "statement_accepted_at": iso(m.statement_accepted_at),
             "joined_at": iso(m.created_at)}
            for m in Membership.select(Membership, Company).join(Company).where(Membership.user == user.id)
        ],
        "access_requests": [
            {"company": a.company.tax_id, "status": a.status, "created_at": iso(a.created_at)}
            for a in AccessRequest.select(AccessRequest, Company).join(Company).where(AccessRequest.user == user.id)
        ],
        # What two-step sign-in holds, never its secrets (the app's key, the codes, the passkeys' keys).
        "two_step": {
            "enabled_at": iso(user.two_step_at),
            "authenticator_app_added_at": iso(
                TotpCredential.select(TotpCredential.created_at).where(TotpCredential.user == user.id).scalar()),
            "passkeys": [
                {"name": p.name, "created_at": iso(p.created_at), "last_used_at": iso(p.last_used_at)}
                for p in Passkey.select().where(Passkey.user == user.id).order_by(Passkey.id)
            ],
            "recovery_codes_left": RecoveryCode.select().where(
                (RecoveryCode.user == user.id) & RecoveryCode.used_at.is_null()).count(),
        },
        "invitations": _invitations(user),
        "admin_claims": _admin_claims(user),
        "service_terms": _service_terms(user),
        "programs": _programs(user),
        "email_changes": [
            {"new_email": c.new_email, "old_email": c.old_email, "status": c.status,
             "created_at": iso(c.created_at), "confirmed_at": iso(c.confirmed_at), "ended_at": iso(c.ended_at)}
            for c in EmailChange.select().where(EmailChange.user == user.id).order_by(EmailChange.id)
        ],
        "sessions": [
            {
                "created_at": iso(s.created_at),
                "last_seen_at": iso(s.last_seen_at),
                "ip": s.ip,
                "user_agent": s.user_agent,
            }
            for s in UserSession.select().where(UserSession.user == user.id)
        ],
        "activity": [
            {"event": e.event, "detail": e.detail, "at": iso(e.created_at), "ip": e.ip, "user_agent": e.user_agent}
            for e in AuditEvent.select().where(AuditEvent.user == user.id).order_by(AuditEvent.id)
        ],
    }  # fmt: skip


def delete(user):
    """Delete the account and every session of it, with its companies handed over (see below)."""
    with write_transaction():
        _hand_over_companies(user)
        sessions.end_all_sessions(user)
        User.delete().where(User.id == user.id).execute()


def _hand_over_companies(user):
    """A company the user alone was in goes too; where others remain and no admin would, the
    oldest member becomes admin; the membership ends as every membership does."""
    for membership in Membership.select().where(Membership.user == user.id):
        company = members.lock_company(membership.company_id)
        others = Membership.select().where((Membership.company == membership.company_id) & (Membership.user != user.id))
        if not others.exists():
            Company.delete().where(Company.id == membership.company_id).execute()
            continue
        if not others.where(Membership.role == members.ADMIN).exists():
            heir = others.order_by(Membership.created_at, Membership.id).first()
            Membership.update(role=members.ADMIN).where(Membership.id == heir.id).execute()
            heir_email = User.get_by_id(heir.user_id).email
            members.record(company, "role_changed", None, heir_email,
                           _("administrator (konto poprzedniego administratora usunięto)"))
        members.end_membership(membership, user, "account_deleted")
