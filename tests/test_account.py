"""The user's own account: re-authentication, password and e-mail change, sessions, consents,
activity, export and deletion, and new versions of the terms."""

import json

import pytest

from konto import documents
from konto.db import database
from konto.models import AuditEvent
from konto.models import Company
from konto.models import Consent
from konto.models import Membership
from konto.models import User
from konto.models import UserSession
from tests.helpers import PASSWORD
from tests.helpers import Journey
from tests.helpers import comparable
from tests.helpers import link_in
from tests.helpers import mails_to
from tests.helpers import user

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


def test_change_to_a_taken_address_looks_the_same_and_sends_nothing(app, client, anna):
    Journey(app.test_client()).signed_up(email="bob@example.com")
    reauth(client)
    taken = client.post("/konto/email", data={"email": "bob@example.com"})
    free = client.post("/konto/email", data={"email": "free@example.com"})
    assert taken.status_code == free.status_code == 200
    # comparable(): the CSRF token in the page carries a timestamp, which differs across a second boundary.
    assert comparable(taken.data.decode(), "bob@example.com") == comparable(free.data.decode(), "free@example.com")
    assert [m.subject for m in mails_to("bob@example.com")] == ["Aktywuj swoje Konto"]


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
