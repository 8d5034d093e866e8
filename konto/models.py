"""All tables of the portal, in one place."""

import json
from datetime import UTC
from datetime import datetime

from peewee import BigIntegerField
from peewee import BooleanField
from peewee import CharField
from peewee import DateField
from peewee import DateTimeField
from peewee import DoubleField
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
    # Its administrators require two-step sign-in from its users (schema version 4). Nullable
    # (NULL: no) so an older database gets it with a plain ADD COLUMN: making a column NOT NULL
    # on SQLite rebuilds the table, and the rebuild's delete would null users' active company.
    require_two_step = BooleanField(null=True, default=False)


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
    # When two-step sign-in was turned on (an authenticator app or a passkey); None: off.
    # Kept by konto.flows.twostep beside the factors themselves (schema version 4).
    two_step_at = DateTimeField(null=True)
    # The language the account chose ("pl", "en"; konto.i18n.LANGUAGES): its pages and e-mails.
    # None: not chosen, the browser's language is used (schema version 5).
    language = CharField(max_length=8, null=True)

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

    # Set with the session (konto.sessions.load_user): does a company of theirs require two-step sign-in?
    two_step_required = False


class UserSession(BaseModel):
    """One logged-in browser. Deleting the row logs that browser out, remember-me cookie too."""

    key_hash = CharField(max_length=64, unique=True)
    user = ForeignKeyField(User, backref="sessions", on_delete="CASCADE")
    created_at = DateTimeField(default=utcnow)
    last_seen_at = DateTimeField(default=utcnow)
    ip = CharField(max_length=45, null=True)
    user_agent = CharField(max_length=255, null=True)


class EmailChange(BaseModel):
    """A request to move an account to another address, and what became of it.

    Its two links are random tokens kept only as SHA-256 hashes: the confirmation (sent to the
    new address) works while the request is pending, "to nie ja" (sent to `restore_email`)
    while it is confirmed; each state is left for good, so a used link never works again.
    """

    user = ForeignKeyField(User, backref="email_changes", on_delete="CASCADE")
    new_email = CharField(max_length=254)
    old_email = CharField(max_length=254)  # the account's address when it was asked for
    # Where "to nie ja" goes and what it puts back: the address before the first change of a
    # chain whose "to nie ja" links still work (konto.flows.email_change).
    restore_email = CharField(max_length=254, null=True)
    confirm_hash = CharField(max_length=64, unique=True)
    revert_hash = CharField(max_length=64, unique=True, null=True)
    status = CharField(max_length=10, default="pending")  # pending | confirmed | reverted | cancelled
    created_at = DateTimeField(default=utcnow)
    confirmed_at = DateTimeField(null=True)
    ended_at = DateTimeField(null=True)


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
    # Set when delivery is given up on for good (the receiving side can never take it; schema version 4).
    failed_at = DateTimeField(null=True)


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


class Invitation(BaseModel):
    """An administrator's invitation of an e-mail address into a company ("Dodaj użytkownika").

    The link carries a random token; only its SHA-256 is stored, and a new one replaces it on
    every resend. Stored statuses: pending, accepted, declined, revoked; a pending invitation
    past `expires_at` is expired (computed). `pending_email` holds the address while the
    invitation is open (pending, expired too) and is NULL once it is closed: the unique index
    makes one open invitation per address and company.
    """

    company = ForeignKeyField(Company, backref="invitations", on_delete="CASCADE")
    email = CharField(max_length=254)  # normalised, as typed by the administrator
    role = CharField(max_length=10, default="member")  # admin | member: what accepting gives
    token_hash = CharField(max_length=64, unique=True)
    status = CharField(max_length=10, default="pending")  # pending | accepted | declined | revoked
    pending_email = CharField(max_length=254, null=True, index=True)
    invited_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)
    sent_at = DateTimeField(default=utcnow)  # the last time the e-mail went (resend moves it)
    send_count = IntegerField(default=1)
    expires_at = DateTimeField()
    decided_at = DateTimeField(null=True)  # accepted, declined or revoked
    decided_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")

    class Meta:
        indexes = ((("company", "pending_email"), True),)


