"""Odzyskaj uprawnienia administratora: a claim with a licence number and a signed statement.

Filing: a logged-in person who is not an administrator of the company gives a licence number
of that company (proof of possession) and uploads the signed statement as a PDF. The file is
checked by its content (a PDF header and end marker, not the name), limited in size, stored
under a random name outside `static/` and served only to staff. The company's administrators
are told by e-mail and have CLAIM_OBJECTION_HOURS (72) hours to object. Staff approve (when
the time is up and nobody objected, or at once when the company has no administrator) or
reject; approval makes the claimant an administrator. Every decision ends with e-mails.
CLAIM_FILE_RETENTION days after the decision the statement's file is deleted (`purge_files`, run
by `flask --app wsgi accounts purge`); the claim stays, dated `file_deleted_at`.
"""

import hashlib
import os
import re
import secrets
import time
from datetime import timedelta
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from peewee import IntegrityError

from konto import audit
from konto import clock
from konto import i18n
from konto import permissions
from konto.db import database
from konto.db import write_transaction
from konto.flows import Refused
from konto.flows import members
from konto.flows.licences import clean_reason
from konto.i18n_cache import lazy_gettext as _l
from konto.licences import history
from konto.licences import numbers
from konto.links import external_url
from konto.mail import send_email
from konto.models import AdminClaim
from konto.models import Licence
from konto.models import User

STORED_NAME = re.compile(r"^[A-Za-z0-9_-]{20,60}\.pdf$")
_BAD_NAME = re.compile(r"[\x00-\x1f\x7f/\\]|\.\.")
_CHUNK = 64 * 1024


def upload_dir():
    folder = Path(current_app.config["UPLOAD_DIR"] or Path(current_app.instance_path) / "uploads") / "claims"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def stored_path(stored_name):
    """The file of a claim; the name is ours (random), checked again before it touches a path."""
    if not STORED_NAME.match(stored_name or ""):
        raise ValueError("not a stored claim file name")
    return upload_dir() / stored_name


def check_file_name(name):
    """The uploaded file's name: shown to staff, never used as a path; odd names are refused."""
    if not name or not name.strip():
        raise Refused("FILE_REQUIRED", _("Dołącz podpisane oświadczenie (plik PDF)."))
    if len(name) > 200 or _BAD_NAME.search(name) or not name.lower().endswith(".pdf"):
        raise Refused(
            "BAD_FILE_NAME",
            _(
                "Nazwa pliku jest nieprawidłowa. Zapisz oświadczenie jako zwykły plik .pdf "
                "(np. oswiadczenie.pdf) i wybierz go jeszcze raz."
            ),
        )
    return name.strip()


def _is_pdf(head, tail):
    """A PDF by its content: the %PDF- header in the first 1024 bytes and %%EOF near the end
    (what PDF readers themselves require; ISO 32000 §7.5.2, §7.5.5)."""
    return b"%PDF-" in head[:1024] and b"%%EOF" in tail[-1024:]


