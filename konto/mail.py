"""Sending e-mail: an outbox table, a sender thread, and at-least-once delivery.

`send_email` writes the message to the Email table inside the caller's transaction, so a
message exists if and only if the change that caused it was committed. Nothing talks to
SMTP while a request is being answered: after the request the app's sender thread is woken
and delivers whatever is due, with a timeout on every SMTP connection, so a slow or hanging
mail server never slows a page down. A message SMTP did not take stays in the table with
its attempts, last error and the time of its next attempt (exponential backoff), and the
thread tries again then; `flask --app wsgi mail send-pending` does the same from cron.

A message is given up on only when the receiving side says it can never be delivered: the
recipient refused with a permanent (5xx) reply, or a local part that is not ASCII and a server
that does not speak SMTPUTF8. It keeps `failed_at` and its last error and is not tried again.

Delivery is **at least once**: a message is claimed (attempts + 1, next attempt pushed past
the SMTP timeout) before it is sent and marked sent after SMTP accepted it. A crash between
those two steps sends it again later, with the same Message-ID header, so receivers (and
their mail servers) can drop the duplicate. Several processes (gunicorn workers, cron) may
run senders at once: the claim is a conditional UPDATE, so two never send one message at
the same moment.

In demo mode (no MAIL_SERVER) the table is the mailbox shown at /poczta and nothing leaves
the machine.
"""

import logging
import os
import re
import smtplib
import threading
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formataddr
from email.utils import formatdate
from email.utils import make_msgid

import click
from flask import current_app
from flask import g
from flask import has_request_context
from flask import render_template
from flask.cli import with_appcontext
from flask_babel import force_locale
from flask_mail import Connection
from flask_mail import Mail

from konto import i18n
from konto.addresses import for_smtp
from konto.db import database
from konto.models import Email
from konto.models import User
from konto.models import utcnow

mail = Mail()
log = logging.getLogger(__name__)

_LINE_BREAKS = re.compile(r"[\x00-\x1f\x7f]+")


def _fitting_subject(subject):
    """The subject on one line, shortened with "…" to what the column holds (a company's
    registry name can be longer than a subject line should be)."""
    limit = Email.subject.max_length
    subject = _LINE_BREAKS.sub(" ", str(subject)).strip()
    return subject if len(subject) <= limit else subject[: limit - 1].rstrip() + "…"


def send_email(recipient, subject, template, language=None, **context):
    """Store an e-mail rendered from email/<template>.txt and .html; it is delivered after commit.

    It is written in its recipient's language: `language` when given, else the language of the
    account `user` in the context (the person it goes to) or of the account with the address,
    else the language of this request. So the subject, and any text in the context, are lazy
    strings (`lazy_gettext`), translated here.
    """
    demo = current_app.config["DEMO_MAIL"]
    with force_locale(_language_of(recipient, language, context.get("user"))):
        subject = _fitting_subject(subject)
        text_body = render_template(f"email/{template}.txt", subject=subject, **context)
        html_body = render_template(f"email/{template}.html", subject=subject, **context)
    message = Email.create(
        recipient=recipient,
        subject=subject,
        text_body=text_body,
        html_body=html_body,
        message_id=make_msgid(domain=_sender_domain()),
        # Demo mode: the table is the mailbox, so the message is "sent" as it is stored.
        sent_at=utcnow() if demo else None,
        next_attempt_at=None if demo else utcnow(),
    )
    if not demo:
        if has_request_context():
            g.konto_mail_queued = True  # the sender is woken after the request, once committed
        elif not database.in_transaction():
            deliver(message.id)
    return message


def _language_of(recipient, language, user):
    chosen = language or getattr(user, "language", None)
    if chosen is None:
        chosen = User.select(User.language).where(User.email == recipient).scalar()
    return i18n.locale_for_recipient(chosen)


def _sender_domain():
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    address = sender[1] if isinstance(sender, (tuple, list)) else sender
    return address.rpartition("@")[2] or "localhost"