class MembershipEvent(BaseModel):
    """A change to who is in a company and with which role: the company's own history, shown
    to its administrators. `subject` is the address of the person concerned (invitees may
    have no account); `actor` who did it (NULL: the account is gone, or nobody did)."""

    company = ForeignKeyField(Company, backref="membership_events", on_delete="CASCADE")
    event = CharField(max_length=40)
    actor = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    subject = CharField(max_length=254, null=True)
    detail = CharField(max_length=255, null=True)
    created_at = DateTimeField(default=utcnow)


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


# --- Licences, extensions, services, the back office (issue 12) -------------------------
# Licences and services belong to a taxpayer (tax_id, the canonical VATIN), not to a row of
# Company: the vendor issues them before the company is in the portal, and they appear when
# someone adds it. Statuses that people set (pending, suspended, revoked) are stored; those
# that follow from dates (wygasa za N dni, wygasła) are computed (konto/licences/status.py).


class StaffMember(BaseModel):
    """An account with the vendor's staff role ("Obsługa"); granted only by `flask staff grant`."""

    user = ForeignKeyField(User, unique=True, on_delete="CASCADE")
    granted_at = DateTimeField(default=utcnow)


class CatalogueState(BaseModel):
    """The SHA-256 of the catalogue file last copied into the tables below."""

    digest = CharField(max_length=64)
    synced_at = DateTimeField(default=utcnow)


class Product(BaseModel):
    """A program or an extension from konto/data/catalogue.toml."""

    code = CharField(max_length=40, unique=True)
    kind = CharField(max_length=10)  # program | plus | module | stations
    name = CharField(max_length=100)
    description = CharField(max_length=500, null=True)
    prefix = CharField(max_length=2, null=True)  # programs: first letters of licence numbers
    level = IntegerField(default=0)  # PLUS level
    seats = IntegerField(null=True)  # module / stations: the default quantity
    trial_days = IntegerField(null=True)  # module: a trial a licence may use once
    applies_to = JSONField(null=True)  # extensions: the program codes they extend
    sort = IntegerField(default=0)
    offered = BooleanField(default=True)  # False once removed from the file


class Edition(BaseModel):
    product = ForeignKeyField(Product, backref="editions", on_delete="CASCADE")
    code = CharField(max_length=40)
    name = CharField(max_length=100)
    stations = IntegerField(default=1)
    sort = IntegerField(default=0)
    offered = BooleanField(default=True)

    class Meta:
        indexes = ((("product", "code"), True),)


class Service(BaseModel):
    """An online service; its terms are a versioned document accepted per company."""

    code = CharField(max_length=40, unique=True)
    name = CharField(max_length=100)
    description = CharField(max_length=500, null=True)
    terms_version = CharField(max_length=20)
    terms = TextField()
    sort = IntegerField(default=0)
    offered = BooleanField(default=True)


class Inclusion(BaseModel):
    """A service included in a program (any edition, or one edition) or in an extension."""

    service = ForeignKeyField(Service, backref="inclusions", on_delete="CASCADE")
    product = ForeignKeyField(Product, on_delete="CASCADE")
    edition = ForeignKeyField(Edition, null=True, on_delete="CASCADE")


class Licence(BaseModel):
    number = CharField(max_length=15, unique=True)  # canonical, no dashes (konto/licences/numbers.py)
    tax_id = CharField(max_length=20, index=True)
    product = ForeignKeyField(Product)
    edition = ForeignKeyField(Edition)
    stations = IntegerField()
    status = CharField(max_length=10, default="active")  # pending | active | suspended | revoked
    reason = CharField(max_length=500, null=True)  # why suspended / revoked: the customer sees it
    valid_until = DateField(null=True)  # None: perpetual
    abonament_until = DateField(null=True)  # None: no Abonament
    issued_at = DateTimeField(default=utcnow)
    issued_by = ForeignKeyField(User, null=True, on_delete="SET NULL")


class LicenceExtension(BaseModel):
    """A PLUS level, an integration module (with seats) or extra stations on a licence."""

    licence = ForeignKeyField(Licence, backref="extensions", on_delete="CASCADE")
    product = ForeignKeyField(Product)
    quantity = IntegerField(default=1)  # module seats, extra stations; 1 for a PLUS level
    trial_until = DateField(null=True)  # a trial: usable up to and including this day
    valid_until = DateField(null=True)  # None: as long as the licence
    created_at = DateTimeField(default=utcnow)
    created_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    ended_at = DateTimeField(null=True)  # removed (or replaced by a higher PLUS level)


