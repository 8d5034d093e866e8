"""Rate limits and the login lockout: each limit bites, and none tells who has an account."""

import pytest
from limits import parse_many

from konto import create_app
from konto.db import database
from konto.limits import LIMITS
from konto.models import AccessRequest
from konto.models import AuditEvent
from konto.models import Company
from konto.models import CompanyDraft
from konto.models import Email
from konto.models import Invitation
from konto.models import Membership
from konto.models import RateLimitCounter
from konto.models import User
from tests.helpers import PASSWORD
from tests.helpers import Journey
from tests.helpers import app_code
from tests.helpers import comparable
from tests.helpers import database_url
from tests.helpers import link_in
from tests.helpers import mails_to
from tests.helpers import make_config
from tests.http_helpers import AppProcess
from tests.http_helpers import Browser
from tests.licence_helpers import company
from tests.licence_helpers import make_staff
from tests.program_helpers import Program
from tests.program_helpers import admin_with_company
from tests.program_helpers import company_id
from tests.program_helpers import connected
from tests.program_helpers import enter_code

COMPANY = "PL5250001003"
OTHER_COMPANY = "6770002009"
HIGH = "1000/hour"
WRONG = "zle-haslo-calkiem-inne"


def limited_app(tmp_path, **limits):
    """An app whose named limits are set as given and every other limit is out of the way."""
    config = {f"RATELIMIT_{name}": HIGH for name in LIMITS}
    config.update({f"RATELIMIT_{name}": value for name, value in limits.items()})
    return create_app(make_config(tmp_path, **config))


@pytest.fixture(autouse=True)
def _close_db():
    yield
    if database.obj is not None:  # a test whose apps all ran in other processes made none here
        database.close()


def from_ip(app, ip):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ip
    return Journey(client)


def email_count():
    with database.connection_context():
        return Email.select().count()


def signed_up(app, email, ip="10.0.0.1"):
    journey = from_ip(app, ip)
    journey.signed_up(email=email)
    return journey


# Login -------------------------------------------------------------------------------


def test_login_locks_an_address_after_failures_even_with_the_right_password(tmp_path):
    app = limited_app(tmp_path, LOGIN_ACCOUNT="3/hour")
    signed_up(app, "anna@example.com")
    attacker = from_ip(app, "10.0.0.66")
    for _ in range(3):
        assert attacker.login(password=WRONG).status_code == 422
    blocked = attacker.login(password=PASSWORD)
    assert blocked.status_code == 429
    page = blocked.data.decode()
    assert "Zbyt wiele prób" in page and "Nie pamiętam hasła" in page
    assert 1 <= int(blocked.headers["Retry-After"]) <= 3600
    # From anywhere: the lock is on the address, not the client.
    assert from_ip(app, "10.9.9.9").login().status_code == 429
    # Another address is not affected.
    signed_up(app, "bob@example.com", ip="10.0.0.2")
    assert from_ip(app, "10.0.0.66").login(email="bob@example.com").status_code == 303


def test_the_owner_is_told_once_about_a_lockout(tmp_path):
    app = limited_app(tmp_path, LOGIN_ACCOUNT="2/hour")
    signed_up(app, "anna@example.com")
    attacker = from_ip(app, "10.0.0.66")
    for _ in range(6):
        attacker.login(password=WRONG)
    notices = [m for m in mails_to("anna@example.com") if "zablokowane" in m.subject]
    assert len(notices) == 1
    [notice] = notices
    assert "10.0.0.66" in notice.text_body
    assert "/haslo/nie-pamietam" in notice.text_body
    assert WRONG not in notice.text_body and WRONG not in notice.html_body
    with database.connection_context():
        assert AuditEvent.select().where(AuditEvent.event == "lockout").count() == 1


def test_a_lockout_looks_the_same_for_an_address_without_an_account(tmp_path):
    app = limited_app(tmp_path, LOGIN_ACCOUNT="2/hour")
    signed_up(app, "anna@example.com")
    answers = {}
    for email in ("anna@example.com", "nikt@example.com"):
        client = from_ip(app, "10.0.0.66")
        statuses = [client.login(email=email, password=WRONG).status_code for _ in range(4)]
        last = client.login(email=email, password=WRONG)
        answers[email] = (
            statuses,
            last.status_code,
            sorted(set(last.headers.keys()) - {"Set-Cookie"}),
            comparable(last.data.decode(), email),
        )
    assert answers["anna@example.com"] == answers["nikt@example.com"]
    assert answers["nikt@example.com"][0] == [422, 422, 429, 429]
    assert mails_to("nikt@example.com") == []


def test_login_failures_are_limited_per_client_ip(tmp_path):
    app = limited_app(tmp_path, LOGIN_IP="3/hour")
    signed_up(app, "anna@example.com")
    attacker = from_ip(app, "10.0.0.66")
    for i in range(3):
        assert attacker.login(email=f"ktos{i}@example.com", password=WRONG).status_code == 422
    assert attacker.login(email="inny@example.com", password=WRONG).status_code == 429
    assert attacker.login().status_code == 429
    # Anna, from her own network, logs in.
    assert from_ip(app, "10.0.0.1").login().status_code == 303
    assert mails_to("anna@example.com")[0].subject != "Logowanie do Twojego Konta zostało czasowo zablokowane"


def reauth(journey, password, **extra):
    return journey.client.post("/konto/potwierdz", data={"password": password, **extra})


