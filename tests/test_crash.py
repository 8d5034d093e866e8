"""SIGKILL the app in the middle of the last step of "Dodaj firmę", for real, then restart it.

The app runs as `flask --app wsgi run` would run it (tests/crash_server.py, which can also
hold a request inside its transaction) in a subprocess on a temporary database. Either the
company and its membership both exist after the restart, or neither does (and the draft is
still there, so the person can simply submit again).
"""

import random
import sqlite3
import threading
import time

import pytest
import requests

from tests.http_helpers import AppProcess
from tests.http_helpers import Browser

pytestmark = pytest.mark.slow  # real processes, started and killed

COMPANIES = ["PL5250001003", "PL6770002009", "PL6760003007", "PL7390004008", "PL9720005007", "PL5260009006"]


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