class TrialUse(BaseModel):
    """A module's trial used on a licence: the unique index makes it once, ever."""

    licence = ForeignKeyField(Licence, on_delete="CASCADE")
    product = ForeignKeyField(Product)
    started_at = DateTimeField(default=utcnow)
    started_by = ForeignKeyField(User, null=True, on_delete="SET NULL")

    class Meta:
        indexes = ((("licence", "product"), True),)


class Installation(BaseModel):
    """A program installation registered for a licence: pending → active | rejected; active → released.

    Active installations of a licence never outnumber its stations (konto/flows/licences.py
    checks under a lock on the licence row)."""

    licence = ForeignKeyField(Licence, backref="installations", on_delete="CASCADE")
    installation_id = CharField(max_length=64)  # generated by the program
    machine_name = CharField(max_length=100)  # as the program reported it
    status = CharField(max_length=10, default="pending")  # pending | active | rejected | released
    requested_at = DateTimeField(default=utcnow)
    requested_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    source = CharField(max_length=40, default="program")  # program | demo (issue 13: the client id)
    decided_at = DateTimeField(null=True)
    decided_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    reason = CharField(max_length=500, null=True)
    released_at = DateTimeField(null=True)


class LicenceEvent(BaseModel):
    """The history of a taxpayer's licences and services, as the customer and staff see it."""

    tax_id = CharField(max_length=20, index=True)
    licence = ForeignKeyField(Licence, null=True, backref="events", on_delete="CASCADE")
    event = CharField(max_length=40)
    detail = CharField(max_length=500, null=True)  # shown to the customer (a reason, a date)
    by_staff = BooleanField(default=False)
    actor = ForeignKeyField(User, null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)


class CompanyService(BaseModel):
    """A service turned on or off for a taxpayer, and the terms version accepted."""

    tax_id = CharField(max_length=20)
    service = ForeignKeyField(Service, on_delete="CASCADE")
    enabled = BooleanField(default=False)
    terms_version = CharField(max_length=20, null=True)
    changed_at = DateTimeField(default=utcnow)
    changed_by = ForeignKeyField(User, null=True, on_delete="SET NULL")

    class Meta:
        indexes = ((("tax_id", "service"), True),)


class ServiceTermsAcceptance(BaseModel):
    """An administrator accepted a version of a service's terms for a company."""

    tax_id = CharField(max_length=20)
    service = ForeignKeyField(Service, on_delete="CASCADE")
    version = CharField(max_length=20)
    user = ForeignKeyField(User, null=True, on_delete="SET NULL")
    accepted_at = DateTimeField(default=utcnow)
    ip = CharField(max_length=45, null=True)
    user_agent = CharField(max_length=255, null=True)


class AbonamentNotice(BaseModel):
    """A notice sent about an Abonament end date: 30, 7 or 0 days before. Once each (unique)."""

    licence = ForeignKeyField(Licence, on_delete="CASCADE")
    ends_on = DateField()
    mark = IntegerField()  # 30 | 7 | 0
    sent_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("licence", "ends_on", "mark"), True),)


class AdminClaim(BaseModel):
    """"Odzyskaj uprawnienia administratora": a licence number and a signed statement (PDF)."""

    company = ForeignKeyField(Company, backref="admin_claims", on_delete="CASCADE")
    claimant = ForeignKeyField(User, on_delete="CASCADE")
    licence = ForeignKeyField(Licence, null=True, on_delete="SET NULL")
    stored_name = CharField(max_length=64, unique=True)  # random; the file under UPLOAD_DIR
    original_name = CharField(max_length=255)
    size = IntegerField()
    sha256 = CharField(max_length=64)
    status = CharField(max_length=10, default="pending")  # pending | approved | rejected
    created_at = DateTimeField(default=utcnow)
    object_until = DateTimeField()
    admins_told = IntegerField(default=0)
    objected_at = DateTimeField(null=True)
    objected_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    decided_at = DateTimeField(null=True)
    decided_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    reason = CharField(max_length=500, null=True)
    # The statement's file was deleted CLAIM_FILE_RETENTION days after the decision (schema
    # version 7); the claim itself stays.
    file_deleted_at = DateTimeField(null=True)


