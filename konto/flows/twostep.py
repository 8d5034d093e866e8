"""Two-step sign-in: setting up an authenticator app, recovery codes, passkeys, the second step
at sign-in and at re-authentication, turning it off, and a company requiring it.

Two-step sign-in is on for an account while it has an authenticator app (TotpCredential) or a
passkey; `User.two_step_at` says so in the row every request already reads, and every flow
here that adds or removes a factor keeps it true in the same transaction. Turning it on makes
ten recovery codes (when the first factor is an app: a passkey's first page offers them) and
ends the account's other sessions, which were opened with the password alone; turning it off
takes away every factor and code.

A code is spent in the same UPDATE that checks it (`last_step < step`, `used_at IS NULL`),
so two requests carrying the same code at the same moment make one success.
"""

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from dataclasses import field
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _

from konto import audit
from konto import factors
from konto import passwords
from konto import permissions
from konto import sessions
from konto.db import database
from konto.db import write_transaction
from konto.flows.notices import tell_owner
from konto.flows.staff import is_staff
from konto.i18n_cache import lazy_gettext as _l
from konto.models import Company
from konto.models import Membership
from konto.models import Passkey
from konto.models import PasskeyChallenge
from konto.models import PendingLogin
from konto.models import RecoveryCode
from konto.models import TotpCredential
from konto.models import TotpEnrolment
from konto.models import User
from konto.models import utcnow

# How long a passkey challenge may wait for its answer (the browser's own timeout is shorter).
CHALLENGE_LIFETIME = timedelta(minutes=5)
PASSKEY_NAME_MAX = 60
# Purposes of a passkey challenge.
REGISTER = "register"
SECOND_STEP = "second_step"
SIGN_IN = "sign_in"
REAUTH = "reauth"
PURPOSES = (REGISTER, SECOND_STEP, SIGN_IN, REAUTH)

# How `turn_off` ended.
OFF = "off"
WRONG_PASSWORD = "wrong_password"
WRONG_CODE = "wrong_code"
REQUIRED = "required"


# -- the state of an account ----------------------------------------------------------------


def is_on(user):
    return user.two_step_at is not None


def has_app(user):
    return TotpCredential.select().where(TotpCredential.user == user.id).exists()


def passkeys_of(user):
    return list(Passkey.select().where(Passkey.user == user.id).order_by(Passkey.created_at, Passkey.id))


def recovery_codes_left(user):
    return RecoveryCode.select().where((RecoveryCode.user == user.id) & RecoveryCode.used_at.is_null()).count()


@dataclass
class Requirement:
    """Who requires two-step sign-in of an account: companies of theirs, the staff role, or nobody."""

    companies: list
    staff: bool

    def __bool__(self):
        return self.staff or bool(self.companies)


def requirement(user):
    """The companies of the user whose administrators require two-step sign-in, and whether the
    user is staff (the back office always requires it)."""
    companies = list(
        Company.select(Company.id, Company.name)
        .join(Membership)
        .where((Membership.user == user.id) & (Company.require_two_step == True))  # noqa: E712
        .order_by(Company.name)
    )
    return Requirement(companies, is_staff(user))


def required(user):
    """Must this account have two-step sign-in (a company of theirs requires it, or staff)?"""
    return bool(requirement(user))


def _tell(user, subject, what, **context):
    tell_owner(user, subject, "two_step", what=what, **context)


def _turned_on(user, how):
    """Inside the transaction that added the first factor: the flag, the codes' absence, the
    other sessions (opened with the password alone) ended, the audit event and the e-mail."""
    User.update(two_step_at=utcnow()).where(User.id == user.id).execute()
    user.two_step_at = utcnow()
    audit.record("two_step_enabled", user.id, how)
    _tell(user, _l("Włączono weryfikację dwuetapową"),
          _l("Włączono weryfikację dwuetapową na Twoim Koncie (%(how)s). Od teraz logowanie wymaga "
            "hasła i drugiego kroku.", how=how))


