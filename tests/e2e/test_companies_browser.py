"""The "Dodaj firmę" wizard in a real browser (issue 3), JavaScript on and off."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import PREVIEW_URL
from tests.e2e.helpers import confirm
from tests.e2e.helpers import look_up
from tests.e2e.helpers import signed_in

pytestmark = pytest.mark.browser

SPOLKA = "PRZYKŁADOWA SPÓŁKA HANDLOWA SPÓŁKA Z OGRANICZONĄ ODPOWIEDZIALNOŚCIĄ"
KOWALSKI = "JAN KOWALSKI USŁUGI KSIĘGOWE"


def add_company(person, number, name):
    person.follow(person.page.locator(".topbar").get_by_role("link", name="Dodaj firmę"))
    look_up(person, number)
    expect(person.page).to_have_url(PREVIEW_URL)
    expect(person.main.locator(".data-table")).to_contain_text(name)
    confirm(person)
    expect(person.page.locator("#current-company")).to_contain_text(name)


def test_add_company_see_it_in_top_bar_add_second_and_switch(person, js):
    signed_in(person, "anna@example.com")
    expect(person.page.locator("#current-company")).not_to_contain_text("SPÓŁKA")
    person.follow(person.link("Dodaj firmę"))
    expect(person.page).to_have_url(re.compile(r"/firmy/dodaj$"))

    if js:
        # While the registry is asked: the indicator shows and the wizard is aria-busy.
        held = []
        person.page.route(re.compile(r"/firmy/dodaj$"), lambda route: held.append(route)
                          if route.request.method == "POST" else route.continue_())
        person.fill("NIP lub numer VAT UE", "525-000-10-03")
        person.page.evaluate("window.__marker = 1")
        person.button("Zatwierdź").click()
        expect(person.main.get_by_text("Pobieranie danych z rejestru…")).to_be_visible()
        expect(person.main).to_have_attribute("aria-busy", "true")
        for _ in range(100):
            if held:
                break
            person.page.wait_for_timeout(50)
        assert held, "the lookup request never reached the route"
        with person.page.expect_response(re.compile(r"/firmy/dodaj$")) as info:
            held[0].continue_()
        assert info.value.request.headers.get("hx-request") == "true"
        person.page.unroute(re.compile(r"/firmy/dodaj$"))
        expect(person.page).to_have_url(PREVIEW_URL)
        expect(person.main).not_to_have_attribute("aria-busy", "true")
        assert person.page.evaluate("window.__marker") == 1, "step 2 was a page load, not a swap"
        person.a11y()
    else:
        look_up(person, "525-000-10-03")
        expect(person.page).to_have_url(PREVIEW_URL)

    # Step 2: the registry's data.
    expect(person.main.locator("h1")).to_have_text("Sprawdź dane firmy")
    table = person.main.locator(".data-table")
    for text in (SPOLKA, "5250001003", "140000000", "0000123456", "ul. Marszałkowska 100/12", "00-026 Warszawa",
                 "gmina Warszawa", "spółka z ograniczoną odpowiedzialnością", "działalność aktywna"):
        expect(table).to_contain_text(text)
    expect(person.main).to_contain_text("Źródło danych: dane demonstracyjne")

    # Step 3 and done: the name in the top bar at once.
    confirm(person)
    expect(person.main.locator("h1")).to_have_text(SPOLKA)
    expect(person.page.locator("#current-company")).to_contain_text(SPOLKA)
    expect(person.main).to_contain_text("jesteś administratorem")

    # A second company, then "Zmień firmę" back to the first.
    add_company(person, "PL6770002009", KOWALSKI)
    expect(person.page.locator("#current-company")).not_to_contain_text(SPOLKA)
    person.follow(person.page.locator("#current-company").get_by_role("link", name="Zmień firmę"))
    expect(person.main.locator("h1")).to_have_text("Zmień firmę")
    person.follow(person.button(f"Wybierz {SPOLKA}"))
    expect(person.page).to_have_url(re.compile(r"/panel$"))
    expect(person.page.locator("#current-company")).to_contain_text(SPOLKA)
    expect(person.page.locator("#current-company")).not_to_contain_text(KOWALSKI)
    companies = person.main.locator(".company-list")
    expect(companies).to_contain_text(SPOLKA)
    expect(companies).to_contain_text(KOWALSKI)

    # The choice is remembered across log-ins.
    person.log_out()
    person.log_in("anna@example.com")
    expect(person.page.locator("#current-company")).to_contain_text(SPOLKA)


def test_not_found_outage_manual_entry_and_ended_activity(person, js):
    signed_in(person, "anna@example.com")
    person.goto("/firmy/dodaj")

    # Not found: an error at the field, the number kept to correct it.
    response = look_up(person, "PL1130010003")
    if js:
        assert response.status == 422
    expect(person.page).to_have_url(re.compile(r"/firmy/dodaj$"))
    number = person.main.get_by_label("NIP lub numer VAT UE", exact=True)
    expect(number).to_have_value("PL1130010003")
    expect(number).to_have_attribute("aria-invalid", "true")
    expect(person.main.locator("#number-error")).to_contain_text("W rejestrze nie ma firmy")

    # Outage: says so, offers a retry and manual entry.
    number.fill("PL7010011003")
    response = person.swap(person.button("Zatwierdź"))
    if js:
        assert response.status == 503
    expect(person.main).to_contain_text("Rejestr jest chwilowo niedostępny")
    expect(number).to_have_value("PL7010011003")
    person.swap(person.button("Spróbuj ponownie"))
    expect(person.main).to_contain_text("Rejestr jest chwilowo niedostępny")
    person.follow(person.link("Wpisz dane ręcznie"))
    expect(person.main.locator("h1")).to_have_text("Wpisz dane firmy")
    person.fill("Nazwa firmy", "AWARYJNA FIRMA TESTOWA")
    person.fill("Ulica (puste, jeśli miejscowość nie ma ulic)", "ul. Prosta")
    person.fill("Numer budynku", "7")
    person.fill("Kod pocztowy", "00-850")
    person.fill("Miejscowość", "Warszawa")
    person.swap(person.button("Przejdź dalej"), push_url=PREVIEW_URL)
    expect(person.main).to_contain_text("wpisane ręcznie")
    expect(person.main).to_contain_text("niezweryfikowana")
    expect(person.main.locator(".data-table")).to_contain_text("AWARYJNA FIRMA TESTOWA")
    confirm(person)
    expect(person.main.locator(".badge.warn")).to_have_text("niezweryfikowana")
    expect(person.page.locator("#current-company")).to_contain_text("AWARYJNA FIRMA TESTOWA")

    # Ended activity: shown, and it cannot be added.
    person.follow(person.page.locator(".topbar").get_by_role("link", name="Dodaj firmę"))
    look_up(person, "PL5830006000")
    expect(person.page).to_have_url(PREVIEW_URL)
    expect(person.main.locator(".data-table")).to_contain_text("działalność zakończona 30 czerwca 2023")
    expect(person.main).to_contain_text("Tej firmy nie można dodać")
    expect(person.link("Przejdź dalej")).to_have_count(0)
    # Not even by opening step 3's address.
    person.goto(person.page.url.replace("/dane", "/oswiadczenie"))
    expect(person.page).to_have_url(PREVIEW_URL)
    person.goto("/panel")
    expect(person.main).not_to_contain_text("STARA DRUKARNIA")


def test_access_request_accepted_by_the_administrator(people, js):
    anna, bartek = people(), people()
    signed_in(anna, "anna@example.com")
    add_company(anna, "5250001003", SPOLKA)
    company_url = anna.page.url

    # Another account cannot add it; it may ask for access.
    signed_in(bartek, "bartek@example.com", "Bartosz", "Zieliński")
    bartek.follow(bartek.link("Dodaj firmę"))
    look_up(bartek, "525 000 10 03")
    expect(bartek.main).to_contain_text("Ta firma ma już administratora w Koncie")
    expect(bartek.link("Przejdź dalej")).to_have_count(0)
    bartek.swap(bartek.button("Poproś o dostęp"))
    expect(bartek.main.locator("h1")).to_have_text("Prośba o dostęp wysłana")
    bartek.goto("/panel")
    expect(bartek.main).not_to_contain_text(SPOLKA)

    # The administrator sees the request on the company page and accepts it.
    anna.goto(company_url)
    requests = anna.main.locator(".card").filter(has=anna.page.get_by_role("heading", name="Prośby o dostęp"))
    expect(requests).to_contain_text("Bartosz Zieliński")
    expect(requests).to_contain_text("bartek@example.com")
    anna.submit_redirect(requests.get_by_role("button", name="Przyjmij"))
    expect(anna.main).to_contain_text("Prośba została przyjęta.")
    expect(anna.main).to_contain_text("Brak oczekujących próśb.")

    # Now the second account has the company, and an e-mail saying so.
    bartek.goto("/panel")
    expect(bartek.main.locator(".company-list")).to_contain_text(SPOLKA)
    bartek.follow(bartek.main.get_by_role("link", name=SPOLKA))
    expect(bartek.main.locator("h1")).to_have_text(SPOLKA)
    bartek.open_mail("bartek@example.com", "Decyzja w sprawie dostępu do firmy")
