"""Obsługa, the back office: the staff role, re-authentication, access, search, licences, queues, races."""

import re
import time
from datetime import timedelta

import pytest

from konto import clock as app_clock
from konto import create_app
from konto.db import database
from konto.flows import licences as flow
from konto.flows import staff as staff_flow
from konto.licences import numbers
from konto.limits import LIMITS
from konto.models import AdminClaim
from konto.models import AuditEvent
from konto.models import Email
from konto.models import Installation
from konto.models import Licence
from konto.models import LicenceEvent
from konto.models import LicenceExtension
from konto.models import Membership
from konto.models import User
from konto.models import UserSession
from tests.helpers import PASSWORD
from tests.helpers import Journey
from tests.helpers import LiveServer
from tests.helpers import app_code
from tests.helpers import give_app
from tests.helpers import mails_to
from tests.helpers import make_config
from tests.helpers import run_together
from tests.helpers import user
from tests.http_helpers import Browser
from tests.licence_helpers import COMPANY
from tests.licence_helpers import PDF
from tests.licence_helpers import company
from tests.licence_helpers import confirm_staff
from tests.licence_helpers import in_request
from tests.licence_helpers import issue
from tests.licence_helpers import licence
from tests.licence_helpers import licence_objects
from tests.licence_helpers import make_staff
from tests.licence_helpers import people
from tests.licence_helpers import staff_routes


@pytest.fixture
def anna(journey):
    journey.signed_up()
    journey.add_company(COMPANY)
    return journey


def events(event):
    with database.connection_context():
        return [
            (e.user.email, e.detail)
            for e in AuditEvent.select().where(AuditEvent.event == event).order_by(AuditEvent.id)
        ]


# --- the role -----------------------------------------------------------------------------


def test_the_role_is_granted_and_taken_only_from_the_command_line(app, journey, clock):
    journey.signed_up(email="ola@example.com")
    runner = app.test_cli_runner()
    assert journey.client.get("/obsluga/").status_code == 404
    result = runner.invoke(args=["staff", "grant", "OLA@example.com"])
    assert result.exit_code == 0 and "nadano" in result.output
    assert "Obsługa wymaga weryfikacji dwuetapowej, a to konto jej nie ma" in result.output
    assert runner.invoke(args=["staff", "grant", "ola@example.com"]).output.strip().endswith("otwierają panel).")
    assert "ola@example.com" in runner.invoke(args=["staff", "list"]).output
    assert runner.invoke(args=["staff", "grant", "nikt@example.com"]).exit_code == 1
    # Staff always need two-step sign-in: turning it on comes first, then the password and a code.
    assert journey.client.get("/obsluga/").headers["Location"] == "/konto/weryfikacja-dwuetapowa"
    journey.turn_on_app(clock)
    assert runner.invoke(args=["staff", "grant", "ola@example.com"]).output.strip() == (
        "ola@example.com: już ma rolę Obsługi.")
    assert journey.client.get("/obsluga/").headers["Location"] == "/obsluga/potwierdz?next=/obsluga/"
    confirm_staff(journey)
    assert journey.client.get("/obsluga/").status_code == 200
    result = runner.invoke(args=["staff", "revoke", "ola@example.com"])
    assert result.exit_code == 0 and "odebrano" in result.output
    assert journey.client.get("/obsluga/").status_code == 404  # at once, in the same session
    assert [e for e, _d in events("staff_granted")] == ["ola@example.com"]
    assert [e for e, _d in events("staff_revoked")] == ["ola@example.com"]


def test_an_account_not_activated_cannot_be_made_staff(app, journey):
    journey.register(email="new@example.com")
    assert app.test_cli_runner().invoke(args=["staff", "grant", "new@example.com"]).exit_code == 1


# --- access: every staff route, every way in -------------------------------------------------


def every_staff_call(app, ids):
    """(method, path) for every back-office rule: those with ids from staff_routes, the rest as they are."""
    calls = [call for calls in staff_routes(ids).values() for call in calls]
    covered = set(staff_routes(ids))
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("staff.") and "<" not in rule.rule:
            for method in sorted(rule.methods & {"GET", "POST"}):
                calls.append((method.lower(), rule.rule))
        elif rule.endpoint.startswith("staff."):
            assert rule.rule in covered, f"{rule.rule}: add it to tests/licence_helpers.py staff_routes"
    return calls


