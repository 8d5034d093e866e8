"""The account journey in a real browser (issue 2), JavaScript on and off."""

import re

import pytest
from playwright.sync_api import expect

from tests.helpers import PASSWORD

pytestmark = pytest.mark.browser

NEW_PASSWORD = "inne-hasło-na-jesień-2024"


def fill_registration(person, email, password=PASSWORD, repeat=None):
    person.fill("Imię", "Anna")
    person.fill("Nazwisko", "Nowak")
    person.fill("Adres e-mail", email)
    person.fill("Hasło", password)
    person.fill("Powtórz hasło", repeat if repeat is not None else password)
    person.main.get_by_label("akceptuję regulamin", exact=False).check()
    person.main.get_by_label("zgodę na przetwarzanie moich danych", exact=False).check()


def test_register_activate_login_logout_reset(person, js):
    email = "anna.nowak@example.com"
    person.goto("/logowanie")
    expect(person.main.locator("h1")).to_have_text("Zaloguj się")

    # Register.
    person.follow(person.link("Załóż konto"))
    expect(person.page).to_have_url(re.compile(r"/rejestracja$"))
    fill_registration(person, email)
    person.submit_redirect(person.button("Załóż konto"))
    expect(person.page).to_have_url(re.compile(r"/rejestracja/sprawdz-poczte$"))
    expect(person.main.locator("h1")).to_have_text("Sprawdź pocztę")
    expect(person.main).to_contain_text(email)

    # The activation e-mail in the demo mailbox; its link shows a form, a GET does not activate.
    person.open_mail(email, "Aktywuj swoje Konto")
    expect(person.main.locator("iframe.mail-frame")).to_be_visible()
    person.follow_mail_link("/aktywacja/")
    expect(person.main.locator("h1")).to_have_text("Aktywuj konto")
    # Activation asks for the registration's password: a wrong one is refused in place.
    person.fill("Hasło podane przy rejestracji", NEW_PASSWORD)
    person.swap(person.button("Aktywuj konto"))
    expect(person.main.locator(".error-summary")).to_contain_text("zarejestruj się ponownie")
    person.fill("Hasło podane przy rejestracji", PASSWORD)
    person.submit_redirect(person.button("Aktywuj konto"))

    # Activated and logged in: the dashboard shows the name and invites to add a company.
    expect(person.page).to_have_url(re.compile(r"/panel$"))
    expect(person.main).to_contain_text("Konto zostało aktywowane")
    expect(person.page.locator(".topbar .user-name")).to_contain_text("Anna Nowak")
    expect(person.main).to_contain_text("Zalogowano jako Anna Nowak")
    expect(person.link("Dodaj firmę")).to_be_visible()

    # Log out, and in again.
    person.log_out()
    expect(person.page).to_have_url(re.compile(r"/logowanie$"))
    expect(person.main).to_contain_text("Wylogowano")
    expect(person.page.locator(".topbar").get_by_role("button", name="Wyloguj")).to_have_count(0)
    person.fill("Adres e-mail", email)
    person.fill("Hasło", PASSWORD)
    person.submit_redirect(person.button("Zaloguj się"))
    expect(person.page).to_have_url(re.compile(r"/panel$"))
    person.log_out()

    # Forgotten password: e-mail, reset link, new password.
    person.follow(person.link("Nie pamiętam hasła"))
    expect(person.main.locator("h1")).to_have_text("Nie pamiętam hasła")
    person.fill("Adres e-mail", email)
    person.submit_redirect(person.button("Wyślij link"))
    expect(person.page).to_have_url(re.compile(r"/haslo/wyslano$"))
    person.open_mail(email, "Ustaw nowe hasło")
    person.follow_mail_link("/haslo/nowe/")
    expect(person.main.locator("h1")).to_have_text("Ustaw nowe hasło")
    person.fill("Nowe hasło", NEW_PASSWORD)
    person.fill("Powtórz nowe hasło", NEW_PASSWORD)
    person.submit_redirect(person.button("Zmień hasło"))
    expect(person.page).to_have_url(re.compile(r"/logowanie$"))
    expect(person.main).to_contain_text("Hasło zostało zmienione")

    # The old password fails (in place with JS), the new one works.
    person.fill("Adres e-mail", email)
    person.fill("Hasło", PASSWORD)
    person.swap(person.button("Zaloguj się"))
    expect(person.main.locator(".error-summary")).to_contain_text("Nieprawidłowy e-mail lub hasło.")
    expect(person.page).to_have_url(re.compile(r"/logowanie$"))
    person.fill("Hasło", NEW_PASSWORD)
    person.submit_redirect(person.button("Zaloguj się"))
    expect(person.page).to_have_url(re.compile(r"/panel$"))
    expect(person.page.locator(".topbar .user-name")).to_contain_text("Anna Nowak")


