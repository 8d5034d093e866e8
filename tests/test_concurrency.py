"""Many people at once, over real HTTP (a threaded server on 127.0.0.1, CSRF on).

No "database is locked", no 5xx, no duplicates: 32 registrations at once, and 20 final
steps of "Dodaj firmę" at once for one company.
"""

import logging

import pytest

from konto import create_app
from konto.db import database
from konto.limits import LIMITS
from konto.models import Company
from konto.models import CompanyDraft
from konto.models import Consent
from konto.models import Email
from konto.models import Membership
from konto.models import User
from tests.helpers import LiveServer
from tests.helpers import make_config
from tests.helpers import run_together
from tests.http_helpers import Browser

pytestmark = pytest.mark.slow  # dozens of requests at once over real HTTP

COMPANY = "PL5250001003"


@pytest.fixture
def server(tmp_path):
    # Everyone comes from 127.0.0.1 here: the per-IP limits are raised, not removed.
    limits = {f"RATELIMIT_{name}": "10000/hour" for name in LIMITS}
    app = create_app(make_config(tmp_path, WTF_CSRF_ENABLED=True, KONTO_BASE_URL=None, **limits))
    live = LiveServer(app)
    yield live
    live.stop()
    database.close()


class LogTrap(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage() + (str(record.exc_info[1]) if record.exc_info else ""))


@pytest.fixture
def log_trap():
    trap = LogTrap()
    logging.getLogger().addHandler(trap)
    yield trap
    logging.getLogger().removeHandler(trap)




def test_32_registrations_at_once(server, log_trap):
    addresses = [f"osoba{i}@example.com" for i in range(28)] + ["ta-sama@example.com"] * 4
    jobs = []
    for address in addresses:
        browser = Browser(server.url)
        data = browser.registration(address)
        data["csrf_token"] = browser.token("/rejestracja")
        jobs.append(lambda browser=browser, data=data: browser.post_prepared("/rejestracja", data))
    results = run_together(jobs)
    statuses = [getattr(r, "status_code", repr(r)) for r in results]
    print("32 registrations:", {s: statuses.count(s) for s in set(statuses)})
    assert statuses == [303] * 32
    with database.connection_context():
        emails = [u.email for u in User.select()]
        assert sorted(emails) == sorted(set(addresses))  # 29 accounts, each once
        assert Consent.select().count() == 2 * 29
        assert Email.select().where(Email.recipient == "ta-sama@example.com").count() == 4
        assert Email.select().count() == 32
    assert not [line for line in log_trap.lines if "locked" in line.lower() or "Traceback" in line]


def test_20_final_steps_of_dodaj_firme_at_once(server, log_trap):
    # Ten people each got to the last step for the same company; each clicks twice.
    people = []
    for i in range(10):
        email = f"osoba{i}@example.com"
        browser = Browser(server.url).sign_up(email)
        path = browser.company_draft(COMPANY)
        people.append((browser, path, browser.final_step_data(path, email)))
    jobs = [
        (lambda b=browser, p=path, d=data: b.post_prepared(p, d))
        for browser, path, data in people
        for _ in range(2)
    ]
    results = run_together(jobs)
    statuses = [getattr(r, "status_code", repr(r)) for r in results]
    locations = [getattr(r, "headers", {}).get("Location", "") for r in results]
    print("20 final steps:", {s: statuses.count(s) for s in set(statuses)})
    assert all(isinstance(s, int) and s < 500 for s in statuses), statuses
    with database.connection_context():
        [company] = Company.select()
        [membership] = Membership.select()
        assert membership.company_id == company.id and membership.role == "admin"
        winner = membership.user.email
        assert CompanyDraft.select().where(CompanyDraft.company.is_null()).count() == 9  # the winner's is finished
        admin_mails = Email.select().where(Email.subject.contains("administratorem")).count()
    assert admin_mails == 1
    # The winner's clicks land on the company; a click that checked the draft just before the
    # other one committed goes back to step 2, which (finished now) leads on to the company.
    # Everybody else is sent back to the preview, which offers an access request.
    winner_index = [i for i in range(10) if f"osoba{i}@example.com" == winner][0]
    for i in range(10):
        pair = [(statuses[j], locations[j]) for j in (2 * i, 2 * i + 1)]
        if i == winner_index:
            to_company = [p for p in pair if p[0] == 303 and p[1].endswith(f"/firmy/{company.id}")]
            assert to_company and all(p in to_company or (p[0] == 302 and p[1].endswith("/dane")) for p in pair), pair
        else:
            assert all(status in (302, 303) and location.endswith("/dane") for status, location in pair), pair
    assert not [line for line in log_trap.lines if "locked" in line.lower() or "Traceback" in line]