def test_outsiders_members_and_plain_accounts_get_nothing_from_the_back_office(app, client, anna):
    ids = licence_objects(company().id)
    calls = every_staff_call(app, ids)
    outsider = app.test_client()
    for method, path in calls:
        response = getattr(outsider, method)(path)
        assert response.status_code in (302, 401) and "/logowanie" in response.headers.get("Location", "/logowanie"), (
            path
        )
        response = getattr(client, method)(path, data={"decyzja": "accept", "akcja": "revoke", "reason": "x"})
        assert response.status_code == 404, (method, path, response.status_code)
    with database.connection_context():
        assert Licence.get_by_id(ids["licence_id"]).status == "active"
        assert Installation.get_by_id(ids["pending_id"]).status == "pending"


def test_staff_routes_refuse_without_a_recent_password_and_code(app, anna, clock):
    # Six wrong confirmations on purpose; the limits on them have their own tests in test_limits.py.
    app.config["RATELIMIT_STAFF_REAUTH_USER"] = app.config["RATELIMIT_SECOND_STEP_ACCOUNT"] = "50/hour"
    ids = licence_objects(company().id)
    ola = make_staff(app, clock, confirm=False)
    for method, path in every_staff_call(app, ids):
        if path == "/obsluga/potwierdz":
            continue
        response = getattr(ola.client, method)(path, data={"decyzja": "accept", "akcja": "revoke", "reason": "x"})
        assert response.status_code in (302, 303), (method, path, response.status_code)
        assert response.headers["Location"].startswith("/obsluga/potwierdz?next=/obsluga/")
        htmx = getattr(ola.client, method)(path, headers={"HX-Request": "true"})
        assert htmx.headers.get("HX-Redirect", "").startswith("/obsluga/potwierdz"), path
    with database.connection_context():
        assert Licence.get_by_id(ids["licence_id"]).status == "active"
    page = ola.client.get("/obsluga/potwierdz").data.decode()
    assert 'name="password"' in page and 'name="code"' in page and "kod z aplikacji" in page
    code = ola.next_code()
    for wrong in ({"password": "zle-haslo-xyz", "code": code}, {"password": PASSWORD, "code": "000000"},
                  {"password": PASSWORD}, {"code": code}):
        response = ola.client.post("/obsluga/potwierdz", data=wrong)
        assert response.status_code == 422, wrong
        assert ola.client.get(f"/obsluga/licencje/{ids['licence_id']}").status_code == 302
    # A code is not spent by a wrong password: the same one opens the back office with the right one.
    assert ola.client.post("/obsluga/potwierdz", data={"password": PASSWORD, "code": code}).status_code == 303
    assert ola.client.get(f"/obsluga/licencje/{ids['licence_id']}").status_code == 200
    # Every code once: the same one again does not confirm.
    assert ola.client.post("/obsluga/potwierdz", data={"password": PASSWORD, "code": code}).status_code == 422
    # A recovery code works once, too.
    recovery = ola.client.post("/obsluga/potwierdz", data={"password": PASSWORD, "code": ola.recovery_codes[0]})
    assert recovery.status_code == 303
    assert ola.client.post("/obsluga/potwierdz", data={"password": PASSWORD, "code": ola.recovery_codes[0]}
                           ).status_code == 422
    # The window is short and not extended by activity.
    app_clock.travel(timedelta(seconds=app.config["STAFF_REAUTH_WINDOW"] + 1))
    real = time.time
    try:
        time.time = lambda: real() + app.config["STAFF_REAUTH_WINDOW"] + 1
        assert ola.client.get(f"/obsluga/licencje/{ids['licence_id']}").status_code == 302
    finally:
        time.time = real
    assert ("obsluga@example.com", "potwierdzenie hasła") in events("login_failed")
    assert len(events("second_step_failed")) == 3  # the wrong code, the replayed one, the used recovery code
    assert len(events("staff_confirmed")) == 2


