"""How the screens say things (issue 15): one way to write a NIP, the registry's legal forms and
names shown once and without doubled punctuation, GOV.UK-style form errors, one error page,
the front page and help, the words. The look itself is checked in tests/e2e/test_every_page.py."""

import html
import re
from pathlib import Path

import pytest

from konto import create_app
from konto import taxid
from konto.db import database
from konto.models import Company
from konto.models import CompanyDraft
from konto.models import User
from konto.web import end_sentence
from tests.helpers import PASSWORD
from tests.helpers import Journey
from tests.helpers import mails_to
from tests.helpers import make_config

HX = {"HX-Request": "true"}


def text_of(page):
    """What a person reads: the page without its tags, attributes and scripts."""
    body = page.split("<body", 1)[-1]
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)))


def title_of(page):
    return html.unescape(re.search(r"<title>(.*?)</title>", page, re.S).group(1))


@pytest.fixture
def anna(journey):
    journey.signed_up()
    return journey


def add_company(journey, number):
    response = journey.add_company(number)
    assert response.status_code == 303, response.data.decode()
    return response.headers["Location"]


# -- one way to write a NIP and an EU VAT number ---------------------------------------------------

@pytest.mark.parametrize("value, shown, alone", [
    ("PL5250001003", "NIP 5250001003", "5250001003"),
    ("5250001003", "NIP 5250001003", "5250001003"),
    ("525-000-10-03", "NIP 5250001003", "5250001003"),
    ("pl 525 000 10 03", "NIP 5250001003", "5250001003"),
    (taxid.TaxId("PL", "5250001003"), "NIP 5250001003", "5250001003"),
    ("DE123456788", "numer VAT UE DE123456788", "DE123456788"),
    ("de 123 456 788", "numer VAT UE DE123456788", "DE123456788"),
])
def test_every_spelling_of_a_number_is_written_one_way(value, shown, alone):
    assert taxid.display(value) == shown
    assert taxid.display(value, label=False) == alone


def test_something_that_is_no_number_is_shown_as_it_is():
    assert taxid.display("nie numer") == "nie numer"
    assert taxid.display(None) == ""


def manual_entry(client, number):
    """Step 1 of a number the demo registry cannot answer for: the link to type the company in."""
    outage = client.post("/firmy/dodaj", data={"number": number})
    assert outage.status_code == 503
    return re.search(r'href="(/firmy/dodaj/[^"/]+/reczne)"', outage.data.decode()).group(1)


def test_the_nip_is_written_the_same_on_every_page_and_in_the_e_mail(client, anna):
    company_page = add_company(anna, "525-000-10-03")
    step2 = client.post("/firmy/dodaj", data={"number": "6770002009"}).headers["Location"]
    pages = {
        "dashboard": client.get("/panel"),
        "company": client.get(company_page),
        "switch": client.get("/firmy/zmien"),
        "preview": client.get(step2),
        "statement": client.get(step2.replace("/dane", "/oswiadczenie")),
        "manual": client.get(manual_entry(client, "7010011003")),
        "step 1 demo list": client.get("/firmy/dodaj"),
    }
    for name, response in pages.items():
        text = text_of(response.data.decode())
        for other_way in ("PL5250001003", "PL 5250001003", "525-000-10-03", "PL6770002009", "677-000-20-09",
                          "PL7010011003", "701-001-10-03"):
            assert other_way not in text, (name, other_way)
    assert "NIP 5250001003" in text_of(pages["dashboard"].data.decode())
    assert "NIP 5250001003" in text_of(pages["switch"].data.decode())
    assert "NIP 6770002009" in text_of(pages["statement"].data.decode())
    assert "NIP 7010011003" in text_of(pages["manual"].data.decode())
    assert re.search(r"NIP\s+5250001003", text_of(pages["company"].data.decode()))
    mail = mails_to("anna@example.com")[0]
    assert "(NIP 5250001003)" in mail.text_body and "PL5250001003" not in mail.text_body


def test_a_foreign_number_is_a_vat_number_not_a_vatin(client, anna):
    step2 = client.post("/firmy/dodaj", data={"number": "CZ25123891"}).headers["Location"]
    text = text_of(client.get(step2).data.decode())
    assert "Numer VAT UE CZ25123891" in text
    step1 = text_of(client.get("/firmy/dodaj").data.decode())
    assert "VATIN" not in text + step1
    assert "NIP lub numer VAT UE" in step1


# -- the registry's legal forms and names ----------------------------------------------------------

