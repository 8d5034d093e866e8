"""Who is in a company and with which role: changing roles, removing, leaving, handing over.

Roles: "admin" (administrator: decides who is in the company and with which role, and acts
for the company) and "member" (użytkownik: sees the company and who is in it). A company
always keeps an administrator: the last one can neither leave, be removed nor be demoted, and
hands the role over instead (`hand_over`, one transaction).

Every change runs in `write_transaction()` and first locks the company's row (SELECT … FOR
UPDATE on PostgreSQL; SQLite's IMMEDIATE transaction already serialises writers), then checks
its rules against what is committed by then: two administrators demoting each other at once
leave one of them an administrator, never none.

A membership begins in `join` and ends in `end_membership`, whichever way it happens (an
invitation, an access request; removal, leaving, deleting the account): whatever has to
happen then (the chosen company, the person's open invitations and requests, the history,
and later the desktop programs' access to the company) happens in one place.
"""

from peewee import JOIN

from konto import audit
from konto import taxid
from konto.db import PrebuiltSelect
from konto.db import is_sqlite
from konto.db import write_transaction
from konto.flows import programs
from konto.i18n_cache import lazy_gettext as _l
from konto.links import external_url
from konto.mail import send_email
from konto.models import AccessRequest
from konto.models import Company
from konto.models import Invitation
from konto.models import Membership
from konto.models import MembershipEvent
from konto.models import User
from konto.models import utcnow
from konto.permissions import ADMIN
from konto.permissions import MEMBER
from konto.permissions import is_admin

ROLES = (ADMIN, MEMBER)
ROLE_LABELS = {ADMIN: _l("administrator"), MEMBER: _l("użytkownik")}

# What a change came to (the views turn these into pages and messages).
DONE = "done"
UNCHANGED = "unchanged"  # the member has that role already
NOT_FOUND = "not_found"  # the acting user is not in the company, or the company has no such member
NOT_ADMIN = "not_admin"  # the acting user is in the company but not (or no longer) its administrator
LAST_ADMIN = "last_admin"  # the company would be left without an administrator

# The company's history of membership changes (MembershipEvent.event), as its page words them.
HISTORY = {
    "company_added": _l("Dodanie firmy do portalu"),
    "invited": _l("Zaproszenie"),
    "invitation_resent": _l("Ponowne wysłanie zaproszenia"),
    "invitation_revoked": _l("Wycofanie zaproszenia"),
    "invitation_accepted": _l("Przyjęcie zaproszenia"),
    "invitation_declined": _l("Odrzucenie zaproszenia"),
    "access_granted": _l("Przyjęcie prośby o dostęp"),
    "role_changed": _l("Zmiana roli"),
    "handed_over": _l("Przekazanie administracji"),
    "removed": _l("Usunięcie z firmy"),
    "left": _l("Opuszczenie firmy"),
    "account_deleted": _l("Usunięcie konta"),
    "claim_approved": _l("Przyjęcie wniosku o uprawnienia administratora (Obsługa)"),
}


def role_label(role):
    return str(ROLE_LABELS.get(role, role))


def company_label(company):
    """How an audit event names a company: its name and number."""
    return f"{company.name[:100]} ({taxid.display(company.tax_id)})"


def lock_company(company_id):
    """The company, its row locked until the transaction ends (call inside write_transaction());
    None when there is no such company."""
    query = Company.select().where(Company.id == company_id)
    if not is_sqlite():
        query = query.for_update()
    return query.first()


def membership_of(user_id, company_id):
    return Membership.get_or_none((Membership.user == user_id) & (Membership.company == company_id))


def _admin_count(company_id):
    return Membership.select().where((Membership.company == company_id) & (Membership.role == ADMIN)).count()


# The Użytkownicy and company pages read these on every visit: their SQL built once
# (tests/test_prebuilt_select.py).
_members = PrebuiltSelect(
    lambda company_id: Membership.select(Membership, User)
    .join(User, on=(Membership.user == User.id))
    .where(Membership.company == company_id)
    .order_by(Membership.role, User.last_name, User.first_name, User.id)
)
_history = PrebuiltSelect(
    lambda company_id, limit: MembershipEvent.select(MembershipEvent, User)
    .join(User, JOIN.LEFT_OUTER, on=(MembershipEvent.actor == User.id))
    .where(MembershipEvent.company == company_id)
    .order_by(MembershipEvent.id.desc())
    .limit(limit),
    arity=2,
)


def members(company_id):
    """The company's members with their accounts: administrators first, then by name."""
    return _members(company_id)