def test_staff_without_two_step_sign_in_are_led_to_turn_it_on_and_cannot_turn_it_off(app, journey, clock):
    journey.signed_up(email="ola@example.com")
    with app.app_context(), database.connection_context():
        staff_flow.grant("ola@example.com")
    journey.logout()
    journey.login(email="ola@example.com")  # the password alone: nothing else asked of her yet
    for path in ("/obsluga/", "/obsluga/potwierdz", "/panel", "/konto"):
        assert journey.client.get(path).headers["Location"] == "/konto/weryfikacja-dwuetapowa", path
    assert journey.client.get("/obsluga/", headers={"HX-Request": "true"}).headers["HX-Redirect"] == (
        "/konto/weryfikacja-dwuetapowa")
    refused = journey.client.post("/obsluga/potwierdz", data={"password": PASSWORD, "code": "123456"})
    assert refused.status_code == 303 and refused.headers["Location"] == "/konto/weryfikacja-dwuetapowa"
    page = journey.client.get("/konto/weryfikacja-dwuetapowa").data.decode()
    assert "Wymaga jej Twoja rola w panelu Obsługi." in page
    # Just signed in: the app is set up without typing the password again.
    assert journey.client.get("/konto/weryfikacja-dwuetapowa/aplikacja/nowa").status_code == 200
    secret, _codes = journey.turn_on_app(clock)
    assert journey.client.get("/obsluga/").headers["Location"].startswith("/obsluga/potwierdz")
    off = journey.client.get("/konto/weryfikacja-dwuetapowa/wylacz").data.decode()
    assert "wymaga jej Twoja rola w panelu Obsługi" in off and 'name="code"' not in off
    posted = journey.client.post("/konto/weryfikacja-dwuetapowa/wylacz",
                                 data={"password": PASSWORD, "code": journey.next_code()})
    assert posted.status_code == 422 and user("ola@example.com").two_step_at is not None
    assert secret


def test_a_member_gets_403_on_every_administrator_action(app, client, anna):
    ids = licence_objects(company().id)
    bob = Journey(app.test_client())
    bob.signed_up(email="bob@example.com")
    with database.connection_context():
        Membership.create(user=people(app, "bob@example.com"), company=company(), role="member")
    c, lic = ids["company_id"], ids["licence_id"]
    for path in (
        f"/firmy/{c}/licencje/{lic}/proba",
        f"/firmy/{c}/licencje/{lic}/stanowiska/{ids['installation_id']}/zwolnij",
        f"/firmy/{c}/uslugi/ksef",
        f"/firmy/{c}/wnioski/{ids['claim_id']}/sprzeciw",
    ):
        assert bob.client.post(path, data={"produkt": "lacznik", "akcja": "wlacz", "accept": "y"}).status_code == 403, (
            path
        )
    assert bob.client.get(f"/firmy/{c}/wnioski").status_code == 403
    for path in (f"/firmy/{c}/licencje", f"/firmy/{c}/uslugi", f"/firmy/{c}/odzyskaj"):
        assert bob.client.get(path).status_code == 200, path
    with database.connection_context():
        assert Installation.get_by_id(ids["installation_id"]).status == "active"
        assert AdminClaim.get_by_id(ids["claim_id"]).objected_at is None


def test_staff_never_see_a_hash_a_token_or_a_secret(app, anna, staff):
    ids = licence_objects(company().id)
    with database.connection_context():
        secrets = [u.password_hash for u in User.select()] + [s.key_hash for s in UserSession.select()]
        secrets += [AdminClaim.get_by_id(ids["claim_id"]).stored_name, app.config["SECRET_KEY"]]
        secrets = [secret for secret in secrets if len(secret) >= 12]  # the walk's made-up claimant has "x"
    pages = [path for method, path in every_staff_call(app, ids) if method == "get" and not path.endswith(".pdf")]
    pages += [
        "/obsluga/?q=anna",
        "/obsluga/?q=example",
        f"/obsluga/?q={COMPANY}",
        f"/obsluga/konta/{people(app, 'anna@example.com').id}",
    ]
    for path in pages:
        response = staff.client.get(path)
        assert response.status_code == 200, path
        body = response.data.decode()
        for secret in secrets:
            assert secret not in body, (path, secret[:12])
        assert "$argon2" not in body


# --- search and the taxpayer page ----------------------------------------------------------


