"""The password: confirming it again, changing it, a forgotten one reset by an e-mail link."""

from flask_babel import gettext as _

from konto import audit
from konto import passwords
from konto import sessions
from konto.db import database
from konto.db import write_transaction
from konto.flows import programs
from konto.flows.email_change import cancel_pending as cancel_pending_email_changes
from konto.flows.notices import send_reset_link
from konto.flows.notices import tell_owner
from konto.flows.signup import send_activation
from konto.i18n_cache import lazy_gettext as _l
from konto.models import User


def confirm(user, password):
    """The user typed their password again (re-authentication); a wrong one is recorded."""
    if passwords.verify_password(user.password_hash, password):
        return True
    audit.record("login_failed", user.id, _("potwierdzenie hasła"))
    return False


def change(user, password, keep_session=None):
    """Set a new password; every other session (all but `keep_session`) and every pending e-mail
    change ends (its link may be in the hands of whoever knew the old password); the owner is told."""
    # Hashed outside the transaction: it is slow on purpose and must not hold the write lock.
    new_hash = passwords.hash_password(password)
    with write_transaction():
        User.update(password_hash=new_hash).where(User.id == user.id).execute()
        sessions.end_all_sessions(user, keep=keep_session)
        cancel_pending_email_changes(user)
        audit.record("password_changed", user.id)
        _tell_changed(user)
    user.password_hash = new_hash


def _tell_changed(user):
    tell_owner(user, _l("Hasło do Konta zostało zmienione"), "password_changed")


def request_reset(email):
    """A reset link for an activated account; one not activated yet gets its activation link
    again; an unknown address nothing (the caller's answer is the same)."""
    user = User.get_or_none(User.email == email)
    with database.atomic():
        if user is not None and user.is_activated:
            send_reset_link(user)
        elif user is not None:
            send_activation(user)


def reset(user, password):
    """Set a new password from a reset link, only while the password is still the one the link
    was made for (so the link works once); every session, every connected program and every
    pending e-mail change ends, and the owner is told.

    False when the password changed since (the link was used).
    """
    new_hash = passwords.hash_password(password)
    with write_transaction():
        changed = (
            User.update(password_hash=new_hash)
            .where((User.id == user.id) & (User.password_hash == user.password_hash))
            .execute()
        )
        if changed:
            sessions.end_all_sessions(user)
            programs.end_connections(user, "password_reset")  # "I lost control": programs too
            cancel_pending_email_changes(user)
            audit.record("password_reset", user.id)
            _tell_changed(user)
    if changed:
        user.password_hash = new_hash
    return bool(changed)
