"""A browser-like client over real HTTP (requests), for the live-server and subprocess tests."""

import os
import re
import select
import signal
import socket
import subprocess
import sys
from pathlib import Path

import requests

from konto.db import database
from konto.models import Email
from tests.helpers import PASSWORD

ROOT = Path(__file__).resolve().parent.parent
_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def last_mail_text(email):
    with database.connection_context():
        message = Email.select().where(Email.recipient == email).order_by(Email.id.desc()).first()
    return message.text_body


class Browser:
    """One person's browser: a cookie jar, and forms posted with the page's CSRF token."""

    def __init__(self, base_url, ip=None):
        self.base = base_url
        self.session = requests.Session()

    def get(self, path):
        return self.session.get(self.base + path, allow_redirects=False, timeout=60)

    def token(self, path):
        page = self.get(path)
        assert page.status_code == 200, (path, page.status_code)
        return _TOKEN.search(page.text).group(1)

    def post(self, path, data, token_from=None):
        data = dict(data)
        data["csrf_token"] = self.token(token_from or path)
        return self.post_prepared(path, data)

    def post_prepared(self, path, data):
        return self.session.post(self.base + path, data=data, allow_redirects=False, timeout=60)

    def registration(self, email):
        return {
            "first_name": "Anna",
            "last_name": "Nowak",
            "email": email,
            "password": PASSWORD,
            "password_repeat": PASSWORD,
            "accept_terms": "y",
            "accept_privacy": "y",
        }

    def sign_up(self, email, last_mail=None):
        """Register, and activate (the link read from the database) with the password: logged in."""
        assert self.post("/rejestracja", self.registration(email)).status_code == 303
        text = (last_mail or last_mail_text)(email)
        path = re.search(r"https?://[^\s/]+(/aktywacja/\S+)", text).group(1)
        activated = self.post(path, {"password": PASSWORD})
        assert activated.status_code == 303 and activated.headers["Location"] == "/panel", activated.text
        return self

    def company_draft(self, number):
        """Step 1 of "Dodaj firmę": the path of the final step for this number."""
        response = self.post("/firmy/dodaj", {"number": number})
        assert response.status_code == 303, response.text
        return response.headers["Location"].replace("/dane", "/oswiadczenie")

    def final_step_data(self, statement_path, email):
        return {
            "csrf_token": self.token(statement_path),
            "statement": "y",
            "by_email": "y",
            "contact_email": email,
        }


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class AppProcess:
    """The app's development server in a process of its own (tests/crash_server.py), on the
    database its DATABASE_URL names: started, and stopped or SIGKILLed, like a real server."""

    def __init__(self, tmp_path, **env):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.db = tmp_path / "konto.sqlite3"
        self.env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": os.environ.get("HOME", "/tmp"),
            "DATABASE_URL": f"sqlite:///{self.db}",
            "SECRET_KEY": "crash-test-secret",
            "KONTO_DEMO": "1",
            "RATELIMIT_ENABLED": "0",
            **env,
        }
        self.log = open(tmp_path / f"app-{self.port}.log", "w")
        read_end, write_end = os.pipe()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.crash_server", str(self.port), str(write_end)],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT, pass_fds=[write_end],
        )
        os.close(write_end)
        self.events = os.fdopen(read_end)
        assert self.next_event() == "ready", "the app did not start"

    def next_event(self, timeout=30):
        """The next line the server writes to the test's pipe ("ready", "holding"), or None."""
        ready, _, _ = select.select([self.events], [], [], timeout)
        return self.events.readline().strip() if ready else None

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)
        self.close()

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.close()

    def close(self):
        self.log.close()
        self.events.close()
