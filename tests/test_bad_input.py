"""Bad input that made the app answer 5xx (issue 10, item 8): each now gets a clear answer and
changes nothing. tests/test_fuzz.py throws these at every POST route too."""

import io

import pytest

from konto.db import database
from konto.models import Company
from konto.models import Email
from konto.models import User
from konto.registry import demo
from konto.registry.base import CompanyData
from konto.registry.base import LookupResult
from tests.helpers import PASSWORD
from tests.helpers import Journey
from tests.helpers import mails_to
from tests.http_helpers import Browser

# One beyond PostgreSQL's integer (the ids' column type), and beyond SQLite's 64-bit one.
TOO_BIG = [2**31, 2**63, 2**64, 10**30]


@pytest.fixture
def anna(journey):
    journey.signed_up()
    return journey


def a_file():
    return (io.BytesIO(b"not an address"), "adres.txt")


@pytest.mark.parametrize("path", ["/logowanie", "/rejestracja", "/haslo/nie-pamietam", "/aktywacja/ponow"])
def test_a_file_in_a_text_field_is_a_form_error(client, path):
    data = {name: a_file() for name in ("email", "password", "password_repeat", "first_name", "last_name")}
    data["accept_terms"] = data["accept_privacy"] = "y"
    response = client.post(path, data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Podaj adres e-mail" in response.data.decode() or "poprawny adres e-mail" in response.data.decode()
    with database.connection_context():
        assert User.select().count() == 0 and Email.select().count() == 0


def test_ids_beyond_the_databases_range_are_not_found(client, anna):
    anna.add_company("PL5250001003")
    for number in TOO_BIG:
        assert client.get(f"/firmy/{number}").status_code == 404
        assert client.post(f"/firmy/{number}/kontakt", data={"by_email": "y"}).status_code == 404
        assert client.post(f"/firmy/{number}/prosby/{number}", data={"decyzja": "accept"}).status_code == 404
        assert client.post(f"/konto/sesje/{number}/zakoncz").status_code == 404
        assert client.get(f"/poczta/{number}").status_code == 404
    for value in [*map(str, TOO_BIG), "-1", "0", "1e3", " 1"]:
        assert client.post("/firmy/zmien", data={"company_id": value}).status_code == 404, value
    assert client.get("/panel").status_code == 200


@pytest.mark.parametrize("length", [72, 73, 100, 128])
def test_a_long_password_gets_its_strength_hint(client, length):
    password = ("zielone-jabłko-na-wiosnę-" * 6)[:length]
    response = client.post("/sprawdz/haslo", data={"password": password})
    assert response.status_code == 200 and "Siła hasła" in response.data.decode()


def test_a_non_ascii_next_after_an_htmx_log_in_is_followed_over_real_http(live_server):
    browser = Browser(live_server.url)
    assert browser.post("/rejestracja", browser.registration("anna@example.com")).status_code == 303
    activation = mails_to("anna@example.com")[0].text_body.split("/aktywacja/")[1].split()[0]
    assert browser.post(f"/aktywacja/{activation}", {"password": PASSWORD}).status_code == 303
    browser = Browser(live_server.url)  # another browser, logged out
    data = {"email": "anna@example.com", "password": PASSWORD, "next": "/firmy/dodaj?numer=żółw"}
    data["csrf_token"] = browser.token("/logowanie")
    response = browser.session.post(live_server.url + "/logowanie", data=data,
                                    headers={"HX-Request": "true", "X-CSRFToken": data["csrf_token"]}, timeout=10)
    assert response.status_code == 200
    target = response.headers["HX-Redirect"]
    assert target.isascii() and target.startswith("/firmy/dodaj?numer=")
    assert browser.get(target).status_code == 200


@pytest.mark.parametrize("where", ["login_email", "draft_key", "form_field", "query"])
def test_nul_anywhere_is_refused_before_it_reaches_the_database(client, anna, where):
    if where == "login_email":
        response = Journey(client).login(email="anna@example.com\x00")
    elif where == "draft_key":
        response = client.get("/firmy/dodaj/ab%00cd/dane")
    elif where == "form_field":
        response = client.post("/firmy/dodaj", data={"number": "525\x000001003"})
    else:
        response = client.get("/firmy/dodaj?numer=52500%0001003")
    assert response.status_code == 400
    assert "<html" in response.data.decode()  # the app's own error page


def test_a_company_with_a_very_long_registry_name_can_be_added(client, anna, monkeypatch):
    long_name = "PRZEDSIĘBIORSTWO " + "WIELOBRANŻOWE HANDLOWO-USŁUGOWE " * 12 + "SPÓŁKA Z O.O."
    assert 400 < len(long_name) <= 500
    company = CompanyData(country="PL", name=long_name, nip="5250001003")
    monkeypatch.setattr(demo.DemoRegistry, "lookup", lambda self, tax_id: LookupResult.found("demo", company))
    assert anna.add_company("PL5250001003").status_code == 303
    with database.connection_context():
        assert Company.get().name == long_name
        subjects = [m.subject for m in Email.select()]
    assert subjects and all(len(subject) <= 255 for subject in subjects)
    assert any(subject.startswith("Jesteś administratorem firmy PRZEDSIĘBIORSTWO") and subject.endswith("…")
               for subject in subjects)
