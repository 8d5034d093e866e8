"""Two-step sign-in in a real browser (issue 14): an authenticator app and recovery codes with
JavaScript on and off; passkeys with chromium's virtual authenticator (WebAuthn over CDP), with
JavaScript on; a company's administrator requiring it. axe checks every page on the way."""

import re
import types

import pytest
from playwright.sync_api import expect

from konto.db import database
from konto.flows import staff as staff_flow
from konto.models import Company
from konto.models import Membership
from konto.models import User
from tests.e2e.helpers import Person
from tests.e2e.helpers import create_user
from tests.helpers import PASSWORD
from tests.helpers import app_code

pytestmark = pytest.mark.browser

SECOND_STEP = re.compile(r"/logowanie/weryfikacja$")
ENROLMENT = re.compile(r"/konto/weryfikacja-dwuetapowa$")


def log_in_password(person, email):
    """Email and password: the second step comes next."""
    person.log_in(email, lands_on=SECOND_STEP.pattern)
    expect(person.main.locator("h1")).to_have_text("Weryfikacja dwuetapowa")


def confirm_password(person, code=None):
    expect(person.main.locator("h1")).to_have_text("Potwierdź, że to Ty")
    person.fill("Hasło", PASSWORD)
    if code is not None:
        person.fill("Kod z aplikacji lub kod zapasowy", code)
    person.submit_redirect(person.button("Potwierdź"))