def test_reauthentication_guesses_count_like_failed_log_ins(tmp_path):
    app = limited_app(tmp_path, LOGIN_ACCOUNT="3/hour")
    anna = signed_up(app, "anna@example.com")
    bob = signed_up(app, "bob@example.com")
    # Whoever holds Anna's session guesses her password; a forged e-mail field moves nothing.
    for _ in range(3):
        assert reauth(anna, WRONG, email="bob@example.com").status_code == 422
    blocked = reauth(anna, PASSWORD)
    assert blocked.status_code == 429 and "Zbyt wiele prób" in blocked.data.decode()
    assert from_ip(app, "10.9.9.9").login().status_code == 429  # one budget with log-in
    assert mails_to("anna@example.com")[0].subject == "Logowanie do Twojego Konta zostało czasowo zablokowane"
    assert reauth(bob, PASSWORD).status_code == 303
    assert from_ip(app, "10.9.9.9").login(email="bob@example.com").status_code == 303


def test_reauthentication_guesses_count_per_client_ip(tmp_path):
    app = limited_app(tmp_path, LOGIN_IP="2/hour")
    anna, bob = two_users(app)
    assert reauth(anna, WRONG).status_code == 422
    assert reauth(bob, WRONG).status_code == 422
    assert reauth(anna, PASSWORD).status_code == 429  # the same IP
    anna.client.environ_base["REMOTE_ADDR"] = "10.0.0.7"
    assert reauth(anna, PASSWORD).status_code == 303


def test_successful_logins_do_not_count(tmp_path):
    app = limited_app(tmp_path, LOGIN_ACCOUNT="2/hour", LOGIN_IP="2/hour")
    signed_up(app, "anna@example.com")
    for _ in range(5):
        journey = from_ip(app, "10.0.0.1")
        assert journey.login().status_code == 303


def test_htmx_gets_the_429_swapped_into_main(tmp_path):
    app = limited_app(tmp_path, LOGIN_ACCOUNT="1/hour")
    client = from_ip(app, "10.0.0.66").client
    headers = {"HX-Request": "true"}
    data = {"email": "nikt@example.com", "password": WRONG}
    assert client.post("/logowanie", data=data, headers=headers).status_code == 422
    response = client.post("/logowanie", data=data, headers=headers)
    assert response.status_code == 429
    assert response.headers["HX-Retarget"] == "#main"
    assert response.headers["HX-Reswap"] == "innerHTML"
    page = response.data.decode()
    assert "Zbyt wiele prób" in page and "<html" not in page


def test_limits_can_be_turned_off(tmp_path):
    app = create_app(make_config(tmp_path, RATELIMIT_ENABLED=False, RATELIMIT_LOGIN_ACCOUNT="1/hour"))
    client = from_ip(app, "10.0.0.66")
    assert [client.login(email="nikt@example.com", password=WRONG).status_code for _ in range(4)] == [422] * 4


def test_default_limits_are_on_and_within_asvs(tmp_path):
    app = create_app(make_config(tmp_path))
    assert app.config["RATELIMIT_ENABLED"] is True
    assert app.config["RATELIMIT_STORAGE_URI"] == "database://"  # shared by every worker
    # ASVS 4.0.3 2.2.1: no more than 100 failed attempts an hour on one account.
    per_hour = [item.amount for item in parse_many(app.config["RATELIMIT_LOGIN_ACCOUNT"])
                if item.get_expiry() <= 3600]
    assert per_hour and min(per_hour) <= 100
    client = from_ip(app, "10.0.0.66")
    statuses = [client.login(email="nikt@example.com", password=WRONG).status_code for _ in range(7)]
    assert statuses[:5] == [422] * 5 and statuses[5:] == [429, 429]


# The other limits, one scenario each ---------------------------------------------------


def register(journey, email):
    return journey.register(email=email)


def resend(journey, email):
    return journey.client.post("/aktywacja/ponow", data={"email": email})


def reset(journey, email):
    return journey.client.post("/haslo/nie-pamietam", data={"email": email})


ANONYMOUS = {
    # name: (action, same key for the next request: "ip" keeps the IP, "account" the address)
    "REGISTER_IP": (register, "ip"),
    "REGISTER_ACCOUNT": (register, "account"),
    "RESEND_IP": (resend, "ip"),
    "RESEND_ACCOUNT": (resend, "account"),
    "RESET_IP": (reset, "ip"),
    "RESET_ACCOUNT": (reset, "account"),
}


@pytest.mark.parametrize("name", sorted(ANONYMOUS))
def test_anonymous_forms_are_limited(tmp_path, name):
    action, key = ANONYMOUS[name]
    app = limited_app(tmp_path, **{name: "2/hour"})
    journey = from_ip(app, "10.0.0.1")
    first = "anna@example.com"
    for _ in range(2):
        assert action(journey, first).status_code == 303
    before = email_count()
    if key == "ip":
        # Same IP, another address: blocked; another IP: through.
        blocked = action(journey, "nowy@example.com")
        allowed = action(from_ip(app, "10.0.0.2"), "nowy@example.com")
    else:
        # The same address from another IP: blocked; another address: through.
        blocked = action(from_ip(app, "10.0.0.2"), first)
        allowed = action(journey, "nowy@example.com")
    assert blocked.status_code == 429
    assert "Zbyt wiele prób" in blocked.data.decode()
    assert allowed.status_code == 303
    # The blocked request changed nothing: at most the allowed one wrote an e-mail.
    assert email_count() - before <= 1
    with database.connection_context():
        assert User.select().where(User.email == "nowy@example.com").count() <= 1


