"""The seed journey in English in a real browser, JavaScript on and off: the footer's switch,
register, the activation e-mail, activate, log in, add a company by NIP. Every page is checked
with axe (by the Person) and for Polish left on it."""

import re

import pytest
from playwright.sync_api import expect

from konto.registry import demo
from tests.e2e.helpers import COMPANY_URL
from tests.e2e.helpers import PREVIEW_URL
from tests.e2e.helpers import STATEMENT_URL
from tests.helpers import PASSWORD
from tests.test_english_pages import NOT_DATA
from tests.test_english_pages import polish_in
from tests.test_english_pages import text_of

pytestmark = pytest.mark.browser

SPOLKA = "PRZYKŁADOWA SPÓŁKA HANDLOWA SPÓŁKA Z OGRANICZONĄ ODPOWIEDZIALNOŚCIĄ"
# What people typed and what the registry says, shown as it is.
DATA = {"Anna", "Nowak", "Anna Nowak", "anna@example.com"} | {
    value for entity in demo.entities().values() for key, value in entity.get("data", {}).items()
    if isinstance(value, str) and len(value) > 2 and key not in NOT_DATA
}


def english(person):
    """The page (and the e-mail shown in it) is in English, with no Polish left."""
    expect(person.page.locator("html")).to_have_attribute("lang", "en")
    found = polish_in(text_of(person.page.content()), DATA)
    for frame in person.page.frames[1:]:  # the demo mailbox shows an e-mail's HTML in an iframe
        found |= polish_in(text_of(frame.content()), DATA)
    assert not found, f"Polish on {person.page.url}: {sorted(found)}"


def test_the_seed_journey_in_english(person, js):
    # A Polish browser; the footer's switch (a form: it works without JavaScript too).
    person.goto("/logowanie")
    expect(person.main.locator("h1")).to_have_text("Zaloguj się")
    person.follow(person.page.locator("footer").get_by_role("button", name="English"))
    expect(person.page).to_have_url(re.compile(r"/logowanie$"))
    expect(person.main.locator("h1")).to_have_text("Log in")
    expect(person.page.locator("footer").get_by_role("button", name="Polski")).to_be_visible()
    english(person)

    # Register.
    person.follow(person.link("Create account"))
    expect(person.main.locator("h1")).to_have_text("Create account")
    english(person)
    person.fill("First name", "Anna")
    person.fill("Last name", "Nowak")
    person.fill("E-mail address", "anna@example.com")
    person.fill("Password", PASSWORD)
    person.fill("Repeat password", PASSWORD)
    person.main.get_by_label("accept the Konto terms of service", exact=False).check()
    person.main.get_by_label("processing of my personal data", exact=False).check()
    person.submit_redirect(person.button("Create account"))
    expect(person.main.locator("h1")).to_have_text("Check your e-mail")
    english(person)

    # The activation e-mail, in English; activate.
    person.open_mail("anna@example.com", "Activate your Konto")
    person.page.frame_locator("iframe.mail-frame").get_by_text("thank you for creating a Konto").wait_for()
    english(person)
    person.follow_mail_link("/aktywacja/")
    expect(person.main.locator("h1")).to_have_text("Activate account")
    english(person)
    # Activation asks for the registration's password, and logs in.
    person.fill("The password given at registration", PASSWORD)
    person.submit_redirect(person.button("Activate account"))
    expect(person.page).to_have_url(re.compile(r"/panel$"))
    expect(person.main).to_contain_text("Your account has been activated")
    expect(person.main.locator("h1")).to_have_text("Your dashboard")
    expect(person.main).to_contain_text("You have no companies yet")
    english(person)

    # Add a company by NIP: three steps.
    person.follow(person.link("Add a company"))
    expect(person.main.locator("h1")).to_have_text("Add a company")
    english(person)
    person.fill("NIP or EU VAT number", "525-000-10-03")
    person.swap(person.button("Submit"))
    expect(person.page).to_have_url(PREVIEW_URL)
    expect(person.main.locator("h1")).to_have_text("Check the company data")
    expect(person.main.locator(".data-table")).to_contain_text("business active")
    english(person)
    person.swap(person.link("Continue"), push_url=STATEMENT_URL)
    expect(person.main.locator("h1")).to_have_text("Statement and contact methods")
    english(person)
    person.main.get_by_label("I declare that I am authorised", exact=False).check()
    person.swap(person.button("Add a company"), push_url=COMPANY_URL)
    expect(person.main).to_contain_text("Company added")
    expect(person.page.locator("#current-company")).to_contain_text(SPOLKA)
    english(person)
    person.goto("/panel")
    expect(person.main).to_contain_text("(1 company)")
    english(person)

    # Log out.
    person.follow(person.page.locator(".topbar").get_by_role("button", name="Log out"))
    expect(person.main).to_contain_text("You have been logged out.")
    english(person)
