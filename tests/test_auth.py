"""Register → activate → log in → reset → log out, and the rules each step keeps."""

import re
import time
import unicodedata
from datetime import datetime

import pytest
from itsdangerous import TimestampSigner
from itsdangerous import URLSafeTimedSerializer

from konto.db import database
from konto.models import Consent
from konto.models import User
from konto.models import UserSession
from tests.helpers import PASSWORD
from tests.helpers import Journey
from tests.helpers import comparable
from tests.helpers import link_in
from tests.helpers import mails_to
from tests.helpers import user


def test_registration_sends_activation_mail_and_shows_check_mail_page(client, journey):
    response = journey.register(email="  Anna@Example.COM ")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/rejestracja/sprawdz-poczte")
    page = client.get(response.headers["Location"]).data.decode()
    assert "anna@example.com" in page
    assert "Wyślij ponownie link aktywacyjny" in page
    [message] = mails_to("anna@example.com")
    assert message.subject == "Aktywuj swoje Konto"
    assert "Aktywuj konto" in message.html_body
    link = link_in(message, "/aktywacja/")
    assert link in message.html_body  # the same link written out in full under the button
    assert user("anna@example.com").is_activated is False


def test_registration_records_consents_with_version_ip_and_agent(client, journey):
    journey.register(accept_marketing="y")
    with database.connection_context():
        consents = {c.document: c for c in Consent.select()}
    assert set(consents) == {"terms", "privacy", "marketing"}
    assert consents["terms"].version == "2026-11-01"
    assert consents["terms"].ip == "127.0.0.1"


def test_marketing_consent_is_optional(client, journey):
    journey.register()
    with database.connection_context():
        assert {c.document for c in Consent.select()} == {"terms", "privacy"}


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("email", "not-an-email", "To nie jest poprawny adres e-mail"),
        ("password", "short", "co najmniej 12 znaków"),
        ("password", "x" * 129, "najwyżej 128 znaków"),
        ("password", "qwertyuiop12", "najczęściej używanych"),
        ("first_name", "", "Podaj imię"),
        ("first_name", "A" * 101, "Najwyżej 100 znaków"),
        ("accept_terms", None, "zaakceptuj regulamin"),
        ("accept_privacy", None, "zgodę na przetwarzanie"),
    ],
)
def test_registration_errors_are_shown_next_to_the_field_and_nothing_is_stored(journey, client, field, value, message):
    data = {} if value is None else {field: value}
    if field == "password" and value is not None:
        data["password_repeat"] = value
    if value is None:
        response = client.post(
            "/rejestracja",
            data={
                k: v
                for k, v in {
                    "first_name": "Anna",
                    "last_name": "Nowak",
                    "email": "anna@example.com",
                    "password": PASSWORD,
                    "password_repeat": PASSWORD,
                    "accept_terms": "y",
                    "accept_privacy": "y",
                }.items()
                if k != field
            },
        )
    else:
        response = journey.register(**data)
    assert response.status_code == 422
    page = response.data.decode()
    assert message in page
    assert f'id="{field}-error"' in page
    assert re.search(rf'id="{field}"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="{field}"', page)
    with database.connection_context():
        assert User.select().count() == 0
    assert mails_to("anna@example.com") == []


def test_password_equal_to_email_is_refused(journey):
    response = journey.register(email="dlugi.adres@example.com", password="dlugi.adres@example.com")
    assert response.status_code == 422
    assert "takie samo jak adres e-mail" in response.data.decode()


def test_password_repeat_must_match(journey):
    response = journey.register(password_repeat="inne-haslo-zupelnie")
    assert response.status_code == 422
    assert "Hasła nie są takie same" in response.data.decode()


def test_password_is_hashed_with_argon2id(journey):
    journey.register()
    assert user("anna@example.com").password_hash.startswith("$argon2id$")


def test_registering_a_taken_address_looks_the_same_and_tells_the_owner(app, journey):
    journey.signed_up()
    pages = {}
    for email in ("new@example.com", "anna@example.com"):
        stranger = Journey(app.test_client())
        response = stranger.register(email=email)
        assert response.status_code == 303
        follow = stranger.client.get(response.headers["Location"])
        pages[email] = (response.status_code, response.headers["Location"], follow.status_code,
                        comparable(follow.data.decode(), email))
    assert pages["new@example.com"] == pages["anna@example.com"]
    warning = mails_to("anna@example.com")[0]
    assert warning.subject == "Próba założenia konta na Twój adres"
    assert "/haslo/nie-pamietam" in warning.text_body
    with database.connection_context():
        assert User.select().where(User.email == "anna@example.com").count() == 1