def test_a_blocked_registration_creates_nothing(tmp_path):
    app = limited_app(tmp_path, REGISTER_IP="1/hour")
    journey = from_ip(app, "10.0.0.1")
    assert journey.register(email="a@example.com").status_code == 303
    assert journey.register(email="b@example.com").status_code == 429
    with database.connection_context():
        assert [u.email for u in User.select()] == ["a@example.com"]
    assert mails_to("b@example.com") == []


def test_account_limits_answer_the_same_for_unknown_addresses(tmp_path):
    app = limited_app(tmp_path, RESET_ACCOUNT="1/hour")
    signed_up(app, "anna@example.com")
    answers = {}
    for email in ("anna@example.com", "nikt@example.com"):
        journey = from_ip(app, "10.0.0.5")
        first = reset(journey, email).status_code
        second = reset(journey, email)
        answers[email] = (first, second.status_code, comparable(second.data.decode(), email))
    assert answers["anna@example.com"] == answers["nikt@example.com"]
    assert answers["nikt@example.com"][1] == 429


def two_users(app):
    anna = signed_up(app, "anna@example.com", ip="10.0.0.1")
    bob = signed_up(app, "bob@example.com", ip="10.0.0.1")
    return anna, bob


def step1(journey, number=COMPANY):
    return journey.client.post("/firmy/dodaj", data={"number": number})


@pytest.mark.parametrize("name", ["NIP_USER", "REGISTRY_USER"])
def test_nip_lookups_are_limited_per_account(tmp_path, name):
    app = limited_app(tmp_path, **{name: "2/hour"})
    anna, bob = two_users(app)
    assert step1(anna).status_code == 303
    assert step1(anna, OTHER_COMPANY).status_code == 303
    with database.connection_context():
        drafts = CompanyDraft.select().count()
    blocked = step1(anna)
    assert blocked.status_code == 429
    with database.connection_context():
        assert CompanyDraft.select().count() == drafts  # no lookup, no draft
    assert step1(bob).status_code == 303  # same IP, another account


@pytest.mark.slow
def test_nip_lookups_are_limited_per_ip(tmp_path):
    app = limited_app(tmp_path, NIP_IP="2/hour")
    anna, bob = two_users(app)
    assert step1(anna).status_code == 303
    assert step1(anna).status_code == 303
    assert step1(bob).status_code == 429  # same IP
    bob.client.environ_base["REMOTE_ADDR"] = "10.0.0.2"
    assert step1(bob).status_code == 303


def test_refreshing_a_company_spends_the_same_registry_budget(tmp_path):
    app = limited_app(tmp_path, REGISTRY_USER="2/hour")
    anna = signed_up(app, "anna@example.com")
    response = anna.add_company(COMPANY)  # one lookup
    company_path = response.headers["Location"]
    assert anna.client.post(company_path + "/odswiez").status_code == 303  # two
    assert anna.client.post(company_path + "/odswiez").status_code == 429
    assert step1(anna, OTHER_COMPANY).status_code == 429


OUTAGE = "PL7010011003"
TYPED = {"name": "Moja Firma", "building": "1", "postal_code": "00-001", "city": "Warszawa"}


def manual_path(journey):
    """Step 1 for a number the registry cannot answer: the manual entry page of its draft."""
    assert step1(journey, OUTAGE).status_code == 503
    with database.connection_context():
        key = CompanyDraft.select().order_by(CompanyDraft.id.desc()).first().key
    return f"/firmy/dodaj/{key}/reczne"


def test_companies_typed_by_hand_are_limited_per_account(tmp_path):
    app = limited_app(tmp_path, MANUAL_USER="2/hour")
    anna, bob = two_users(app)
    for _ in range(2):
        assert anna.client.post(manual_path(anna), data=TYPED).status_code == 303
    assert anna.client.post(manual_path(anna), data=TYPED).status_code == 429
    assert bob.client.post(manual_path(bob), data=TYPED).status_code == 303  # same IP, another account


def test_typing_a_company_by_hand_spends_the_registry_budget(tmp_path):
    app = limited_app(tmp_path, REGISTRY_USER="3/hour")
    anna = signed_up(app, "anna@example.com")
    path = manual_path(anna)  # one lookup
    assert anna.client.post(path, data=TYPED).status_code == 303  # asks again: two
    assert step1(anna, OTHER_COMPANY).status_code == 303  # three
    assert step1(anna, OTHER_COMPANY).status_code == 429


def test_access_requests_are_limited_per_account(tmp_path):
    app = limited_app(tmp_path, ACCESS_REQUEST_USER="2/hour")
    anna, bob = two_users(app)
    anna.add_company(COMPANY)
    response = step1(bob)
    request_path = response.headers["Location"].replace("/dane", "/dostep")
    assert bob.client.post(request_path).status_code == 200
    assert bob.client.post(request_path).status_code == 200
    assert bob.client.post(request_path).status_code == 429
    with database.connection_context():
        assert AccessRequest.select().count() == 1


