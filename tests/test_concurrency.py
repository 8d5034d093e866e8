"""Many people at once, over real HTTP (a threaded server on 127.0.0.1, CSRF on).

No "database is locked", no 5xx, no duplicates: 32 registrations at once, 20 final steps of
"Dodaj firmę" at once for one company, one invitation accepted from 10 tabs at once, two
administrators demoting each other at once.
"""

import logging
import re

import pytest

from konto import create_app
from konto.db import database
from konto.limits import LIMITS
from konto.models import Company
from konto.models import CompanyDraft
from konto.models import Consent
from konto.models import Email
from konto.models import Invitation
from konto.models import Membership
from konto.models import MembershipEvent
from konto.models import User
from tests.helpers import PASSWORD
from tests.helpers import LiveServer
from tests.helpers import make_config
from tests.helpers import run_together
from tests.http_helpers import Browser
from tests.http_helpers import last_mail_text

pytestmark = pytest.mark.slow  # dozens of requests at once over real HTTP

COMPANY = "PL5250001003"


@pytest.fixture
def server(tmp_path):
    # Everyone comes from 127.0.0.1 here: the per-IP limits are raised, not removed.
    limits = {f"RATELIMIT_{name}": "10000/hour" for name in LIMITS}
    app = create_app(make_config(tmp_path, WTF_CSRF_ENABLED=True, **limits))
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


def _invitation_path(email):
    text = last_mail_text(email)
    return re.search(r"https?://[^\s/]+(/zaproszenie/\S+)", text).group(1)


def test_one_invitation_redeemed_10_times_at_once_makes_one_membership(server, log_trap):
    anna = Browser(server.url).sign_up("anna@example.com")
    path = anna.company_draft(COMPANY)
    assert anna.post_prepared(path, anna.final_step_data(path, "anna@example.com")).status_code == 303
    with database.connection_context():
        company = Company.get()
    assert anna.post(f"/firmy/{company.id}/uzytkownicy/dodaj", {"email": "bob@example.com"}).status_code == 303
    link = _invitation_path("bob@example.com")
    # Bob in ten tabs (ten sessions of his), each on the invitation's page, all clicking at once.
    tabs = []
    for i in range(10):
        tab = Browser(server.url)
        if i == 0:
            tab.sign_up("bob@example.com")
        else:
            assert tab.post("/logowanie", {"email": "bob@example.com", "password": PASSWORD}).status_code == 303
        with database.connection_context():
            invitation_id = Invitation.get().id
        tabs.append((tab, {"csrf_token": tab.token(link), "decyzja": "accept"}, f"/zaproszenia/{invitation_id}"))
    results = run_together([lambda t=tab, d=data, p=path: t.post_prepared(p, d) for tab, data, path in tabs])
    statuses = [getattr(r, "status_code", repr(r)) for r in results]
    print("10 accepts:", {s: statuses.count(s) for s in set(statuses)})
    assert statuses == [303] * 10, statuses
    assert {r.headers["Location"] for r in results} == {f"/firmy/{company.id}"}
    with database.connection_context():
        bob = User.get(User.email == "bob@example.com")
        assert Membership.select().where((Membership.company == company.id) & (Membership.user == bob.id)).count() == 1
        assert MembershipEvent.select().where(MembershipEvent.event == "invitation_accepted").count() == 1
        assert Invitation.get().status == "accepted"
    assert not [line for line in log_trap.lines if "locked" in line.lower() or "Traceback" in line]


def test_two_administrators_demoting_each_other_at_once_leave_one(server, log_trap):
    anna = Browser(server.url).sign_up("anna@example.com")
    path = anna.company_draft(COMPANY)
    anna.post_prepared(path, anna.final_step_data(path, "anna@example.com"))
    with database.connection_context():
        company = Company.get()
    anna.post(f"/firmy/{company.id}/uzytkownicy/dodaj", {"email": "bob@example.com", "admin": "y"})
    bob = Browser(server.url).sign_up("bob@example.com")
    with database.connection_context():
        invitation_id = Invitation.get().id
    assert bob.post(f"/zaproszenia/{invitation_id}", {"decyzja": "accept"},
                    token_from=f"/zaproszenia/{invitation_id}").status_code == 303
    users = f"/firmy/{company.id}/uzytkownicy"
    with database.connection_context():
        ids = {m.user.email: m.id for m in Membership.select()}
    for round_ in range(5):
        with database.connection_context():
            Membership.update(role="admin").execute()  # both administrators again
        jobs = [
            (anna, f"{users}/{ids['bob@example.com']}/rola", {"csrf_token": anna.token(users), "rola": "member"}),
            (bob, f"{users}/{ids['anna@example.com']}/rola", {"csrf_token": bob.token(users), "rola": "member"}),
        ]
        results = run_together([lambda b=b, p=p, d=d: b.post_prepared(p, d) for b, p, d in jobs])
        statuses = sorted(getattr(r, "status_code", repr(r)) for r in results)
        with database.connection_context():
            admins = Membership.select().where(Membership.role == "admin").count()
        # One demotion went through; the other found its sender no longer an administrator.
        assert statuses == [303, 403], (round_, statuses)
        assert admins == 1, round_
    assert not [line for line in log_trap.lines if "locked" in line.lower() or "Traceback" in line]
