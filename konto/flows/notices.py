"""E-mails that tell an account's owner what was done to the account, with a way out."""

from konto.links import external_url
from konto.mail import send_email


def tell_owner(user, subject, template, **context):
    """An e-mail to the account's owner, with a link to set a new password in case it was not them."""
    send_email(user.email, subject, template, user=user, reset_link=external_url("auth.forgot_password"), **context)