def history(company_id, limit=100):
    """The company's membership changes, newest first, with who made them."""
    return _history(company_id, limit)


def record(company, event, actor, subject=None, detail=None):
    """A line in the company's history (call inside the change's transaction)."""
    assert event in HISTORY, event
    MembershipEvent.create(
        company=company.id,
        event=event,
        actor=getattr(actor, "id", actor),
        subject=subject,
        detail=(detail or None) and str(detail)[:255],
    )


def _audit_both(actor, person, actor_event, person_event, company, detail):
    """The same change in the activity of the one who made it and of the one it concerns."""
    audit.record(actor_event, actor.id, f"{company_label(company)}: {detail}")
    if person.id != actor.id:
        audit.record(person_event, person.id, f"{company_label(company)}: {detail}")


def acting_admin(actor, company_id):
    """Lock the company and check the actor administers it: (company, None) or (None, outcome)."""
    company = lock_company(company_id)
    mine = membership_of(actor.id, company_id) if company is not None else None
    if mine is None:
        return None, NOT_FOUND
    if not is_admin(mine):
        return None, NOT_ADMIN
    return company, None


def _admin_and_member(actor, company_id, membership_id):
    """Lock the company, check the actor administers it and find the member:
    (company, member, None), or (None, None, why not)."""
    company, refused = acting_admin(actor, company_id)
    if refused:
        return None, None, refused
    target = Membership.get_or_none((Membership.id == membership_id) & (Membership.company == company_id))
    if target is None:
        return None, None, NOT_FOUND
    return company, target, None


# -- joining and leaving: the two places a membership begins and ends -------------------


def join(user, company, role):
    """`user` becomes a member of `company` with `role` (call inside a write transaction that
    locked the company). Their open invitations into the company and their access request are
    closed as fulfilled, and a person without a chosen company gets this one.

    Returns the new membership, or None when the user is in the company already.
    """
    if membership_of(user.id, company.id) is not None:
        return None
    membership = Membership.create(user=user.id, company=company.id, role=role, contact_email=user.email)
    now = utcnow()
    Invitation.update(status="accepted", decided_at=now, decided_by=user.id, pending_email=None).where(
        (Invitation.company == company.id) & (Invitation.pending_email == user.email)
    ).execute()
    AccessRequest.update(status="accepted", decided_at=now).where(
        (AccessRequest.user == user.id) & (AccessRequest.company == company.id) & (AccessRequest.status == "pending")
    ).execute()
    User.update(active_company=company.id).where((User.id == user.id) & User.active_company.is_null()).execute()
    return membership


def end_membership(membership, actor, how):
    """The one place a membership ends (call inside a write transaction that locked the
    company, after its rules were checked). `how`: "removed" (by the administrator `actor`),
    "left", or "account_deleted".

    The row goes, and with it the person's programs' access to the company (Połączone
    programy); invitations the person sent as an administrator are revoked (nobody grants more
    than they hold); their access request goes too, so they can ask again; the person's chosen
    company, if it was this one, becomes another of theirs; the history records it; and a
    removed person is told by e-mail.
    """
    company = Company.get_by_id(membership.company_id)
    person = User.get_by_id(membership.user_id)
    programs.end_company_access(membership)  # the person's programs lose this company now
    Membership.delete().where(Membership.id == membership.id).execute()
    if is_admin(membership):
        revoke_invitations_sent_by(person, company)
    AccessRequest.delete().where((AccessRequest.user == person.id) & (AccessRequest.company == company.id)).execute()
    if how == "account_deleted":
        record(company, "account_deleted", None, person.email, role_label(membership.role))
        return
    other = (
        Company.select(Company.id)
        .join(Membership)
        .where((Membership.user == person.id) & (Company.id != company.id))
        .order_by(Company.name)
        .first()
    )
    User.update(active_company=other.id if other else None).where(
        (User.id == person.id) & (User.active_company == company.id)
    ).execute()
    if how == "left":
        record(company, "left", person, person.email, role_label(membership.role))
        audit.record("company_left", person.id, company_label(company))
        return
    record(company, "removed", actor, person.email, role_label(membership.role))
    _audit_both(actor, person, "member_removed", "removed_from_company", company, person.email)
    send_email(
        person.email,
        _l("Nie jesteś już użytkownikiem firmy %(name)s", name=company.name),
        "member_removed",
        user=person,
        company=company,
        by=actor,
        link=external_url("account.dashboard"),
    )


def revoke_invitations_sent_by(user, company):
    """The pending invitations `user` sent into `company` are revoked (they stopped being its
    administrator)."""
    Invitation.update(status="revoked", decided_at=utcnow(), pending_email=None).where(
        (Invitation.company == company.id) & (Invitation.invited_by == user.id) & (Invitation.status == "pending")
    ).execute()


