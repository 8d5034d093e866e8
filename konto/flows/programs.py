"""Desktop programs connected to an account (OAuth 2.0 device flow, RFC 8628): the codes, the
user's decision, the connections and their tokens.

The authorization server (konto/programs/server.py, Authlib) calls these for its storage; the
code page and "Połączone programy" call them for the user's actions. Secrets are stored only as
hashes: the device code and the tokens as SHA-256 (they are long and random), the 8-letter user
code as an HMAC keyed with SECRET_KEY (a plain hash of 34 bits would be reversed in seconds).

A connection is one approval: the program, the machine it reported, the companies the user let
it use (through the memberships they had then, so a membership that ends takes the company out
of every connection) and a family of tokens. A refresh makes a new pair and retires the old
refresh token; a retired refresh token presented again means someone else has a copy, and the
whole connection ends (RFC 9700 §4.14.2), unless the two uses overlapped (a program that sent
its refresh twice at once: the first wins, the second is refused, the family stays whole).
"""

import hashlib
import hmac
import re
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from peewee import IntegrityError

from konto import audit
from konto import clock
from konto.db import database
from konto.db import locked
from konto.db import write_transaction
from konto.flows import Refused
from konto.i18n_cache import lazy_gettext as _l
from konto.links import external_url
from konto.mail import send_email
from konto.models import Company
from konto.models import DeviceAuthorization
from konto.models import Membership
from konto.models import ProgramClient
from konto.models import ProgramConnection
from konto.models import ProgramConnectionCompany
from konto.models import ProgramToken
from konto.models import User

DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
GRANT_TYPES = (DEVICE_CODE_GRANT, "refresh_token")

# What a program may be allowed to do, as the code page words it.
SCOPES = {
    "companies:read": _l("widzieć firmy, które wybierzesz, i Twoją rolę w nich"),
    "licences:read": _l("widzieć licencje tych firm i ich stan"),
    "licences:register": _l("rejestrować licencje tych firm na komputerach i zwalniać stanowiska"),
}

# RFC 8628 §6.1: case-insensitive letters without vowels (no words), shown as XXXX-XXXX.
USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"
USER_CODE_LENGTH = 8
_TYPED_NOISE = re.compile(r"[\s\-]+")
MACHINE_NAME_MAX = 100
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

DEMO_CLIENT_ID = "demo-program"
DEMO_CLIENT_NAME = "Program demonstracyjny (examples/konto_program.py)"

# A connection's last use is written at most this often (reading is not writing).
_TOUCH_EVERY = timedelta(minutes=1)


# --- secrets --------------------------------------------------------------------------------