def _store(stream):
    """Write the upload under a random name (size-limited, hashed); (name, size, sha256), or Refused."""
    limit = current_app.config["CLAIM_UPLOAD_MAX"]
    stored_name = secrets.token_urlsafe(24) + ".pdf"
    path = stored_path(stored_name)
    digest = hashlib.sha256()
    size = 0
    head = b""
    tail = b""
    try:
        with open(path, "xb") as handle:
            os.chmod(path, 0o600)
            while True:
                chunk = stream.read(_CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > limit:
                    raise Refused(
                        "FILE_TOO_LARGE", _("Plik jest za duży: najwyżej %(mb)s MB.", mb=_megabytes(limit)), status=413
                    )
                if len(head) < 1024:
                    head += chunk[: 1024 - len(head)]
                tail = (tail + chunk)[-1024:]
                digest.update(chunk)
                handle.write(chunk)
        if size == 0:
            raise Refused("FILE_REQUIRED", _("Plik jest pusty. Dołącz podpisane oświadczenie (plik PDF)."))
        if not _is_pdf(head, tail):
            raise Refused("NOT_PDF", _("To nie jest plik PDF. Zeskanuj albo zapisz podpisane oświadczenie jako PDF."))
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return stored_name, size, digest.hexdigest()


def _megabytes(limit):
    return f"{limit / (1024 * 1024):.0f}" if limit >= 1024 * 1024 else f"{limit / (1024 * 1024):.2f}"


def file_claim(user, company, number, stream, file_name):
    """File a claim; returns it. The file is kept only when the claim is stored."""
    if permissions.is_admin(permissions.membership(user, company.id)):
        raise Refused("ALREADY_ADMIN", _("Jesteś już administratorem tej firmy."), status=409)
    try:
        number = numbers.parse(number)
    except numbers.InvalidNumber as error:
        raise Refused("INVALID_NUMBER", str(error)) from None
    licence = Licence.get_or_none(
        (Licence.number == number) & (Licence.tax_id == company.tax_id) & (Licence.status != "revoked")
    )
    if licence is None:
        raise Refused(
            "LICENCE_NOT_FOUND", _("Ten numer nie jest numerem licencji tej firmy. Sprawdź go na dokumencie zakupu.")
        )
    file_name = check_file_name(file_name)
    stored_name, size, sha256 = _store(stream)
    try:
        with write_transaction():
            now = clock.now()
            admins = history.admins_of(company)
            claim = AdminClaim.create(
                company=company,
                claimant=user.id,
                licence=licence,
                stored_name=stored_name,
                original_name=file_name,
                size=size,
                sha256=sha256,
                created_at=now,
                admins_told=len(admins),
                object_until=now + timedelta(hours=current_app.config["CLAIM_OBJECTION_HOURS"]),
            )
            history.record(company.tax_id, "claim_filed", user, None, user.full_name)
            audit.record("claim_filed", user, company.tax_id)
            for admin in admins:
                send_email(
                    admin.email,
                    _l("Wniosek o uprawnienia administratora firmy %(name)s", name=company.name),
                    "claim_filed",
                    user=admin,
                    claimant=user,
                    company=company,
                    claim=claim,
                    hours=current_app.config["CLAIM_OBJECTION_HOURS"],
                    link=external_url("licences.claims", company_id=company.id),
                )
            send_email(
                user.email,
                _l("Przyjęliśmy Twój wniosek o uprawnienia administratora"),
                "claim_received",
                user=user,
                company=company,
                admins=len(admins),
                hours=current_app.config["CLAIM_OBJECTION_HOURS"],
            )
    except IntegrityError:
        stored_path(stored_name).unlink(missing_ok=True)
        raise Refused("CLAIM_PENDING", _("Twój wniosek dla tej firmy już czeka na rozpatrzenie."), status=409) from None
    except BaseException:
        stored_path(stored_name).unlink(missing_ok=True)
        raise
    return claim


def object_to_claim(user, company, claim_id):
    """An administrator objects within the time to object; staff then see the objection."""
    member = permissions.membership(user, company.id)
    if member is None:
        raise Refused("NOT_FOUND", _("Nie ma takiej firmy."), status=404)
    if not permissions.can(member, permissions.MANAGE):
        raise Refused("FORBIDDEN", _("Sprzeciw może zgłosić administrator firmy."), status=403)
    with write_transaction():
        claim = AdminClaim.get_or_none((AdminClaim.id == claim_id) & (AdminClaim.company == company.id))
        if claim is None:
            raise Refused("NOT_FOUND", _("Nie ma takiego wniosku."), status=404)
        if claim.status != "pending":
            raise Refused("ALREADY_DECIDED", _("Ten wniosek został już rozpatrzony."), status=409)
        if clock.now() > claim.object_until:
            raise Refused("TOO_LATE", _("Czas na sprzeciw minął."), status=409)
        changed = (
            AdminClaim.update(objected_at=clock.now(), objected_by=user.id)
            .where((AdminClaim.id == claim.id) & AdminClaim.objected_at.is_null() & (AdminClaim.status == "pending"))
            .execute()
        )
        if changed:
            history.record(company.tax_id, "claim_objected", user, None, user.full_name)
            audit.record("claim_objected", user, company.tax_id)
    return claim


def can_approve(claim, now=None):
    """(True, None) or (False, why): not before the time to object is over, never after an objection."""
    now = now or clock.now()
    if claim.objected_at is not None:
        return False, _("Administrator firmy zgłosił sprzeciw: wniosek można tylko odrzucić.")
    if claim.admins_told and now < claim.object_until:
        return False, _("Administratorzy mają czas na sprzeciw do %(at)s.", at=i18n.datetime_text(claim.object_until))
    return True, None


def decide_claim(staff, claim_id, approve, reason=""):
    """Approve (the claimant becomes an administrator) or reject a claim: one decision."""
    reason = clean_reason(reason, required=not approve)
    with write_transaction():
        claim = AdminClaim.get_or_none(AdminClaim.id == claim_id)
        if claim is None:
            raise Refused("NOT_FOUND", _("Nie ma takiego wniosku."), status=404)
        if claim.status != "pending":
            raise Refused("ALREADY_DECIDED", _("Ten wniosek został już rozpatrzony."), status=409)
        if approve:
            ok, why = can_approve(claim)
            if not ok:
                raise Refused("NOT_YET", why, status=409)
        decided = (
            AdminClaim.update(
                status="approved" if approve else "rejected",
                decided_at=clock.now(),
                decided_by=staff.id,
                reason=reason,
            )
            .where((AdminClaim.id == claim.id) & (AdminClaim.status == "pending"))
            .execute()
        )
        if not decided:
            raise Refused("ALREADY_DECIDED", _("Ten wniosek został już rozpatrzony."), status=409)
        company = claim.company
        claimant = User.get_by_id(claim.claimant_id)
        admins = history.admins_of(company)
        if approve:
            members.grant_admin_by_claim(claimant, company)
        history.record(
            company.tax_id,
            "claim_approved" if approve else "claim_rejected",
            staff,
            None,
            reason or claimant.full_name,
            by_staff=True,
        )
        audit.record("claim_approved" if approve else "claim_rejected", staff, f"{company.tax_id}: {claimant.email}")
        link = external_url("companies.show", company_id=company.id)
        send_email(
            claimant.email,
            _l("Wniosek o uprawnienia administratora: przyjęty")
            if approve
            else _l("Wniosek o uprawnienia administratora: odrzucony"),
            "claim_decided",
            user=claimant,
            company=company,
            approved=approve,
            reason=reason,
            link=link,
        )
        if approve:
            for admin in admins:
                send_email(
                    admin.email,
                    _l("Nowy administrator firmy %(name)s", name=company.name),
                    "claim_approved_admins",
                    user=admin,
                    claimant=claimant,
                    company=company,
                    link=link,
                )
    return AdminClaim.get_by_id(claim.id)


# A file no claim holds (its claim went with the account or the company) is deleted when it is
# this old: younger, it may be a claim being filed (the file is written before its row).
ORPHAN_AGE = 24 * 3600


def purge_files(now=None):
    """Delete the statements of claims decided more than CLAIM_FILE_RETENTION days ago (each
    claim stays, marked `file_deleted_at`), and files no claim holds any more. Returns how many
    files went."""
    now = now or clock.now()
    cutoff = now - timedelta(days=current_app.config["CLAIM_FILE_RETENTION"])
    due = AdminClaim.select(AdminClaim.id, AdminClaim.stored_name).where(
        (AdminClaim.status != "pending") & (AdminClaim.decided_at < cutoff) & AdminClaim.file_deleted_at.is_null()
    )
    deleted = 0
    for claim in due:
        with database.atomic():
            marked = (
                AdminClaim.update(file_deleted_at=now)
                .where((AdminClaim.id == claim.id) & AdminClaim.file_deleted_at.is_null())
                .execute()
            )
            if marked:  # a run at the same time has not taken it
                stored_path(claim.stored_name).unlink(missing_ok=True)
                deleted += 1
    held = {name for (name,) in AdminClaim.select(AdminClaim.stored_name)
            .where(AdminClaim.file_deleted_at.is_null()).tuples()}
    for path in upload_dir().iterdir():
        if path.name in held or not STORED_NAME.match(path.name) or not path.is_file():
            continue
        if path.stat().st_mtime < time.time() - ORPHAN_AGE:
            path.unlink(missing_ok=True)
            deleted += 1
    return deleted
