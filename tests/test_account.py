"""The user's own account: re-authentication, password and e-mail change, sessions, consents,
activity, export and deletion, and new versions of the terms."""

import json

import pytest

from konto import documents
from konto.db import database
from konto.models import ALL_MODELS
from konto.models import AdminClaim
from konto.models import AuditEvent
from konto.models import Company
from konto.models import Consent
from konto.models import Membership
from konto.models import Service
from konto.models import ServiceTermsAcceptance
from konto.models import User
from konto.models import UserSession
from konto.models import utcnow
from tests.helpers import PASSWORD
from tests.helpers import Journey
from tests.helpers import comparable
from tests.helpers import link_in
from tests.helpers import mails_to
from tests.helpers import user
from tests.program_helpers import connected

NEW_PASSWORD = "inne-dlugie-haslo-2026"


def reauth(client, password=PASSWORD, next_path="/konto"):
    return client.post(f"/konto/potwierdz?next={next_path}", data={"password": password})


def events(email):
    with database.connection_context():
        return [e.event for e in AuditEvent.select().where(AuditEvent.user == user(email).id).order_by(AuditEvent.id)]


@pytest.fixture
def anna(journey):
    journey.signed_up()
    return journey


@pytest.mark.parametrize("path", ["/konto/haslo", "/konto/email", "/konto/eksport", "/konto/usun"])
def test_sensitive_pages_ask_for_the_password_again(client, anna, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/konto/potwierdz?next=" + path)
    assert reauth(client, password="zle-haslo-calkiem").status_code == 422
    assert client.get(path).status_code == 302
    confirmed = reauth(client, next_path=path)
    assert confirmed.status_code == 303 and confirmed.headers["Location"] == path
    assert client.get(path).status_code == 200


def test_reauthentication_expires(app, client, anna):
    reauth(client)
    app.config["REAUTH_WINDOW"] = 0
    assert client.get("/konto/haslo").status_code == 302


def test_change_password_keeps_this_session_ends_others_and_tells_the_owner(app, client, anna):
    other = Journey(app.test_client())
    other.login()
    reauth(client)
    response = client.post("/konto/haslo", data={"password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD})
    assert response.status_code == 303
    assert client.get("/panel").status_code == 200
    assert other.client.get("/panel").status_code == 302
    assert mails_to("anna@example.com")[0].subject == "Hasło do Konta zostało zmienione"
    assert "password_changed" in events("anna@example.com")
    assert Journey(app.test_client()).login(password=NEW_PASSWORD).status_code == 303


def test_change_password_applies_the_policy(client, anna):
    reauth(client)
    response = client.post("/konto/haslo", data={"password": "krotkie", "password_repeat": "krotkie"})
    assert response.status_code == 422


def test_change_email_confirmed_from_new_address_and_revertable_from_old(app, client, anna):
    reauth(client)
    response = client.post("/konto/email", data={"email": "Anna.New@Example.com"})
    assert response.status_code == 200 and "anna.new@example.com" in response.data.decode()
    assert user("anna@example.com").email == "anna@example.com"  # not yet
    confirm = link_in(mails_to("anna.new@example.com")[0], "/konto/email/potwierdz/")
    assert client.get(confirm).status_code == 200
    assert client.post(confirm).status_code == 303
    with database.connection_context():
        assert User.get_by_id(1).email == "anna.new@example.com"
    notice = mails_to("anna@example.com")[0]
    assert notice.subject == "Adres e-mail Konta został zmieniony"
    assert client.post(confirm).status_code == 400  # single use

    # "To nie ja": the old address comes back, every session ends, a reset link goes to it.
    revert = link_in(notice, "/konto/email/cofnij/")
    stranger = app.test_client()
    assert stranger.get(revert).status_code == 200
    done = stranger.post(revert)
    assert done.status_code == 200 and "została cofnięta" in done.data.decode()
    with database.connection_context():
        assert User.get_by_id(1).email == "anna@example.com"
        assert UserSession.select().count() == 0
    assert client.get("/panel").status_code == 302
    assert mails_to("anna@example.com")[0].subject == "Ustaw nowe hasło"
    assert stranger.post(revert).status_code == 400
    assert events("anna@example.com")[-3:] == ["email_change_requested", "email_changed", "email_change_reverted"]


def test_change_to_a_taken_address_looks_the_same_and_sends_no_link(app, client, anna):
    Journey(app.test_client()).signed_up(email="bob@example.com")
    reauth(client)
    taken = client.post("/konto/email", data={"email": "bob@example.com"})
    free = client.post("/konto/email", data={"email": "free@example.com"})
    assert taken.status_code == free.status_code == 200
    # comparable(): the CSRF token in the page carries a timestamp, which differs across a second boundary.
    assert comparable(taken.data.decode(), "bob@example.com") == comparable(free.data.decode(), "free@example.com")
    assert CONFIRM_LINK not in mails_to("bob@example.com")[0].text_body


def test_sessions_page_lists_and_ends_another_session(app, client, anna):
    other = Journey(app.test_client())
    other.login()
    page = client.get("/konto/sesje").data.decode()
    assert page.count("Zakończ") >= 2 and "ta sesja" in page
    with database.connection_context():
        other_id = UserSession.select().order_by(UserSession.id.desc()).first().id
    assert client.post(f"/konto/sesje/{other_id}/zakoncz").status_code == 303
    assert other.client.get("/panel").status_code == 302
    assert client.get("/panel").status_code == 200


def test_cannot_end_someone_elses_session(app, client, anna):
    bob = Journey(app.test_client())
    bob.signed_up(email="bob@example.com")
    with database.connection_context():
        bob_session = UserSession.get(UserSession.user == user("bob@example.com").id).id
    assert client.post(f"/konto/sesje/{bob_session}/zakoncz").status_code == 404
    assert bob.client.get("/panel").status_code == 200


def test_end_all_other_sessions(app, client, anna):
    others = [Journey(app.test_client()) for _ in range(3)]
    for other in others:
        other.login()
    client.post("/konto/sesje/zakoncz-inne")
    assert all(o.client.get("/panel").status_code == 302 for o in others)
    assert client.get("/panel").status_code == 200


def test_marketing_consent_withdrawn_as_easily_as_given(client, anna):
    assert client.post("/konto/zgody", data={"marketing": "y"}).status_code == 303
    with database.connection_context():
        assert Consent.select().where((Consent.document == "marketing") & Consent.withdrawn_at.is_null()).count() == 1
    client.post("/konto/zgody", data={})
    with database.connection_context():
        assert Consent.select().where((Consent.document == "marketing") & Consent.withdrawn_at.is_null()).count() == 0
        assert Consent.select().where(Consent.document == "marketing").count() == 1  # the record stays
    assert events("anna@example.com")[-2:] == ["consent_given", "consent_withdrawn"]


def test_new_terms_version_must_be_accepted_at_next_login(monkeypatch, app, client, anna):
    monkeypatch.setitem(documents.VERSIONS, documents.TERMS, "2027-01-01")
    anna.logout()
    anna.login()
    response = client.get("/panel")
    assert response.status_code == 302 and response.headers["Location"].startswith("/konto/nowe-dokumenty")
    page = client.get(response.headers["Location"]).data.decode()
    assert "regulamin" in page.lower() and "accept_privacy" not in page
    assert client.post("/konto/nowe-dokumenty", data={}).status_code == 422
    assert client.post("/konto/nowe-dokumenty?next=/panel", data={"accept_terms": "y"}).status_code == 303
    assert client.get("/panel").status_code == 200
    with database.connection_context():
        assert Consent.get((Consent.document == "terms") & (Consent.version == "2027-01-01"))


def test_new_terms_accepted_with_htmx_lead_on_to_the_page_asked_for(monkeypatch, client, anna):
    monkeypatch.setitem(documents.VERSIONS, documents.TERMS, "2027-01-01")
    response = client.post("/konto/nowe-dokumenty?next=/konto/sesje", data={"accept_terms": "y"},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200 and response.headers["HX-Redirect"] == "/konto/sesje"
    refused = client.post("/konto/nowe-dokumenty?next=//evil.example", data={"accept_terms": "y"})
    assert refused.status_code == 302 and refused.headers["Location"] == "/panel"  # accepted: on, not off-site


def test_activity_page_shows_own_events_only(app, client, anna):
    bob = Journey(app.test_client())
    bob.register(email="bob@example.com")
    bob.login(email="bob@example.com", password="zle-haslo-calkiem")
    page = client.get("/konto/aktywnosc").data.decode()
    assert "Założenie konta" in page and "Aktywacja konta" in page and "Logowanie" in page
    assert events("anna@example.com")[:3] == ["register", "activate", "login"]
    assert "bob@example.com" not in page


def test_export_gives_all_my_data_as_json(client, anna):
    anna.add_company("PL5250001003")
    reauth(client)
    response = client.post("/konto/eksport")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    data = json.loads(response.data)
    assert data["account"]["email"] == "anna@example.com"
    assert {c["document"] for c in data["consents"]} == {"terms", "privacy"}
    assert data["companies"][0]["tax_id"] == "PL5250001003" and data["companies"][0]["role"] == "admin"
    assert "register" in [e["event"] for e in data["activity"]]
    assert "password" not in response.data.decode().lower().replace("password_changed", "")


def test_export_holds_language_invitations_claims_service_terms_and_programs_but_no_secret(app, client, anna):
    """What the portal came to hold about a person after the export was first written (GDPR art.
    15/20): the account's language, the invitations sent and received, the admin-rights claims,
    the service terms accepted and the connected programs; never a token, hash or secret."""
    anna.add_company("PL5250001003")
    assert client.post("/jezyk", data={"lang": "en"}).status_code in (302, 303)
    with database.connection_context():
        ours = Company.get(Company.tax_id == "PL5250001003")
    client.post(f"/firmy/{ours.id}/uzytkownicy/dodaj", data={"email": "dave@example.com"})
    sent_link = link_in(mails_to("dave@example.com")[0], "/zaproszenie/")
    bob = Journey(app.test_client())
    bob.signed_up(email="bob@example.com")
    bob.add_company("PL6770002009", contact_email="bob@example.com")
    with database.connection_context():
        bobs = Company.get(Company.tax_id == "PL6770002009")
    bob.client.post(f"/firmy/{bobs.id}/uzytkownicy/dodaj", data={"email": "anna@example.com"})
    received_link = link_in(mails_to("anna@example.com")[0], "/zaproszenie/")
    with database.connection_context():
        AdminClaim.create(company=bobs, claimant=user("anna@example.com"), stored_name="S" * 32 + ".pdf",
                          original_name="oświadczenie.pdf", size=1234, sha256="ab" * 32, object_until=utcnow())
        ServiceTermsAcceptance.create(tax_id=ours.tax_id, service=Service.get(Service.code == "ksef"),
                                      version="2026-11-01", user=user("anna@example.com"), ip="198.51.100.4")
    program = connected(app, anna, machine="KASA-7")
    reauth(client)
    response = client.post("/konto/eksport")
    assert response.status_code == 200
    data = json.loads(response.data)

    assert data["account"]["language"] == "en"
    [sent] = data["invitations"]["sent"]
    assert (sent["email"], sent["company"], sent["role"], sent["status"]) == (
        "dave@example.com", "PL5250001003", "member", "pending")
    assert sent["created_at"] and sent["expires_at"]
    [received] = data["invitations"]["received"]
    assert (received["company"], received["company_name"], received["status"]) == (
        "PL6770002009", bobs.name, "pending")
    [claim] = data["admin_claims"]
    assert (claim["company"], claim["status"], claim["file_name"], claim["file_size"]) == (
        "PL6770002009", "pending", "oświadczenie.pdf", 1234)
    [terms] = data["service_terms"]
    assert (terms["tax_id"], terms["version"], terms["ip"]) == ("PL5250001003", "2026-11-01", "198.51.100.4")
    assert terms["service"] and terms["accepted_at"]
    [connection] = data["programs"]
    assert connection["machine_name"] == "KASA-7" and connection["companies"] == ["PL5250001003"]
    assert connection["program"] and connection["created_at"] and connection["last_used_at"]
    assert connection["revoked_at"] is None

    # No secret, by name or by value.
    def keys(value):
        if isinstance(value, dict):
            return set(value) | {k for v in value.values() for k in keys(v)}
        if isinstance(value, list):
            return {k for v in value for k in keys(v)}
        return set()

    assert not {k for k in keys(data) if any(w in k for w in ("token", "hash", "secret", "sha", "stored", "password"))}
    text = response.data.decode()
    for secret in (program.tokens["access_token"], program.tokens["refresh_token"], program.device["device_code"],
                   sent_link.rsplit("/", 1)[-1], received_link.rsplit("/", 1)[-1], "S" * 32, "ab" * 32):
        assert secret not in text


def test_delete_account_ends_every_session_and_hands_over_companies(app, client, anna):
    anna.add_company("PL5250001003")
    anna.add_company("PL6770002009")
    with database.connection_context():
        shared = Company.get(Company.tax_id == "PL5250001003")
    bob = Journey(app.test_client())
    bob.signed_up(email="bob@example.com")
    with database.connection_context():
        Membership.create(user=user("bob@example.com"), company=shared, role="member")
    other_device = Journey(app.test_client())
    other_device.login()
    reauth(client)
    assert client.post("/konto/usun", data={}).status_code == 422
    response = client.post("/konto/usun", data={"confirm": "y"})
    assert response.status_code == 303
    assert client.get("/panel").status_code == 302
    assert other_device.client.get("/panel").status_code == 302
    with database.connection_context():
        assert User.get_or_none(User.email == "anna@example.com") is None
        assert Company.get_or_none(Company.tax_id == "PL6770002009") is None  # nobody else was in it
        assert Membership.get(Membership.company == shared).role == "admin"  # bob inherits
        assert UserSession.select().where(UserSession.user == 1).count() == 0
    assert Journey(app.test_client()).login().status_code == 422


# -- one's own name --------------------------------------------------------------------------


def test_change_ones_name_without_the_password_recorded_in_the_activity(client, anna):
    page = client.get("/konto/imie-i-nazwisko")
    assert page.status_code == 200
    assert 'value="Anna"' in page.data.decode()  # the form starts from the current name
    response = client.post("/konto/imie-i-nazwisko",
                           data={"first_name": "  Anna Maria ", "last_name": "Nowak-Kowalska"})
    assert response.status_code == 303 and response.headers["Location"] == "/konto"
    settings = client.get("/konto").data.decode()
    assert "Zapisano imię i nazwisko." in settings and "Anna Maria Nowak-Kowalska" in settings
    assert (user("anna@example.com").first_name, user("anna@example.com").last_name) == ("Anna Maria", "Nowak-Kowalska")
    assert events("anna@example.com").count("name_changed") == 1
    # The same name again changes nothing and records nothing.
    client.post("/konto/imie-i-nazwisko", data={"first_name": "Anna Maria", "last_name": "Nowak-Kowalska"})
    assert events("anna@example.com").count("name_changed") == 1


@pytest.mark.parametrize("data, message", [
    ({"first_name": "", "last_name": "Nowak"}, "Podaj imię."),
    ({"first_name": "   ", "last_name": "Nowak"}, "Podaj imię."),
    ({"first_name": "Anna"}, "Podaj nazwisko."),
    ({"first_name": "A" * 500, "last_name": "Nowak"}, "Najwyżej"),
])
def test_a_name_left_empty_or_too_long_is_refused_and_nothing_changes(client, anna, data, message):
    response = client.post("/konto/imie-i-nazwisko", data=data)
    assert response.status_code == 422
    page = response.data.decode()
    assert message in page and "<title>Błąd: " in page and 'aria-invalid="true"' in page
    assert (user("anna@example.com").first_name, user("anna@example.com").last_name) == ("Anna", "Nowak")
    assert "name_changed" not in events("anna@example.com")


def test_changing_the_name_with_htmx_reloads_the_whole_page_for_the_top_bar(client, anna):
    response = client.post("/konto/imie-i-nazwisko", data={"first_name": "Ania", "last_name": "Nowak"},
                           headers={"HX-Request": "true"})
    assert response.headers["HX-Redirect"] == "/konto"
    assert "Ania Nowak" in client.get("/konto").data.decode()


def test_the_name_page_needs_a_logged_in_user(client):
    assert client.get("/konto/imie-i-nazwisko").status_code == 302
    assert client.post("/konto/imie-i-nazwisko", data={"first_name": "X", "last_name": "Y"}).status_code == 302


# E-mail change: the attacks of issue 10 (item 2: a pending change outlives what should end
# it; item 4: the form tells whether an address is taken and mails anyone). The attacker
# knows Anna's password: they log in on their own device and ask to move the account.

EVIL = "evil@example.com"
CONFIRM_LINK = "/konto/email/potwierdz/"
REVERT_LINK = "/konto/email/cofnij/"


def ask_for_new_address(client, address, password=PASSWORD):
    reauth(client, password=password)
    response = client.post("/konto/email", data={"email": address})
    assert response.status_code == 200, response.data
    return link_in(mails_to(address)[0], CONFIRM_LINK)


def attacker_with_the_password(app, password=PASSWORD):
    attacker = Journey(app.test_client())
    assert attacker.login(password=password).status_code == 303
    return attacker


def current_address():
    with database.connection_context():
        return User.get_by_id(1).email


def test_a_pending_change_dies_when_the_owner_changes_the_password(app, client, anna):
    kept_link = ask_for_new_address(attacker_with_the_password(app).client, EVIL)
    reauth(client)
    changed = client.post("/konto/haslo", data={"password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD})
    assert changed.status_code == 303
    assert app.test_client().post(kept_link).status_code == 400  # anonymous, as the attacker would
    assert current_address() == "anna@example.com"


def test_a_pending_change_dies_when_the_owner_resets_the_password(app, client, anna):
    kept_link = ask_for_new_address(attacker_with_the_password(app).client, EVIL)
    owner = app.test_client()
    owner.post("/haslo/nie-pamietam", data={"email": "anna@example.com"})
    reset = link_in(mails_to("anna@example.com")[0], "/haslo/nowe/")
    assert owner.post(reset, data={"password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD}).status_code == 303
    assert app.test_client().post(kept_link).status_code == 400
    assert current_address() == "anna@example.com"


def test_a_newer_request_ends_the_older_one(app, client, anna):
    first = ask_for_new_address(client, "first@example.com")
    second = ask_for_new_address(client, "second@example.com")
    assert client.post(first).status_code == 400
    assert client.post(second).status_code == 303
    assert current_address() == "second@example.com"


def test_a_used_change_link_stays_dead_after_to_nie_ja_and_a_new_password(app, client, anna):
    kept_link = ask_for_new_address(attacker_with_the_password(app).client, EVIL)
    assert app.test_client().post(kept_link).status_code == 303
    assert current_address() == EVIL
    # Anna: "to nie ja" from her old address, then a new password from the reset link it sends.
    owner = app.test_client()
    assert owner.post(link_in(mails_to("anna@example.com")[0], REVERT_LINK)).status_code == 200
    assert current_address() == "anna@example.com"
    reset = link_in(mails_to("anna@example.com")[0], "/haslo/nowe/")
    assert owner.post(reset, data={"password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD}).status_code == 303
    # The attacker's used link, the address it was made for now back: still dead.
    assert app.test_client().post(kept_link).status_code == 400
    assert current_address() == "anna@example.com"


def test_to_nie_ja_ends_the_password_the_attacker_knew(app, client, anna):
    attacker = attacker_with_the_password(app)
    app.test_client().post(ask_for_new_address(attacker.client, EVIL))
    app.test_client().post(link_in(mails_to("anna@example.com")[0], REVERT_LINK))
    assert Journey(app.test_client()).login(password=PASSWORD).status_code == 422
    assert mails_to("anna@example.com")[0].subject == "Ustaw nowe hasło"


def test_a_second_change_keeps_the_owners_to_nie_ja_link_and_tells_the_first_address(app, client, anna):
    attacker = attacker_with_the_password(app)
    app.test_client().post(ask_for_new_address(attacker.client, EVIL))
    owners_link = link_in(mails_to("anna@example.com")[0], REVERT_LINK)
    # X → A, then A → B: the notice of the second change goes to Anna's address, not to A.
    app.test_client().post(ask_for_new_address(attacker.client, "evil2@example.com"))
    assert current_address() == "evil2@example.com"
    assert [m.subject for m in mails_to(EVIL)] == ["Potwierdź nowy adres e-mail"]
    notices = [m for m in mails_to("anna@example.com") if m.subject == "Adres e-mail Konta został zmieniony"]
    assert len(notices) == 2 and "evil2@example.com" in notices[0].text_body
    # Anna's first "to nie ja" link still works and brings her own address back.
    owner = app.test_client()
    assert owner.get(owners_link).status_code == 200
    done = owner.post(owners_link)
    assert done.status_code == 200 and "anna@example.com" in done.data.decode()
    assert current_address() == "anna@example.com"
    # Every "to nie ja" link of that chain is used now.
    assert owner.post(link_in(notices[0], REVERT_LINK)).status_code == 400


def test_to_nie_ja_wins_over_an_account_registered_meanwhile_on_the_old_address(app, client, anna):
    attacker = attacker_with_the_password(app)
    app.test_client().post(ask_for_new_address(attacker.client, EVIL))
    Journey(app.test_client()).register(email="anna@example.com")  # squatting the freed address
    [notice] = [m for m in mails_to("anna@example.com") if m.subject == "Adres e-mail Konta został zmieniony"]
    owner = app.test_client()
    assert owner.post(link_in(notice, REVERT_LINK)).status_code == 200
    assert current_address() == "anna@example.com"
    with database.connection_context():
        assert User.select().count() == 1


def table_counts():
    with database.connection_context():
        return {model._meta.table_name: model.select().count() for model in ALL_MODELS}


def test_change_to_a_taken_address_writes_and_records_the_same_as_to_a_free_one(app, client, anna):
    Journey(app.test_client()).signed_up(email="bob@example.com")
    reauth(client)
    answers = {}
    for address in ("bob@example.com", "free@example.com"):
        before = table_counts()
        response = client.post("/konto/email", data={"email": address})
        after = table_counts()
        answers[address] = (response.status_code, {t: after[t] - before[t] for t in after})
    assert answers["bob@example.com"] == answers["free@example.com"]
    assert events("anna@example.com")[-2:] == ["email_change_requested", "email_change_requested"]
    reauth(client)
    exported = json.loads(client.post("/konto/eksport").data)
    activity = [e["event"] for e in exported["activity"]]
    assert activity.count("email_change_requested") == 2
    # Bob is told someone wanted his address, with no link that moves anything.
    [told] = [m for m in mails_to("bob@example.com") if m.subject != "Aktywuj swoje Konto"]
    assert CONFIRM_LINK not in told.text_body and "anna@example.com" not in told.text_body