def _end_other_sessions(user, keep_session):
    sessions.end_all_sessions(user, keep=keep_session)


# -- the authenticator app ------------------------------------------------------------------


def start_app_setup(user):
    """A new secret for an app being set up (replacing one being set up before); the account's
    working app, if any, is not touched until the new one confirms a code."""
    secret = factors.new_totp_secret()
    with database.atomic():
        TotpEnrolment.delete().where(TotpEnrolment.user == user.id).execute()
        TotpEnrolment.create(user=user.id, secret=factors.encrypt(secret))
    return secret


def app_setup_secret(user):
    """The secret of the app being set up, or None."""
    row = TotpEnrolment.get_or_none(TotpEnrolment.user == user.id)
    if row is None:
        return None
    try:
        return factors.decrypt(row.secret)
    except factors.UnreadableSecret:
        row.delete_instance()
        return None


@dataclass
class AppConfirmed:
    ok: bool
    codes: list = field(default_factory=list)  # new recovery codes (shown once), when it turned two-step on
    replaced: bool = False  # an app that worked before was replaced


def confirm_app(user, code, keep_session=None):
    """The first code from the app being set up: it becomes the account's app. When this turns
    two-step sign-in on, the recovery codes are made and the other sessions end."""
    with write_transaction():
        row = TotpEnrolment.get_or_none(TotpEnrolment.user == user.id)
        if row is None:
            return AppConfirmed(False)
        try:
            secret = factors.decrypt(row.secret)
        except factors.UnreadableSecret:
            return AppConfirmed(False)
        step = factors.matching_step(secret, code)
        if step is None:
            return AppConfirmed(False)
        replaced = TotpCredential.delete().where(TotpCredential.user == user.id).execute() > 0
        TotpCredential.create(user=user.id, secret=factors.encrypt(secret), last_step=step)
        row.delete_instance()
        codes = []
        if not is_on(user):
            _turned_on(user, _l("aplikacja uwierzytelniająca"))
            codes = _new_recovery_codes(user)
            _end_other_sessions(user, keep_session)
        else:
            audit.record("two_step_app_changed", user.id)
            _tell(user, _l("Zmieniono aplikację uwierzytelniającą"),
                  _l("Do Twojego Konta przypisano nową aplikację uwierzytelniającą. "
                    "Kody z poprzedniej już nie działają."))
    return AppConfirmed(True, codes, replaced)


def check_app_code(user, code):
    """An app code, accepted once: its time step is stored in the same UPDATE that checks it is
    newer than the last one accepted (a replay, or the same code in two tabs at once, fails)."""
    row = TotpCredential.get_or_none(TotpCredential.user == user.id)
    if row is None:
        return False
    try:
        secret = factors.decrypt(row.secret)
    except factors.UnreadableSecret:
        return False
    step = factors.matching_step(secret, code)
    if step is None:
        return False
    spent = (
        TotpCredential.update(last_step=step)
        .where((TotpCredential.id == row.id) & (TotpCredential.last_step < step))
        .execute()
    )
    if spent != 1:
        # A right code whose time step was already used: a replay (or the same code sent twice
        # at once). Refused, recorded, and the owner is told (ASVS 2.8.5).
        audit.record("second_step_replayed", user.id)
        _tell(user, _l("Ktoś ponownie użył kodu z Twojej aplikacji"),
              _l("Kod z aplikacji uwierzytelniającej, który został już użyty, przyszedł ponownie i został "
                "odrzucony. Jeśli to nie Ty wpisałeś(-aś) go dwa razy, ktoś mógł go podejrzeć razem z hasłem."))
    return spent == 1


# -- recovery codes -----------------------------------------------------------------------


def _new_recovery_codes(user):
    """Replace the account's recovery codes with ten new ones; returns them (shown once)."""
    codes = factors.new_recovery_codes()
    RecoveryCode.delete().where(RecoveryCode.user == user.id).execute()
    rows = []
    for code in codes:
        salt, digest = factors.hash_recovery_code(code)
        rows.append({"user": user.id, "salt": salt, "code_hash": digest})
    RecoveryCode.insert_many(rows).execute()
    return codes


