"""Logging in and out, and telling an address's owner when logging in to it is locked."""

from dataclasses import dataclass

from konto import audit
from konto import passwords
from konto import sessions
from konto.flows.notices import tell_owner
from konto.i18n_cache import lazy_gettext as _l
from konto.models import User

# How a log-in ended (LoginResult.outcome).
LOGGED_IN = "logged_in"
WRONG = "wrong"  # no such account, or the wrong password: the same answer
INACTIVE = "inactive"  # the right password, the account not activated yet
SECOND_STEP = "second_step"  # the right password; two-step sign-in is on: a half-session waits for the code


@dataclass
class LoginResult:
    outcome: str  # LOGGED_IN | WRONG | INACTIVE | SECOND_STEP
    user: User | None = None


def log_in(email, password, remember=False):
    """Check the password and start a session for this browser (a fresh session key), or,
    when the account has two-step sign-in on, a half-session that waits for the second step.

    Takes as long whether or not the address has an account (a dummy hash stands in); a wrong
    password for an account is recorded; a hash made with older parameters is upgraded.
    """
    user = User.get_or_none(User.email == email)
    password_ok = passwords.verify_password(user.password_hash if user else passwords.dummy_hash(), password)
    if user is None or not password_ok:
        if user is not None:
            audit.record("login_failed", user)
        return LoginResult(WRONG)
    if not user.is_activated:
        return LoginResult(INACTIVE, user)
    if passwords.needs_rehash(user.password_hash):
        User.update(password_hash=passwords.hash_password(password)).where(User.id == user.id).execute()
    if user.two_step_at is not None:
        sessions.start_half_session(user, remember=remember)
        return LoginResult(SECOND_STEP, user)
    sessions.start_session(user, remember=remember)
    audit.record("login", user)
    return LoginResult(LOGGED_IN, user)


def log_out(user):
    """End this browser's session on the server, so a copied cookie stops working too."""
    if user.is_authenticated:  # a logged-out browser may post the form too
        audit.record("logout", user.id)
    sessions.end_session()


def tell_owner_of_lockout(email, minutes, ip):
    """Logging in to this address has just been locked for `minutes`: its owner, if it has one, is told."""
    user = User.get_or_none(User.email == email) if email else None
    if user is None:
        return
    tell_owner(user, _l("Logowanie do Twojego Konta zostało czasowo zablokowane"), "lockout", minutes=minutes, ip=ip)
    audit.record("lockout", user)


def tell_owner_of_second_step_lockout(user_id, minutes, ip):
    """Many wrong codes after the right password: the second step is locked for `minutes`, and the
    owner is told that someone may know the password."""
    user = User.get_or_none(User.id == user_id)
    if user is None:
        return
    tell_owner(user, _l("Ktoś mógł poznać hasło do Twojego Konta"), "second_step_lockout", minutes=minutes, ip=ip)
    audit.record("second_step_lockout", user)
