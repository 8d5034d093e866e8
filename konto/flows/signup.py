"""Opening an account: registration, the activation link, activation.

Nothing here tells the caller whether an address has an account: registering a taken address
or asking for a new activation link has the same result, and the address's owner learns what
happened by e-mail.

Anyone can register any address, so an account waiting for activation belongs to nobody yet:
registering it again gives it the new registration's password, name and consents, and the
activation link activates only with the account's password typed again. So whoever activates
(the one who reads the mailbox) sets the password the account ends up with: an earlier
registration by someone else leaves nothing behind.
"""

from flask_babel import gettext as _
from peewee import IntegrityError

from konto import audit
from konto import documents
from konto import passwords
from konto import sessions
from konto import tokens
from konto.db import database
from konto.db import write_transaction
from konto.flows.notices import tell_owner
from konto.i18n_cache import lazy_gettext as _l
from konto.links import external_url
from konto.mail import send_email
from konto.models import Consent
from konto.models import User
from konto.models import utcnow

# How activate() ended.
ACTIVATED = "activated"
WRONG_PASSWORD = "wrong_password"
ALREADY_ACTIVE = "already_active"


def register(email, password, first_name, last_name, marketing=False, language=None):
    """An inactive account with the terms and privacy notice accepted (the form requires both), and
    the marketing consent if given, in the language the visitor registered in (None: not chosen);
    its activation link goes to the address. For an address with
    an account, its owner is told instead (or, not yet activated, gets the activation link again)."""
    # Hashed outside the transaction: it is slow on purpose and must not hold the write lock.
    password_hash = passwords.hash_password(password)
    details = (email, password_hash, first_name, last_name, marketing, language)
    try:
        _create_or_notify(*details)
    except IntegrityError:
        # A parallel submit created the account between our check and our insert (databases
        # without SQLite's IMMEDIATE lock): now it exists, so this one is "already registered".
        _create_or_notify(*details)


def _create_or_notify(email, password_hash, first_name, last_name, marketing, language):
    with write_transaction():
        existing = User.get_or_none(User.email == email)
        if existing is None:
            user = User.create(email=email, first_name=first_name, last_name=last_name, password_hash=password_hash,
                               language=language)
            _accept_documents(user, marketing)
            audit.record("register", user)
            send_activation(user)
        elif not existing.is_activated:
            _register_again(existing, password_hash, first_name, last_name, marketing)
        else:
            subject = _l("Próba założenia konta na Twój adres")
            tell_owner(existing, subject, "register_existing", login_link=external_url("auth.login"))


def _accept_documents(user, marketing):
    chosen = [documents.TERMS, documents.PRIVACY] + ([documents.MARKETING] if marketing else [])
    for document in chosen:
        documents.accept(user, document)


def _register_again(user, password_hash, first_name, last_name, marketing):
    """An account not activated yet, registered again: it is this registration's now."""
    user.password_hash, user.first_name, user.last_name = password_hash, first_name, last_name
    User.update(password_hash=password_hash, first_name=first_name, last_name=last_name).where(
        (User.id == user.id) & User.activated_at.is_null()
    ).execute()
    Consent.delete().where(Consent.user == user.id).execute()
    _accept_documents(user, marketing)
    audit.record("register", user)
    send_activation(user)


def send_activation(user):
    """The e-mail with the account's activation link (valid ACTIVATION_TOKEN_MAX_AGE)."""
    link = external_url("auth.activate", token=tokens.make_token(tokens.ACTIVATE, user))
    send_email(user.email, _l("Aktywuj swoje Konto"), "activation", user=user, link=link)


def resend_activation(email):
    """A new activation link, when the address has an account waiting for activation; else nothing."""
    user = User.get_or_none(User.email == email)
    if user is not None and not user.is_activated:
        with database.atomic():
            send_activation(user)


def activate(user, password):
    """Activate the account with its password typed again, and log this browser in.

    ACTIVATED; WRONG_PASSWORD (recorded; not the password of the account's latest registration);
    or ALREADY_ACTIVE (a double submit activates once).
    """
    if not passwords.verify_password(user.password_hash, password):
        audit.record("login_failed", user.id, _("aktywacja"))
        return WRONG_PASSWORD
    now = utcnow()
    with write_transaction():
        # Only while the password just checked is still the account's (no registration since).
        unchanged = (User.id == user.id) & User.activated_at.is_null() & (User.password_hash == user.password_hash)
        activated = User.update(activated_at=now).where(unchanged).execute()
        if activated:
            audit.record("activate", user)
    if not activated:
        stored = User.get_or_none(User.id == user.id)
        return ALREADY_ACTIVE if stored is not None and stored.is_activated else WRONG_PASSWORD
    user.activated_at = now  # Flask-Login logs in active users only
    sessions.start_session(user)
    audit.record("login", user)
    return ACTIVATED