# -- what an administrator does on the Użytkownicy page ----------------------------------


def _set_role(actor, company, target, role):
    """Give a member another role, with its consequences (inside the transaction)."""
    Membership.update(role=role).where(Membership.id == target.id).execute()
    person = User.get_by_id(target.user_id)
    if role != ADMIN:
        revoke_invitations_sent_by(person, company)
    record(company, "role_changed", actor, person.email, role_label(role))
    _audit_both(actor, person, "member_role_changed", "role_changed_by_admin", company,
                f"{person.email}, {role_label(role)}")
    if person.id != actor.id:
        _tell_role(person, company, actor, role)


def _tell_role(person, company, actor, role):
    """The e-mail telling a member an administrator gave them another role."""
    send_email(
        person.email,
        _l("Twoja rola w firmie %(name)s: %(role)s", name=company.name, role=ROLE_LABELS.get(role, role)),
        "member_role_changed",
        user=person,
        company=company,
        by=actor,
        role=role,
        role_name=ROLE_LABELS.get(role, role),  # lazy: the e-mail is in its recipient's language
        link=external_url("companies.users", company_id=company.id),
    )


def change_role(actor, company_id, membership_id, role):
    """An administrator gives a member of the company another role (administrator or użytkownik).

    The last administrator cannot be demoted (LAST_ADMIN): they hand the role over instead.
    """
    if role not in ROLES:
        return NOT_FOUND
    with write_transaction():
        company, target, refused = _admin_and_member(actor, company_id, membership_id)
        if refused:
            return refused
        if target.role == role:
            return UNCHANGED
        if is_last_admin(target):
            return LAST_ADMIN
        _set_role(actor, company, target, role)
    return DONE


def remove(actor, company_id, membership_id):
    """An administrator removes a member from the company; the person is told by e-mail.

    The last administrator cannot be removed (LAST_ADMIN). Removing oneself is leaving.
    """
    with write_transaction():
        _company, target, refused = _admin_and_member(actor, company_id, membership_id)
        if refused:
            return refused
        if is_last_admin(target):
            return LAST_ADMIN
        end_membership(target, actor, "left" if target.user_id == actor.id else "removed")
    return DONE


def leave(user, company_id):
    """"Opuść firmę": the user leaves the company. Not the last administrator (LAST_ADMIN)."""
    with write_transaction():
        if lock_company(company_id) is None:
            return NOT_FOUND
        mine = membership_of(user.id, company_id)
        if mine is None:
            return NOT_FOUND
        if is_last_admin(mine):
            return LAST_ADMIN
        end_membership(mine, user, "left")
    return DONE


def hand_over(actor, company_id, membership_id):
    """"Przekaż administrację": another member becomes an administrator and the actor a plain
    member, in one transaction (so the company is never without an administrator)."""
    with write_transaction():
        company, target, refused = _admin_and_member(actor, company_id, membership_id)
        if refused:
            return refused
        if target.user_id == actor.id:
            return NOT_FOUND
        person = User.get_by_id(target.user_id)
        if target.role != ADMIN:
            Membership.update(role=ADMIN).where(Membership.id == target.id).execute()
        Membership.update(role=MEMBER).where(
            (Membership.user == actor.id) & (Membership.company == company_id)
        ).execute()
        revoke_invitations_sent_by(actor, company)
        record(company, "handed_over", actor, person.email, role_label(ADMIN))
        _audit_both(actor, person, "admin_handed_over", "admin_received", company, person.email)
        _tell_role(person, company, actor, ADMIN)
    return DONE


def grant_admin_by_claim(user, company):
    """An admin-rights claim approved by the vendor's staff (konto.flows.claims): the claimant
    becomes an administrator of the company, joining it if they were not in it (call inside the
    approval's write transaction)."""
    lock_company(company.id)
    mine = membership_of(user.id, company.id)
    if mine is None:
        join(user, company, ADMIN)
    elif not is_admin(mine):
        Membership.update(role=ADMIN).where(Membership.id == mine.id).execute()
    record(company, "claim_approved", None, user.email, role_label(ADMIN))
    audit.record("admin_received", user.id, f"{company_label(company)}: {user.email}")


def other_members(company_id, user_id):
    """The members of the company other than this user (whom the administration may go to)."""
    return [m for m in members(company_id) if m.user_id != user_id]


def is_last_admin(membership):
    """True when this membership is its company's only administrator."""
    return is_admin(membership) and _admin_count(membership.company_id) <= 1