def test_inline_field_checks_are_limited_per_ip(tmp_path):
    app = limited_app(tmp_path, FIELD_CHECK_IP="2/minute")
    client = from_ip(app, "10.0.0.1").client
    assert client.post("/sprawdz/haslo", data={"password": "abc"}).status_code == 200
    assert client.post("/sprawdz/email", data={"email": "a@b"}).status_code == 200
    assert client.post("/sprawdz/haslo", data={"password": "abc"}).status_code == 429


def invite(journey, company_id, email):
    return journey.client.post(f"/firmy/{company_id}/uzytkownicy/dodaj", data={"email": email})


def two_admins(app):
    """Anna and Bob administer one company; each also administers a company of their own."""
    anna, bob = two_users(app)
    anna.add_company(COMPANY)
    bob.add_company(OTHER_COMPANY, contact_email="bob@example.com")
    with database.connection_context():
        shared, bobs = Company.get(Company.tax_id == COMPANY).id, Company.get(Company.tax_id != COMPANY).id
    invite(anna, shared, "bob@example.com")
    with database.connection_context():
        invitation = Invitation.get(Invitation.email == "bob@example.com")
    assert bob.client.post(f"/zaproszenia/{invitation.id}", data={"decyzja": "accept"}).status_code == 303
    with database.connection_context():
        Membership.update(role="admin").where(Membership.company == shared).execute()
    return anna, bob, shared, bobs


def invitations_to(*emails):
    with database.connection_context():
        return Invitation.select().where(Invitation.email.in_(emails)).count()


def test_invitations_are_limited_per_company_per_day(tmp_path):
    app = limited_app(tmp_path, INVITE_COMPANY="3/day")
    anna, bob, shared, bobs = two_admins(app)  # Bob's own invitation was the first
    assert invite(anna, shared, "c1@example.com").status_code == 303
    assert invite(anna, shared, "c1@example.com").status_code == 422  # already invited: not counted
    assert invite(bob, shared, "c2@example.com").status_code == 303
    assert invite(bob, shared, "c3@example.com").status_code == 429  # the company's, whoever sends it
    assert invite(anna, shared, "c3@example.com").status_code == 429
    with database.connection_context():
        pending = Invitation.get(Invitation.email == "c1@example.com").id
    assert anna.client.post(f"/firmy/{shared}/zaproszenia/{pending}/ponow").status_code == 429  # resending too
    assert invite(bob, bobs, "c4@example.com").status_code == 303  # another company
    assert invitations_to("c3@example.com") == 0 and len(mails_to("c1@example.com")) == 1


def test_invitations_are_limited_per_account_per_hour(tmp_path):
    app = limited_app(tmp_path, INVITE_USER="2/hour")
    anna, bob, shared, bobs = two_admins(app)  # Anna's invitation of Bob was her first
    assert invite(bob, bobs, "c1@example.com").status_code == 303
    assert invite(bob, shared, "c2@example.com").status_code == 303
    assert invite(bob, shared, "c3@example.com").status_code == 429  # Bob's, across his companies
    assert invite(anna, shared, "c3@example.com").status_code == 303  # Anna has one left
    assert invitations_to("c3@example.com") == 1


def change_email(journey, address):
    journey.client.post("/konto/potwierdz", data={"password": PASSWORD})
    return journey.client.post("/konto/email", data={"email": address})


def test_email_change_requests_are_limited_per_account(tmp_path):
    app = limited_app(tmp_path, EMAIL_CHANGE_USER="2/hour")
    anna, bob = two_users(app)
    assert change_email(anna, "one@example.com").status_code == 200
    assert change_email(anna, "two@example.com").status_code == 200
    blocked = change_email(anna, "three@example.com")
    assert blocked.status_code == 429 and "Zbyt wiele prób" in blocked.data.decode()
    assert mails_to("three@example.com") == []
    assert change_email(bob, "three@example.com").status_code == 200  # same IP, another account


def test_email_change_requests_are_limited_per_target_address(tmp_path):
    app = limited_app(tmp_path, EMAIL_CHANGE_ADDRESS="2/hour")
    anna, bob = two_users(app)
    assert change_email(anna, "target@example.com").status_code == 200
    assert change_email(anna, "Target@Example.com").status_code == 200
    assert change_email(bob, "target@example.com").status_code == 429  # another account, the same address
    assert len(mails_to("target@example.com")) == 2
    assert change_email(bob, "other@example.com").status_code == 200


def test_activation_password_guesses_are_limited_per_ip(tmp_path):
    app = limited_app(tmp_path, ACTIVATE_IP="2/hour")
    journey = from_ip(app, "10.0.0.1")
    journey.register()
    link = link_in(mails_to("anna@example.com")[0], "/aktywacja/")
    for _ in range(2):
        assert journey.client.post(link, data={"password": WRONG}).status_code == 422
    assert journey.client.post(link, data={"password": PASSWORD}).status_code == 429
    assert from_ip(app, "10.0.0.2").client.post(link, data={"password": PASSWORD}).status_code == 303


def test_every_limit_has_a_test():
    """A limit added to LIMITS without a scenario here fails this test."""
    covered = set(ANONYMOUS) | {"LOGIN_IP", "LOGIN_ACCOUNT", "NIP_USER", "REGISTRY_USER", "NIP_IP",
                                "ACCESS_REQUEST_USER", "ACCESS_REQUEST_IP", "FIELD_CHECK_IP", "CLAIM_USER",
                                "STAFF_REAUTH_USER", "INVITE_COMPANY", "INVITE_USER", "EMAIL_CHANGE_USER",
                                "EMAIL_CHANGE_ADDRESS", "ACTIVATE_IP", "MANUAL_USER"} | SECOND_STEP_LIMITS
    covered |= PROGRAM_LIMITS
    assert set(LIMITS) == covered