def secret_hash(secret):
    """How a device code or a token is stored: SHA-256, hex."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _user_code_hash(code):
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, b"konto-user-code:" + code.encode(), hashlib.sha256).hexdigest()


def new_user_code():
    return "".join(secrets.choice(USER_CODE_ALPHABET) for _ in range(USER_CODE_LENGTH))


def display_code(code):
    return f"{code[:4]}-{code[4:]}"


def normalize_code(text):
    """The 8 letters of a typed code (any case, spaces and dashes ignored), or None."""
    if not isinstance(text, str) or len(text) > 40:
        return None
    code = _TYPED_NOISE.sub("", text).upper()
    if len(code) != USER_CODE_LENGTH or any(c not in USER_CODE_ALPHABET for c in code):
        return None
    return code


def clean_machine_name(text):
    """A machine name as a program reports it: one line, at most 100 characters, or None."""
    if not isinstance(text, str):
        return None
    text = _CONTROL.sub(" ", text).strip()[:MACHINE_NAME_MAX].strip()
    return text or None


# --- program clients (data, not code) -------------------------------------------------------------


def ensure_demo_client():
    """`demo-program` exists in every database (for the reference program and the demo)."""
    if ProgramClient.get_or_none(ProgramClient.client_id == DEMO_CLIENT_ID) is None:
        try:
            with database.atomic():
                add_client(DEMO_CLIENT_ID, DEMO_CLIENT_NAME)
        except IntegrityError:
            pass  # another worker starting at the same moment made it


CLIENT_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")


def add_client(client_id, name, scope=None):
    """Register a program (a public client); every scope unless told otherwise."""
    if not CLIENT_ID.match(client_id or ""):
        raise Refused("INVALID_CLIENT_ID", _("Identyfikator programu: 2–40 znaków: małe litery, cyfry, . _ -"))
    name = clean_machine_name(name)
    if not name:
        raise Refused("NAME_REQUIRED", _("Podaj nazwę programu."))
    scopes = (scope or " ".join(SCOPES)).split()
    if not scopes or any(s not in SCOPES for s in scopes):
        raise Refused("INVALID_SCOPE", _("Nieznany zakres: %(scope)s", scope=scope))
    return ProgramClient.create(client_id=client_id, name=name, scope=" ".join(scopes))


def set_client_active(client_id, active):
    """Turn a program off (its connections stop working at once) or on again."""
    return ProgramClient.update(active=active).where(ProgramClient.client_id == client_id).execute()


def client_by_id(client_id):
    if not isinstance(client_id, str) or len(client_id) > 40:
        return None
    return ProgramClient.get_or_none((ProgramClient.client_id == client_id) & ProgramClient.active)


# --- the device authorization (RFC 8628 §3.1, §3.2) ----------------------------------------------


def start(client, scope, machine_name, ip, agent):
    """A program asks to connect: a device code (for the program) and a user code (for the
    person) valid PROGRAM_CODE_LIFETIME seconds. Returns (device_code, user_code, row)."""
    config = current_app.config
    now = clock.now()
    device_code = secrets.token_urlsafe(32)
    for _attempt in range(10):
        user_code = new_user_code()
        try:
            with database.atomic():
                row = DeviceAuthorization.create(
                    device_code_hash=secret_hash(device_code),
                    user_code_hash=_user_code_hash(user_code),
                    client=client.id,
                    scope=scope,
                    machine_name=clean_machine_name(machine_name),
                    ip=ip,
                    user_agent=agent,
                    created_at=now,
                    expires_at=now + timedelta(seconds=config["PROGRAM_CODE_LIFETIME"]),
                    interval=config["PROGRAM_POLL_INTERVAL"],
                )
            return device_code, user_code, row
        except IntegrityError:
            continue  # the same code is waiting for someone else: draw again
    raise RuntimeError("no free user code after 10 draws")


def pending_by_code(typed):
    """The authorization waiting for this code (typed any way), or None: unknown, already
    decided, used, or expired all look the same."""
    code = normalize_code(typed)
    if code is None:
        return None
    return (
        DeviceAuthorization.select(DeviceAuthorization, ProgramClient)
        .join(ProgramClient)
        .where(
            (DeviceAuthorization.user_code_hash == _user_code_hash(code))
            & (DeviceAuthorization.status == "pending")
            & (DeviceAuthorization.expires_at > clock.now())
            & ProgramClient.active
        )
        .first()
    )


def _pending_for_decision(authorization_id, code):
    """The authorization being decided, still pending and in time, with the code the person
    typed (the page keeps both); else Refused."""
    row = locked(DeviceAuthorization.select().where(DeviceAuthorization.id == authorization_id)).first()
    if row is None or code is None or not hmac.compare_digest(row.user_code_hash, _user_code_hash(code)):
        raise Refused("CODE_NOT_FOUND", _("Nie znaleziono takiego kodu. Wpisz go jeszcze raz."), status=404)
    if row.status != "pending":
        raise Refused(
            "ALREADY_DECIDED", _("Ten kod został już użyty. Jeśli to nie Ty, sprawdź Połączone programy."), status=409
        )
    if row.expires_at <= clock.now():
        raise Refused("CODE_EXPIRED", _("Kod wygasł. Uruchom łączenie w programie jeszcze raz."), status=409)
    return row


def companies_to_choose(user):
    """The user's companies, for the code page's choice (membership with its company)."""
    return list(
        Membership.select(Membership, Company)
        .join(Company)
        .where(Membership.user == user.id)
        .order_by(Company.name, Company.id)
    )


def approve(user, authorization_id, code, company_ids):
    """Połącz: the person lets the program use the companies they picked. Nothing is issued yet:
    the program collects its tokens at its next poll."""
    chosen = {m.company_id for m in companies_to_choose(user)} & set(company_ids or ())
    if not chosen:
        raise Refused("NO_COMPANY", _("Wybierz co najmniej jedną firmę, której program może używać."))
    with write_transaction():
        row = _pending_for_decision(authorization_id, code)
        decided = (
            DeviceAuthorization.update(
                status="approved", user=user.id, company_ids=sorted(chosen), decided_at=clock.now()
            )
            .where((DeviceAuthorization.id == row.id) & (DeviceAuthorization.status == "pending"))
            .execute()
        )
        if not decided:
            raise Refused("ALREADY_DECIDED", _("Ten kod został już użyty."), status=409)
        client = ProgramClient.get_by_id(row.client_id)
        audit.record("program_approved", user, f"{client.name}: {row.machine_name or '?'}")
    return row


def deny(user, authorization_id, code):
    """Odrzuć: the program gets access_denied at its next poll; the code is dead."""
    with write_transaction():
        row = _pending_for_decision(authorization_id, code)
        DeviceAuthorization.update(status="denied", user=user.id, decided_at=clock.now()).where(
            (DeviceAuthorization.id == row.id) & (DeviceAuthorization.status == "pending")
        ).execute()
        client = ProgramClient.get_by_id(row.client_id)
        audit.record("program_denied", user, f"{client.name}: {row.machine_name or '?'}")
    return row


def authorization_by_device_code(device_code):
    """The authorization a program polls with (any state), locked for the token request."""
    if not isinstance(device_code, str) or len(device_code) > 200:
        return None
    query = DeviceAuthorization.select().where(DeviceAuthorization.device_code_hash == secret_hash(device_code))
    return locked(query).first()


def note_poll(row, now):
    """A poll of a pending code: True when it came sooner than the interval allows, which then
    grows by 5 seconds for this and every later poll (RFC 8628 §3.5, slow_down)."""
    too_soon = row.last_polled_at is not None and (now - row.last_polled_at).total_seconds() < row.interval
    if too_soon:
        row.interval += 5
    row.last_polled_at = now
    DeviceAuthorization.update(interval=row.interval, last_polled_at=now).where(
        DeviceAuthorization.id == row.id
    ).execute()
    return too_soon


# --- connections and tokens -------------------------------------------------------------------


def connect(row):
    """The program collects what the person approved: the code is used up (once, whoever polls
    twice) and the connection begins, with the companies the user is still a member of.
    Returns the connection, or None when the code was used meanwhile."""
    used = (
        DeviceAuthorization.update(status="consumed")
        .where((DeviceAuthorization.id == row.id) & (DeviceAuthorization.status == "approved"))
        .execute()
    )
    if not used:
        return None
    now = clock.now()
    connection = ProgramConnection.create(
        user=row.user_id,
        client=row.client_id,
        machine_name=row.machine_name,
        scope=row.scope,
        created_at=now,
        last_used_at=now,
        last_ip=row.ip,
    )
    memberships = Membership.select().where(
        (Membership.user == row.user_id) & Membership.company.in_(row.company_ids or [])
    )
    for membership in memberships:
        ProgramConnectionCompany.create(connection=connection, membership=membership)
    user = User.get_by_id(row.user_id)
    client = ProgramClient.get_by_id(row.client_id)
    audit.record("program_connected", user, f"{client.name}: {row.machine_name or '?'}")
    send_email(
        user.email,
        _l("Nowy program połączony z Twoim kontem"),
        "program_connected",
        user=user,
        program=client.name,
        machine=row.machine_name,
        ip=row.ip,
        link=external_url("programs.connections"),
        reset_link=external_url("auth.forgot_password"),
    )
    return connection


def store_tokens(connection, access_token, refresh_token, now=None):
    """Keep a new pair of tokens of a connection, as hashes only."""
    config = current_app.config
    now = now or clock.now()
    return ProgramToken.create(
        connection=connection.id,
        access_hash=secret_hash(access_token),
        refresh_hash=secret_hash(refresh_token),
        created_at=now,
        access_expires_at=now + timedelta(seconds=config["PROGRAM_ACCESS_TOKEN_LIFETIME"]),
        refresh_expires_at=now + timedelta(seconds=config["PROGRAM_REFRESH_TOKEN_LIFETIME"]),
    )


def token_by_refresh(refresh_token):
    """The token row a refresh token belongs to, locked for the refresh (any state)."""
    if not isinstance(refresh_token, str) or len(refresh_token) > 200:
        return None
    query = ProgramToken.select().where(ProgramToken.refresh_hash == secret_hash(refresh_token))
    return locked(query).first()


def token_by_access(access_token):
    if not isinstance(access_token, str) or len(access_token) > 200:
        return None
    return ProgramToken.get_or_none(ProgramToken.access_hash == secret_hash(access_token))


def live_connection(connection_id):
    """The connection, if it still works (not revoked, its program not turned off)."""
    return (
        ProgramConnection.select(ProgramConnection, ProgramClient)
        .join(ProgramClient)
        .where((ProgramConnection.id == connection_id) & ProgramConnection.revoked_at.is_null() & ProgramClient.active)
        .first()
    )


def refresh_reused(token, request_started):
    """A retired refresh token came back. When the request started before the token was retired,
    it is the loser of a race with the refresh that retired it: refused, nothing else. Otherwise
    someone holds a copy: the whole connection ends. Returns True when it ended."""
    if request_started <= token.refresh_used_at:
        return False
    connection = ProgramConnection.get_or_none(ProgramConnection.id == token.connection_id)
    if connection is None or connection.revoked_at is not None:
        return False
    _revoke(connection, "reuse")
    audit.record("program_token_reused", connection.user_id, _program_label(connection))
    return True


def retire_refresh(token):
    """The refresh token was exchanged for a new pair: it must never work again."""
    ProgramToken.update(refresh_used_at=clock.now()).where(
        (ProgramToken.id == token.id) & ProgramToken.refresh_used_at.is_null()
    ).execute()


def touch(connection, ip):
    """Note the connection's last use (at most once a minute)."""
    now = clock.now()
    if now - connection.last_used_at < _TOUCH_EVERY and connection.last_ip == ip:
        return
    ProgramConnection.update(last_used_at=now, last_ip=ip).where(ProgramConnection.id == connection.id).execute()