# --- Desktop programs connected to the account (issue 13) ----------------------------------
# OAuth 2.0 device authorization (RFC 8628): a program asks for a code, the user types it on
# the code page and approves; the program then gets a rotating pair of tokens. Every secret
# (device code, user code, access and refresh tokens) is stored only as a hash.


class ProgramClient(BaseModel):
    """A vendor's desktop program allowed to connect (a public OAuth client: no secret)."""

    client_id = CharField(max_length=40, unique=True)  # also Installation.source of its registrations
    name = CharField(max_length=100)  # shown on the code page and on "Połączone programy"
    scope = CharField(max_length=200)  # the scopes it may ask for, space-separated
    active = BooleanField(default=True)
    created_at = DateTimeField(default=utcnow)


class DeviceAuthorization(BaseModel):
    """One run of the device flow: pending → approved | denied → consumed (tokens issued)."""

    device_code_hash = CharField(max_length=64, unique=True)  # SHA-256 of the program's device_code
    user_code_hash = CharField(max_length=64)  # HMAC of the 8 letters the user types
    client = ForeignKeyField(ProgramClient, on_delete="CASCADE")
    scope = CharField(max_length=200)
    machine_name = CharField(max_length=100, null=True)  # as the program reported it (unverified)
    ip = CharField(max_length=45, null=True)  # where the program asked from
    user_agent = CharField(max_length=255, null=True)
    created_at = DateTimeField(default=utcnow)
    expires_at = DateTimeField()
    interval = IntegerField()  # seconds between polls; raised by 5 at each slow_down
    last_polled_at = DateTimeField(null=True)
    status = CharField(max_length=10, default="pending")  # pending | approved | denied | consumed
    user = ForeignKeyField(User, null=True, on_delete="CASCADE")
    company_ids = JSONField(null=True)  # the companies the user picked (ids), until tokens are issued
    decided_at = DateTimeField(null=True)


class ProgramConnection(BaseModel):
    """A program connected to an account: one approval, one family of rotating tokens."""

    user = ForeignKeyField(User, backref="program_connections", on_delete="CASCADE")
    client = ForeignKeyField(ProgramClient, on_delete="CASCADE")
    machine_name = CharField(max_length=100, null=True)
    scope = CharField(max_length=200)
    created_at = DateTimeField(default=utcnow)  # first use
    last_used_at = DateTimeField(default=utcnow)
    last_ip = CharField(max_length=45, null=True)
    revoked_at = DateTimeField(null=True)
    # user | password_reset | email_reverted | reuse | program | deleted
    revoked_reason = CharField(max_length=20, null=True)


class ProgramConnectionCompany(BaseModel):
    """A company the user let the program use, through the membership it had then: when the
    membership ends (removal, leaving, account deletion) the row goes with it, so a later new
    membership of the same company does not bring the program's access back."""

    connection = ForeignKeyField(ProgramConnection, backref="companies", on_delete="CASCADE")
    membership = ForeignKeyField(Membership, on_delete="CASCADE")

    class Meta:
        indexes = ((("connection", "membership"), True),)


class ProgramToken(BaseModel):
    """An access token and its refresh token; a refresh makes a new row (rotation)."""

    connection = ForeignKeyField(ProgramConnection, backref="tokens", on_delete="CASCADE")
    access_hash = CharField(max_length=64, unique=True)
    refresh_hash = CharField(max_length=64, unique=True)
    created_at = DateTimeField(default=utcnow)
    access_expires_at = DateTimeField()
    refresh_expires_at = DateTimeField()
    refresh_used_at = DateTimeField(null=True)  # rotated: a second use means theft
    revoked_at = DateTimeField(null=True)  # this access token revoked by the program (RFC 7009)


