"""All tables of the portal, in one place."""

import json
from datetime import UTC
from datetime import datetime

from peewee import BooleanField
from peewee import CharField
from peewee import DateTimeField
from peewee import ForeignKeyField
from peewee import IntegerField
from peewee import Model
from peewee import TextField

from konto.db import database


def utcnow():
    """Now, in UTC, without tzinfo (SQLite stores naive timestamps)."""
    return datetime.now(UTC).replace(tzinfo=None)


class JSONField(TextField):
    """A dict stored as JSON text."""

    def db_value(self, value):
        return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)

    def python_value(self, value):
        return None if value is None else json.loads(value)


class BaseModel(Model):
    class Meta:
        database = database


class Company(BaseModel):
    """A company as the registry returned it (or as typed by hand, then unverified)."""

    tax_id = CharField(max_length=20, unique=True)  # canonical VATIN: PL5261040828, DE123456789
    country = CharField(max_length=2)
    nip = CharField(max_length=10, null=True)
    name = CharField(max_length=500)
    regon = CharField(max_length=14, null=True)
    krs = CharField(max_length=10, null=True)
    street = CharField(max_length=200, null=True)
    building = CharField(max_length=20, null=True)
    unit = CharField(max_length=20, null=True)
    postal_code = CharField(max_length=12, null=True)
    city = CharField(max_length=100, null=True)
    gmina = CharField(max_length=100, null=True)
    powiat = CharField(max_length=100, null=True)
    wojewodztwo = CharField(max_length=100, null=True)
    address_text = CharField(max_length=500, null=True)  # a foreign registry's one-line address
    kind = CharField(max_length=20, default="other")  # legal_person | sole_proprietor | civil_partnership | other
    legal_form = CharField(max_length=200, null=True)
    vat_status = CharField(max_length=20, null=True)  # czynny | zwolniony | niezarejestrowany
    status = CharField(max_length=20, default="active")  # active | suspended | ended
    start_date = CharField(max_length=10, null=True)
    suspended_date = CharField(max_length=10, null=True)
    end_date = CharField(max_length=10, null=True)
    source = CharField(max_length=20)  # gus | vies | mf | demo | manual
    verified = BooleanField(default=True)
    fetched_at = DateTimeField(null=True)
    created_at = DateTimeField(default=utcnow)


class User(BaseModel):
    """A person's account. Logs in with e-mail and password once activated."""

    email = CharField(max_length=254, unique=True)  # stored normalised (lower case)
    first_name = CharField(max_length=100)
    last_name = CharField(max_length=100)
    password_hash = CharField(max_length=255)
    activated_at = DateTimeField(null=True)
    created_at = DateTimeField(default=utcnow)
    last_login_at = DateTimeField(null=True)
    # The company shown in the top bar; remembered across log-ins.
    active_company = ForeignKeyField(Company, null=True, on_delete="SET NULL")

    @property
    def is_activated(self):
        return self.activated_at is not None

    @property
    def full_name(self):
        return f"{self.first_name} {self.last_name}"

    # Flask-Login's protocol. The id Flask-Login keeps in the session is the key of a
    # server-side session row, so ending that row (log out, password reset) ends the cookie.
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self):
        return self.is_activated

    def get_id(self):
        return self.session_key


class UserSession(BaseModel):
    """One logged-in browser. Deleting the row logs that browser out, remember-me cookie too."""

    key_hash = CharField(max_length=64, unique=True)
    user = ForeignKeyField(User, backref="sessions", on_delete="CASCADE")
    created_at = DateTimeField(default=utcnow)
    last_seen_at = DateTimeField(default=utcnow)
    ip = CharField(max_length=45, null=True)
    user_agent = CharField(max_length=255, null=True)