def test_activation_link_get_shows_button_and_never_activates(client, journey):
    journey.register()
    path = link_in(mails_to("anna@example.com")[0], "/aktywacja/")
    page = client.get(path)
    assert page.status_code == 200
    assert "Aktywuj konto" in page.data.decode()
    assert user("anna@example.com").is_activated is False
    response = client.post(path, data={"password": PASSWORD})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/panel")
    assert user("anna@example.com").is_activated is True


def test_used_activation_link_says_account_is_active(client, journey):
    journey.register()
    journey.activate()
    path = link_in(mails_to("anna@example.com")[0], "/aktywacja/")
    page = client.get(path).data.decode()
    assert "Konto jest już aktywne" in page


def test_tampered_activation_link_is_refused(client, journey):
    journey.register()
    path = link_in(mails_to("anna@example.com")[0], "/aktywacja/")
    response = client.post(path[:-3] + "xyz")
    assert response.status_code == 400
    assert "nieprawidłowy" in response.data.decode()
    assert user("anna@example.com").is_activated is False


def test_expired_activation_link_offers_a_new_one(app, client, journey, monkeypatch):
    journey.register()
    path = link_in(mails_to("anna@example.com")[0], "/aktywacja/")
    # The clock moves past the link's lifetime (itsdangerous reads it from get_timestamp).
    later = int(time.time()) + app.config["ACTIVATION_TOKEN_MAX_AGE"] + 1
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda signer: later)
    response = client.post(path)
    assert response.status_code == 400
    page = response.data.decode()
    assert "wygasł" in page
    assert "/aktywacja/ponow" in page
    assert user("anna@example.com").is_activated is False


def test_token_for_another_purpose_is_refused(app, client, journey):
    journey.register()
    with app.app_context():
        forged = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="konto-reset").dumps({"u": 1, "f": "x"})
    assert client.post(f"/aktywacja/{forged}").status_code == 400


def test_inactive_account_cannot_log_in_and_is_offered_a_new_link(journey):
    journey.register()
    response = journey.login()
    assert response.status_code == 422
    page = response.data.decode()
    assert "nie jest jeszcze aktywne" in page
    assert "/aktywacja/ponow" in page


def test_login_lands_on_dashboard_with_name_in_top_bar(client, journey):
    response = journey.signed_up()
    assert response.headers["Location"].endswith("/panel")
    page = client.get("/panel").data.decode()
    assert "Anna Nowak" in page
    assert "Wyloguj" in page
    assert "Nie masz jeszcze żadnej firmy" in page
    assert 'href="/firmy/dodaj"' in page


def test_wrong_password_and_unknown_account_get_the_same_answer(app, journey):
    journey.signed_up()
    wrong = Journey(app.test_client()).login(password="zle-haslo-calkiem-inne")
    unknown = Journey(app.test_client()).login(email="nobody@example.com", password="zle-haslo-calkiem-inne")
    assert wrong.status_code == unknown.status_code == 422
    assert "Nieprawidłowy e-mail lub hasło." in wrong.data.decode()
    assert comparable(wrong.data.decode(), "anna@example.com") == comparable(
        unknown.data.decode(), "nobody@example.com"
    )


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)", "http:/evil"]
)
def test_next_never_leaves_the_site(journey, target):
    journey.register()
    journey.activate()
    response = journey.login(next=target)
    assert response.status_code == 303
    assert response.headers["Location"] == "/panel"


def test_next_to_a_local_path_is_followed(journey):
    journey.register()
    journey.activate()
    response = journey.login(next="/firmy/dodaj")
    assert response.headers["Location"] == "/firmy/dodaj"


def test_logout_revokes_the_copied_session_cookie(app, client, journey):
    journey.signed_up()
    cookie = client.get_cookie("session").value
    assert client.get("/panel").status_code == 200
    journey.logout()
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    response = thief.get("/panel")
    assert response.status_code == 302
    assert "/logowanie" in response.headers["Location"]


def test_remember_me_cookie_dies_with_logout(app, client, journey):
    journey.register()
    journey.activate()
    journey.login(remember="y")
    remember = client.get_cookie("remember_token").value
    journey.logout()
    thief = app.test_client()
    thief.set_cookie("remember_token", remember)
    assert thief.get("/panel").status_code == 302


def test_logout_is_post_only(client, journey):
    journey.signed_up()
    assert client.get("/wyloguj").status_code == 405
    assert client.get("/panel").status_code == 200