class _TimeoutConnection(Connection):
    """Flask-Mail's connection with a socket timeout (Flask-Mail has none: it would wait forever)."""

    def __init__(self, state, timeout):
        super().__init__(state)
        self.timeout = timeout

    def configure_host(self):
        state = self.mail
        cls = smtplib.SMTP_SSL if state.use_ssl else smtplib.SMTP
        host = cls(state.server, state.port, timeout=self.timeout)
        try:
            host.set_debuglevel(int(state.debug))
            if state.use_tls:
                host.starttls()
            if state.username and state.password:
                host.login(state.username, state.password)
        except BaseException:
            host.close()
            raise
        return host


def _sender():
    """(the From header, the envelope sender) from MAIL_DEFAULT_SENDER (an address or (name, address))."""
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    if isinstance(sender, (tuple, list)):
        return formataddr(tuple(sender)), sender[1]
    return sender, sender


def _mime(message, recipient):
    """The stored message as MIME (text and HTML alternatives) with its stable Message-ID.

    The standard library's, not Flask-Mail's Message: that one cannot address a local part that
    is not ASCII, which SMTPUTF8 can carry.
    """
    header_from, _envelope = _sender()
    mime = EmailMessage()
    mime["Subject"] = message.subject
    mime["From"] = header_from
    mime["To"] = recipient
    mime["Date"] = formatdate(localtime=True)
    mime["Message-ID"] = message.message_id  # receivers can drop a duplicate after a retry
    mime.set_content(message.text_body)
    mime.add_alternative(message.html_body, subtype="html")
    return mime


def _smtp_send(message):
    """Hand one stored message to SMTP; raises what smtplib raises (SMTPNotSupportedError when
    the address needs SMTPUTF8 and the server has none)."""
    recipient, _needs_utf8 = for_smtp(message.recipient)
    _from, envelope_from = _sender()
    state = current_app.extensions["mail"]
    with _TimeoutConnection(state, current_app.config["MAIL_TIMEOUT"]) as connection:
        if connection.host is not None:  # None: MAIL_SUPPRESS_SEND (Flask-Mail's), taken as sent
            connection.host.send_message(_mime(message, recipient), from_addr=envelope_from, to_addrs=[recipient])


def _undeliverable(error):
    """True when trying again can never help: the server cannot carry the address, or refused
    the recipient for good (5xx)."""
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return True
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return bool(error.recipients) and all(500 <= code < 600 for code, _reply in error.recipients.values())
    return False


def _backoff(attempts):
    config = current_app.config
    seconds = min(config["MAIL_RETRY_BASE"] * 2 ** max(attempts - 1, 0), config["MAIL_RETRY_MAX"])
    return timedelta(seconds=seconds)


def _claim(message_id, force=False):
    """Take a message for one attempt; False when it is sent, not due, or another sender has it."""
    now = utcnow()
    # Long enough that nobody else tries while this attempt may still be talking to SMTP.
    lease = timedelta(seconds=3 * current_app.config["MAIL_TIMEOUT"] + 60)
    # last_error is cleared while an attempt is in flight: a message waiting out its backoff
    # has one, a message another sender is sending right now has none.
    due = Email.next_attempt_at.is_null() | (Email.next_attempt_at <= now)
    if force:
        due = due | Email.last_error.is_null(False)
    query = Email.update(
        attempts=Email.attempts + 1, next_attempt_at=now + lease, last_error=None
    ).where((Email.id == message_id) & Email.sent_at.is_null() & Email.failed_at.is_null() & due)
    return query.execute() == 1


def deliver(message_id, force=False):
    """One attempt at one stored message: True when SMTP took it (or it was sent already).

    `force` skips the wait of a message whose last attempt failed (not one another sender is
    sending right now).
    """
    if not _claim(message_id, force=force):
        message = Email.get_or_none(Email.id == message_id)
        return message is not None and message.sent_at is not None
    message = Email.get_by_id(message_id)
    try:
        _smtp_send(message)
    except Exception as error:  # noqa: BLE001 - any failure is recorded, and retried unless it is for good
        given_up = _undeliverable(error)
        log.warning("e-mail %s not delivered (attempt %s%s): %s", message_id, message.attempts,
                    ", given up" if given_up else "", type(error).__name__)
        Email.update(
            last_error=f"{type(error).__name__}: {error}"[:1000],
            next_attempt_at=None if given_up else utcnow() + _backoff(message.attempts),
            failed_at=utcnow() if given_up else None,
        ).where(Email.id == message_id).execute()
        return False
    Email.update(sent_at=utcnow(), last_error=None, next_attempt_at=None).where(
        Email.id == message_id
    ).execute()
    return True