def _program_label(connection):
    client = ProgramClient.get_by_id(connection.client_id)
    return f"{client.name}: {connection.machine_name or '?'}"


def _revoke(connection, reason):
    return (
        ProgramConnection.update(revoked_at=clock.now(), revoked_reason=reason)
        .where((ProgramConnection.id == connection.id) & ProgramConnection.revoked_at.is_null())
        .execute()
    )


def revoke_by_program(token, access_only):
    """RFC 7009: the program revokes its access token (that token only) or its refresh token
    (the whole connection: the program logs out of the account)."""
    if access_only:
        ProgramToken.update(revoked_at=clock.now()).where(ProgramToken.id == token.id).execute()
        return
    connection = ProgramConnection.get_or_none(ProgramConnection.id == token.connection_id)
    if connection is not None and _revoke(connection, "program"):
        audit.record("program_disconnected", connection.user_id, _program_label(connection))


def disconnect(user, connection_id):
    """Rozłącz: the connection ends at once (its next API call is refused). False when it had
    ended already; Refused when it is not the user's."""
    connection = ProgramConnection.get_or_none(
        (ProgramConnection.id == connection_id) & (ProgramConnection.user == user.id)
    )
    if connection is None:
        raise Refused("NOT_FOUND", _("Nie ma takiego połączenia."), status=404)
    if connection.revoked_at is not None:
        return False
    with database.atomic():
        if not _revoke(connection, "user"):
            return False
        audit.record("program_disconnected", user, _program_label(connection))
    return True