def regenerate_recovery_codes(user):
    """Ten new codes; the old ones die at once. Only with two-step sign-in on."""
    if not is_on(user):
        return []
    with write_transaction():
        codes = _new_recovery_codes(user)
        audit.record("recovery_codes_generated", user.id)
        _tell(user, _l("Wygenerowano nowe kody zapasowe"),
              _l("Dla Twojego Konta wygenerowano nowe kody zapasowe. Poprzednie kody przestały działać."))
    return codes


def use_recovery_code(user, code):
    """A recovery code, spent: marked used in the same UPDATE that checks it was unused. The
    owner is told by e-mail how many are left."""
    if factors.normalize_recovery_code(code) is None:
        return False
    unused = list(RecoveryCode.select().where((RecoveryCode.user == user.id) & RecoveryCode.used_at.is_null()))
    row = factors.matching_recovery_code(unused, code)
    if row is None:
        return False
    with database.atomic():
        spent = (
            RecoveryCode.update(used_at=utcnow())
            .where((RecoveryCode.id == row.id) & RecoveryCode.used_at.is_null())
            .execute()
        )
        if spent != 1:
            return False
        left = len(unused) - 1
        audit.record("recovery_code_used", user.id, _("pozostało: %(n)d", n=left))
        _tell(user, _l("Użyto kodu zapasowego"),
              _l("Do potwierdzenia logowania na Twoje Konto użyto kodu zapasowego. Pozostało kodów: %(n)d.", n=left))
    return True


# -- the second step: at sign-in, and when confirming it is you -------------------------------


def check_code(user, code):
    """A code typed where either is accepted (re-authentication, turning it off): six digits
    are an app code, anything shaped like a recovery code is one. A wrong one is recorded."""
    if factors.normalize_totp_code(code) is not None:
        ok = check_app_code(user, code)
    else:
        ok = use_recovery_code(user, code)
    if not ok:
        audit.record("second_step_failed", user.id)
    return ok


def _finish_login(pending, how):
    """The second step was right: the half-session becomes a real session (once: a parallel
    request that finds the half-session gone gets False)."""
    with database.atomic():
        taken = PendingLogin.delete().where(PendingLogin.id == pending.id).execute()
        if taken != 1:
            return False
        user = User.get_by_id(pending.user_id)
        sessions.start_session(user, remember=pending.remember, second_step=True)
        audit.record("login", user, how)
    return True


# What a sign-in's audit event says about each way of checking a code.
_SIGNED_IN_WITH = {
    check_app_code: _l("hasło i kod z aplikacji"),
    use_recovery_code: _l("hasło i kod zapasowy"),
}


def log_in_with_code(pending, code, check):
    """The second step of a sign-in with a code: `check` is the way the code is checked and spent,
    `check_app_code` (a code from the app) or `use_recovery_code` (a recovery code)."""
    user = pending.user
    if not check(user, code):
        audit.record("second_step_failed", user.id)
        return False
    return _finish_login(pending, _SIGNED_IN_WITH[check])


def record_failed_second_step(user):
    audit.record("second_step_failed", user.id)


def cancel_login():
    sessions.end_half_session()


# -- turning it off ---------------------------------------------------------------------------


def turn_off(user, password, code):
    """Turn two-step sign-in off: the password and a code (app or recovery) are both needed,
    and not while a company of the user requires it. Every factor and code goes."""
    if required(user):
        return REQUIRED
    if not passwords.verify_password(user.password_hash, password or ""):
        audit.record("login_failed", user.id, _("wyłączanie weryfikacji dwuetapowej"))
        return WRONG_PASSWORD
    if not check_code(user, code):
        return WRONG_CODE
    with write_transaction():
        _remove_everything(user)
        audit.record("two_step_disabled", user.id)
        _tell(user, _l("Wyłączono weryfikację dwuetapową"),
              _l("Weryfikacja dwuetapowa na Twoim Koncie została wyłączona. Do logowania wystarczy teraz hasło."))
    return OFF


