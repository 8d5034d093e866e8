"""Invitations into a company ("Dodaj użytkownika"): sending, resending, revoking, accepting.

An invitation is for an e-mail address, not for whoever holds the link: it is accepted from
a logged-in account with that address (activated, so its owner proved they read its mail);
opened from another account it changes nothing. The link's token is 32 random bytes, stored
only as its SHA-256: a resend replaces it (the old link dies), and accepting, declining or
revoking closes the invitation, so the link leads to a page saying so. An invitation is valid
INVITATION_MAX_AGE seconds (7 days).

Accepting is a conditional UPDATE of the pending, unexpired row (Discourse's pattern): of
any number of clicks, tabs or requests at once, exactly one changes the row and makes the
membership; the rest find it accepted.

Nobody grants more than they hold: only a company's administrators invite, and the
invitations they sent are revoked when they stop being administrators
(`members.end_membership`, `members.change_role`, `members.hand_over`).
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import LazyString
from peewee import JOIN
from peewee import IntegrityError

from konto import audit
from konto.db import PrebuiltSelect
from konto.db import write_transaction
from konto.flows import members
from konto.i18n_cache import lazy_gettext as _l
from konto.links import external_url
from konto.mail import send_email
from konto.models import Company
from konto.models import Invitation
from konto.models import Membership
from konto.models import User
from konto.models import utcnow
from konto.texts import duration

# What an invitation is, as its pages say (state()).
PENDING = "pending"
EXPIRED = "expired"
ACCEPTED = "accepted"
DECLINED = "declined"
REVOKED = "revoked"

# What sending one came to.
SENT = "sent"
ALREADY_MEMBER = "already_member"
ALREADY_INVITED = "already_invited"

# What answering one came to (besides ACCEPTED and DECLINED).
GONE = "gone"  # not pending any more (or expired): see its state
NOT_YOURS = "not_yours"  # no such invitation for this account's address


@dataclass
class Result:
    outcome: str
    invitation: Invitation | None = None


def lifetime():
    """How long an invitation is valid, in words ("7 dni")."""
    return duration(current_app.config["INVITATION_MAX_AGE"])


def _hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token():
    return secrets.token_urlsafe(32)


def _expiry(now):
    return now + timedelta(seconds=current_app.config["INVITATION_MAX_AGE"])


def state(invitation, now=None):
    """pending, expired, accepted, declined or revoked."""
    if invitation.status == PENDING and invitation.expires_at <= (now or utcnow()):
        return EXPIRED
    return invitation.status


def _send(invitation, company, inviter, token):
    """The invitation e-mail: company, who invites, the role, the button and the link written out."""
    send_email(
        invitation.email,
        _l("Zaproszenie do firmy %(name)s", name=company.name),
        "invitation",
        company=company,
        inviter=inviter,
        role=invitation.role,
        role_name=members.ROLE_LABELS.get(invitation.role, invitation.role),  # lazy: in the recipient's language
        link=external_url("invitations.show", token=token),
        expires_at=invitation.expires_at,
        lifetime=LazyString(lifetime),
    )


def invite(actor, company_id, email, role):
    """An administrator invites an address into the company with a role; the e-mail goes out.

    Returns SENT, ALREADY_MEMBER (the address is a member's), ALREADY_INVITED (a pending,
    unexpired invitation waits for it: resend that one), NOT_ADMIN or NOT_FOUND. Whether the
    address has an account is not told: the same e-mail goes either way.
    """
    if role not in members.ROLES:
        return Result(members.NOT_FOUND)
    try:
        with write_transaction():
            return _invite(actor, company_id, email, role)
    except IntegrityError:
        # Two administrators inviting one address at the same moment: one invitation.
        return Result(ALREADY_INVITED)


def _invite(actor, company_id, email, role):
    company, refused = members.acting_admin(actor, company_id)
    if refused:
        return Result(refused)
    member = Membership.select().join(User).where((Membership.company == company_id) & (User.email == email))
    if member.exists():
        return Result(ALREADY_MEMBER)
    now = utcnow()
    waiting = Invitation.get_or_none((Invitation.company == company_id) & (Invitation.pending_email == email))
    if waiting is not None:
        if waiting.expires_at > now:
            return Result(ALREADY_INVITED, waiting)
        # Expired: it stays on the list as such, and a new one takes its place.
        Invitation.update(pending_email=None).where(Invitation.id == waiting.id).execute()
    token = _new_token()
    invitation = Invitation.create(
        company=company_id,
        email=email,
        role=role,
        token_hash=_hash(token),
        pending_email=email,
        invited_by=actor.id,
        created_at=now,
        sent_at=now,
        expires_at=_expiry(now),
    )
    _send(invitation, company, actor, token)
    members.record(company, "invited", actor, email, members.role_label(role))
    audit.record("member_invited", actor.id, f"{members.company_label(company)}: {email}, {members.role_label(role)}")
    return Result(SENT, invitation)


def _admin_and_invitation(actor, company_id, invitation_id):
    """Lock the company, check the actor administers it and find the invitation:
    (company, invitation, None), or (None, None, why not)."""
    company, refused = members.acting_admin(actor, company_id)
    if refused:
        return None, None, refused
    invitation = Invitation.get_or_none((Invitation.id == invitation_id) & (Invitation.company == company_id))
    if invitation is None:
        return None, None, members.NOT_FOUND
    return company, invitation, None


def resend(actor, company_id, invitation_id):
    """Send a pending (or expired) invitation again with a new token and a new expiry; the old
    link dies. Returns SENT, GONE (accepted, declined, revoked, or replaced by a newer one),
    NOT_ADMIN or NOT_FOUND."""
    with write_transaction():
        company, invitation, refused = _admin_and_invitation(actor, company_id, invitation_id)
        if refused:
            return Result(refused)
        if invitation.status != PENDING or invitation.pending_email is None:
            return Result(GONE, invitation)
        token = _new_token()
        now = utcnow()
        invitation.token_hash = _hash(token)
        invitation.sent_at = now
        invitation.send_count += 1
        invitation.expires_at = _expiry(now)
        invitation.invited_by = actor.id
        invitation.save()
        _send(invitation, company, actor, token)
        members.record(company, "invitation_resent", actor, invitation.email, members.role_label(invitation.role))
        audit.record("invitation_resent", actor.id, f"{members.company_label(company)}: {invitation.email}")
    return Result(SENT, invitation)


def revoke(actor, company_id, invitation_id):
    """Revoke a pending (or expired) invitation: its link leads to "wycofane". Returns REVOKED,
    GONE, NOT_ADMIN or NOT_FOUND."""
    with write_transaction():
        company, invitation, refused = _admin_and_invitation(actor, company_id, invitation_id)
        if refused:
            return Result(refused)
        closed = (
            Invitation.update(status=REVOKED, decided_at=utcnow(), decided_by=actor.id, pending_email=None)
            .where((Invitation.id == invitation.id) & (Invitation.status == PENDING))
            .execute()
        )
        if not closed:
            return Result(GONE, invitation)
        members.record(company, "invitation_revoked", actor, invitation.email, members.role_label(invitation.role))
        audit.record("invitation_revoked", actor.id, f"{members.company_label(company)}: {invitation.email}")
    return Result(REVOKED, invitation)


# The Użytkownicy page's invitations, on every administrator's visit: its SQL built once.
_of_company = PrebuiltSelect(
    lambda company_id, limit: Invitation.select(Invitation, User)
    .join(User, on=(Invitation.invited_by == User.id), join_type=JOIN.LEFT_OUTER)
    .where(Invitation.company == company_id)
    .order_by(Invitation.id.desc())
    .limit(limit),
    arity=2,
)


def of_company(company_id, limit=100):
    """The company's invitations, newest first, with who sent them."""
    return _of_company(company_id, limit)


