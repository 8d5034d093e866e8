"""Signed, expiring, single-use links for activation and password reset.

A token carries the user id and a fingerprint of the state it may change (not yet
activated; the current password hash). Once that state changes the fingerprint no longer
matches, so a used link is dead without a table of used tokens.

The e-mail change links (confirm, "to nie ja") are stored requests instead
(`konto.flows.email_change`); their lifetimes are named here too, for the texts.
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
CHANGE_EMAIL = "change-email"  # sent to the new address (lifetime only: see konto.flows.email_change)
REVERT_EMAIL = "revert-email"  # "to nie ja", sent to the old address (lifetime only)

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


def _serializer(purpose):
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"konto-{purpose}")


def _fingerprint(purpose, user):
    if purpose == ACTIVATE:
        state = f"{user.email}|{user.activated_at}"
    else:
        state = f"{user.email}|{user.password_hash}"
    return hashlib.sha256(state.encode()).hexdigest()[:16]


def lifetime(purpose):
    """How long a link for this purpose is valid, in words ("48 godzin"), from its setting."""
    return duration(current_app.config[_MAX_AGE_SETTING[purpose]])


def make_token(purpose, user):
    """A link token for this purpose, valid for the configured time."""
    return _serializer(purpose).dumps({"u": user.id, "f": _fingerprint(purpose, user)})


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
    if payload.get("f") != _fingerprint(purpose, user):
        return TokenCheck("used", user)
    return TokenCheck("ok", user)