@pytest.mark.parametrize("number, form", [
    ("PL6760003007", "spółka cywilna"),
    ("PL6770002009", "osoba fizyczna prowadząca działalność gospodarczą"),
    ("PL5250001003", "spółka z ograniczoną odpowiedzialnością"),
])
def test_the_legal_form_is_shown_once_as_the_registry_has_it(client, anna, number, form):
    step2 = client.post("/firmy/dodaj", data={"number": number}).headers["Location"]
    text = text_of(client.get(step2).data.decode())
    assert f"Forma prawna {form}" in text
    assert text.count(form) == 1, text


def test_without_a_legal_form_the_kind_of_entity_is_said_and_nothing_for_a_foreign_one(client, anna):
    # The MF white list gives no legal form, only enough to tell a sole proprietor.
    with database.connection_context():
        user = User.get(User.email == "anna@example.com")
        draft = CompanyDraft.create(key="wl-draft", user=user, tax_id="PL6770002009", source="mf", data={
            "country": "PL", "name": "JAN KOWALSKI", "nip": "6770002009", "kind": "sole_proprietor"})
        CompanyDraft.create(key="vies-draft", user=user, tax_id="CZ25123891", source="vies", data={
            "country": "CZ", "name": "UKÁZKOVÁ FIRMA S.R.O.", "vat_number": "25123891", "kind": "other"})
    assert draft.key
    assert "Forma prawna osoba fizyczna prowadząca działalność gospodarczą" in text_of(
        client.get("/firmy/dodaj/wl-draft/dane").data.decode())
    assert "Forma prawna" not in text_of(client.get("/firmy/dodaj/vies-draft/dane").data.decode())


def test_a_name_ending_in_a_dot_ends_the_sentence_once(app, client, anna):
    company_page = add_company(anna, "CZ25123891")  # UKÁZKOVÁ FIRMA S.R.O.
    shown = text_of(client.get(company_page).data.decode())
    assert "Firma UKÁZKOVÁ FIRMA S.R.O. została dodana." in shown
    assert "S.R.O.." not in shown
    # The administrator's e-mail about an access request.
    bob = Journey(app.test_client())
    bob.signed_up(email="bob@example.com")
    bob.client.post("/firmy/dodaj", data={"number": "CZ25123891"})
    with database.connection_context():
        key = CompanyDraft.get(CompanyDraft.user == User.get(User.email == "bob@example.com").id).key
    bob.client.post(f"/firmy/dodaj/{key}/dostep")
    mail = mails_to("anna@example.com")[0]
    assert "S.R.O.." not in mail.text_body and "S.R.O.." not in mail.html_body
    assert "prosi o dostęp do firmy UKÁZKOVÁ FIRMA S.R.O. Przyjmij" in mail.text_body


@pytest.mark.parametrize("name, sentence", [
    ("UKÁZKOVÁ FIRMA S.R.O.", "UKÁZKOVÁ FIRMA S.R.O."),
    ("BILANS S.C.", "BILANS S.C."),
    ("DEMO LOGISTYKA SPÓŁKA AKCYJNA", "DEMO LOGISTYKA SPÓŁKA AKCYJNA."),
    ("", "."),
])
def test_end_sentence(name, sentence):
    assert end_sentence(name) == sentence


# -- the chosen company -----------------------------------------------------------------------------

def test_the_chosen_company_is_said_in_words_and_its_full_name_is_in_the_tooltip(client, anna):
    company_page = add_company(anna, "PL5250001003")
    add_company(anna, "PL9720005007")  # the newest is chosen
    dashboard = client.get("/panel").data.decode()
    topbar = dashboard.split('id="current-company"')[1].split("</div>")[0]
    assert "Wybrana firma:" in topbar and 'title="DEMO LOGISTYKA SPÓŁKA AKCYJNA"' in topbar
    assert re.search(r"DEMO LOGISTYKA SPÓŁKA AKCYJNA</a>\s*<span class=\"muted\">NIP 9720005007</span>\s*"
                     r"<span class=\"badge chosen\">wybrana</span>", dashboard)
    assert ">aktywna<" not in dashboard
    switch = client.get("/firmy/zmien").data.decode()
    assert switch.count("wybrana teraz") == 1 and "Wybierz<span" in switch
    other = client.get(company_page).data.decode()
    assert "Wybierz tę firmę" in other and "wybrana firma" not in text_of(other)
    assert "działalność aktywna" in text_of(other)
    chosen = client.post("/firmy/zmien", data={"company_id": company_page.rsplit("/", 1)[1]})
    assert chosen.status_code == 303
    assert "Firma PRZYKŁADOWA SPÓŁKA HANDLOWA SPÓŁKA Z OGRANICZONĄ ODPOWIEDZIALNOŚCIĄ jest teraz wybrana." in text_of(
        client.get(chosen.headers["Location"]).data.decode())
    assert "wybrana firma" in text_of(client.get(company_page).data.decode())