def test_search_finds_accounts_companies_numbers_and_licences(app, anna, staff):
    lic = issue(app)
    for query, expected in (
        ("anna@", "anna@example.com"),
        ("PRZYKŁADOWA", "PRZYKŁADOWA SPÓŁKA"),
        ("przykładowa", "PRZYKŁADOWA SPÓŁKA"),
        ("525-000-10-03", "PL5250001003"),
        (numbers.display(lic.number).lower(), numbers.display(lic.number)),
        ("DE123456788", "firmy nie ma jeszcze w portalu"),
        ("zzz%_", "Nic nie znaleziono"),
    ):
        page = staff.client.get("/obsluga/", query_string={"q": query}).data.decode()
        assert expected in page, query
    page = staff.client.get(f"/obsluga/podmioty/{COMPANY}").data.decode()
    assert "anna@example.com" in page and "administrator" in page and numbers.display(lic.number) in page
    assert "Licencja wystawiona" in page
    assert staff.client.get("/obsluga/podmioty/5250001003").status_code == 302
    assert staff.client.get("/obsluga/podmioty/PL5250001004").status_code == 404


# --- issuing and managing a licence through the pages -----------------------------------------


def test_issue_a_licence_to_a_number_not_in_the_portal_then_manage_it(app, staff):
    form = staff.client.get("/obsluga/licencje/nowa?nip=PL9720005007").data.decode()
    assert 'value="PL9720005007"' in form and "Kontor Sprzedaż — Pro" in form
    bad = staff.client.post(
        "/obsluga/licencje/nowa",
        data={"tax_id": "PL9720005007", "program": "sprzedaz/pro", "number": "SPDEM-HAQJQ-D6E21"},
    )
    assert bad.status_code == 422 and "znak kontrolny" in bad.data.decode()
    wrong_prefix = staff.client.post(
        "/obsluga/licencje/nowa",
        data={"tax_id": "PL9720005007", "program": "ksiegi/pro", "number": "SPDEM-HAQJQ-D6E20"},
    )
    assert wrong_prefix.status_code == 422 and "zaczynają się od KS" in wrong_prefix.data.decode()
    assert staff.client.post("/obsluga/licencje/nowa", data={"tax_id": "123", "program": "x/y"}).status_code == 422
    done = staff.client.post(
        "/obsluga/licencje/nowa",
        data={
            "tax_id": "972-000-50-07",
            "program": "sprzedaz/pro",
            "number": "spdem-haqjq-d6e20",
            "abonament_until": "2030-01-31",
        },
    )
    assert done.status_code == 303
    lic = licence("SPDEMHAQJQD6E20")
    assert lic.tax_id == "PL9720005007" and lic.stations == 5 and str(lic.abonament_until) == "2030-01-31"
    taken = staff.client.post(
        "/obsluga/licencje/nowa",
        data={"tax_id": "PL9720005007", "program": "sprzedaz/pro", "number": "SPDEM-HAQJQ-D6E20"},
    )
    assert taken.status_code == 422 and "już istnieje" in taken.data.decode()
    path = f"/obsluga/licencje/{lic.id}"
    assert staff.client.post(path + "/stan", data={"akcja": "suspend"}).status_code == 422  # a reason is needed
    assert staff.client.post(path + "/stan", data={"akcja": "suspend", "reason": "Zaległa faktura"}).status_code == 303
    assert staff.client.post(path + "/stan", data={"akcja": "suspend", "reason": "again"}).status_code == 409
    assert staff.client.post(path + "/stan", data={"akcja": "resume"}).status_code == 303
    assert staff.client.post(path + "/abonament", data={"until": "2031-01-31"}).status_code == 303
    assert (
        staff.client.post(path + "/rozszerzenia", data={"product": "plus-srebrny", "quantity": "1"}).status_code == 303
    )
    assert staff.client.post(path + "/rozszerzenia", data={"product": "plus-zloty", "quantity": "1"}).status_code == 303
    assert staff.client.post(path + "/rozszerzenia", data={"product": "stanowiska", "quantity": "2"}).status_code == 303
    assert staff.client.post(path + "/rozszerzenia", data={"product": "lacznik", "quantity": "3"}).status_code == 303
    with database.connection_context():
        live = {
            e.product.code: e.quantity
            for e in LicenceExtension.select().where(
                (LicenceExtension.licence == lic.id) & LicenceExtension.ended_at.is_null()
            )
        }
        assert live == {"plus-zloty": 1, "stanowiska": 2, "lacznik": 3}  # the higher PLUS replaced the lower
        assert flow.stations_total(Licence.get_by_id(lic.id)) == 7
        ext = LicenceExtension.get((LicenceExtension.licence == lic.id) & (LicenceExtension.quantity == 2))
    assert staff.client.post(f"{path}/rozszerzenia/{ext.id}/zakoncz").status_code == 303
    assert staff.client.post(path + "/stan", data={"akcja": "revoke", "reason": "Zwrot programu"}).status_code == 303
    page = staff.client.get(path).data.decode()
    assert "unieważniona" in page and "Zwrot programu" in page
    with database.connection_context():
        history = [
            e.event for e in LicenceEvent.select().where(LicenceEvent.licence == lic.id).order_by(LicenceEvent.id)
        ]
    assert history == [
        "issued",
        "suspended",
        "resumed",
        "abonament_renewed",
        "extension_added",
        "extension_added",
        "extension_added",
        "extension_added",
        "extension_ended",
        "revoked",
    ]
    staff_events = [
        e
        for e in (
            "licence_issued",
            "licence_suspended",
            "licence_resumed",
            "abonament_renewed",
            "extension_added",
            "extension_ended",
            "licence_revoked",
        )
        if events(e)
    ]
    assert len(staff_events) == 7
    assert all(who == "obsluga@example.com" for who, _d in events("licence_revoked"))
    log = staff.client.get("/obsluga/dziennik").data.decode()
    assert "Obsługa: unieważnienie licencji" in log and "SPDEM" in log