def turn_on_app(person, clock):
    """From the settings page to an app that works; returns (secret, recovery codes)."""
    person.goto("/konto")
    person.follow(person.link("Weryfikacja dwuetapowa"))
    expect(person.main.locator("h1")).to_have_text("Weryfikacja dwuetapowa")
    person.follow(person.link("Dodaj aplikację uwierzytelniającą"))
    confirm_password(person)
    expect(person.main.locator("h1")).to_have_text("Dodaj aplikację uwierzytelniającą")
    person.follow(person.button("Pokaż kod QR"))
    expect(person.main.locator("h1")).to_have_text("Zeskanuj kod QR")
    qr = person.main.get_by_role("img", name="Kod QR z kluczem dla aplikacji uwierzytelniającej")
    expect(qr).to_be_visible()
    assert qr.get_attribute("src").startswith("data:image/svg+xml")
    assert person.page.evaluate("() => document.querySelector('.qr img').naturalWidth") > 0  # the CSP let it load
    secret = person.main.locator("#totp-secret").inner_text().replace(" ", "")
    person.fill("Kod z aplikacji", "000000")
    person.swap(person.button("Potwierdź"))
    expect(person.main.locator(".error-summary")).to_contain_text("Ten kod się nie zgadza")
    person.fill("Kod z aplikacji", app_code(secret, clock))
    person.swap(person.button("Potwierdź"))
    expect(person.main.locator("h1")).to_have_text("Zapisz kody zapasowe")
    expect(person.main).to_contain_text("Weryfikacja dwuetapowa jest włączona")
    codes = person.main.locator(".recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    with person.page.expect_download() as download:
        person.main.get_by_role("link", name="Pobierz kody (plik tekstowy)").click()
    with open(download.value.path(), encoding="utf-8") as file:
        text = file.read()
    assert download.value.suggested_filename == "konto-kody-zapasowe.txt"
    assert all(code in text for code in codes)
    clock.advance(30)
    return secret, codes


def test_app_sign_in_wrong_and_replayed_codes_recovery_codes_and_turning_off(people, js, clock):
    anna = people()
    # This journey makes six wrong second steps on purpose; the per-account lock (5 in 5 minutes)
    # has its own tests in test_limits.py.
    anna.server.app.config["RATELIMIT_SECOND_STEP_ACCOUNT"] = "50/hour"
    create_user(anna.server, "anna@example.com")
    anna.log_in("anna@example.com")
    secret, codes = turn_on_app(anna, clock)
    anna.follow(anna.link("Zapisałem(-am) kody"))
    expect(anna.main).to_contain_text("Pozostało kodów: 10 z 10")
    anna.log_out()

    # Sign in: the password, then a wrong code, then the right one.
    log_in_password(anna, "anna@example.com")
    anna.goto("/panel")  # the half-session opens nothing
    expect(anna.page).to_have_url(re.compile(r"/logowanie\?next=(%2F|/)panel$"))
    anna.goto("/logowanie/weryfikacja")
    anna.fill("Kod z aplikacji", "123456")
    anna.swap(anna.button("Potwierdź"))
    expect(anna.main.locator(".error-summary")).to_contain_text("nieprawidłowy albo został już użyty")
    used = app_code(secret, clock)
    anna.fill("Kod z aplikacji", used)
    anna.submit_redirect(anna.button("Potwierdź"))
    expect(anna.page).to_have_url(re.compile(r"/panel$"))
    anna.log_out()

    # The same code again (replayed within its 30 seconds): refused.
    log_in_password(anna, "anna@example.com")
    anna.fill("Kod z aplikacji", used)
    anna.swap(anna.button("Potwierdź"))
    expect(anna.main.locator(".error-summary")).to_contain_text("nieprawidłowy albo został już użyty")

    # A recovery code instead, once.
    anna.follow(anna.link("Użyj kodu zapasowego"))
    expect(anna.main).to_contain_text("pomoc@konto.localhost")
    anna.fill("Kod zapasowy", codes[0])
    anna.submit_redirect(anna.button("Potwierdź"))
    expect(anna.main).to_contain_text("Użyto kodu zapasowego")
    anna.log_out()
    log_in_password(anna, "anna@example.com")
    anna.follow(anna.link("Użyj kodu zapasowego"))
    anna.fill("Kod zapasowy", codes[0])
    anna.swap(anna.button("Potwierdź"))
    expect(anna.main.locator(".error-summary")).to_contain_text("nieprawidłowy albo został już użyty")
    anna.fill("Kod zapasowy", codes[1])
    anna.submit_redirect(anna.button("Potwierdź"))

    # New codes: the old ones die.
    anna.goto("/konto/weryfikacja-dwuetapowa")
    expect(anna.main).to_contain_text("Pozostało kodów: 8 z 10")
    anna.follow(anna.link("Kody zapasowe"))
    clock.advance(30)
    confirm_password(anna, app_code(secret, clock))
    expect(anna.main).to_contain_text("Pozostało kodów: 8 z 10")
    anna.swap(anna.button("Wygeneruj nowe kody"))
    new_codes = anna.main.locator(".recovery-codes code").all_inner_texts()
    assert len(new_codes) == 10 and not set(new_codes) & set(codes)
    anna.log_out()
    log_in_password(anna, "anna@example.com")
    anna.follow(anna.link("Użyj kodu zapasowego"))
    anna.fill("Kod zapasowy", codes[2])
    anna.swap(anna.button("Potwierdź"))
    expect(anna.main.locator(".error-summary")).to_contain_text("nieprawidłowy albo został już użyty")
    anna.fill("Kod zapasowy", new_codes[0])
    anna.submit_redirect(anna.button("Potwierdź"))

    # Turning it off: the password and a code.
    anna.goto("/konto/weryfikacja-dwuetapowa")
    anna.follow(anna.link("Wyłącz weryfikację dwuetapową"))
    anna.fill("Hasło", PASSWORD)
    anna.fill("Kod z aplikacji lub kod zapasowy", "000000")
    anna.swap(anna.button("Wyłącz weryfikację dwuetapową"))
    expect(anna.main.locator(".error-summary")).to_contain_text("nieprawidłowy albo został już użyty")
    clock.advance(30)
    anna.fill("Hasło", PASSWORD)
    anna.fill("Kod z aplikacji lub kod zapasowy", app_code(secret, clock))
    anna.submit_redirect(anna.button("Wyłącz weryfikację dwuetapową"))
    expect(anna.main).to_contain_text("Weryfikacja dwuetapowa została wyłączona")
    anna.log_out()
    anna.log_in("anna@example.com")  # the password alone again

    # Every change was mailed to the owner and is on the activity page.
    anna.goto("/konto/aktywnosc")
    for event in ["Włączenie weryfikacji dwuetapowej", "Użycie kodu zapasowego", "Nowe kody zapasowe",
                  "Nieudana weryfikacja dwuetapowa", "Wyłączenie weryfikacji dwuetapowej"]:
        expect(anna.main.locator("tbody")).to_contain_text(event)
    anna.goto("/poczta/")
    for subject in ["Włączono weryfikację dwuetapową", "Użyto kodu zapasowego", "Wyłączono weryfikację dwuetapową"]:
        expect(anna.main).to_contain_text(subject)


def add_app_just_signed_in(person, clock):
    """From the page that asks to turn two-step sign-in on, an authenticator app; returns its secret."""
    person.follow(person.link("Dodaj aplikację uwierzytelniającą"))
    # Just signed in: no second password before setting up the app.
    expect(person.main.locator("h1")).to_have_text("Dodaj aplikację uwierzytelniającą")
    person.follow(person.button("Pokaż kod QR"))
    secret = person.main.locator("#totp-secret").inner_text().replace(" ", "")
    person.fill("Kod z aplikacji", app_code(secret, clock))
    person.swap(person.button("Potwierdź"))
    expect(person.main.locator("h1")).to_have_text("Zapisz kody zapasowe")
    clock.advance(30)
    return secret


def test_required_by_a_company_administrator(people, js, clock):
    admin, member = people(), people()
    create_user(admin.server, "anna@example.com")
    create_user(member.server, "bob@example.com", first_name="Bob")
    admin.log_in("anna@example.com")
    admin_secret, _codes = turn_on_app(admin, clock)
    with admin.server.app.app_context(), database.connection_context():
        company = Company.create(tax_id="PL5250001003", country="PL", nip="5250001003", name="Firma Testowa",
                                 source="demo")
        Membership.create(user=User.get(User.email == "anna@example.com"), company=company, role="admin")
        Membership.create(user=User.get(User.email == "bob@example.com"), company=company)
    member.log_in("bob@example.com")

    admin.goto(f"/firmy/{company.id}")
    admin.main.get_by_label("Wymagaj weryfikacji dwuetapowej").check()
    admin.follow(admin.main.get_by_role("button", name="Zapisz", exact=True))
    expect(admin.main).to_contain_text("Użytkownicy firmy muszą teraz mieć włączoną weryfikację dwuetapową")
    expect(admin.main.get_by_label("Wymagaj weryfikacji dwuetapowej")).to_be_checked()

    # Bob's next page is the one that turns it on; nothing else opens until he does.
    member.goto("/panel")
    expect(member.page).to_have_url(ENROLMENT)
    expect(member.main).to_contain_text("Włącz weryfikację dwuetapową, aby korzystać z Konta")
    expect(member.main).to_contain_text("Firma Testowa")
    member.goto(f"/firmy/{company.id}")
    expect(member.page).to_have_url(ENROLMENT)
    member.log_out()
    member.goto("/logowanie")
    member.fill("Adres e-mail", "bob@example.com")
    member.fill("Hasło", PASSWORD)
    member.submit_redirect(member.button("Zaloguj się"))
    expect(member.page).to_have_url(ENROLMENT)
    secret = add_app_just_signed_in(member, clock)
    member.goto("/panel")
    expect(member.page).to_have_url(re.compile(r"/panel$"))
    assert admin_secret != secret


def test_staff_always_need_it_and_the_back_office_asks_for_a_code(people, js, clock):
    ola = people()
    create_user(ola.server, "ola@example.com", "Ola", "Obsługowa")
    with ola.server.app.app_context(), database.connection_context():
        staff_flow.grant("ola@example.com")

    # The staff role without two-step sign-in: the password alone opens only the page that turns it on.
    ola.log_in("ola@example.com", lands_on=ENROLMENT.pattern)
    expect(ola.main).to_contain_text("Włącz weryfikację dwuetapową, aby korzystać z Konta")
    expect(ola.main).to_contain_text("Wymaga jej Twoja rola w panelu Obsługi.")
    for path in ("/obsluga/", "/obsluga/potwierdz", "/panel"):
        ola.goto(path)
        expect(ola.page).to_have_url(ENROLMENT)
    secret = add_app_just_signed_in(ola, clock)
    ola.follow(ola.link("Zapisałem(-am) kody"))
    ola.follow(ola.link("Wyłącz weryfikację dwuetapową"))
    expect(ola.main.locator(".notice")).to_contain_text("wymaga jej Twoja rola w panelu Obsługi")
    expect(ola.main.get_by_label("Kod z aplikacji lub kod zapasowy")).to_have_count(0)
    ola.log_out()

    # Now the password and a code at sign-in, and both again before the back office opens.
    log_in_password(ola, "ola@example.com")
    ola.fill("Kod z aplikacji", app_code(secret, clock))
    clock.advance(30)
    ola.submit_redirect(ola.button("Potwierdź"))
    ola.goto("/obsluga/")
    expect(ola.main.locator("h1")).to_have_text("Obsługa: potwierdź, że to Ty")
    expect(ola.main).to_contain_text("prosi o hasło i kod z aplikacji uwierzytelniającej")
    ola.fill("Hasło", PASSWORD)
    ola.fill("Kod z aplikacji lub kod zapasowy", "000000")
    ola.swap(ola.button("Potwierdź"))
    expect(ola.main.locator(".error-summary")).to_contain_text("nieprawidłowy albo został już użyty")
    expect(ola.main.get_by_label("Kod z aplikacji lub kod zapasowy")).to_have_attribute("aria-invalid", "true")
    ola.fill("Hasło", PASSWORD)
    ola.fill("Kod z aplikacji lub kod zapasowy", app_code(secret, clock))
    ola.submit_redirect(ola.button("Potwierdź"))
    expect(ola.main.locator("h1")).to_have_text("Obsługa")
    expect(ola.page).to_have_url(re.compile(r"/obsluga/$"))


# -- passkeys: chromium's virtual authenticator, JavaScript on ----------------------------------


@pytest.fixture
def passkey_person(browser, live_server, a11y_checked):
    """A person at http://localhost:PORT (an IP address cannot be a WebAuthn RP ID) with a
    virtual platform authenticator that verifies the user (CDP's WebAuthn domain)."""
    server = types.SimpleNamespace(url=live_server.url.replace("127.0.0.1", "localhost"), app=live_server.app)
    # The app's configured address is the one people use (the relying party, like e-mail links).
    live_server.app.config["KONTO_BASE_URL"] = server.url
    person = Person(browser, server, True, a11y_checked)
    cdp = person.context.new_cdp_session(person.page)
    cdp.send("WebAuthn.enable")
    added = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True, "hasUserVerification": True,
        "isUserVerified": True, "automaticPresenceSimulation": True}})
    person.cdp, person.authenticator = cdp, added["authenticatorId"]
    yield person
    try:
        person.assert_clean_console()
    finally:
        person.close()


