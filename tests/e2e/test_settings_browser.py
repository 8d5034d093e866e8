"""The user's own account in a real browser (issue 5): re-authentication, password change,
sessions, consents, activity, export and deletion, JavaScript on and off, axe on every page."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import create_user
from tests.helpers import PASSWORD

pytestmark = pytest.mark.browser

NEW_PASSWORD = "nowe-hasło-na-zimę-2026"


def test_settings_password_change_sessions_consents_activity(people, js):
    anna = people()
    other_device = people()
    create_user(anna.server, "anna@example.com")
    anna.log_in("anna@example.com")
    other_device.log_in("anna@example.com")

    # The name in the top bar leads to the account's settings.
    anna.follow(anna.page.locator(".topbar").get_by_role("link", name=re.compile("Anna Nowak")))
    expect(anna.main.locator("h1")).to_have_text("Moje konto")

    # Changing the password asks for the current one first.
    anna.follow(anna.link("Zmień hasło"))
    expect(anna.main.locator("h1")).to_have_text("Potwierdź, że to Ty")
    anna.fill("Hasło", "to-nie-jest-moje-haslo")
    anna.swap(anna.button("Potwierdź"))
    expect(anna.main.locator(".error-summary")).to_contain_text("Nieprawidłowe hasło")
    anna.fill("Hasło", PASSWORD)
    anna.submit_redirect(anna.button("Potwierdź"))
    expect(anna.main.locator("h1")).to_have_text("Zmień hasło")
    anna.fill("Nowe hasło", NEW_PASSWORD)
    anna.fill("Powtórz nowe hasło", NEW_PASSWORD)
    anna.submit_redirect(anna.button("Zmień hasło"))
    expect(anna.main).to_contain_text("Hasło zostało zmienione")

    # The other device was logged out by the change.
    other_device.goto("/panel")
    expect(other_device.page).to_have_url(re.compile(r"/logowanie"))

    # Sessions: only this one is left.
    anna.goto("/konto/sesje")
    expect(anna.main.locator("h1")).to_have_text("Aktywne sesje")
    expect(anna.main.locator("tbody tr")).to_have_count(1)
    expect(anna.main).to_contain_text("ta sesja")

    # The marketing consent: given, then withdrawn.
    anna.goto("/konto/zgody")
    anna.main.get_by_label("Chcę otrzymywać informacje", exact=False).check()
    anna.submit_redirect(anna.button("Zapisz"))
    expect(anna.main.get_by_label("Chcę otrzymywać informacje", exact=False)).to_be_checked()
    anna.main.get_by_label("Chcę otrzymywać informacje", exact=False).uncheck()
    anna.submit_redirect(anna.button("Zapisz"))
    expect(anna.main.get_by_label("Chcę otrzymywać informacje", exact=False)).not_to_be_checked()

    # Everything above is on the activity page.
    anna.goto("/konto/aktywnosc")
    for event in ["Zmiana hasła", "Udzielenie zgody", "Wycofanie zgody", "Logowanie"]:
        expect(anna.main.locator("tbody")).to_contain_text(event)


def test_change_ones_name(person, js):
    create_user(person.server, "anna@example.com")
    person.log_in("anna@example.com")
    person.goto("/konto")
    person.follow(person.main.get_by_role("link", name="Zmień imię i nazwisko"))
    expect(person.main.locator("h1")).to_have_text("Imię i nazwisko")
    expect(person.main.get_by_label("Imię", exact=True)).to_have_value("Anna")
    person.fill("Imię", "")
    person.swap(person.button("Zapisz"))
    expect(person.main.locator(".error-summary")).to_contain_text("Imię: Podaj imię.")
    person.fill("Imię", "Anna Maria")
    person.submit_redirect(person.button("Zapisz"))
    expect(person.main.locator("h1")).to_have_text("Moje konto")
    expect(person.main).to_contain_text("Zapisano imię i nazwisko.")
    expect(person.page.locator(".topbar")).to_contain_text("Anna Maria Nowak")


def test_export_and_delete_the_account(person, js):
    create_user(person.server, "anna@example.com")
    person.log_in("anna@example.com")
    person.goto("/konto/eksport")
    person.fill("Hasło", PASSWORD)
    person.submit_redirect(person.button("Potwierdź"))
    expect(person.main.locator("h1")).to_have_text("Pobierz kopię swoich danych")
    with person.page.expect_download() as download:
        person.button("Pobierz plik").click()
    assert download.value.suggested_filename == "konto-dane.json"

    person.goto("/konto/usun")
    expect(person.main.locator("h1")).to_have_text("Usuń konto")
    person.swap(person.button("Usuń konto na zawsze"))  # without ticking the box: refused
    expect(person.main.locator(".error-summary")).to_contain_text("Zaznacz, że rozumiesz")
    person.main.get_by_label("Rozumiem, że konto", exact=False).check()
    person.submit_redirect(person.button("Usuń konto na zawsze"))
    expect(person.page).to_have_url(re.compile(r"/logowanie$"))
    expect(person.main).to_contain_text("Konto zostało usunięte")