def _remove_everything(user):
    TotpCredential.delete().where(TotpCredential.user == user.id).execute()
    TotpEnrolment.delete().where(TotpEnrolment.user == user.id).execute()
    RecoveryCode.delete().where(RecoveryCode.user == user.id).execute()
    Passkey.delete().where(Passkey.user == user.id).execute()
    User.update(two_step_at=None).where(User.id == user.id).execute()
    user.two_step_at = None


# -- passkeys (WebAuthn) ----------------------------------------------------------------------


def _user_handle(user):
    """The WebAuthn user handle: not the account's id or address (the authenticator keeps it)."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"konto-passkey-user:{user.id}".encode(), hashlib.sha256).digest()


def _webauthn():
    """py_webauthn, imported when a passkey is first used rather than with the app: with
    pyOpenSSL it was a sixth of a worker's start, and most requests never touch a passkey."""
    import webauthn  # noqa: PLC0415 - start-up time, see the docstring
    import webauthn.helpers.exceptions  # noqa: PLC0415
    import webauthn.helpers.structs  # noqa: PLC0415

    return webauthn


def _new_challenge(purpose, user):
    """A challenge kept on the server until answered; returns its bytes."""
    webauthn = _webauthn()
    challenge = PasskeyChallenge.create(
        challenge=webauthn.helpers.bytes_to_base64url(secrets.token_bytes(32)), purpose=purpose,
        user=user.id if user is not None else None,
    )
    return webauthn.base64url_to_bytes(challenge.challenge)


def _spend_challenge(challenge_b64, purpose, user):
    """The challenge, deleted in the same statement that finds it (single use); False if it was
    not handed out for this purpose and user, already answered or too old."""
    if not isinstance(challenge_b64, str) or len(challenge_b64) > 100:
        return False
    query = PasskeyChallenge.delete().where(
        (PasskeyChallenge.challenge == challenge_b64)
        & (PasskeyChallenge.purpose == purpose)
        & (PasskeyChallenge.created_at > utcnow() - CHALLENGE_LIFETIME)
    )
    query = query.where(PasskeyChallenge.user.is_null() if user is None else PasskeyChallenge.user == user.id)
    return query.execute() == 1


def _descriptors(user):
    webauthn = _webauthn()
    return [
        webauthn.helpers.structs.PublicKeyCredentialDescriptor(id=webauthn.base64url_to_bytes(p.credential_id))
        for p in passkeys_of(user)
    ]


def passkey_options(purpose, user=None):
    """(options as JSON for the browser, challenge in base64url): for adding a passkey (`user`
    logged in), the second step (`user` of the half-session), signing in without a password
    (no user: any passkey of this site) or confirming it is you."""
    webauthn = _webauthn()
    structs = webauthn.helpers.structs
    rp_id, _origin = factors.relying_party()
    challenge = _new_challenge(purpose, user)
    if purpose == REGISTER:
        options = webauthn.generate_registration_options(
            rp_id=rp_id,
            rp_name="Konto",
            user_id=_user_handle(user),
            user_name=user.email,
            user_display_name=user.full_name,
            challenge=challenge,
            authenticator_selection=structs.AuthenticatorSelectionCriteria(
                resident_key=structs.ResidentKeyRequirement.REQUIRED,
                user_verification=structs.UserVerificationRequirement.REQUIRED,
            ),
            exclude_credentials=_descriptors(user),
        )
    else:
        allow = [] if user is None else _descriptors(user)
        options = webauthn.generate_authentication_options(
            rp_id=rp_id,
            challenge=challenge,
            allow_credentials=allow,
            user_verification=structs.UserVerificationRequirement.REQUIRED,
        )
    return webauthn.options_to_json(options), webauthn.helpers.bytes_to_base64url(challenge)