class Consent(BaseModel):
    """A consent or acceptance: which document, which version, when, from where."""

    user = ForeignKeyField(User, backref="consents", on_delete="CASCADE")
    document = CharField(max_length=20)  # terms | privacy | marketing
    version = CharField(max_length=20)
    accepted_at = DateTimeField(default=utcnow)
    withdrawn_at = DateTimeField(null=True)
    ip = CharField(max_length=45, null=True)
    user_agent = CharField(max_length=255, null=True)


class Email(BaseModel):
    """Every e-mail the portal sends. In demo mode this table is the local mailbox."""

    recipient = CharField(max_length=254)
    subject = CharField(max_length=255)
    text_body = TextField()
    html_body = TextField()
    message_id = CharField(max_length=255, unique=True)
    created_at = DateTimeField(default=utcnow)
    sent_at = DateTimeField(null=True)
    attempts = IntegerField(default=0)
    last_error = TextField(null=True)
    # When the sender may try again (backoff after a failure); NULL once sent. Nullable so
    # an older database gets it with a plain ADD COLUMN (konto.migrations, version 2).
    next_attempt_at = DateTimeField(null=True)


class Membership(BaseModel):
    """A user's place in a company, with the ways the company may contact them."""

    user = ForeignKeyField(User, backref="memberships", on_delete="CASCADE")
    company = ForeignKeyField(Company, backref="memberships", on_delete="CASCADE")
    role = CharField(max_length=10, default="member")  # admin | member
    contact_email = CharField(max_length=254, null=True)
    contact_phone = CharField(max_length=20, null=True)
    contact_sms = BooleanField(default=False)
    statement_version = CharField(max_length=20, null=True)
    statement_accepted_at = DateTimeField(null=True)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("user", "company"), True),)


class AccessRequest(BaseModel):
    """A user asks the administrators of a company already in the portal to let them in."""

    user = ForeignKeyField(User, backref="access_requests", on_delete="CASCADE")
    company = ForeignKeyField(Company, backref="access_requests", on_delete="CASCADE")
    status = CharField(max_length=10, default="pending")  # pending | accepted | declined
    created_at = DateTimeField(default=utcnow)
    decided_at = DateTimeField(null=True)
    decided_by = ForeignKeyField(User, null=True, on_delete="SET NULL")

    class Meta:
        indexes = ((("user", "company"), True),)


class CompanyDraft(BaseModel):
    """The wizard's state between its steps, kept on the server so a POST cannot forge it."""

    key = CharField(max_length=32, unique=True)
    user = ForeignKeyField(User, backref="drafts", on_delete="CASCADE")
    tax_id = CharField(max_length=20)
    data = JSONField()
    source = CharField(max_length=20)
    manual = BooleanField(default=False)
    fetched_at = DateTimeField(null=True)
    # Set when the wizard finished: a late second click lands on the company, not on a 404.
    company = ForeignKeyField(Company, null=True, on_delete="CASCADE")
    created_at = DateTimeField(default=utcnow)


class RegistryCache(BaseModel):
    """What a registry answered for a number, kept for REGISTRY_CACHE_TTL seconds."""

    tax_id = CharField(max_length=20, unique=True)
    found = BooleanField()
    data = JSONField(null=True)
    source = CharField(max_length=20)
    fetched_at = DateTimeField(default=utcnow)


class AuditEvent(BaseModel):
    """A security event of an account, shown to its owner on "Aktywność konta"."""

    user = ForeignKeyField(User, null=True, backref="audit_events", on_delete="CASCADE")
    event = CharField(max_length=40)
    detail = CharField(max_length=255, null=True)
    ip = CharField(max_length=45, null=True)
    user_agent = CharField(max_length=255, null=True)
    created_at = DateTimeField(default=utcnow)
    request_id = CharField(max_length=64, null=True)  # the request's X-Request-ID (schema version 2)


ALL_MODELS = [
    User,
    UserSession,
    Consent,
    Email,
    Company,
    Membership,
    AccessRequest,
    CompanyDraft,
    RegistryCache,
    AuditEvent,
]
