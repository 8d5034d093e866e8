"""E-mails that tell an account's owner what was done to the account, with a way out."""

from konto import tokens
from konto.i18n_cache import lazy_gettext as _l
from konto.links import external_url
from konto.mail import send_email


def tell_owner(user, subject, template, **context):
    """An e-mail to the account's owner, with a link to set a new password in case it was not them."""
    send_email(user.email, subject, template, user=user, reset_link=external_url("auth.forgot_password"), **context)


def send_reset_link(user):
    """The e-mail with a link to set a new password (valid RESET_TOKEN_MAX_AGE, used once)."""
    link = external_url("auth.reset_password", token=tokens.make_token(tokens.RESET, user))
    send_email(user.email, _l("Ustaw nowe hasło"), "reset", user=user, link=link)
