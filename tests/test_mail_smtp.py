"""E-mail over real SMTP: an aiosmtpd server on 127.0.0.1 receives what the app sends."""

import email
import email.policy
import re
import socket
import sqlite3
import threading
import time

import pytest
from aiosmtpd.controller import Controller

from konto import create_app
from konto import mail
from konto.db import database
from konto.models import Email
from tests.helpers import PASSWORD
from tests.helpers import Journey
from tests.helpers import make_config


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    """An aiosmtpd handler that keeps every message it is given."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 OK"


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    inbox.port = controller.port
    yield inbox
    controller.stop()


_apps = []


def smtp_app(tmp_path, port, **overrides):
    app = create_app(
        make_config(
            tmp_path,
            MAIL_SERVER="127.0.0.1",
            MAIL_PORT=port,
            MAIL_SUPPRESS_SEND=False,
            MAIL_DEFAULT_SENDER=("Konto", "no-reply@konto.example"),
            **overrides,
        )
    )
    _apps.append(app)
    return app


@pytest.fixture(autouse=True)
def _stop_senders():
    """Every app's background sender ends with its test (the database goes with tmp_path)."""
    yield
    while _apps:
        _apps.pop().extensions["konto_mail_sender"].stop()
    database.close()


def wait_for(predicate, timeout=20.0):
    """Poll until predicate() is true; False when it never became true in time.

    The sender thread writes to the database and to the SMTP server and signals nobody (and
    production code has no hook for tests), so the state it leaves is polled for.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def stored_mails():
    with database.connection_context():
        return list(Email.select().order_by(Email.id))


def test_activation_mail_arrives_over_smtp_and_its_link_works(tmp_path, smtp_server):
    app = smtp_app(tmp_path, smtp_server.port)
    assert app.config["DEMO_MAIL"] is False
    journey = Journey(app.test_client())
    assert journey.register().status_code == 303
    assert wait_for(lambda: smtp_server.messages)  # the sender thread delivers it
    [(sender, recipients, message)] = smtp_server.messages
    assert sender == "no-reply@konto.example"
    assert recipients == ["anna@example.com"]
    assert message["Subject"] == "Aktywuj swoje Konto"
    assert message["Message-ID"]
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Aktywuj konto" in html
    path = re.search(r"http://konto\.test(/aktywacja/\S+)", text).group(1)
    assert path in html
    assert journey.client.get(path).status_code == 200
    assert journey.client.post(path, data={"password": PASSWORD}).status_code == 303
    assert journey.login().status_code == 303
    with database.connection_context():
        stored = Email.get()
    assert stored.sent_at is not None and stored.attempts == 1
    assert stored.message_id == message["Message-ID"]


def test_smtp_down_loses_no_mail_and_send_pending_delivers_it_once(tmp_path):
    port = free_port()
    app = smtp_app(tmp_path, port)
    journey = Journey(app.test_client())
    response = journey.register()
    assert response.status_code == 303  # the user is not told about our mail trouble
    assert wait_for(lambda: stored_mails()[0].last_error)  # the sender thread tried once
    [stored] = stored_mails()
    assert stored.sent_at is None and stored.attempts == 1 and stored.next_attempt_at is not None

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        runner = app.test_cli_runner()
        result = runner.invoke(args=["mail", "send-pending"])
        assert "wysłane: 1, nieudane: 0" in result.output
        result = runner.invoke(args=["mail", "send-pending"])
        assert "wysłane: 0, nieudane: 0" in result.output
    finally:
        controller.stop()
    assert len(inbox.messages) == 1
    assert PASSWORD not in inbox.messages[0][2].as_string()


class CountingInbox(Inbox):
    """Counts deliveries per recipient and per Message-ID at the SMTP server."""

    async def handle_DATA(self, server, session, envelope):
        return await super().handle_DATA(server, session, envelope)

    def per_recipient(self):
        counts = {}
        for _sender, recipients, _message in self.messages:
            for recipient in recipients:
                counts[recipient] = counts.get(recipient, 0) + 1
        return counts


@pytest.mark.slow
def test_fifty_registrations_with_smtp_down_all_succeed_and_are_delivered_once_when_it_is_back(tmp_path):
    port = free_port()
    # Limits off: fifty sign-ups from one address in a minute is this test, not an attack.
    app = smtp_app(tmp_path, port, MAIL_RETRY_BASE=0.2, MAIL_RETRY_MAX=0.5, MAIL_TIMEOUT=2.0, RATELIMIT_ENABLED=False)
    client = app.test_client()
    addresses = [f"osoba{i}@example.com" for i in range(50)]
    for address in addresses:
        response = Journey(client).register(email=address)
        assert response.status_code == 303, response.data.decode()
        page = client.get(response.headers["Location"])
        assert page.status_code == 200 and address in page.data.decode()
    # Nothing is lost: every message is stored, none sent, each tried at least once.
    assert wait_for(lambda: all(m.attempts >= 1 and m.last_error for m in stored_mails()))
    mails = stored_mails()
    assert sorted(m.recipient for m in mails) == sorted(addresses)
    assert all(m.sent_at is None for m in mails)

    inbox = CountingInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        # The sender thread retries on its own (backoff), with no request and no cron.
        assert wait_for(lambda: len(inbox.messages) >= 50, timeout=30)
        assert wait_for(lambda: all(m.sent_at for m in stored_mails()), timeout=10)
        # Stop the sender (it finishes any attempt in flight): nothing may have been sent twice.
        sender = app.extensions["konto_mail_sender"]
        sender.stop(timeout=30)
        assert not sender.thread.is_alive()
        result = app.test_cli_runner().invoke(args=["mail", "send-pending"])
        assert "wysłane: 0, nieudane: 0" in result.output
    finally:
        controller.stop()
    assert inbox.per_recipient() == {address: 1 for address in addresses}
    ids = [message["Message-ID"] for _s, _r, message in inbox.messages]
    assert len(set(ids)) == 50
    assert set(ids) == {m.message_id for m in stored_mails()}


class HangingSMTP:
    """A TCP server that accepts connections and never says a word."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(50)
        self.port = self.sock.getsockname()[1]
        self.accepted = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(conn)

    def close(self):
        self.sock.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        self.thread.join(5)
        self.sock.close()
        for conn in self.accepted:
            conn.close()


