"""Opening an account: registration, the activation link, activation.

Nothing here tells the caller whether an address has an account: registering a taken address
or asking for a new activation link has the same result, and the address's owner learns what
happened by e-mail.
"""

from flask_babel import gettext as _
from peewee import IntegrityError

from konto import audit
from konto import documents
from konto import passwords
from konto import tokens
from konto.db import database
from konto.db import write_transaction
from konto.flows.notices import tell_owner
from konto.links import external_url
from konto.mail import send_email
from konto.models import User
from konto.models import utcnow


def register(email, password, first_name, last_name, marketing=False):
    """An inactive account with the terms and privacy notice accepted (the form requires both), and
    the marketing consent if given; its activation link goes to the address. For an address with
    an account, its owner is told instead (or, not yet activated, gets the activation link again)."""
    # Hashed outside the transaction: it is slow on purpose and must not hold the write lock.
    password_hash = passwords.hash_password(password)
    details = (email, password_hash, first_name, last_name, marketing)
    try:
        _create_or_notify(*details)
    except IntegrityError:
        # A parallel submit created the account between our check and our insert (databases
        # without SQLite's IMMEDIATE lock): now it exists, so this one is "already registered".
        _create_or_notify(*details)


def _create_or_notify(email, password_hash, first_name, last_name, marketing):
    with write_transaction():
        existing = User.get_or_none(User.email == email)
        if existing is None:
            user = User.create(email=email, first_name=first_name, last_name=last_name, password_hash=password_hash)
            chosen = [documents.TERMS, documents.PRIVACY] + ([documents.MARKETING] if marketing else [])
            for document in chosen:
                documents.accept(user, document)
            audit.record("register", user)
            send_activation(user)
        elif not existing.is_activated:
            send_activation(existing)
        else:
            subject = _("Próba założenia konta na Twój adres")
            tell_owner(existing, subject, "register_existing", login_link=external_url("auth.login"))


def send_activation(user):
    """The e-mail with the account's activation link (valid ACTIVATION_TOKEN_MAX_AGE)."""
    link = external_url("auth.activate", token=tokens.make_token(tokens.ACTIVATE, user))
    send_email(user.email, _("Aktywuj swoje Konto"), "activation", user=user, link=link)


def resend_activation(email):
    """A new activation link, when the address has an account waiting for activation; else nothing."""
    user = User.get_or_none(User.email == email)
    if user is not None and not user.is_activated:
        with database.atomic():
            send_activation(user)


def activate(user):
    """Activate the account; True when this call did (a double submit activates it once)."""
    with write_transaction():
        not_yet = (User.id == user.id) & User.activated_at.is_null()
        activated = User.update(activated_at=utcnow()).where(not_yet).execute()
        if activated:
            audit.record("activate", user)
    return bool(activated)