def test_registration_errors_next_to_fields(person, js):
    person.goto("/rejestracja")
    email_input = person.main.get_by_label("Adres e-mail", exact=True)
    password_input = person.main.get_by_label("Hasło", exact=True)

    if js:
        # Leaving the e-mail field checks it on the server and shows the error in place.
        person.page.evaluate("window.__marker = 1")
        with person.page.expect_response(re.compile(r"/sprawdz/email")) as info:
            email_input.fill("anna@@example")
            email_input.press("Tab")
        assert info.value.request.headers.get("hx-request") == "true"
        expect(person.main.locator("#email-error")).not_to_be_empty()
        expect(email_input).to_have_attribute("aria-invalid", "true")
        expect(email_input).to_have_attribute("aria-describedby", re.compile(r"\bemail-error\b"))
        person.a11y(force=True)

        # Correcting it clears the error.
        with person.page.expect_response(re.compile(r"/sprawdz/email")):
            email_input.fill("anna@example.com")
            email_input.press("Tab")
        expect(person.main.locator("#email-error")).to_be_empty()
        expect(email_input).not_to_have_attribute("aria-invalid", "true")

        # Typing a password shows the strength hint.
        with person.page.expect_response(re.compile(r"/sprawdz/haslo")):
            password_input.press_sequentially("zielone-jabłko-na-wiosnę", delay=5)
        expect(person.main.locator("#password-strength")).to_contain_text("Siła hasła:")
        # A common password gets the policy's verdict instead.
        with person.page.expect_response(re.compile(r"/sprawdz/haslo")):
            password_input.fill("password1234")
        expect(person.main.locator("#password-strength .warn")).not_to_be_empty()
        assert person.page.evaluate("window.__marker") == 1, "inline checks reloaded the page"
        expect(person.page).to_have_url(re.compile(r"/rejestracja$"))
        person.a11y(force=True)

    # Submitting with errors: each error next to its field, tied by aria-describedby.
    person.fill("Imię", "")
    person.fill("Nazwisko", "Nowak")
    email_input.fill("to-nie-jest-email")
    password_input.fill("krótkie")
    person.fill("Powtórz hasło", "inne")
    response = person.swap(person.button("Załóż konto"))
    if js:
        assert response.status == 422
    expect(person.page).to_have_url(re.compile(r"/rejestracja$"))
    summary = person.main.locator(".error-summary")
    expect(summary).to_be_visible()
    for field_id in ("first_name", "email", "password", "password_repeat", "accept_terms", "accept_privacy"):
        field = person.main.locator(f"#{field_id}")
        expect(field).to_have_attribute("aria-invalid", "true")
        expect(field).to_have_attribute("aria-describedby", re.compile(rf"\b{field_id}-error\b"))
        expect(person.main.locator(f"#{field_id}-error")).not_to_be_empty()
    expect(person.main.locator("#last_name")).not_to_have_attribute("aria-invalid", "true")
    expect(person.main.locator("#last_name")).to_have_value("Nowak")
    expect(person.main.locator("#email-error")).to_contain_text(re.compile(r"\S"))
    expect(person.main.locator("#accept_terms-error")).to_contain_text("zaakceptuj regulamin")
    # The summary links to the fields.
    expect(summary.get_by_role("link").first).to_have_attribute("href", re.compile(r"^#"))
    # Nothing was sent.
    person.goto("/poczta/")
    expect(person.main).to_contain_text("Skrzynka jest pusta.")