# -- errors, the GOV.UK way -------------------------------------------------------------------------

def invalid_inputs(page):
    """The ids of the inputs marked invalid, in page order."""
    return [re.search(r'\bid="([\w-]+)"', tag).group(1)
            for tag in re.findall(r"<input[^>]*>", page) if 'aria-invalid="true"' in tag]


def summary_items(page):
    summary = page.split('id="error-summary"', 1)[1].split("</ul>", 1)[0]
    return [(href, html.unescape(re.sub(r"<[^>]+>", "", text)).strip())
            for href, text in re.findall(r'<a href="#([\w-]+)">(.*?)</a>', summary, re.S)]


def test_the_summary_comes_first_names_fields_shortly_in_their_order_and_takes_focus(client):
    response = client.post("/rejestracja", data={})
    page = response.data.decode()
    assert response.status_code == 422
    assert title_of(page).startswith("Błąd: ")
    main = page.split('<main id="main" tabindex="-1">', 1)[1]
    assert re.match(r'\s*<section class="card narrow">\s*<div class="error-summary"', main)
    assert re.search(r'<div class="error-summary"[^>]*\btabindex="-1"[^>]*\bautofocus', page)
    assert [href for href, _text in summary_items(page)] == [
        "first_name", "last_name", "email", "password", "password_repeat", "accept_terms", "accept_privacy"]
    items = dict(summary_items(page))
    assert items["first_name"] == "Imię: Podaj imię."
    assert items["accept_terms"] == "Regulamin: Aby założyć konto, zaakceptuj regulamin."
    assert items["accept_privacy"].startswith("Zgoda na przetwarzanie danych: ")


def test_a_page_without_errors_has_no_error_in_its_title(client):
    assert not title_of(client.get("/rejestracja").data.decode()).startswith("Błąd:")
    fragment = client.post("/rejestracja", data={}, headers=HX).data.decode()
    assert title_of(fragment).startswith("Błąd: ")


def test_step_3_lists_errors_in_the_order_of_its_fields(client, anna):
    step2 = client.post("/firmy/dodaj", data={"number": "PL5250001003"}).headers["Location"]
    # Something in the form (an empty POST would be no form at all, and get its defaults).
    statement = step2.replace("/dane", "/oswiadczenie")
    page = client.post(statement, data={"contact_email": "anna@example.com"}).data.decode()
    assert [href for href, _text in summary_items(page)] == ["statement", "by_email"]
    assert dict(summary_items(page))["statement"] == "Oświadczenie: Aby dodać firmę, potwierdź oświadczenie."
    assert dict(summary_items(page))["by_email"] == "Formy kontaktu: Wybierz co najmniej jedną formę kontaktu."
    assert invalid_inputs(page) == ["statement", "by_email"]


def test_a_wrong_password_marks_the_password_field(app, journey):
    journey.signed_up()
    page = Journey(app.test_client()).login(password="to-nie-jest-to-haslo").data.decode()
    assert invalid_inputs(page) == ["password"]
    assert summary_items(page) == [("password", "Hasło: Nieprawidłowy e-mail lub hasło.")]
    assert 'id="email"' in page


# -- one error page -----------------------------------------------------------------------------------

def test_every_error_is_one_template_with_its_own_words(app, client, journey):
    assert sorted(p.name for p in (Path(app.template_folder) / "errors").iterdir()) == ["error.html"]

    @app.route("/boom")
    def boom():
        raise RuntimeError("boom")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    cases = {
        404: client.get("/nie-ma"),
        405: client.post("/regulamin"),
        413: client.post("/rejestracja", data={"first_name": "A" * 100_000}),
        500: client.get("/boom"),
    }
    words = {404: "Nie znaleziono strony", 405: "Nie znaleziono strony", 413: "Nieprawidłowe żądanie",
             500: "Coś poszło nie tak"}
    for status, response in cases.items():
        page = response.data.decode()
        assert response.status_code == status
        assert f"<h1 tabindex=\"-1\">{words[status]}</h1>" in page, status
        assert 'href="/pomoc#kontakt"' in page and not title_of(page).startswith("Błąd:")
    fragment = client.get("/nie-ma", headers=HX)
    assert fragment.headers["HX-Retarget"] == "#main" and "<html" not in fragment.data.decode()


def test_an_expired_form_says_so_and_offers_to_try_again(csrf_app):
    client = csrf_app.test_client()
    response = client.post("/logowanie", data={"email": "a@example.com", "password": "x"})
    page = response.data.decode()
    assert response.status_code == 400
    assert "Formularz wygasł" in page and "Spróbuj ponownie" in page and 'href="/"' in page


