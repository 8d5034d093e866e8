"""Licence files: an accepted registration, signed with Ed25519, that a program checks offline.

The file is JSON:

    {"format": "konto-licence/1", "key_id": "…", "payload": "<base64url JSON>", "signature": "<base64url>"}

The signature is Ed25519 over the ASCII bytes of `payload` exactly as sent (no re-serialising,
so nothing depends on how JSON is written). The payload says who issued it (`iss`), the
licence, the company, the installation, `issued_at` and `expires_at` (LICENCE_FILE_LIFETIME
after issuing, never past the licence's own end): a program trusts a file only until then, and
asks for a fresh one while it is online, so a suspended or revoked licence stops working
offline within that time (like a TLS certificate's lifetime).

There is no algorithm field to choose from: a verifier knows it is Ed25519 and checks the key
id against the public key it carries (served at /api/v1/licence-files/key).

The private key is LICENCE_SIGNING_KEY (base64url of the 32-byte Ed25519 seed; the app refuses
to start without one unless in demo mode, where one is made and kept in
instance/licence_signing_key). `python -m konto.licence_files` prints a new one.
"""

import base64
import hashlib
import json
import secrets
from datetime import UTC
from datetime import datetime
from datetime import time
from datetime import timedelta
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import current_app

from konto import clock

FORMAT = "konto-licence/1"
ALGORITHM = "Ed25519"


def _b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def parse_private_key(text):
    """An Ed25519 private key from base64url of its 32-byte seed; ValueError otherwise."""
    try:
        seed = _unb64(text.strip())
    except (ValueError, TypeError):
        raise ValueError("is not base64url") from None
    if len(seed) != 32:
        raise ValueError("is not a 32-byte Ed25519 key in base64url (python -m konto.licence_files makes one)")
    return Ed25519PrivateKey.from_private_bytes(seed)


def new_private_key_text():
    return _b64(secrets.token_bytes(32))


def demo_key_text(instance_path):
    """The demo's key, made once and kept under instance/ (licence files survive restarts)."""
    path = Path(instance_path) / "licence_signing_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(new_private_key_text())
        path.chmod(0o600)
    return path.read_text().strip()


def _raw_public(private_key):
    return private_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(private_key):
    return hashlib.sha256(_raw_public(private_key)).hexdigest()[:16]


def init_app(app):
    app.extensions["konto_signing_key"] = parse_private_key(app.config["LICENCE_SIGNING_KEY"])


def _key():
    return current_app.extensions["konto_signing_key"]


def public_key():
    """What a program needs to check licence files: the public key and its id."""
    private_key = _key()
    pem = private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return {
        "algorithm": ALGORITHM,
        "key_id": key_id(private_key),
        "public_key": _b64(_raw_public(private_key)),
        "public_key_pem": pem.decode("ascii"),
    }


def _utc(moment):
    return moment.replace(microsecond=0).isoformat() + "Z"


def expiry(licence, now):
    """LICENCE_FILE_LIFETIME from now, but never after the licence's last valid day."""
    until = now + timedelta(seconds=current_app.config["LICENCE_FILE_LIFETIME"])
    if licence.valid_until is not None:
        until = min(until, _warsaw_midnight_utc(licence.valid_until))
    return until


def _warsaw_midnight_utc(day):
    """The end of a Polish calendar day, as naive UTC."""
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=clock.WARSAW)
    return end.astimezone(UTC).replace(tzinfo=None)


def licence_file(issuer, licence, installation, company_name, stations):
    """The signed file for an active installation (the caller checked it is active)."""
    now = clock.now()
    payload = {
        "iss": issuer,
        "licence": {
            "number": licence.number,
            "product": licence.product.code,
            "product_name": licence.product.name,
            "edition": licence.edition.code,
            "edition_name": licence.edition.name,
            "stations": stations,
            "valid_until": licence.valid_until.isoformat() if licence.valid_until else None,
            "abonament_until": licence.abonament_until.isoformat() if licence.abonament_until else None,
        },
        "company": {"tax_id": licence.tax_id, "name": company_name},
        "installation": {
            "registration_id": installation.id,
            "installation_id": installation.installation_id,
            "machine_name": installation.machine_name,
        },
        "issued_at": _utc(now),
        "expires_at": _utc(expiry(licence, now)),
    }
    encoded = _b64(json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode())
    private_key = _key()
    return {
        "format": FORMAT,
        "key_id": key_id(private_key),
        "payload": encoded,
        "signature": _b64(private_key.sign(encoded.encode("ascii"))),
    }


if __name__ == "__main__":
    text = new_private_key_text()
    print(f"LICENCE_SIGNING_KEY={text}")
    print(f"# key id {key_id(parse_private_key(text))}: keep the key secret; programs get the public key from the app")
