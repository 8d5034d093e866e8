"""The password: confirming it again, changing it, and the e-mails that go with it."""

from flask_babel import gettext as _

from konto import audit
from konto import passwords
from konto import sessions
from konto import tokens
from konto.db import write_transaction
from konto.links import external_url
from konto.mail import send_email
from konto.models import User


def confirm(user, password):
    """The user typed their password again (re-authentication); a wrong one is recorded."""
    if passwords.verify_password(user.password_hash, password):
        return True
    audit.record("login_failed", user.id, _("potwierdzenie hasła"))
    return False


def change(user, password, keep_session=None):
    """Set a new password; every other session (all but `keep_session`) ends, the owner is told."""
    # Hashed outside the transaction: it is slow on purpose and must not hold the write lock.
    new_hash = passwords.hash_password(password)
    with write_transaction():
        User.update(password_hash=new_hash).where(User.id == user.id).execute()
        sessions.end_all_sessions(user, keep=keep_session)
        audit.record("password_changed", user.id)
        tell_changed(user)
    user.password_hash = new_hash


def tell_changed(user):
    """The e-mail after a change of the password, with a way to reset it if it was not the owner."""
    send_email(
        user.email,
        _("Hasło do Konta zostało zmienione"),
        "password_changed",
        user=user,
        reset_link=external_url("auth.forgot_password"),
    )


def send_reset_link(user):
    """The e-mail with a link to set a new password (valid RESET_TOKEN_MAX_AGE, used once)."""
    link = external_url("auth.reset_password", token=tokens.make_token(tokens.RESET, user))
    send_email(user.email, _("Ustaw nowe hasło"), "reset", user=user, link=link)