def test_forgotten_password_resets_and_ends_all_other_sessions(app, client, journey):
    journey.signed_up()
    other_device = app.test_client()
    other_device.post("/logowanie", data={"email": "anna@example.com", "password": PASSWORD})
    assert other_device.get("/panel").status_code == 200

    response = client.post("/haslo/nie-pamietam", data={"email": "anna@example.com"})
    assert response.status_code == 303
    message = mails_to("anna@example.com")[0]
    assert message.subject == "Ustaw nowe hasło"
    path = link_in(message, "/haslo/nowe/")
    assert client.get(path).status_code == 200
    new_password = "nowe-haslo-do-konta-2026"
    response = client.post(path, data={"password": new_password, "password_repeat": new_password})
    assert response.status_code == 303
    assert other_device.get("/panel").status_code == 302
    assert client.get("/panel").status_code == 302
    assert mails_to("anna@example.com")[0].subject == "Hasło do Konta zostało zmienione"
    assert journey.login(password=PASSWORD).status_code == 422
    assert journey.login(password=new_password).status_code == 303
    # The link was single use.
    again = client.post(path, data={"password": "jeszcze-inne-haslo-123", "password_repeat": "jeszcze-inne-haslo-123"})
    assert again.status_code == 400
    assert "już użyty" in again.data.decode()


def test_reset_for_unknown_address_looks_the_same(app, journey):
    journey.signed_up()
    pages = {}
    for email in ("anna@example.com", "nikt@example.com"):
        stranger = app.test_client()
        response = stranger.post("/haslo/nie-pamietam", data={"email": email})
        follow = stranger.get(response.headers["Location"])
        pages[email] = (response.status_code, response.headers["Location"], comparable(follow.data.decode(), email))
    assert pages["anna@example.com"] == pages["nikt@example.com"]
    assert mails_to("anna@example.com")[0].subject == "Ustaw nowe hasło"
    assert mails_to("nikt@example.com") == []


def test_resend_activation_same_answer_for_any_address(client, journey):
    journey.register()
    a = client.post("/aktywacja/ponow", data={"email": "anna@example.com"})
    b = client.post("/aktywacja/ponow", data={"email": "nikt@example.com"})
    assert a.status_code == b.status_code == 303
    assert len(mails_to("anna@example.com")) == 2
    assert mails_to("nikt@example.com") == []


def test_password_rehashed_after_login_when_parameters_change(app, journey):
    journey.register()
    journey.activate()
    old_hash = user("anna@example.com").password_hash
    app.config["PASSWORD_HASH_PARAMS"] = {"time_cost": 2, "memory_cost": 16, "parallelism": 1}
    assert journey.login().status_code == 303
    new_hash = user("anna@example.com").password_hash
    assert new_hash != old_hash and "t=2" in new_hash


def test_login_starts_a_new_server_side_session(client, journey):
    journey.signed_up()
    with database.connection_context():
        assert UserSession.select().count() == 1
    journey.logout()
    with database.connection_context():
        assert UserSession.select().count() == 0


def test_session_idle_timeout_ends_session(app, client, journey):
    journey.signed_up()
    with database.connection_context():
        UserSession.update(last_seen_at=datetime(2000, 1, 1), created_at=datetime(2000, 1, 1)).execute()
    app.config["SESSION_IDLE_TIMEOUT"] = 3600
    assert client.get("/panel").status_code == 302


def logged_in_remembered(journey):
    """Registered, activated, and logged in with "remember me"; its session last seen long ago."""
    journey.register()
    journey.activate()
    journey.login(remember="y")
    with database.connection_context():
        UserSession.update(last_seen_at=datetime(2000, 1, 1)).execute()


def test_session_absolute_lifetime_ends_even_a_remembered_session(app, client, journey):
    logged_in_remembered(journey)
    with database.connection_context():
        UserSession.update(created_at=datetime(2000, 1, 1)).execute()
    assert client.get("/panel").status_code == 302


# Pre-registration (issue 10, item 3): someone registers an address before its owner does. The
# owner's activation must leave no password the owner did not set.

ATTACKERS_PASSWORD = "haslo-napastnika-2026"


def activation_link(email="anna@example.com"):
    return link_in(mails_to(email)[0], "/aktywacja/")


def test_an_earlier_registration_by_someone_else_leaves_no_password_after_the_owners_activation(app, client):
    attacker = Journey(app.test_client())
    attacker.register(password=ATTACKERS_PASSWORD, first_name="Ewa", last_name="Intruz")
    owner = Journey(client)
    owner.register()
    response = client.post(activation_link(), data={"password": PASSWORD})
    assert response.status_code == 303
    assert Journey(app.test_client()).login(password=ATTACKERS_PASSWORD).status_code == 422
    assert Journey(app.test_client()).login(password=PASSWORD).status_code == 303
    assert user("anna@example.com").full_name == "Anna Nowak"


