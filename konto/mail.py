"""Sending e-mail: one function, every message stored before it is delivered.

`send_email` writes the message to the Email table inside the caller's transaction, so a
message exists if and only if the change that caused it was committed. Delivery over SMTP
happens after the request (or at once outside a transaction); a failed delivery stays in
the table with its error and is retried by `flask --app wsgi mail send-pending`. In demo mode
(no MAIL_SERVER) the table is the mailbox shown at /poczta and nothing leaves the machine.
"""

import logging
import smtplib
from email.utils import make_msgid

import click
from flask import current_app
from flask import g
from flask import has_request_context
from flask import render_template
from flask_mail import Mail
from flask_mail import Message

from konto.db import database
from konto.models import Email
from konto.models import utcnow

mail = Mail()
log = logging.getLogger(__name__)


def send_email(recipient, subject, template, **context):
    """Queue an e-mail rendered from email/<template>.txt and .html; deliver it after commit."""
    message = Email.create(
        recipient=recipient,
        subject=str(subject),
        text_body=render_template(f"email/{template}.txt", subject=subject, **context),
        html_body=render_template(f"email/{template}.html", subject=subject, **context),
        message_id=make_msgid(domain=_sender_domain()),
    )
    if current_app.config["DEMO_MAIL"]:
        Email.update(sent_at=utcnow()).where(Email.id == message.id).execute()
    elif has_request_context() and database.in_transaction():
        g.setdefault("konto_mail_after_request", []).append(message.id)
    else:
        deliver(message.id)
    return message


def _sender_domain():
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    address = sender[1] if isinstance(sender, (tuple, list)) else sender
    return address.rpartition("@")[2] or "localhost"


def deliver(message_id):
    """Send one stored message over SMTP and mark it sent; record the error on failure."""
    message = Email.get_by_id(message_id)
    if message.sent_at is not None:
        return True
    Email.update(attempts=Email.attempts + 1).where(Email.id == message_id).execute()
    smtp_message = Message(
        subject=message.subject,
        recipients=[message.recipient],
        body=message.text_body,
        html=message.html_body,
    )
    smtp_message.msgId = message.message_id  # receivers can drop a duplicate after a retry
    try:
        mail.send(smtp_message)
    except (smtplib.SMTPException, OSError) as error:
        log.warning("e-mail %s not delivered: %s", message_id, type(error).__name__)
        Email.update(last_error=f"{type(error).__name__}: {error}"[:1000]).where(
            Email.id == message_id
        ).execute()
        return False
    Email.update(sent_at=utcnow(), last_error=None).where(Email.id == message_id).execute()
    return True


def send_pending():
    """Try every message not yet delivered; return (sent, failed)."""
    sent = failed = 0
    for message in Email.select(Email.id).where(Email.sent_at.is_null()).order_by(Email.id):
        if deliver(message.id):
            sent += 1
        else:
            failed += 1
    return sent, failed


def init_app(app):
    mail.init_app(app)

    @app.after_request
    def _deliver_after_commit(response):
        for message_id in g.pop("konto_mail_after_request", []):
            deliver(message_id)
        return response

    @app.cli.group("mail")
    def mail_group():
        """E-mail delivery."""

    @mail_group.command("send-pending")
    def send_pending_command():
        """Deliver the e-mails that could not be sent yet (for cron)."""
        with database.connection_context():
            sent, failed = send_pending()
        click.echo(f"wysłane: {sent}, nieudane: {failed}")