def _parse(credential_json):
    if not isinstance(credential_json, str) or len(credential_json) > 20_000:
        return None
    try:
        data = json.loads(credential_json)
    except ValueError:
        return None
    return data if isinstance(data, dict) and isinstance(data.get("id"), str) else None


@dataclass
class PasskeyAdded:
    ok: bool
    error: str | None = None
    codes: list = field(default_factory=list)
    passkey: Passkey | None = None


def add_passkey(user, name, credential_json, challenge_b64, keep_session=None):
    """A new passkey from the browser's answer to the registration challenge. When it is the
    account's first factor, two-step sign-in turns on and the other sessions end."""
    name = (name or "").strip()[:PASSKEY_NAME_MAX] or _("Klucz dostępu")
    data = _parse(credential_json)
    if data is None or not _spend_challenge(challenge_b64, REGISTER, user):
        return PasskeyAdded(False, _("Nie udało się dodać klucza. Spróbuj jeszcze raz."))
    rp_id, origin = factors.relying_party()
    webauthn = _webauthn()
    try:
        verified = webauthn.verify_registration_response(
            credential=data,
            expected_challenge=webauthn.base64url_to_bytes(challenge_b64),
            expected_rp_id=rp_id,
            expected_origin=origin,
            require_user_verification=True,
        )
    except (webauthn.helpers.exceptions.WebAuthnException, ValueError, KeyError, TypeError):
        return PasskeyAdded(False, _("Nie udało się dodać klucza. Spróbuj jeszcze raz."))
    response = data.get("response") if isinstance(data.get("response"), dict) else {}
    transports = response.get("transports") if isinstance(response.get("transports"), list) else []
    with write_transaction():
        credential_id = webauthn.helpers.bytes_to_base64url(verified.credential_id)
        if Passkey.select().where(Passkey.credential_id == credential_id).exists():
            return PasskeyAdded(False, _("Ten klucz jest już dodany."))
        passkey = Passkey.create(
            user=user.id,
            credential_id=credential_id,
            public_key=webauthn.helpers.bytes_to_base64url(verified.credential_public_key),
            sign_count=verified.sign_count,
            name=name,
            transports=",".join(t for t in transports if isinstance(t, str))[:100],
        )
        codes = []
        if not is_on(user):
            _turned_on(user, _l("klucz dostępu"))
            codes = _new_recovery_codes(user)
            _end_other_sessions(user, keep_session)
        else:
            audit.record("passkey_added", user.id, name)
            _tell(user, _l("Dodano klucz dostępu"),
                  _l("Do Twojego Konta dodano klucz dostępu „%(name)s”.", name=name))
    return PasskeyAdded(True, codes=codes, passkey=passkey)


def check_passkey(credential_json, challenge_b64, purpose, user=None):
    """The passkey that answered this challenge (and its counter moved on), else None. `user`:
    whose passkey it must be (second step, re-authentication); None: anyone's (sign in)."""
    data = _parse(credential_json)
    if data is None or not _spend_challenge(challenge_b64, purpose, user):
        return None
    passkey = Passkey.select(Passkey, User).join(User).where(Passkey.credential_id == data["id"][:1400]).first()
    if passkey is None or (user is not None and passkey.user_id != user.id):
        return None
    rp_id, origin = factors.relying_party()
    webauthn = _webauthn()
    try:
        verified = webauthn.verify_authentication_response(
            credential=data,
            expected_challenge=webauthn.base64url_to_bytes(challenge_b64),
            expected_rp_id=rp_id,
            expected_origin=origin,
            credential_public_key=webauthn.base64url_to_bytes(passkey.public_key),
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=True,
        )
    except (webauthn.helpers.exceptions.WebAuthnException, ValueError, KeyError, TypeError):
        return None
    moved = (
        Passkey.update(sign_count=verified.new_sign_count, last_used_at=utcnow())
        .where((Passkey.id == passkey.id) & (Passkey.sign_count == passkey.sign_count))
        .execute()
    )
    return passkey if moved == 1 else None


