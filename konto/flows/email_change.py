"""Changing the account's e-mail address: a link to the new address confirms it, and a "to nie ja"
link to the old one puts it back (and ends every session and the password).

Each request is a row (EmailChange) with its state, and its links are random tokens stored only
as hashes, so each link works once, for good: the confirmation while the request is pending, "to
nie ja" while the change is confirmed. A new request, a password change or reset and a "to nie
ja" end every pending request, so whoever knew the password and kept a confirmation link loses it
when the owner acts.

"To nie ja" protects the address the owner had before a chain of changes: while a change's "to
nie ja" link still works, a further change (X→A, then A→B) is reported to X, not to A, with a link
that puts X back, and X's earlier link keeps working. So someone who knows the password cannot
move the account twice to cut its owner off.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from peewee import IntegrityError

from konto import audit
from konto import passwords
from konto import sessions
from konto.db import write_transaction
from konto.flows import programs
from konto.flows.notices import send_reset_link
from konto.flows.notices import tell_owner
from konto.i18n_cache import lazy_gettext as _l
from konto.links import external_url
from konto.mail import send_email
from konto.models import EmailChange
from konto.models import User
from konto.models import utcnow

PENDING = "pending"
CONFIRMED = "confirmed"
REVERTED = "reverted"
CANCELLED = "cancelled"

# Which link (the view's argument to `find`).
CONFIRM = "confirm"
REVERT = "revert"

# How confirm() and revert() ended.
DONE = "done"
USED = "used"  # the link's request is not in the state the link is for any more
TAKEN = "taken"  # the address belongs to another account


@dataclass
class Link:
    """What a link turned out to be: ok (with its request), expired, used, or invalid."""

    outcome: str
    change: EmailChange | None = None


def _hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token():
    token = secrets.token_urlsafe(32)
    return token, _hash(token)


def _max_age(kind):
    setting = "EMAIL_CHANGE_TOKEN_MAX_AGE" if kind == CONFIRM else "EMAIL_REVERT_TOKEN_MAX_AGE"
    return timedelta(seconds=current_app.config[setting])


def request_change(user, new_email):
    """Send the new address a link that confirms it; any earlier pending request ends.

    An address that has an account gets a notice instead (no link): the request is stored and
    recorded the same either way, so nothing the user sees (the answer, "Aktywność konta", the
    export) or waits for tells whether the address has an account.
    """
    token, token_hash = _new_token()
    owner = User.get_or_none(User.email == new_email)
    with write_transaction():
        cancel_pending(user)
        EmailChange.create(user=user.id, new_email=new_email, old_email=user.email, confirm_hash=token_hash)
        if owner is None:
            link = external_url("account.confirm_email", token=token)
            send_email(new_email, _l("Potwierdź nowy adres e-mail"), "email_change_confirm", user=user, link=link)
        else:
            tell_owner(owner, _l("Ktoś chciał użyć Twojego adresu w innym Koncie"), "email_change_taken",
                       login_link=external_url("auth.login"))
        audit.record("email_change_requested", user.id)


def cancel_pending(user):
    """End the user's pending requests (their confirmation links stop working)."""
    EmailChange.update(status=CANCELLED, ended_at=utcnow()).where(
        (EmailChange.user == user.id) & (EmailChange.status == PENDING)
    ).execute()


def find(kind, token):
    """The request a link is for, if the link still works; never raises."""
    if not isinstance(token, str) or not 20 <= len(token) <= 100:
        return Link("invalid")
    column = EmailChange.confirm_hash if kind == CONFIRM else EmailChange.revert_hash
    change = EmailChange.get_or_none(column == _hash(token))
    if change is None:
        return Link("invalid")
    if change.status != (PENDING if kind == CONFIRM else CONFIRMED):
        return Link("used", change)
    since = change.created_at if kind == CONFIRM else change.confirmed_at
    if utcnow() - since > _max_age(kind):
        return Link("expired", change)
    return Link("ok", change)


def _live_chain(user_id, now):
    """The user's confirmed changes whose "to nie ja" links still work, newest first."""
    return (
        EmailChange.select()
        .where(
            (EmailChange.user == user_id)
            & (EmailChange.status == CONFIRMED)
            & (EmailChange.confirmed_at > now - _max_age(REVERT))
        )
        .order_by(EmailChange.confirmed_at.desc(), EmailChange.id.desc())
    )


def confirm(change):
    """The new address confirmed: it becomes the account's, and the address before the chain of
    changes is told, with a "to nie ja" link. DONE, USED (confirmed or ended meanwhile) or TAKEN."""
    token, token_hash = _new_token()
    try:
        with write_transaction():
            return _confirm(change, token, token_hash)
    except IntegrityError:
        return TAKEN  # the address got an account meanwhile (a race the unique index decided)


def _confirm(change, token, token_hash):
    now = utcnow()
    user = User.get_or_none(User.id == change.user_id)
    if user is None or EmailChange.get_by_id(change.id).status != PENDING:
        return USED
    if User.select().where(User.email == change.new_email).exists():
        return TAKEN
    chain = _live_chain(user.id, now).first()
    restore = chain.restore_email if chain is not None else user.email
    claimed = (
        EmailChange.update(status=CONFIRMED, confirmed_at=now, restore_email=restore, revert_hash=token_hash)
        .where((EmailChange.id == change.id) & (EmailChange.status == PENDING))
        .execute()
    )
    if not claimed:
        return USED
    User.update(email=change.new_email).where(User.id == user.id).execute()
    send_email(restore, _l("Adres e-mail Konta został zmieniony"), "email_changed", user=user,
               new_email=change.new_email, link=external_url("account.revert_email", token=token))
    audit.record("email_changed", user.id)
    return DONE


def revert(change):
    """"To nie ja": the address before the chain of changes comes back; every session ends, the
    password stops working (whoever changed the address knew it) and a link to set a new one goes
    to the address. DONE, USED, or TAKEN (an activated account has the address now)."""
    try:
        with write_transaction():
            return _revert(change)
    except IntegrityError:
        return TAKEN


def _revert(change):
    now = utcnow()
    current = EmailChange.get_or_none(EmailChange.id == change.id)
    if current is None or current.status != CONFIRMED:
        return USED
    user = User.get_by_id(current.user_id)
    address = current.restore_email
    holder = User.get_or_none((User.email == address) & (User.id != user.id))
    if holder is not None:
        if holder.is_activated:
            return TAKEN
        # Registered on the freed address but never activated: it never proved it owns the
        # mailbox, which the owner asking for it back just did.
        User.delete().where(User.id == holder.id).execute()
    EmailChange.update(status=REVERTED, ended_at=now).where(
        (EmailChange.user == user.id) & (EmailChange.status == CONFIRMED)
    ).execute()
    cancel_pending(user)
    user.email = address
    user.password_hash = passwords.unusable_hash()
    User.update(email=user.email, password_hash=user.password_hash).where(User.id == user.id).execute()
    sessions.end_all_sessions(user)
    programs.end_connections(user, "email_reverted")  # a lost account, like a reset: programs too
    audit.record("email_change_reverted", user.id)
    send_reset_link(user)
    return DONE