def test_access_requests_are_limited_per_ip(tmp_path):
    app = limited_app(tmp_path, ACCESS_REQUEST_IP="2/hour")
    anna, bob = two_users(app)
    anna.add_company(COMPANY)
    carol = signed_up(app, "carol@example.com", ip="10.0.0.1")
    paths = []
    for journey in (bob, carol):
        paths.append(step1(journey).headers["Location"].replace("/dane", "/dostep"))
    assert bob.client.post(paths[0]).status_code == 200
    assert bob.client.post(paths[0]).status_code == 200
    assert carol.client.post(paths[1]).status_code == 429  # another account, same IP
    carol.client.environ_base["REMOTE_ADDR"] = "10.0.0.9"
    assert carol.client.post(paths[1]).status_code == 200


def test_claims_to_admin_rights_are_limited_per_account(tmp_path):
    app = limited_app(tmp_path, CLAIM_USER="2/hour")
    anna = signed_up(app, "anna@example.com")
    anna.add_company(COMPANY)
    bob = signed_up(app, "bob@example.com", ip="10.0.0.2")
    with database.connection_context():
        Membership.create(user=User.get(User.email == "bob@example.com"), company=company(), role="member")
    path = f"/firmy/{company().id}/odzyskaj"
    for _ in range(2):
        assert bob.client.post(path, data={"number": "SPDEM-HAQJQ-D6E21"}).status_code == 422
    assert bob.client.post(path, data={"number": "SPDEM-HAQJQ-D6E21"}).status_code == 429
    assert bob.client.get(path).status_code == 200  # reading the form is not limited


def test_staff_password_confirmations_are_limited(tmp_path, clock):
    app = limited_app(tmp_path, STAFF_REAUTH_USER="2/hour")
    ola = make_staff(app, clock, confirm=False)
    for _ in range(2):
        wrong = ola.client.post("/obsluga/potwierdz", data={"password": WRONG, "code": ola.next_code()})
        assert wrong.status_code == 422
    right = ola.client.post("/obsluga/potwierdz", data={"password": PASSWORD, "code": ola.next_code()})
    page = right.data.decode()  # what happened, and what to do
    assert right.status_code == 429 and "Potwierdzanie hasła i kodu w obsłudze jest czasowo wstrzymane" in page
    assert "Spróbuj ponownie za 60 min." in page and "Nie pamiętam hasła" in page
    assert "błędnych kodach" not in page


def test_wrong_codes_in_the_back_office_share_the_accounts_second_step_lock(tmp_path, clock):
    app = limited_app(tmp_path, SECOND_STEP_ACCOUNT="3/hour")
    ola = make_staff(app, clock, confirm=False)
    assert ola.reauth(code="000000").status_code == 422  # the account's own re-authentication
    for _ in range(2):
        assert ola.client.post("/obsluga/potwierdz", data={"password": PASSWORD, "code": "000000"}).status_code == 422
    right = ola.client.post("/obsluga/potwierdz", data={"password": PASSWORD, "code": ola.next_code()})
    assert right.status_code == 429
    assert "Weryfikacja dwuetapowa tego konta jest czasowo wstrzymana" in right.data.decode()
    assert ola.reauth(code=ola.next_code()).status_code == 429


CODE_LOCK = "Weryfikacja dwuetapowa tego konta jest czasowo wstrzymana po zbyt wielu błędnych kodach."


def assert_says_the_codes_are_locked(response):
    """The second-step lock's page: what happened (wrong codes), when to try again, what with."""
    page = response.data.decode()
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0
    assert CODE_LOCK in page and "Spróbuj ponownie za 60 min." in page and "kodów zapasowych" in page
    assert "Logowanie na ten adres" not in page and "Nie pamiętam hasła" not in page  # not the password's


def test_the_second_step_lock_says_so_when_confirming_it_is_you(tmp_path, clock):
    """/konto/potwierdz with two-step sign-in on asks for the password and a code: when the code
    limit stops it, the page speaks of codes (not of the password, as the log-in's page does)."""
    app = limited_app(tmp_path, SECOND_STEP_ACCOUNT="3/hour")
    anna = signed_up(app, "anna@example.com")
    anna.turn_on_app(clock)
    for _ in range(3):
        assert anna.reauth(code="000000").status_code == 422
    blocked = anna.reauth(code=anna.next_code())
    assert_says_the_codes_are_locked(blocked)
    htmx = anna.client.post("/konto/potwierdz", data={"password": PASSWORD, "code": anna.next_code()},
                            headers={"HX-Request": "true"})
    assert htmx.status_code == 429 and CODE_LOCK in htmx.data.decode() and "<html" not in htmx.data.decode()


