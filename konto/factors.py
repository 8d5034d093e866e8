"""The second factors' primitives, with no database and no request: authenticator-app (TOTP)
secrets and codes, their QR code, recovery codes, and the WebAuthn relying party.

TOTP follows RFC 6238 with pyotp: SHA-1, 6 digits, 30-second steps, one step of clock drift
either way. A secret is 160 random bits (RFC 4226's recommendation), encrypted at rest with
Fernet under KONTO_TWO_STEP_KEY (several keys separated by commas: the first encrypts, every
one decrypts, so a key can be rotated). A code is accepted for one time step only: the caller
stores the step `matching_step` returns and refuses it and every older one (see
konto.flows.twostep).

Recovery codes are 16 characters of Crockford's base32 (80 random bits), shown once and kept
as a salted SHA-256 (ASVS 2.6.2); checking one compares it with every unused code of the
account, in constant time, without stopping at the first match.
"""

import hashlib
import hmac
import secrets
import time
from urllib.parse import urlsplit

import pyotp
from cryptography.fernet import Fernet
from cryptography.fernet import InvalidToken
from cryptography.fernet import MultiFernet
from flask import current_app
from flask import request
from flask_babel import gettext as _

ISSUER = "Konto"
TOTP_DIGITS = 6
TOTP_INTERVAL = 30
DRIFT_STEPS = 1

RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford's base32: no i, l, o, u
_RECOVERY_LENGTH = 16  # 16 × 5 = 80 bits
# What a person may type for a look-alike character.
_CROCKFORD_SUBSTITUTES = str.maketrans({"i": "1", "l": "1", "o": "0", "u": "v"})


class UnreadableSecret(Exception):
    """A stored secret that no configured key decrypts (the key was changed without rotating)."""


# -- TOTP -----------------------------------------------------------------------------------


def new_totp_secret():
    """A fresh secret: 32 base32 characters, 160 bits."""
    return pyotp.random_base32()


def _fernet():
    return MultiFernet([Fernet(key) for key in current_app.config["KONTO_TWO_STEP_KEY"]])


def encrypt(secret):
    return _fernet().encrypt(secret.encode()).decode()


def decrypt(token):
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise UnreadableSecret() from None


def rotate(token):
    """The same secret encrypted with the first (newest) key; None when it already is."""
    try:
        Fernet(current_app.config["KONTO_TWO_STEP_KEY"][0]).decrypt(token.encode())
        return None
    except InvalidToken:
        pass
    try:
        return _fernet().rotate(token.encode()).decode()
    except InvalidToken:
        raise UnreadableSecret() from None


def grouped(secret):
    """The secret in groups of four, for typing it into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def provisioning_uri(secret, account_name):
    """The otpauth:// URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_INTERVAL).provisioning_uri(
        name=account_name, issuer_name=ISSUER
    )


def qr_svg_data_uri(text):
    """A QR code of `text` as an SVG data: URI (the CSP allows data: images; no inline style).
    segno is imported here, on first use: only the authenticator app's set-up page draws one."""
    import segno  # noqa: PLC0415 - start-up time, see the docstring

    return segno.make(text, error="m").svg_data_uri(scale=5, border=4, dark="#000", light="#fff")


def normalize_totp_code(text):
    """Digits only (spaces and hyphens people type dropped); None unless exactly six."""
    digits = "".join(ch for ch in (text or "")[:40] if ch not in " -\u00a0")
    return digits if len(digits) == TOTP_DIGITS and digits.isascii() and digits.isdigit() else None


def _now():
    """The clock TOTP reads (a function, so tests can move it)."""
    return time.time()


def current_step(now=None):
    return int((_now() if now is None else now) // TOTP_INTERVAL)


def matching_step(secret, code, now=None):
    """The time step (now, or one either side) whose code this is, else None; each candidate
    is compared in constant time and all three are compared."""
    code = normalize_totp_code(code)
    if code is None:
        return None
    totp = pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_INTERVAL)
    here = current_step(now)
    found = None
    for step in range(here - DRIFT_STEPS, here + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code) and found is None:
            found = step
    return found


def code_at(secret, step):
    """The code of a time step (for tests and the demo's own checks)."""
    return pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_INTERVAL).generate_otp(step)


# -- recovery codes ---------------------------------------------------------------------------


def new_recovery_codes():
    """RECOVERY_CODE_COUNT fresh codes, written "xxxx-xxxx-xxxx-xxxx"."""
    codes = []
    for _index in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _position in range(_RECOVERY_LENGTH))
        codes.append("-".join(raw[i : i + 4] for i in range(0, _RECOVERY_LENGTH, 4)))
    return codes


def normalize_recovery_code(text):
    """The 16 characters of a typed recovery code (case, spaces and hyphens ignored, look-alike
    letters read as Crockford's base32 does); None when it cannot be one."""
    raw = "".join(ch for ch in (text or "")[:80].lower() if ch not in " -\u00a0").translate(_CROCKFORD_SUBSTITUTES)
    if len(raw) != _RECOVERY_LENGTH or any(ch not in _RECOVERY_ALPHABET for ch in raw):
        return None
    return raw


def looks_like_recovery_code(text):
    return normalize_recovery_code(text) is not None


def hash_recovery_code(code, salt=None):
    """(salt, hash) of a code; the salt is 128 random bits unless given."""
    salt = salt or secrets.token_hex(16)
    raw = normalize_recovery_code(code) or ""
    return salt, hashlib.sha256(f"{salt}:{raw}".encode()).hexdigest()


def matching_recovery_code(rows, text):
    """The row (with .salt and .code_hash) this typed code belongs to, else None; every row is
    hashed and compared in constant time, whether or not an earlier one matched."""
    raw = normalize_recovery_code(text)
    found = None
    for row in rows:
        _salt, digest = hash_recovery_code(raw or "x" * _RECOVERY_LENGTH, row.salt)
        if hmac.compare_digest(digest, row.code_hash) and raw is not None and found is None:
            found = row
    return found


def recovery_codes_text(codes, email):
    """The downloadable file of recovery codes."""
    lines = [
        _("Konto – kody zapasowe dla %(email)s", email=email),
        "",
        _("Każdy kod działa jeden raz, gdy nie masz przy sobie aplikacji uwierzytelniającej ani klucza dostępu."),
        _("Wygenerowanie nowych kodów unieważnia te."),
        "",
        *codes,
        "",
    ]
    return "\n".join(lines)


# -- WebAuthn (passkeys) -------------------------------------------------------------------


def relying_party():
    """(rp_id, origin): from KONTO_BASE_URL when it is set (production), else from the request."""
    base = current_app.config.get("KONTO_BASE_URL") or request.host_url
    parts = urlsplit(base)
    return parts.hostname, f"{parts.scheme}://{parts.netloc}"