def due_messages(limit=100):
    now = utcnow()
    query = (
        Email.select(Email.id)
        .where(
            Email.sent_at.is_null()
            & Email.failed_at.is_null()
            & (Email.next_attempt_at.is_null() | (Email.next_attempt_at <= now))
        )
        .order_by(Email.id)
        .limit(limit)
    )
    return [row.id for row in query]


def send_due():
    """Deliver every message that is due now; return (sent, failed)."""
    sent = failed = 0
    while True:
        batch = due_messages()
        if not batch:
            return sent, failed
        for message_id in batch:
            if deliver(message_id):
                sent += 1
            else:
                failed += 1


def send_pending():
    """Try every message not yet delivered nor given up on, due or not (cron, or by hand); return
    (sent, failed)."""
    sent = failed = 0
    for message in Email.select(Email.id).where(Email.sent_at.is_null() & Email.failed_at.is_null()).order_by(Email.id):
        if deliver(message.id, force=True):
            sent += 1
        else:
            failed += 1
    return sent, failed


class Sender:
    """The app's background sender: one daemon thread per process, started on first use."""

    def __init__(self, app):
        self.app = app
        self.wake_event = threading.Event()
        self.stop_event = threading.Event()
        self.thread = None
        self.pid = None
        self.lock = threading.Lock()
        self.db = None

    def wake(self):
        self._ensure_running()
        self.wake_event.set()

    def _ensure_running(self):
        # After a fork (gunicorn workers) the parent's thread is gone: start one here.
        with self.lock:
            if self.thread is not None and self.thread.is_alive() and self.pid == os.getpid():
                return
            self.stop_event.clear()
            self.pid = os.getpid()
            self.db = database.obj
            self.thread = threading.Thread(target=self._run, name="konto-mail-sender", daemon=True)
            self.thread.start()

    def stop(self, timeout=5):
        self.stop_event.set()
        self.wake_event.set()
        if self.thread is not None:
            self.thread.join(timeout)

    def _run(self):
        poll = self.app.config["MAIL_SENDER_POLL"]
        while not self.stop_event.is_set():
            if database.obj is not self.db:
                return  # another app in this process re-bound the database (tests): not ours
            try:
                with self.app.app_context(), database.connection_context():
                    send_due()
                    wait = self._until_next_due(poll)
            except Exception:  # the thread must outlive any one failure (logged below)
                log.exception("mail sender: pass failed")
                wait = poll
            self.wake_event.wait(wait)
            self.wake_event.clear()

    def _until_next_due(self, poll):
        row = (
            Email.select(Email.next_attempt_at)
            .where(Email.sent_at.is_null() & Email.next_attempt_at.is_null(False))
            .order_by(Email.next_attempt_at)
            .first()
        )
        if row is None:
            return poll
        seconds = (row.next_attempt_at - utcnow()).total_seconds()
        return min(max(seconds, 0.05), poll)


def init_app(app):
    """Flask-Mail, and the sender thread woken after each request that stored a message."""
    mail.init_app(app)
    sender = Sender(app)
    app.extensions["konto_mail_sender"] = sender

    @app.after_request
    def _wake_sender_after_commit(response):
        if g.pop("konto_mail_queued", False) and app.config["MAIL_SENDER_THREAD"]:
            sender.wake()
        return response

    @app.before_request
    def _start_sender():
        # A restarted process picks up what an earlier one left undelivered.
        if not app.config["DEMO_MAIL"] and app.config["MAIL_SENDER_THREAD"] and sender.pid != os.getpid():
            sender.wake()


@click.command("send-pending")
@with_appcontext
def send_pending_command():
    """Deliver the e-mails that could not be sent yet (for cron)."""
    with database.connection_context():
        sent, failed = send_pending()
    click.echo(f"wysłane: {sent}, nieudane: {failed}")