def test_the_second_step_lock_says_so_in_the_back_office(tmp_path, clock):
    app = limited_app(tmp_path, SECOND_STEP_ACCOUNT="3/hour")
    ola = make_staff(app, clock, confirm=False)
    for _ in range(3):
        assert ola.client.post("/obsluga/potwierdz", data={"password": PASSWORD, "code": "000000"}).status_code == 422
    assert_says_the_codes_are_locked(
        ola.client.post("/obsluga/potwierdz", data={"password": PASSWORD, "code": ola.next_code()}))
    assert_says_the_codes_are_locked(ola.reauth(code=ola.next_code()))  # the account's own too


# Two-step sign-in ---------------------------------------------------------------------------

SECOND_STEP_LIMITS = {"SECOND_STEP_ACCOUNT", "SECOND_STEP_IP", "PASSKEY_OPTIONS_IP"}


def with_app(app, email, clock, ip="10.0.0.1"):
    """An account with an authenticator app; returns its secret."""
    journey = signed_up(app, email, ip=ip)
    secret, _codes = journey.turn_on_app(clock)
    return secret


def half(app, email, ip):
    journey = from_ip(app, ip)
    assert journey.login(email=email).headers["Location"] == "/logowanie/weryfikacja"
    return journey


def test_wrong_second_step_codes_lock_the_account_whatever_the_ip_and_tell_the_owner(tmp_path, clock):
    app = limited_app(tmp_path, SECOND_STEP_ACCOUNT="3/hour")
    secret = with_app(app, "anna@example.com", clock)
    bob_secret = with_app(app, "bob@example.com", clock, ip="10.0.0.2")
    for ip in ("10.0.0.66", "10.0.0.67", "10.0.0.68"):
        assert half(app, "anna@example.com", ip).second_step("000000").status_code == 422
    blocked = half(app, "anna@example.com", "10.0.0.69").second_step(app_code(secret, clock))
    assert blocked.status_code == 429
    assert "Weryfikacja dwuetapowa tego konta jest czasowo wstrzymana" in blocked.data.decode()
    # Re-authentication and recovery codes share the lock.
    assert half(app, "anna@example.com", "10.0.0.70").client.post(
        "/logowanie/weryfikacja/kod-zapasowy", data={"code": "x"}).status_code == 429
    notices = [m for m in mails_to("anna@example.com") if "poznać hasło" in m.subject]
    assert len(notices) == 1 and "10.0.0.69" in notices[0].text_body
    # Bob, from the attacker's network, is not affected.
    assert half(app, "bob@example.com", "10.0.0.66").second_step(app_code(bob_secret, clock)).status_code == 303


def test_wrong_second_step_codes_are_limited_per_ip(tmp_path, clock):
    app = limited_app(tmp_path, SECOND_STEP_IP="3/hour")
    secret = with_app(app, "anna@example.com", clock)
    with_app(app, "bob@example.com", clock, ip="10.0.0.2")
    for email in ("anna@example.com", "bob@example.com", "anna@example.com"):
        assert half(app, email, "10.0.0.66").second_step("000000").status_code == 422
    assert half(app, "anna@example.com", "10.0.0.66").second_step(app_code(secret, clock)).status_code == 429
    assert half(app, "anna@example.com", "10.0.0.1").second_step(app_code(secret, clock)).status_code == 303


def test_wrong_passwords_when_turning_two_step_off_count_like_failed_log_ins(tmp_path, clock):
    """Turning two-step sign-in off asks for the password: a guess there is a log-in guess too
    (issue 10, item 6), on the owner's own address whatever the form says."""
    app = limited_app(tmp_path, LOGIN_ACCOUNT="3/hour")
    anna = signed_up(app, "anna@example.com")
    anna.turn_on_app(clock)
    off = "/konto/weryfikacja-dwuetapowa/wylacz"
    for _ in range(3):
        guess = {"password": WRONG, "code": "000000", "email": "bob@example.com"}
        assert anna.client.post(off, data=guess).status_code == 422
    assert from_ip(app, "10.9.9.9").login().status_code == 429  # one budget with log-in
    assert mails_to("anna@example.com")[0].subject == "Logowanie do Twojego Konta zostało czasowo zablokowane"


def test_passkey_challenges_are_limited_per_ip(tmp_path):
    app = limited_app(tmp_path, PASSKEY_OPTIONS_IP="2/hour")
    client = from_ip(app, "10.0.0.66").client
    for _ in range(2):
        assert client.post("/klucz-dostepu/opcje", data={"cel": "sign_in"}).status_code == 200
    assert client.post("/klucz-dostepu/opcje", data={"cel": "sign_in"}).status_code == 429
    assert from_ip(app, "10.0.0.1").client.post("/klucz-dostepu/opcje", data={"cel": "sign_in"}).status_code == 200


# Where the counts live (issue 10, item 11) --------------------------------------------------


@pytest.mark.slow
def test_a_limit_holds_across_processes_on_one_database(tmp_path):
    """Two app processes on one database (as gunicorn's workers are) count one limit together:
    with counters in each process's memory, each would have let all its own tries through."""
    env = {f"RATELIMIT_{name}": HIGH for name in LIMITS}
    env.update(RATELIMIT_ENABLED="1", RATELIMIT_LOGIN_IP="3/hour", DATABASE_URL=database_url(tmp_path))
    first = AppProcess(tmp_path, **env)
    second = AppProcess(tmp_path, **env)
    try:
        statuses = [
            Browser(process.url).post("/logowanie", {"email": "nikt@example.com", "password": WRONG}).status_code
            for process in (first, second, first, second, second)
        ]
    finally:
        first.stop()
        second.stop()
    assert statuses == [422, 422, 422, 429, 429]


