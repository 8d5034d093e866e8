"""The demo's licences and its staff account (`flask --app wsgi licences demo`, run by `make demo`).

Only in demo mode. Idempotent: a licence whose number exists is left as it is. The staff
account gets a random password kept in instance/demo_staff_password (mode 0600), printed
each time, like the demo's secret key: no account with a known password exists anywhere.
Staff always need two-step sign-in, so the account also gets an authenticator app whose
random secret is kept in instance/demo_staff_totp (0600) and printed with the password: a
newcomer types it into an app, or prints the current code with pyotp (see the README).
"""

import os
import secrets
import tomllib
from datetime import timedelta
from pathlib import Path

from konto import clock
from konto import documents
from konto import factors
from konto import passwords
from konto.db import write_transaction
from konto.licences import history
from konto.licences import numbers
from konto.models import CompanyService
from konto.models import Consent
from konto.models import Edition
from konto.models import Installation
from konto.models import Licence
from konto.models import LicenceExtension
from konto.models import Product
from konto.models import Service
from konto.models import StaffMember
from konto.models import TotpCredential
from konto.models import TrialUse
from konto.models import User

DEMO_FILE = Path(__file__).resolve().parent.parent / "data" / "demo_licences.toml"
STAFF_EMAIL = "obsluga@konto.localhost"


def _days(value):
    return None if value is None else clock.today() + timedelta(days=value)


def _licence(spec):
    number = numbers.parse(spec["number"])
    if Licence.get_or_none(Licence.number == number) is not None:
        return False
    program, _sep, edition_code = spec["program"].partition("/")
    product = Product.get(Product.code == program)
    edition = Edition.get((Edition.product == product) & (Edition.code == edition_code))
    licence = Licence.create(
        number=number,
        tax_id=spec["tax_id"],
        product=product,
        edition=edition,
        stations=spec["stations"],
        status=spec.get("status", "active"),
        reason=spec.get("reason"),
        valid_until=_days(spec.get("valid_days")),
        abonament_until=_days(spec.get("abonament_days")),
        issued_at=clock.now() - timedelta(days=400),
    )
    history.record(licence.tax_id, "issued", None, licence, f"{product.name} {edition.name}", by_staff=True)
    if licence.status in ("suspended", "revoked"):
        history.record(licence.tax_id, licence.status, None, licence, licence.reason, by_staff=True)
    for ext in spec.get("extensions", []):
        extension = Product.get(Product.code == ext["code"])
        trial = ext.get("trial_started_days")
        values = {"licence": licence, "product": extension, "quantity": ext.get("quantity", extension.seats or 1)}
        if trial is not None:
            values["trial_until"] = _days(trial + extension.trial_days - 1)
            TrialUse.create(licence=licence, product=extension, started_at=clock.now() + timedelta(days=trial))
        LicenceExtension.create(**values)
        history.record(
            licence.tax_id,
            "trial_started" if trial is not None else "extension_added",
            None,
            licence,
            extension.name,
            by_staff=trial is None,
        )
    for index, inst in enumerate(spec.get("installations", [])):
        row = Installation.create(
            licence=licence,
            installation_id=f"demo-{number[-6:]}-{index}",
            machine_name=inst["machine"],
            status=inst["status"],
            source="demo",
            decided_at=clock.now() if inst["status"] != "pending" else None,
        )
        history.record(licence.tax_id, "registration_requested", None, licence, row.machine_name)
    return True


def _keep(path, text):
    """Write a secret to a file only its owner reads (0600 from the start, never readable by others)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w", encoding="utf-8") as file:
        file.write(text)


def _staff(instance_path):
    secret = Path(instance_path) / "demo_staff_password"
    user = User.get_or_none(User.email == STAFF_EMAIL)
    if user is None or not secret.exists():
        password = secrets.token_urlsafe(12)
        _keep(secret, password)
        if user is None:
            user = User.create(
                email=STAFF_EMAIL,
                first_name="Ola",
                last_name="z Obsługi",
                password_hash=passwords.hash_password(password),
                activated_at=clock.now(),
            )
            for document in (documents.TERMS, documents.PRIVACY):
                Consent.create(user=user, document=document, version=documents.VERSIONS[document])
        else:
            User.update(password_hash=passwords.hash_password(password)).where(User.id == user.id).execute()
    StaffMember.insert(user=user).on_conflict_ignore().execute()
    return user, secret.read_text().strip()


def _staff_app(user, instance_path):
    """The staff account's authenticator app: the secret in instance/demo_staff_totp, put back
    in the database whenever the account's app is another one (the printed secret always works)."""
    path = Path(instance_path) / "demo_staff_totp"
    secret = path.read_text().strip() if path.exists() else None
    if secret is None:
        secret = factors.new_totp_secret()
        _keep(path, secret)
    credential = TotpCredential.get_or_none(TotpCredential.user == user.id)
    try:
        current = factors.decrypt(credential.secret) if credential is not None else None
    except factors.UnreadableSecret:
        current = None
    if current != secret:
        TotpCredential.delete().where(TotpCredential.user == user.id).execute()
        TotpCredential.create(user=user.id, secret=factors.encrypt(secret), last_step=0)
    if user.two_step_at is None:
        User.update(two_step_at=clock.now()).where(User.id == user.id).execute()
    return secret


def seed(instance_path):
    """Create what is missing; returns (licences created, staff e-mail, staff password, the
    staff's authenticator-app secret)."""
    data = tomllib.loads(DEMO_FILE.read_text(encoding="utf-8"))
    with write_transaction():
        created = sum(1 for spec in data["licence"] if _licence(spec))
        for spec in data.get("service", []):
            for code in spec["on"]:
                service = Service.get(Service.code == code)
                CompanyService.insert(
                    tax_id=spec["tax_id"], service=service, enabled=True, terms_version=service.terms_version
                ).on_conflict_ignore().execute()
        user, password = _staff(instance_path)
        totp_secret = _staff_app(user, instance_path)
    return created, user.email, password, totp_secret
