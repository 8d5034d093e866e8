"""Changing the account's e-mail address: a link to the new address confirms it, and a "to nie
ja" link to the old one puts it back (and ends every session)."""

from flask_babel import gettext as _
from peewee import IntegrityError

from konto import audit
from konto import sessions
from konto import tokens
from konto.db import database
from konto.db import write_transaction
from konto.flows.password import send_reset_link
from konto.links import external_url
from konto.mail import send_email
from konto.models import User


def request_change(user, new_email):
    """Send the new address a link that confirms it. An address with an account gets nothing:
    the user's answer is the same either way, so nothing tells whether it has one."""
    if User.get_or_none(User.email == new_email) is not None:
        return
    token = tokens.make_token(tokens.CHANGE_EMAIL, user, email=new_email)
    with database.atomic():
        link = external_url("account.confirm_email", token=token)
        send_email(new_email, _("Potwierdź nowy adres e-mail"), "email_change_confirm", user=user, link=link)
        audit.record("email_change_requested", user.id)


def confirm(user, new_email):
    """The new address confirmed: it becomes the account's, the old one is told (with a way
    back). False when the address was taken meanwhile or the account's address changed since."""
    old_email = user.email
    try:
        with write_transaction():
            if not _replace_email(user, new_email):
                return False
            token = tokens.make_token(tokens.REVERT_EMAIL, user, email=old_email)
            send_email(old_email, _("Adres e-mail Konta został zmieniony"), "email_changed",
                       user=user, new_email=new_email, link=external_url("account.revert_email", token=token))
            audit.record("email_changed", user.id)
    except IntegrityError:
        return False
    return True


def revert(user, old_email):
    """"To nie ja": the old address comes back, every session ends, a reset link goes to it.
    False when the address changed again since, or the old one was taken meanwhile."""
    try:
        with write_transaction():
            if not _replace_email(user, old_email):
                return False
            sessions.end_all_sessions(user)
            audit.record("email_change_reverted", user.id)
            send_reset_link(user)
    except IntegrityError:
        return False
    return True


def _replace_email(user, address):
    """Set the user's address, only if it is still the one the link was made for; True if changed."""
    if address == user.email:
        return False
    changed = User.update(email=address).where((User.id == user.id) & (User.email == user.email)).execute()
    if changed:
        user.email = address
    return bool(changed)