def test_a_pending_licence_becomes_active_when_its_registration_is_accepted(app, anna, staff):
    lic = issue(app, pending=True)
    with in_request(app):
        row = flow.request_registration(people(app, "anna@example.com"), company(), lic.number, "inst", "KASA")
    queue = staff.client.get("/obsluga/rejestracje").data.decode()
    assert "KASA" in queue and "zajęte 0 z 5" in queue and "anna@example.com" in queue
    assert staff.client.post(f"/obsluga/rejestracje/{row.id}", data={"decyzja": "reject"}).status_code == 303
    with database.connection_context():
        assert Installation.get_by_id(row.id).status == "pending"  # a rejection needs a reason
    assert staff.client.post(f"/obsluga/rejestracje/{row.id}", data={"decyzja": "accept"}).status_code == 303
    assert licence(lic.id).status == "active"
    assert "Rejestracja licencji przyjęta" == mails_to("anna@example.com")[0].subject
    assert (
        staff.client.post(f"/obsluga/rejestracje/{row.id}", data={"decyzja": "reject", "reason": "x"}).status_code
        == 303
    )
    with database.connection_context():
        assert Installation.get_by_id(row.id).status == "active"  # one decision


# --- concurrency: two staff, one queue item --------------------------------------------------


@pytest.fixture
def server(tmp_path):
    limits = {f"RATELIMIT_{name}": "10000/hour" for name in LIMITS}
    app = create_app(
        make_config(
            tmp_path, WTF_CSRF_ENABLED=True, KONTO_BASE_URL=None, UPLOAD_DIR=str(tmp_path / "uploads"), **limits
        )
    )
    live = LiveServer(app)
    yield live
    live.stop()
    database.close()


def staff_browser(server, email, clock):
    """Signed up, made staff, an authenticator app added, signed in with it, the back office confirmed."""
    browser = Browser(server.url).sign_up(email)
    with server.app.app_context(), database.connection_context():
        staff_flow.grant(email)
    secret = give_app(server.app, email, clock)  # ends the session the password alone opened
    assert browser.post("/logowanie", {"email": email, "password": PASSWORD}).headers["Location"] == (
        "/logowanie/weryfikacja")
    assert browser.post("/logowanie/weryfikacja", {"code": app_code(secret, clock)}).status_code == 303
    clock.advance(30)
    code = app_code(secret, clock)
    response = browser.post("/obsluga/potwierdz?next=/obsluga/", {"password": PASSWORD, "code": code})
    assert response.status_code == 303
    clock.advance(30)
    return browser


def prepared(browser, path, token_from, data):
    body = dict(data)
    body["csrf_token"] = browser.token(token_from)
    return lambda: browser.post_prepared(path, body)


