"""SIGKILL the app in the middle of the last step of "Dodaj firmę", for real, then restart it.

The app runs as `flask --app wsgi run` would run it (tests/crash_server.py, which can also
hold a request inside its transaction) in a subprocess on a temporary database. Either the
company and its membership both exist after the restart, or neither does (and the draft is
still there, so the person can simply submit again).
"""

import os
import random
import select
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from tests.http_helpers import Browser

pytestmark = pytest.mark.slow  # real processes, started and killed

ROOT = Path(__file__).resolve().parent.parent
COMPANIES = ["PL5250001003", "PL6770002009", "PL6760003007", "PL7390004008", "PL9720005007", "PL5260009006"]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class AppProcess:
    """The app's development server on its own database, started and SIGKILLed like a real server."""

    def __init__(self, tmp_path, **env):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.db = tmp_path / "konto.sqlite3"
        self.env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": os.environ.get("HOME", "/tmp"),
            "DATABASE_URL": f"sqlite:///{self.db}",
            "SECRET_KEY": "crash-test-secret",
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


def last_mail(db):
    def read(email):
        with sqlite3.connect(db) as connection:
            (text,) = connection.execute(
                "SELECT text_body FROM email WHERE recipient = ? ORDER BY id DESC LIMIT 1", (email,)
            ).fetchone()
        return text
    return read


def state(db):
    with sqlite3.connect(db) as connection:
        companies = {row[0]: row[1] for row in connection.execute("SELECT tax_id, id FROM company")}
        members = {row[0] for row in connection.execute("SELECT company_id FROM membership")}
        # Drafts still to finish (a finished one remembers its company).
        drafts = {row[0] for row in connection.execute("SELECT tax_id FROM companydraft WHERE company_id IS NULL")}
        (check,) = connection.execute("PRAGMA integrity_check").fetchone()
    return companies, members, drafts, check


@pytest.fixture
def processes():
    started = []
    yield started
    for process in started:
        if process.process.poll() is None:
            process.stop()


def prepare(app, count):
    """People who reached the last step, each for another company: (browser, path, data)."""
    people = []
    for i in range(count):
        email = f"osoba{i}@example.com"
        browser = Browser(app.url).sign_up(email, last_mail=last_mail(app.db))
        path = browser.company_draft(COMPANIES[i])
        people.append((browser, path, browser.final_step_data(path, email)))
    return people


def test_sigkill_inside_the_final_steps_transaction_leaves_neither(tmp_path, processes):
    app = AppProcess(tmp_path, KONTO_TEST_HOLD_IN_MAIL="company_admin")
    processes.append(app)
    [(browser, path, data)] = prepare(app, 1)

    thread = threading.Thread(target=lambda: _post_ignoring_errors(browser, path, data))
    thread.start()
    assert app.next_event() == "holding", "the request never reached the transaction"
    # Company and membership are written, the transaction is open: kill -9 now.
    app.kill()
    thread.join(10)

    companies, members, drafts, check = state(app.db)
    assert check == "ok"
    assert companies == {} and members == set()
    assert drafts == {COMPANIES[0]}  # nothing lost: the person can submit again

    restarted = AppProcess(tmp_path)
    processes.append(restarted)
    browser.base = restarted.url  # the same browser (cookies and all), the new process
    again = browser.post_prepared(path, {**data, "csrf_token": browser.token(path)})
    assert again.status_code == 303
    companies, members, drafts, check = state(restarted.db)
    assert set(companies) == {COMPANIES[0]} and members == set(companies.values()) and drafts == set()


def _post_ignoring_errors(browser, path, data):
    try:
        return browser.post_prepared(path, data)
    except requests.RequestException:
        return None


def test_sigkill_while_final_steps_are_in_flight(tmp_path, processes):
    app = AppProcess(tmp_path)
    processes.append(app)
    people = prepare(app, len(COMPANIES))
    threads = [threading.Thread(target=_post_ignoring_errors, args=person) for person in people]
    for thread in threads:
        thread.start()
    # A random moment is the point of this test (no event marks "some requests half done").
    time.sleep(random.uniform(0.0, 0.05))
    app.kill()
    for thread in threads:
        thread.join(10)

    companies, members, drafts, check = state(app.db)
    assert check == "ok"
    print(f"killed with {len(companies)} of {len(COMPANIES)} companies added")
    for number in COMPANIES:
        added = number in companies
        # Both or neither; and a company that is not there still has its draft.
        assert added == (added and companies[number] in members)
        assert added != (number in drafts)
    assert members <= set(companies.values())
