"""Passwords: argon2id hashing and the NIST SP 800-63B policy."""

import re
import secrets
from functools import cache
from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError
from argon2.exceptions import VerificationError
from flask import current_app

from konto.i18n_cache import lazy_gettext as _l

MIN_LENGTH = 12
MAX_LENGTH = 128

_COMMON_PASSWORDS_FILE = Path(__file__).with_name("data") / "common-passwords.txt"


@cache
def _hasher(params):
    return PasswordHasher(**dict(params)) if params else PasswordHasher()


def hasher():
    """argon2id with argon2-cffi's defaults, or cheaper parameters set for tests."""
    params = current_app.config.get("PASSWORD_HASH_PARAMS")
    return _hasher(tuple(sorted(params.items())) if params else None)


def hash_password(password):
    return hasher().hash(password)


# An account's password that no password matches (after "to nie ja", until a new one is set).
_UNUSABLE = "!"


def unusable_hash():
    """A stored password no password matches; unique, so a reset link made before it dies too."""
    return _UNUSABLE + secrets.token_hex(16)


def verify_password(password_hash, password):
    """True when the password matches the hash; never raises for a bad hash.

    An unusable password takes as long to refuse as a wrong one (the dummy hash is checked).
    """
    if not password_hash or password_hash.startswith(_UNUSABLE):
        password_hash = dummy_hash()
        password = None
    try:
        return password is not None and hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash):
    return hasher().check_needs_rehash(password_hash)


def dummy_hash():
    """A hash to verify against when the account does not exist, so timing tells nothing.

    Made with the parameters in force (one per parameter set): verifying uses the parameters
    written in the hash, so a dummy made with other ones would take another time.
    """
    return _dummy_hash(hasher())


@lru_cache(maxsize=8)
def _dummy_hash(password_hasher):
    return password_hasher.hash("konto-dummy-password-for-timing")


# Words of this service that people build passwords from ("Konto2026!", "subiekt-nexo-1").
CONTEXT_WORDS = frozenset(
    {"konto", "kontoinsert", "insert", "subiekt", "rachmistrz", "rewizor", "gratyfikant", "gestor", "nexo",
     "biuro", "haslo", "password", "admin", "polska"}
)


@lru_cache(maxsize=1)
def common_passwords():
    """Passwords too common to allow, lower-cased: the shipped list and zxcvbn's 30,000."""
    # zxcvbn's lists take ~14 MiB: loaded on the first password check, not by every worker.
    from zxcvbn.frequency_lists import FREQUENCY_LISTS  # noqa: PLC0415 - memory, see above

    lines = _COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    shipped = {line.strip().lower() for line in lines if line.strip() and not line.startswith("#")}
    return frozenset(shipped | set(FREQUENCY_LISTS["passwords"]))


def _stem(password):
    """The letters of a password, lower-cased: "Qwerty2024!!" → "qwerty"."""
    return re.sub(r"[\W\d_]+", "", password.lower())


def is_too_common(password):
    """A common password, or a common word or a word of this service padded with digits and signs."""
    lowered = password.strip().lower()
    stem = _stem(password)
    return lowered in common_passwords() or stem in CONTEXT_WORDS or (len(stem) >= 3 and stem in common_passwords())


def policy_errors(password, email=""):
    """What is wrong with a new password, as messages for the user (empty when it is fine)."""
    errors = []
    if len(password) < MIN_LENGTH:
        errors.append(_l("Hasło musi mieć co najmniej %(n)d znaków.", n=MIN_LENGTH))
    elif len(password) > MAX_LENGTH:
        errors.append(_l("Hasło może mieć najwyżej %(n)d znaków.", n=MAX_LENGTH))
    elif is_too_common(password):
        errors.append(_l("To hasło jest na liście najczęściej używanych haseł. Wybierz inne."))
    elif email and password.strip().lower() == email.strip().lower():
        errors.append(_l("Hasło nie może być takie samo jak adres e-mail."))
    return errors


# zxcvbn scores at most 72 characters (it refuses longer ones: it would be slow).
_ZXCVBN_MAX = 72

STRENGTH_LABELS = {
    0: _l("bardzo słabe"),
    1: _l("słabe"),
    2: _l("przeciętne"),
    3: _l("dobre"),
    4: _l("bardzo dobre"),
}


def strength(password, user_inputs=()):
    """A 0-4 score and its label, from zxcvbn (names and e-mail count against it)."""
    if not password:
        return None
    from zxcvbn import zxcvbn  # noqa: PLC0415 - the same ~14 MiB of lists: on first use, as above

    # A longer password is scored by its first 72 characters, which can only underrate it.
    score = zxcvbn(password[:_ZXCVBN_MAX], user_inputs=[i for i in user_inputs if i])["score"]
    return {"score": score, "label": STRENGTH_LABELS[score]}