def test_a_hanging_smtp_server_never_holds_up_a_request(tmp_path):
    hanging = HangingSMTP()
    try:
        # A timeout far longer than the test may run: if a request waited for SMTP it would hang.
        app = smtp_app(tmp_path, hanging.port, MAIL_TIMEOUT=3600.0)
        journey = Journey(app.test_client())
        assert journey.register().status_code == 303
        assert wait_for(lambda: hanging.accepted)  # the sender thread is talking to the server
        assert journey.client.get("/rejestracja/sprawdz-poczte").status_code == 200
        assert journey.register(email="ktos@example.com").status_code == 303
    finally:
        hanging.close()


def test_smtp_timeout_is_applied_and_recorded(tmp_path):
    hanging = HangingSMTP()
    try:
        app = smtp_app(tmp_path, hanging.port, MAIL_TIMEOUT=0.3, MAIL_SENDER_THREAD=False)
        assert Journey(app.test_client()).register().status_code == 303
        with app.app_context(), database.connection_context():
            [message] = Email.select()
            assert mail.deliver(message.id) is False
            message = Email.get_by_id(message.id)
        assert "timeout" in message.last_error.lower() or "timed out" in message.last_error.lower()
        assert message.attempts == 1 and message.next_attempt_at > message.created_at
    finally:
        hanging.close()


def test_backoff_doubles_and_is_capped(tmp_path):
    app = smtp_app(tmp_path, free_port(), MAIL_RETRY_BASE=30.0, MAIL_RETRY_MAX=3600.0)
    with app.app_context():
        assert [mail._backoff(n).total_seconds() for n in (1, 2, 3, 8, 30)] == [30, 60, 120, 3600, 3600]