# One live registration per installation id and licence; one pending claim per person and company.
# A user code is unique among the codes still waiting for the user.
DeviceAuthorization.add_index(
    DeviceAuthorization.index(DeviceAuthorization.user_code_hash, unique=True,
                              where=DeviceAuthorization.status == "pending")
)
Installation.add_index(
    Installation.index(Installation.licence, Installation.installation_id, unique=True,
                       where=Installation.status.in_(["pending", "active"]))
)
AdminClaim.add_index(
    AdminClaim.index(AdminClaim.company, AdminClaim.claimant, unique=True, where=AdminClaim.status == "pending")
)
class TotpCredential(BaseModel):
    """An authenticator app (TOTP, RFC 6238) that confirmed its first code: the second step."""

    user = ForeignKeyField(User, unique=True, backref="+", on_delete="CASCADE")
    secret = TextField()  # Fernet-encrypted with KONTO_TWO_STEP_KEY (konto.factors)
    last_step = BigIntegerField()  # the last time step whose code was accepted: it and older are refused
    created_at = DateTimeField(default=utcnow)


class TotpEnrolment(BaseModel):
    """An authenticator app being set up: its secret shown as a QR code until the first code."""

    user = ForeignKeyField(User, unique=True, backref="+", on_delete="CASCADE")
    secret = TextField()  # Fernet-encrypted, like TotpCredential's
    created_at = DateTimeField(default=utcnow)


class RecoveryCode(BaseModel):
    """A single-use recovery code, kept as a salted SHA-256 of its 80 random bits."""

    user = ForeignKeyField(User, backref="+", on_delete="CASCADE")
    salt = CharField(max_length=32)
    code_hash = CharField(max_length=64)
    used_at = DateTimeField(null=True)
    created_at = DateTimeField(default=utcnow)


class Passkey(BaseModel):
    """A WebAuthn credential: a second step, and a way to sign in without the password."""

    user = ForeignKeyField(User, backref="+", on_delete="CASCADE")
    credential_id = CharField(max_length=1400, unique=True)  # base64url, as the browser sends it
    public_key = TextField()  # COSE key, base64url
    sign_count = BigIntegerField(default=0)
    name = CharField(max_length=60)
    transports = CharField(max_length=100, default="")
    created_at = DateTimeField(default=utcnow)
    last_used_at = DateTimeField(null=True)


class PasskeyChallenge(BaseModel):
    """A WebAuthn challenge handed to one browser, deleted when it is answered (single use)."""

    challenge = CharField(max_length=100, unique=True)  # base64url of 32 random bytes
    purpose = CharField(max_length=20)  # register | second_step | sign_in | reauth
    user = ForeignKeyField(User, null=True, backref="+", on_delete="CASCADE")
    created_at = DateTimeField(default=utcnow)


class PendingLogin(BaseModel):
    """A half-session: the password was right, the second step is still to come. Grants nothing
    but the second-step pages; its key lives only in this browser's session cookie."""

    key_hash = CharField(max_length=64, unique=True)
    user = ForeignKeyField(User, backref="+", on_delete="CASCADE")
    remember = BooleanField(default=False)
    created_at = DateTimeField(default=utcnow)


class RateLimitHit(BaseModel):
    """One request a rate limit counted (moving window), shared by every process (konto.limit_storage)."""

    key = CharField(max_length=255)
    at = DoubleField()  # seconds since the epoch

    class Meta:
        indexes = ((("key", "at"), False),)


class RateLimitCounter(BaseModel):
    """A fixed window's count of a rate limit (konto.limit_storage)."""

    key = CharField(max_length=255, unique=True)
    count = IntegerField()
    expires_at = DoubleField()


ALL_MODELS = [
    User,
    UserSession,
    Consent,
    EmailChange,
    Email,
    Company,
    Membership,
    AccessRequest,
    Invitation,
    MembershipEvent,
    CompanyDraft,
    RegistryCache,
    AuditEvent,
    StaffMember,
    CatalogueState,
    Product,
    Edition,
    Service,
    Inclusion,
    Licence,
    LicenceExtension,
    TrialUse,
    Installation,
    LicenceEvent,
    CompanyService,
    ServiceTermsAcceptance,
    AbonamentNotice,
    AdminClaim,
    TotpCredential,
    TotpEnrolment,
    RecoveryCode,
    Passkey,
    PasskeyChallenge,
    PendingLogin,
    ProgramClient,
    DeviceAuthorization,
    ProgramConnection,
    ProgramConnectionCompany,
    ProgramToken,
    RateLimitHit,
    RateLimitCounter,
]