def test_x_forwarded_for_is_believed_only_from_a_configured_proxy(tmp_path):
    """With KONTO_PROXY_FIX=1, X-Forwarded-For names the client only when the request comes from
    a proxy in FORWARDED_ALLOW_IPS; anyone else sending it is counted by their own address."""
    limits = {f"RATELIMIT_{name}": HIGH for name in LIMITS} | {"RATELIMIT_LOGIN_IP": "2/hour"}
    app = create_app(make_config(tmp_path, KONTO_PROXY_FIX=1, FORWARDED_ALLOW_IPS="127.0.0.1, 10.1.0.0/16", **limits))

    def wrong_login(peer, forwarded_for):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = peer
        return client.post("/logowanie", data={"email": "nikt@example.com", "password": WRONG},
                           headers={"X-Forwarded-For": forwarded_for}).status_code

    # A client talking to the app directly cannot pose as a new address each time.
    assert [wrong_login("203.0.113.5", f"198.51.100.{i}") for i in range(3)] == [422, 422, 429]
    # Through the proxy, each client is counted by the address the proxy saw.
    assert [wrong_login("10.1.2.3", "198.51.100.7") for _ in range(3)] == [422, 422, 429]
    assert wrong_login("127.0.0.1", "198.51.100.8") == 422


@pytest.mark.parametrize("strategy", ["fixed-window", "sliding-window-counter"])
def test_the_other_strategies_count_in_the_database_too(tmp_path, strategy):
    config = {f"RATELIMIT_{name}": HIGH for name in LIMITS} | {"RATELIMIT_LOGIN_IP": "2/hour"}
    app = create_app(make_config(tmp_path, RATELIMIT_STRATEGY=strategy, **config))
    client = from_ip(app, "10.0.0.66")
    assert [client.login(email="nikt@example.com", password=WRONG).status_code for _ in range(3)] == [422, 422, 429]
    with database.connection_context():
        assert RateLimitCounter.select().count() >= 1  # counted in the database, not in memory


# Desktop programs -----------------------------------------------------------------------------

PROGRAM_LIMITS = {"PROGRAM_CODE_USER", "PROGRAM_CODE_IP", "DEVICE_IP", "TOKEN_IP", "API_PROGRAM",
                  "API_REGISTER_PROGRAM"}
WRONG_CODE = "BCDF-GHJK"  # well formed; no program asked with it


def test_wrong_program_codes_are_limited_per_account_whatever_the_ip(tmp_path):
    app = limited_app(tmp_path, PROGRAM_CODE_USER="2/hour")
    mallory = signed_up(app, "mallory@example.com", ip="10.0.0.66")
    for _ in range(2):
        assert enter_code(mallory, WRONG_CODE).status_code == 422
    mallory.client.environ_base["REMOTE_ADDR"] = "10.0.0.67"
    assert enter_code(mallory, WRONG_CODE).status_code == 429
    bob = signed_up(app, "bob@example.com", ip="10.0.0.66")  # another account, the same address
    assert enter_code(bob, WRONG_CODE).status_code == 422
    assert mallory.client.get("/polacz").status_code == 200  # reading the page is not limited


def test_wrong_program_codes_are_limited_per_ip(tmp_path):
    app = limited_app(tmp_path, PROGRAM_CODE_IP="2/hour")
    anna, bob = signed_up(app, "anna@example.com", ip="10.0.0.66"), signed_up(app, "bob@example.com", ip="10.0.0.66")
    assert enter_code(anna, WRONG_CODE).status_code == 422
    assert enter_code(bob, WRONG_CODE).status_code == 422
    assert enter_code(anna, WRONG_CODE).status_code == 429
    anna.client.environ_base["REMOTE_ADDR"] = "10.0.0.1"
    assert enter_code(anna, WRONG_CODE).status_code == 422


def test_programs_asking_for_codes_are_limited_per_ip(tmp_path):
    app = limited_app(tmp_path, DEVICE_IP="2/hour")
    program = Program(app, ip="10.0.0.66")
    assert [program.ask().status_code for _ in range(3)] == [200, 200, 429]
    refused = program.ask()
    assert refused.json["code"] == "RATE_LIMITED" and int(refused.headers["Retry-After"]) > 0
    assert Program(app, ip="10.0.0.1").ask().status_code == 200


def test_polling_and_revoking_are_limited_per_ip(tmp_path):
    app = limited_app(tmp_path, TOKEN_IP="3/minute")
    program = Program(app, ip="10.0.0.66")
    program.ask()
    assert program.poll().json["error"] == "authorization_pending"
    assert program.revoke("not-a-token").status_code == 200  # RFC 7009 §2.2: an unknown token is fine
    assert program.poll().status_code == 400
    assert program.poll().status_code == 429
    other = Program(app, ip="10.0.0.1")
    assert other.poll(program.device["device_code"]).json["error"] in ("authorization_pending", "slow_down")


def test_the_api_is_limited_per_connection(tmp_path):
    app = limited_app(tmp_path, API_PROGRAM="3/minute")
    anna = admin_with_company(app)
    first = connected(app, anna)
    second = connected(app, anna, machine="KASA-2")  # another connection, the same address
    assert [first.get("/companies").status_code for _ in range(3)] == [200, 200, 200]
    refused = first.get("/me")
    assert refused.status_code == 429 and refused.json["code"] == "RATE_LIMITED"
    assert refused.headers["Content-Type"].startswith("application/problem+json")
    assert second.get("/companies").status_code == 200
    # A fresh access token of the same connection does not reset its count.
    assert first.refresh().status_code == 200
    assert first.get("/companies").status_code == 429