@pytest.mark.sqlite_only
def test_an_old_database_gets_the_new_column(tmp_path):
    path = tmp_path / "konto.sqlite3"
    smtp_app(tmp_path, free_port(), MAIL_SENDER_THREAD=False)
    database.close()
    # A database made before the column existed (and before schema versions): migration 2 adds it.
    with sqlite3.connect(path) as connection:
        connection.execute("ALTER TABLE email DROP COLUMN next_attempt_at")
        connection.execute("DROP TABLE schema_version")
    smtp_app(tmp_path, free_port(), MAIL_SENDER_THREAD=False)
    with sqlite3.connect(path) as connection:
        columns = [row[1] for row in connection.execute("PRAGMA table_info(email)")]
    assert "next_attempt_at" in columns


# Internationalised addresses (issue 10, item 10). A domain in Unicode goes out in punycode; a
# local part in Unicode needs a server that speaks SMTPUTF8, and without one it fails for good.

TURTLE = "\u017c\u00f3\u0142w@example.com"  # żółw@example.com


@pytest.fixture
def smtp_server_without_smtputf8():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), enable_SMTPUTF8=False)
    controller.start()
    inbox.port = controller.port
    yield inbox
    controller.stop()


def test_a_unicode_domain_goes_out_in_punycode(tmp_path, smtp_server):
    app = smtp_app(tmp_path, smtp_server.port)
    assert Journey(app.test_client()).register(email="anna@bücher.de").status_code == 303
    assert wait_for(lambda: smtp_server.messages)
    [(_sender, recipients, message)] = smtp_server.messages
    assert recipients == ["anna@xn--bcher-kva.de"] and message["To"] == "anna@xn--bcher-kva.de"


def test_a_unicode_local_part_is_delivered_by_a_server_that_speaks_smtputf8(tmp_path, smtp_server):
    app = smtp_app(tmp_path, smtp_server.port)  # aiosmtpd speaks SMTPUTF8 unless told not to
    assert Journey(app.test_client()).register(email=TURTLE).status_code == 303
    assert wait_for(lambda: smtp_server.messages)
    [(_sender, recipients, message)] = smtp_server.messages
    assert recipients == [TURTLE] and message["Subject"] == "Aktywuj swoje Konto"
    assert wait_for(lambda: stored_mails()[0].sent_at)


def test_a_unicode_local_part_without_smtputf8_fails_for_good_and_is_recorded(tmp_path, smtp_server_without_smtputf8):
    smtp_server = smtp_server_without_smtputf8
    app = smtp_app(tmp_path, smtp_server.port, MAIL_SENDER_THREAD=False, MAIL_RETRY_BASE=0.0)
    assert Journey(app.test_client()).register(email=TURTLE).status_code == 303
    with app.app_context(), database.connection_context():
        [stored] = Email.select()
        assert mail.deliver(stored.id) is False
        assert mail.due_messages() == []  # never due again
        assert mail.send_pending() == (0, 0)  # not even for cron's "try everything"
        stored = Email.get_by_id(stored.id)
    assert stored.failed_at is not None and stored.sent_at is None and stored.attempts == 1
    assert "SMTPUTF8" in stored.last_error
    assert smtp_server.messages == []


class RefusingInbox(Inbox):
    """A server that has no such mailbox (550 at RCPT)."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        return "550 5.1.1 no such mailbox"


def test_a_recipient_refused_for_good_is_not_tried_again(tmp_path):
    controller = Controller(RefusingInbox(), hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        app = smtp_app(tmp_path, controller.port, MAIL_SENDER_THREAD=False, MAIL_RETRY_BASE=0.0)
        assert Journey(app.test_client()).register().status_code == 303
        with app.app_context(), database.connection_context():
            [stored] = Email.select()
            assert mail.deliver(stored.id) is False
            assert mail.due_messages() == [] and mail.send_pending() == (0, 0)
            stored = Email.get_by_id(stored.id)
    finally:
        controller.stop()
    assert stored.failed_at is not None and "550" in stored.last_error and stored.attempts == 1