def end_connections(user, reason):
    """Every connection of the account ends (a password reset: "I lost control")."""
    ended = (
        ProgramConnection.update(revoked_at=clock.now(), revoked_reason=reason)
        .where((ProgramConnection.user == user.id) & ProgramConnection.revoked_at.is_null())
        .execute()
    )
    if ended:
        audit.record("programs_disconnected", user, str(ended))
    return ended


def end_company_access(membership):
    """A membership ends (konto.flows.members.end_membership): no connection of the person may use
    that company any more, from the next call on. (A new membership later brings nothing back.)"""
    return ProgramConnectionCompany.delete().where(ProgramConnectionCompany.membership == membership.id).execute()


def connections_of(user):
    """The user's working connections, newest use first, each with the companies it may still use."""
    now = clock.now()
    rows = list(
        ProgramConnection.select(ProgramConnection, ProgramClient)
        .join(ProgramClient)
        .where((ProgramConnection.user == user.id) & ProgramConnection.revoked_at.is_null())
        .order_by(ProgramConnection.last_used_at.desc(), ProgramConnection.id.desc())
    )
    ids = [row.id for row in rows]
    alive = set()
    companies = {}
    if ids:
        alive = {
            t.connection_id
            for t in ProgramToken.select(ProgramToken.connection).where(
                ProgramToken.connection.in_(ids) & (ProgramToken.refresh_expires_at > now)
            )
        }
        for link in (
            ProgramConnectionCompany.select(ProgramConnectionCompany, Membership, Company)
            .join(Membership)
            .join(Company)
            .where(ProgramConnectionCompany.connection.in_(ids))
            .order_by(Company.name)
        ):
            companies.setdefault(link.connection_id, []).append(link.membership.company)
    return [(row, companies.get(row.id, [])) for row in rows if row.id in alive]
