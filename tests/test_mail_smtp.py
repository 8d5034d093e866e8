"""E-mail over real SMTP: an aiosmtpd server on 127.0.0.1 receives what the app sends."""

import email
import email.policy
import re
import socket

import pytest
from aiosmtpd.controller import Controller

from konto import create_app
from konto.db import database
from konto.models import Email
from tests.conftest import PASSWORD
from tests.conftest import Journey
from tests.conftest import make_config


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


def smtp_app(tmp_path, port):
    return create_app(
        make_config(
            tmp_path,
            MAIL_SERVER="127.0.0.1",
            MAIL_PORT=port,
            MAIL_SUPPRESS_SEND=False,
            MAIL_DEFAULT_SENDER=("Konto", "no-reply@konto.example"),
        )
    )


def test_activation_mail_arrives_over_smtp_and_its_link_works(tmp_path, smtp_server):
    app = smtp_app(tmp_path, smtp_server.port)
    assert app.config["DEMO_MAIL"] is False
    journey = Journey(app.test_client())
    assert journey.register().status_code == 303
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
    assert journey.client.post(path).status_code == 303
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
    with database.connection_context():
        stored = Email.get()
    assert stored.sent_at is None and stored.attempts == 1 and stored.last_error

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