def credentials(person):
    return person.cdp.send("WebAuthn.getCredentials", {"authenticatorId": person.authenticator})["credentials"]


def test_passkeys_second_step_sign_in_without_password_list_and_remove(passkey_person, clock):
    anna = passkey_person
    create_user(anna.server, "anna@example.com")
    anna.log_in("anna@example.com")
    anna.goto("/konto/weryfikacja-dwuetapowa/klucze")
    confirm_password(anna)
    expect(anna.main.locator("h1")).to_have_text("Klucze dostępu")
    expect(anna.main.locator(".passkey-nojs")).to_be_hidden()
    anna.fill("Nazwa klucza", "Laptop służbowy")
    anna.follow(anna.button("Dodaj klucz dostępu"))
    # The first factor: two-step sign-in is on, and the recovery codes are shown once.
    expect(anna.main.locator("h1")).to_have_text("Zapisz kody zapasowe")
    assert len(credentials(anna)) == 1
    anna.follow(anna.link("Zapisałem(-am) kody"))
    expect(anna.main).to_contain_text("Laptop służbowy")
    anna.log_out()

    # The password, then the passkey as the second step.
    log_in_password(anna, "anna@example.com")
    anna.follow(anna.button("Użyj klucza dostępu"))
    expect(anna.page).to_have_url(re.compile(r"/panel$"))
    anna.log_out()

    # No password at all: the passkey alone (it verified the user).
    anna.goto("/logowanie")
    anna.follow(anna.button("Zaloguj się kluczem dostępu"))
    expect(anna.page).to_have_url(re.compile(r"/panel$"))

    # A second passkey is listed; the first is removed; the last one cannot be.
    anna.goto("/konto/weryfikacja-dwuetapowa/klucze")
    expect(anna.main.locator("h1")).to_have_text("Potwierdź, że to Ty")  # a passkey confirms it too
    anna.follow(anna.button("Potwierdź kluczem dostępu"))
    expect(anna.main.locator("h1")).to_have_text("Klucze dostępu")
    anna.fill("Nazwa klucza", "Telefon")
    # The virtual authenticator holds one credential per account: a new authenticator for the phone.
    first = anna.authenticator
    anna.authenticator = anna.cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "usb", "hasResidentKey": True, "hasUserVerification": True,
        "isUserVerified": True, "automaticPresenceSimulation": True}})["authenticatorId"]
    anna.cdp.send("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": first})
    anna.follow(anna.button("Dodaj klucz dostępu"))
    expect(anna.main).to_contain_text("Dodano klucz dostępu „Telefon”")
    items = anna.main.locator(".item-list li")
    expect(items).to_have_count(2)
    anna.follow(items.filter(has_text="Laptop służbowy").get_by_role("button"))
    expect(anna.main).to_contain_text("Klucz dostępu został usunięty")
    expect(items).to_have_count(1)
    anna.follow(items.filter(has_text="Telefon").get_by_role("button"))
    expect(anna.main).to_contain_text("To Twój jedyny sposób weryfikacji dwuetapowej")
    expect(items).to_have_count(1)
    anna.log_out()

    # The phone's passkey signs in.
    anna.goto("/logowanie")
    anna.follow(anna.button("Zaloguj się kluczem dostępu"))
    expect(anna.page).to_have_url(re.compile(r"/panel$"))