def test_two_staff_accepting_the_same_registration_make_one_decision(server, clock):
    app = server.app
    owner = Browser(server.url).sign_up("anna@example.com")
    path = owner.company_draft(COMPANY)
    assert owner.post_prepared(path, owner.final_step_data(path, "anna@example.com")).status_code == 303
    first, second = staff_browser(server, "ola@example.com", clock), staff_browser(server, "ela@example.com", clock)
    lic = issue(app, program="sprzedaz/start", stations=1, staff_email="ola@example.com")
    with in_request(app):
        anna = people(app, "anna@example.com")
        rows = [flow.request_registration(anna, company(), lic.number, f"i{n}", f"PC{n}") for n in range(2)]
    for _round in range(3):
        # The same item from two desks: one decision, one e-mail.
        results = run_together(
            [
                prepared(b, f"/obsluga/rejestracje/{rows[0].id}", "/obsluga/rejestracje", {"decyzja": "accept"})
                for b in (first, second)
            ]
        )
        assert all(getattr(r, "status_code", 500) == 303 for r in results), results
        with database.connection_context():
            assert Installation.get_by_id(rows[0].id).status == "active"
            assert AuditEvent.select().where(AuditEvent.event == "installation_accepted").count() == 1
            assert Email.select().where(Email.subject == "Rejestracja licencji przyjęta").count() == 1
    # The last station, two items accepted at once: one active installation, never two.
    with database.connection_context():
        Installation.update(status="released").where(Installation.id == rows[0].id).execute()
    with in_request(app):
        third = flow.request_registration(anna, company(), lic.number, "i9", "PC9")
    results = run_together(
        [
            prepared(first, f"/obsluga/rejestracje/{rows[1].id}", "/obsluga/rejestracje", {"decyzja": "accept"}),
            prepared(second, f"/obsluga/rejestracje/{third.id}", "/obsluga/rejestracje", {"decyzja": "accept"}),
        ]
    )
    assert all(getattr(r, "status_code", 500) == 303 for r in results), results
    with database.connection_context():
        assert (
            Installation.select().where((Installation.licence == lic.id) & (Installation.status == "active")).count()
            == 1
        )


def test_two_staff_deciding_the_same_claim_make_one_decision(server, clock):
    app = server.app
    owner = Browser(server.url).sign_up("anna@example.com")
    path = owner.company_draft(COMPANY)
    assert owner.post_prepared(path, owner.final_step_data(path, "anna@example.com")).status_code == 303
    first, second = staff_browser(server, "ola@example.com", clock), staff_browser(server, "ela@example.com", clock)
    lic = issue(app, staff_email="ola@example.com")
    bob = Browser(server.url).sign_up("bob@example.com")
    with database.connection_context():
        Membership.create(user=people(app, "bob@example.com"), company=company(), role="member")
        cid = company().id
    token = bob.token(f"/firmy/{cid}/odzyskaj")
    filed = bob.session.post(
        f"{server.url}/firmy/{cid}/odzyskaj",
        data={"csrf_token": token, "number": lic.number},
        files={"statement": ("o.pdf", PDF, "application/pdf")},
        allow_redirects=False,
        timeout=60,
    )
    assert filed.status_code == 200 and "Wniosek wysłany" in filed.text
    with database.connection_context():
        claim = AdminClaim.get()
    app_clock.travel(timedelta(hours=73))
    results = run_together(
        [
            prepared(first, f"/obsluga/wnioski/{claim.id}", f"/obsluga/wnioski/{claim.id}", {"decyzja": "accept"}),
            prepared(
                second,
                f"/obsluga/wnioski/{claim.id}",
                f"/obsluga/wnioski/{claim.id}",
                {"decyzja": "reject", "reason": "Brak podpisu"},
            ),
        ]
    )
    codes = sorted(getattr(r, "status_code", 500) for r in results)
    assert codes == [303, 409], results
    with database.connection_context():
        decided = AdminClaim.get_by_id(claim.id)
        role = Membership.get(Membership.user == people(app, "bob@example.com").id).role
        decisions = AuditEvent.select().where(AuditEvent.event.in_(["claim_approved", "claim_rejected"])).count()
        told = [m.subject for m in Email.select().where(Email.recipient == "bob@example.com")]
    assert decisions == 1
    assert role == ("admin" if decided.status == "approved" else "member")
    assert len([s for s in told if s.startswith("Wniosek o uprawnienia administratora:")]) == 1


def test_registrations_and_staff_pages_are_in_polish_and_clean(app, anna, staff):
    issue(app)
    for path in ("/obsluga/", "/obsluga/rejestracje", "/obsluga/wnioski", "/obsluga/katalog", "/obsluga/dziennik"):
        page = staff.client.get(path).data.decode()
        assert '<html lang="pl">' in page
        assert not re.search(r"<script>(?!</script>)|style=\"", page), path