def test_registering_licences_is_limited_per_connection(tmp_path):
    app = limited_app(tmp_path, API_REGISTER_PROGRAM="1/hour")
    anna = admin_with_company(app)
    program = connected(app, anna)
    path = f"/companies/{company_id()}/registrations"
    body = {"licence_number": "SPDEM-HAQJQ-D6E21", "installation_id": "inst-1", "machine_name": "KASA-1"}
    assert program.post(path, json=body).status_code == 422  # a wrong number still counts
    assert program.post(path, json=body).status_code == 429
    assert program.get(f"/companies/{company_id()}/licences").status_code == 200  # reading is not limited


# Reading pages --------------------------------------------------------------------------------

STORAGE_CALLS = ("acquire_entry", "get_moving_window", "incr", "decr", "get", "get_expiry",
                 "acquire_sliding_window_entry", "get_sliding_window", "clear_sliding_window", "clear", "reset",
                 "check")


@pytest.fixture
def storage_calls(monkeypatch):
    """Every call to the database storage of the limits, by method name (they still run)."""
    from konto.limit_storage import DatabaseStorage  # noqa: PLC0415 - only these tests spy on it

    calls = []
    for name in STORAGE_CALLS:
        original = getattr(DatabaseStorage, name)

        def spy(self, *args, _name=name, _original=original, **kwargs):
            calls.append(_name)
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(DatabaseStorage, name, spy)
    return calls


def test_reading_pages_never_touches_the_limits_storage(tmp_path, storage_calls):
    """GET, HEAD and OPTIONS on endpoints whose limits count POSTs only skip Flask-Limiter."""
    app = create_app(make_config(tmp_path))  # the limits as deployed, counted in the database
    limiter = app.extensions["konto_limiter"]
    assert limiter._check_request_limit not in app.before_request_funcs[None]  # its hook is guarded
    anna = admin_with_company(app)
    storage_calls.clear()
    company = company_id()
    pages = ["/panel", f"/firmy/{company}", f"/firmy/{company}/licencje", f"/firmy/{company}/uzytkownicy",
             "/konto", "/firmy/dodaj", "/polacz", "/pomoc"]
    for path in pages:
        assert anna.client.get(path).status_code == 200, path
        assert anna.client.head(path).status_code == 200, path
        assert anna.client.options(path).status_code == 200, path
    visitor = app.test_client()
    for path in ["/logowanie", "/rejestracja", "/haslo/nie-pamietam", "/", "/regulamin"]:
        assert visitor.get(path).status_code == 200, path
    assert storage_calls == []
    # A POST a limit counts does reach the storage: the spy sees what it should.
    assert visitor.post("/logowanie", data={"email": "anna@example.com", "password": WRONG}).status_code == 422
    assert storage_calls


def test_the_api_still_counts_every_get(tmp_path, storage_calls):
    """API_PROGRAM counts any method: a GET to the API is never skipped."""
    app = limited_app(tmp_path, API_PROGRAM="2/minute")
    program = connected(app, admin_with_company(app))
    storage_calls.clear()
    assert [program.get("/companies").status_code for _ in range(2)] == [200, 200]
    assert storage_calls
    assert program.get("/me").status_code == 429
    assert program.http.head("/api/v1/me", headers=program._auth(None)).status_code == 429


def test_with_a_default_limit_configured_nothing_is_skipped(tmp_path):
    app = create_app(make_config(tmp_path, RATELIMIT_DEFAULT="2/minute"))
    limiter = app.extensions["konto_limiter"]
    assert limiter._check_request_limit in app.before_request_funcs[None]
    client = app.test_client()
    assert [client.get("/regulamin").status_code for _ in range(3)] == [200, 200, 429]


def test_a_page_no_limit_looked_at_skips_flask_limiters_after_request_and_teardown(tmp_path, storage_calls):
    """Flask-Limiter's after_request and teardown only read the request's limits context: a page
    none of whose limits looked at it has none (and they are not called), nor does a form's GET
    whose limits count POSTs only (its view is called without Flask-Limiter's decorators); a
    counted POST has one, and its failure is still deducted by the after_request hook (the
    lockout bites)."""
    from flask.globals import _cv_request  # noqa: PLC0415 - only this test looks at the request context

    app = limited_app(tmp_path, LOGIN_IP="2/minute")
    seen = []
    app.teardown_request(lambda exc: seen.append(hasattr(_cv_request.get(), "_limiter_request_context")))
    visitor = app.test_client()
    # Pages without limits, and forms whose limits count POSTs only (their views' limits skipped).
    for path in ("/", "/regulamin", "/logowanie", "/rejestracja", "/haslo/nie-pamietam"):
        assert visitor.get(path).status_code == 200, path
    assert seen == [False] * 5
    statuses = [visitor.post("/logowanie", data={"email": "a@example.com", "password": WRONG}).status_code
                for _ in range(3)]
    assert statuses == [422, 422, 429] and seen[5:] == [True, True, True]
    assert visitor.get("/logowanie").status_code == 200 and seen[8:] == [False]