def test_the_owner_clicking_the_link_the_attacker_caused_still_needs_their_own_password(app, client):
    Journey(client).register()
    Journey(app.test_client()).register(password=ATTACKERS_PASSWORD)  # the newest e-mail is the attacker's
    link = activation_link()
    refused = client.post(link, data={"password": PASSWORD})
    assert refused.status_code == 422 and "zarejestruj się ponownie" in refused.data.decode()
    assert user("anna@example.com").is_activated is False
    assert Journey(app.test_client()).login(password=ATTACKERS_PASSWORD).status_code == 422  # not active
    # Registering again sets her password; the link then activates with it.
    Journey(client).register()
    assert client.post(activation_link(), data={"password": PASSWORD}).status_code == 303
    assert Journey(app.test_client()).login(password=ATTACKERS_PASSWORD).status_code == 422


def test_activation_asks_for_the_password_and_logs_in(client, journey):
    journey.register()
    link = activation_link()
    page = client.get(link).data.decode()
    assert 'type="password"' in page and 'autocomplete="current-password"' in page
    assert client.post(link, data={}).status_code == 422
    assert client.post(link, data={"password": "zle-haslo-calkiem"}).status_code == 422
    assert user("anna@example.com").is_activated is False
    response = client.post(link, data={"password": PASSWORD})
    assert response.status_code == 303 and response.headers["Location"] == "/panel"
    assert "Konto zostało aktywowane" in client.get("/panel").data.decode()


# One mailbox, one account (issue 10, item 10): an internationalised domain in Unicode or in
# punycode, capitals, and a local part composed or decomposed are one address.

@pytest.mark.parametrize("first, second", [
    ("anna@bücher.de", "Anna@XN--BCHER-KVA.DE"),
    ("anna@xn--bcher-kva.de", "ANNA@BÜCHER.DE"),
    ("\u017c\u00f3\u0142w@example.com", "z\u0307o\u0301\u0142w@example.com"),  # żółw, composed / decomposed
])
def test_one_mailbox_is_one_account_however_its_address_is_spelt(app, first, second):
    Journey(app.test_client()).register(email=first)
    Journey(app.test_client()).register(email=second)
    with database.connection_context():
        [stored] = [u.email for u in User.select()]
    assert stored == unicodedata.normalize("NFC", stored) and "xn--" not in stored and stored == stored.lower()
    journey = Journey(app.test_client())
    assert journey.activate(email=stored).status_code == 303
    assert Journey(app.test_client()).login(email=second).status_code == 303
    assert Journey(app.test_client()).login(email=first).status_code == 303


def test_a_forged_remember_cookie_does_not_keep_an_idle_session_alive(app, client, journey):
    """Issue 10, item 7: the idle timeout is skipped only for this session's own remember-me cookie."""
    journey.signed_up()  # not "remember me"
    with database.connection_context():
        UserSession.update(last_seen_at=datetime(2000, 1, 1)).execute()
    app.config["SESSION_IDLE_TIMEOUT"] = 3600
    client.set_cookie("remember_token", "1|garbage")
    assert client.get("/panel").status_code == 302
    with database.connection_context():
        assert UserSession.select().count() == 0


def test_a_real_remember_cookie_keeps_an_idle_session(app, client, journey):
    logged_in_remembered(journey)
    app.config["SESSION_IDLE_TIMEOUT"] = 3600
    assert client.get("/panel").status_code == 200


def test_a_kept_canonical_address_is_the_one_computed_anew():
    """konto.addresses.canonical keeps its answers per text: for every kind of input (valid, mixed
    case, spaces, punycode, decomposed letters, not valid, empty, not text), asked twice, it is
    what the function computes without its memo."""
    from konto import addresses  # noqa: PLC0415

    inputs = [
        " Jan.Kowalski@EXAMPLE.com ", "jan.kowalski@example.com", "anna@xn--bcher-kva.example",
        "anna@BÜCHER.example", unicodedata.normalize("NFD", "zoë@example.com"), "zoë@example.com",
        "nie-adres", "a@b", "", "   ", "a@@example.com", "ŁUKASZ@Example.PL",
    ]
    for value in inputs * 2:
        assert addresses.canonical(value) == addresses._canonical.__wrapped__(value), value
    assert addresses.canonical(None) == "" and addresses.canonical(42) == ""
    assert addresses.canonical("anna@BÜCHER.example") == "anna@bücher.example"
