"""Signed, expiring, single-use links for activation and password reset.

A token carries the user id and a fingerprint of the state it may change (not yet
activated; the current password hash). Once that state changes the fingerprint no longer
matches, so a used link is dead without a table of used tokens.
"""

import hashlib
from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature
from itsdangerous import SignatureExpired
from itsdangerous import URLSafeTimedSerializer

from konto.models import User
from konto.texts import duration

ACTIVATE = "activate"
RESET = "reset"
CHANGE_EMAIL = "change-email"  # sent to the new address; carries it
REVERT_EMAIL = "revert-email"  # "to nie ja", sent to the old address; carries it

_MAX_AGE_SETTING = {
    ACTIVATE: "ACTIVATION_TOKEN_MAX_AGE",
    RESET: "RESET_TOKEN_MAX_AGE",
    CHANGE_EMAIL: "EMAIL_CHANGE_TOKEN_MAX_AGE",
    REVERT_EMAIL: "EMAIL_REVERT_TOKEN_MAX_AGE",
}


@dataclass
class TokenCheck:
    """What a link turned out to be: ok (with its user), expired, used, or invalid."""

    outcome: str
    user: User | None = None
    extra: dict | None = None  # what the link carries besides the user (an e-mail address)


def _serializer(purpose):
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"konto-{purpose}")


def _fingerprint(purpose, user):
    if purpose == ACTIVATE:
        state = f"{user.email}|{user.activated_at}"
    elif purpose in (CHANGE_EMAIL, REVERT_EMAIL):
        state = user.email  # dies once the address changes (either way)
    else:
        state = f"{user.email}|{user.password_hash}"
    return hashlib.sha256(state.encode()).hexdigest()[:16]


def lifetime(purpose):
    """How long a link for this purpose is valid, in words ("48 godzin"), from its setting."""
    return duration(current_app.config[_MAX_AGE_SETTING[purpose]])


def make_token(purpose, user, **extra):
    """A link token for this purpose, valid for the configured time."""
    payload = {"u": user.id, "f": _fingerprint(purpose, user)}
    if extra:
        payload["x"] = extra
    return _serializer(purpose).dumps(payload)


def check_token(purpose, token):
    """Check a token from a link; never raises."""
    if not isinstance(token, str) or len(token) > 500:
        return TokenCheck("invalid")
    max_age = current_app.config[_MAX_AGE_SETTING[purpose]]
    try:
        payload = _serializer(purpose).loads(token, max_age=max_age)
    except SignatureExpired:
        return TokenCheck("expired")
    except BadSignature:
        return TokenCheck("invalid")
    if not isinstance(payload, dict) or not isinstance(payload.get("u"), int):
        return TokenCheck("invalid")
    user = User.get_or_none(User.id == payload["u"])
    if user is None:
        return TokenCheck("invalid")
    extra = payload.get("x")
    if extra is not None and not isinstance(extra, dict):
        return TokenCheck("invalid")
    if payload.get("f") != _fingerprint(purpose, user):
        return TokenCheck("used", user, extra)
    return TokenCheck("ok", user, extra)