# -- the front page, help, and how to reach support ----------------------------------------------------

def test_a_visitor_gets_the_front_page_and_a_user_the_dashboard(client, journey):
    page = client.get("/").data.decode()
    text = text_of(page)
    assert "Konto to portal" in text
    assert 'class="button primary big" href="/rejestracja">Załóż konto<' in page
    assert 'href="/logowanie">Zaloguj się<' in page
    journey.signed_up()
    assert client.get("/").headers["Location"] == "/panel"


def test_help_has_the_journey_and_support_and_every_page_links_to_it(app, client):
    page = client.get("/pomoc").data.decode()
    text = text_of(page)
    for step in ("Załóż konto.", "Aktywuj konto.", "Zaloguj się.", "Dodaj firmę.", "Zmień firmę"):
        assert step in text
    assert 'id="kontakt"' in page and 'href="mailto:pomoc@konto.localhost"' in page
    assert "Link jest ważny 48 godzin" in text
    for path in ("/", "/logowanie", "/regulamin"):
        footer = client.get(path).data.decode().split('<footer class="footer">')[1]
        assert 'href="/pomoc"' in footer and 'href="/"' in footer


def test_support_phone_and_address_come_from_the_settings(tmp_path):
    app = create_app(make_config(tmp_path, KONTO_SUPPORT_EMAIL="bok@firma.pl", KONTO_SUPPORT_PHONE="22 123 45 67"))
    page = app.test_client().get("/pomoc").data.decode()
    assert 'href="mailto:bok@firma.pl"' in page and 'href="tel:221234567">22 123 45 67<' in page


def test_a_company_someone_else_administers_links_to_support(app, client, anna):
    add_company(anna, "PL5250001003")
    bob = Journey(app.test_client())
    bob.signed_up(email="bob@example.com")
    step2 = bob.client.post("/firmy/dodaj", data={"number": "PL5250001003"}).headers["Location"]
    page = bob.client.get(step2).data.decode()
    assert "Ta firma ma już administratora" in page
    assert '<a href="/pomoc#kontakt">skontaktuj się z pomocą techniczną</a>' in page


# -- words ----------------------------------------------------------------------------------------------

def test_create_account_is_one_phrase_everywhere(client):
    for path in ("/", "/logowanie", "/rejestracja", "/pomoc"):
        assert "Utwórz konto" not in client.get(path).data.decode(), path
    page = client.get("/rejestracja").data.decode()
    assert "<title>Załóż konto – Konto</title>" in page and ">Załóż konto</h1>" in page


def test_greetings_do_not_decline_the_name(client, journey):
    journey.register()
    body = mails_to("anna@example.com")[0].text_body
    assert body.startswith("Dzień dobry,\n") and "Anna" not in body
    journey.activate()
    journey.login()
    heading = re.search(r"<h1[^>]*>(.*?)</h1>", client.get("/panel").data.decode()).group(1)
    assert "Anna" not in heading and "Witaj" not in heading


@pytest.mark.parametrize("target, says", [
    ("/konto/eksport", "Zanim pobierzesz kopię swoich danych, podaj hasło."),
    ("/konto/usun", "Zanim usuniesz konto, podaj hasło."),
    ("/konto/haslo", "Zanim zmienisz hasło, podaj obecne hasło."),
    ("/konto/email", "Zanim zmienisz adres e-mail konta, podaj hasło."),
    ("/panel", "Ze względów bezpieczeństwa podaj hasło jeszcze raz."),
])
def test_re_authentication_says_what_it_is_for(client, journey, target, says):
    journey.signed_up()
    page = text_of(client.get(f"/konto/potwierdz?next={target}").data.decode())
    assert says in page and "Ta zmiana wymaga" not in page
    wrong = text_of(client.post(f"/konto/potwierdz?next={target}", data={"password": "zle"}).data.decode())
    assert says in wrong
    assert client.post(f"/konto/potwierdz?next={target}", data={"password": PASSWORD}).headers["Location"] == target


def test_the_company_page_shows_the_whole_long_name(client, anna):
    company_page = add_company(anna, "PL5250001003")
    long_name = "PRZEDSIĘBIORSTWO „KONSTANTYNOPOLITAŃCZYKOWIANECZKA” " * 5
    with database.connection_context():
        Company.update(name=long_name.strip()).execute()
    page = client.get(company_page).data.decode()
    assert f'<h1 tabindex="-1">{html.escape(long_name.strip(), quote=False)}</h1>' in page