def log_in_with_passkey_second_step(pending, credential_json, challenge_b64):
    """The second step of a sign-in with one of the account's passkeys."""
    passkey = check_passkey(credential_json, challenge_b64, SECOND_STEP, pending.user)
    if passkey is None:
        audit.record("second_step_failed", pending.user_id)
        return False
    return _finish_login(pending, _("hasło i klucz dostępu „%(name)s”", name=passkey.name))


def log_in_with_passkey(credential_json, challenge_b64):
    """Sign in without a password: a passkey verified the person (user verification required).
    Returns the user, or None."""
    passkey = check_passkey(credential_json, challenge_b64, SIGN_IN)
    if passkey is None:
        return None
    user = passkey.user
    if not user.is_activated or not is_on(user):
        return None
    sessions.start_session(user, second_step=True)
    audit.record("login", user, _("klucz dostępu „%(name)s”", name=passkey.name))
    return user


def remove_passkey(user, passkey_id):
    """Remove one of the user's passkeys; not the last factor (that is turning two-step off).
    Returns "removed", "not_found" (not theirs) or "last"."""
    with write_transaction():
        passkey = Passkey.get_or_none((Passkey.id == passkey_id) & (Passkey.user == user.id))
        if passkey is None:
            return "not_found"
        others = Passkey.select().where((Passkey.user == user.id) & (Passkey.id != passkey.id)).exists()
        if not others and not has_app(user):
            return "last"
        passkey.delete_instance()
        audit.record("passkey_removed", user.id, passkey.name)
        _tell(user, _l("Usunięto klucz dostępu"),
              _l("Z Twojego Konta usunięto klucz dostępu „%(name)s”.", name=passkey.name))
    return "removed"


# -- the key the apps' secrets are encrypted with --------------------------------------------


@dataclass
class Rotated:
    rotated: int = 0  # re-encrypted under the newest key
    current: int = 0  # already under it
    unreadable: list = field(default_factory=list)  # (table, row id) that no configured key decrypts


def rotate_secrets():
    """Re-encrypt every stored app secret (working apps, and apps being set up) under the newest
    KONTO_TWO_STEP_KEY, so the older keys can be dropped. Each row is updated only if its secret
    is still the one read (an app replaced meanwhile keeps its new secret); running it again
    changes nothing."""
    outcome = Rotated()
    for model in (TotpCredential, TotpEnrolment):
        for row in _in_batches(model):
            try:
                token = factors.rotate(row.secret)
            except factors.UnreadableSecret:
                outcome.unreadable.append((model._meta.table_name, row.id))
                continue
            if token is None:
                outcome.current += 1
                continue
            model.update(secret=token).where((model.id == row.id) & (model.secret == row.secret)).execute()
            outcome.rotated += 1
    return outcome


def _in_batches(model, size=500):
    """Every row's id and secret, read a batch at a time (no cursor held open while writing)."""
    last = 0
    while True:
        rows = list(model.select(model.id, model.secret).where(model.id > last).order_by(model.id).limit(size))
        yield from rows
        if len(rows) < size:
            return
        last = rows[-1].id


# -- a company requiring it -----------------------------------------------------------------


def set_company_requirement(admin, company_id, require):
    """An administrator of the company requires two-step sign-in from its users (or stops).
    Returns "not_found" (not their company), "not_admin", "admin_off" (requiring it while
    the administrator has it off) or "saved"."""
    with write_transaction():
        member = permissions.membership(admin, company_id)
        if member is None:
            return "not_found"
        if not permissions.is_admin(member):
            return "not_admin"
        if require and not is_on(admin):
            return "admin_off"
        company = member.company
        if company.require_two_step != bool(require):
            Company.update(require_two_step=bool(require)).where(Company.id == company.id).execute()
            audit.record("company_two_step_required" if require else "company_two_step_not_required",
                         admin.id, company.name)
    return "saved"