def _with_company_and_inviter(query):
    return (
        query.select(Invitation, Company, User)
        .join(Company, on=(Invitation.company == Company.id))
        .switch(Invitation)
        .join(User, on=(Invitation.invited_by == User.id), join_type=JOIN.LEFT_OUTER)
    )


def by_token(token):
    """The invitation a link's token belongs to (with its company and inviter), or None."""
    if not isinstance(token, str) or not 20 <= len(token) <= 100:
        return None
    return _with_company_and_inviter(Invitation.select()).where(Invitation.token_hash == _hash(token)).first()


def for_user(user, invitation_id):
    """An invitation addressed to the user's e-mail address (any state), or None."""
    return (
        _with_company_and_inviter(Invitation.select())
        .where((Invitation.id == invitation_id) & (Invitation.email == user.email))
        .first()
    )


# The dashboard's invitations: on every visit of the panel, so its SQL is built once.
_pending_for = PrebuiltSelect(
    lambda email, now: _with_company_and_inviter(Invitation.select())
    .where((Invitation.pending_email == email) & (Invitation.status == PENDING) & (Invitation.expires_at > now))
    .order_by(Invitation.id),
    arity=2,
)


def pending_for(user):
    """The pending, unexpired invitations addressed to the user's e-mail address."""
    return _pending_for(user.email, utcnow())


def accept(user, invitation_id):
    """The invitee accepts: they become a member with the invitation's role, and the company
    becomes their chosen one. Returns ACCEPTED, GONE (already accepted, declined, revoked or
    expired: see the invitation's state) or NOT_YOURS."""
    try:
        with write_transaction():
            return _answer(user, invitation_id, ACCEPTED)
    except IntegrityError:
        # PostgreSQL: a parallel request made the membership first. Nothing was written here.
        return Result(GONE, Invitation.get_or_none(Invitation.id == invitation_id))


def decline(user, invitation_id):
    """The invitee declines; the link dies. Returns DECLINED, GONE or NOT_YOURS."""
    with write_transaction():
        return _answer(user, invitation_id, DECLINED)


def _answer(user, invitation_id, answer):
    invitation = Invitation.get_or_none((Invitation.id == invitation_id) & (Invitation.email == user.email))
    if invitation is None:
        return Result(NOT_YOURS)
    company = members.lock_company(invitation.company_id)
    now = utcnow()
    taken = (
        Invitation.update(status=answer, decided_at=now, decided_by=user.id, pending_email=None)
        .where((Invitation.id == invitation.id) & (Invitation.status == PENDING) & (Invitation.expires_at > now))
        .execute()
    )
    if taken != 1:
        return Result(GONE, Invitation.get_by_id(invitation.id))
    role = members.role_label(invitation.role)
    if answer == ACCEPTED:
        members.join(user, company, invitation.role)
        User.update(active_company=company.id).where(User.id == user.id).execute()
        members.record(company, "invitation_accepted", user, user.email, role)
        audit.record("invitation_accepted", user.id, f"{members.company_label(company)}: {role}")
    else:
        members.record(company, "invitation_declined", user, user.email, role)
        audit.record("invitation_declined", user.id, members.company_label(company))
    return Result(answer, invitation)
