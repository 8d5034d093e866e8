"""Licences, services, the admin-rights claim and the back office in a real browser (issue 12),
JavaScript on and off, axe on every page."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from konto import clock
from konto.i18n import date_text
from konto.licences import numbers
from tests.e2e.helpers import NAME
from tests.e2e.helpers import NIP
from tests.e2e.helpers import company_with
from tests.e2e.helpers import create_user
from tests.e2e.helpers import into_back_office
from tests.e2e.helpers import issued
from tests.e2e.helpers import staff_account
from tests.licence_helpers import PDF

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _real_time(live_server, tmp_path):
    live_server.app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    yield
    clock.travel(None)


def test_staff_issue_a_licence_a_member_sees_it_then_why_it_is_suspended(people, js):
    ola, bob = people(), people()
    staff_account(ola.server)
    create_user(bob.server, "bob@example.com", "Bob", "Kowal")
    company_id = company_with(bob.server, **{"bob@example.com": "member"})

    into_back_office(ola)
    ola.fill("E-mail, NIP, numer VAT, nazwa firmy albo numer licencji", "525-000-10-03")
    ola.follow(ola.button("Szukaj"))
    expect(ola.main).to_contain_text(NAME)
    ola.follow(ola.link("Wystaw licencję na ten numer"))
    expect(ola.main.get_by_label("NIP lub numer VAT UE nabywcy")).to_have_value(NIP)
    ola.main.get_by_label("Program i edycja").select_option("sprzedaz/pro")
    ola.fill("Stanowiska", "4")
    ola.fill("Numer licencji (opcjonalnie)", "SPDEM-HAQJQ-D6E21")  # a typo in the check character
    ola.swap(ola.button("Wystaw licencję"))
    expect(ola.main.locator(".error-summary")).to_contain_text("znak kontrolny")
    ola.fill("Numer licencji (opcjonalnie)", "")
    ola.submit_redirect(ola.button("Wystaw licencję"))
    expect(ola.main.locator("h1")).to_have_text("Kontor Sprzedaż Pro")
    number = numbers.parse(ola.main.locator(".licence-number").first.inner_text())

    bob.log_in("bob@example.com")
    bob.follow(bob.main.locator("li", has_text=NAME).get_by_role("link", name="Licencje", exact=True))
    expect(bob.page).to_have_url(re.compile(rf"/firmy/{company_id}/licencje$"))
    card = bob.main.locator(".licence-card")
    expect(card).to_contain_text("Kontor Sprzedaż")
    expect(card).to_contain_text(numbers.masked(number))
    expect(card).not_to_contain_text(numbers.display(number))
    expect(card.locator(".badge").first).to_have_text("aktywna")
    expect(card).to_contain_text("zajęte 0 z 4")
    expect(card.get_by_role("button")).to_have_count(0)  # a member sees; administrators act

    ola.fill("Powód (klient go zobaczy)", "Zaległa faktura FV/1/2027")
    ola.submit_redirect(ola.button("Zawieś"))
    expect(ola.main).to_contain_text("Licencja zawieszona.")

    bob.goto(f"/firmy/{company_id}/licencje")
    expect(card.locator(".badge").first).to_have_text("zawieszona")
    expect(card.locator(".notice")).to_contain_text("Zaległa faktura FV/1/2027")


def test_an_administrator_uses_a_trial_once_and_turns_a_service_on_and_off(people, js):
    anna = people()
    staff_account(anna.server)
    create_user(anna.server, "anna@example.com")
    company_id = company_with(anna.server, **{"anna@example.com": "admin"})
    issued(anna.server, abonament_until=clock.today() + timedelta(days=20))

    anna.log_in("anna@example.com")
    anna.goto(f"/firmy/{company_id}/licencje")
    card = anna.main.locator(".licence-card")
    expect(card).to_contain_text("kończy się za 20 dni")
    anna.submit_redirect(anna.button("Wypróbuj Łącznik API przez 15 dni"))
    expect(anna.main).to_contain_text("Rozpoczęto okres próbny Łącznik API")
    expect(card).to_contain_text("okres próbny do " + date_text(clock.today() + timedelta(days=14)))
    expect(anna.button("Wypróbuj Łącznik API przez 15 dni")).to_have_count(0)

    clock.travel(timedelta(days=16))
    anna.goto(f"/firmy/{company_id}/licencje")
    expect(card).to_contain_text("Okres próbny Łącznik API został już wykorzystany dla tej licencji.")
    expect(anna.button("Wypróbuj Łącznik API przez 15 dni")).to_have_count(0)
    clock.travel(None)

    anna.follow(anna.main.get_by_role("navigation", name="Strony firmy").get_by_role("link", name="Usługi"))
    service = anna.main.locator("#usluga-ksef")
    expect(service.locator(".badge")).to_have_text("wyłączona")
    anna.swap(anna.button("Włącz usługę KSeF"))  # without accepting the terms
    expect(anna.main.locator("#accept-ksef-error")).to_contain_text("zaakceptuj jej regulamin")
    expect(anna.main.get_by_label("Akceptuję regulamin usługi KSeF", exact=False)).to_have_attribute(
        "aria-invalid", "true"
    )
    expect(anna.main.get_by_role("link", name="Przeczytaj regulamin usługi KSeF")).to_have_attribute(
        "href", "/uslugi/ksef/regulamin"
    )
    anna.main.get_by_label("Akceptuję regulamin usługi KSeF", exact=False).check()
    anna.submit_redirect(anna.button("Włącz usługę KSeF"))
    expect(service.locator(".badge")).to_have_text("włączona")
    expect(service).to_contain_text("Zaakceptowany regulamin: wersja z 2026-11-01")
    anna.submit_redirect(anna.button("Wyłącz usługę KSeF"))
    expect(service.locator(".badge")).to_have_text("wyłączona")
    anna.goto("/uslugi/ksef/regulamin")
    expect(anna.main.locator("h1")).to_have_text("Regulamin usługi KSeF")


def test_a_claim_from_filing_to_approval(people, js, tmp_path):
    bob, anna, ola = people(), people(), people()
    staff_account(ola.server)
    create_user(anna.server, "anna@example.com")
    create_user(bob.server, "bob@example.com", "Bob", "Kowal")
    company_id = company_with(bob.server, **{"anna@example.com": "admin", "bob@example.com": "member"})
    licence = issued(bob.server)
    statement = tmp_path / "oswiadczenie.pdf"
    statement.write_bytes(PDF)
    renamed = tmp_path / "skan.pdf"
    renamed.write_bytes(b"MZ\x90\x00 this is not a PDF" * 20)

    bob.log_in("bob@example.com")
    bob.goto(f"/firmy/{company_id}")
    bob.follow(bob.link("Odzyskaj uprawnienia administratora"))
    expect(bob.main.locator("h1")).to_have_text("Odzyskaj uprawnienia administratora")
    bob.fill("Numer licencji firmy", numbers.display(licence.number).lower())
    bob.main.get_by_label("Podpisane oświadczenie (PDF)").set_input_files(str(renamed))
    bob.follow(bob.button("Wyślij wniosek"))
    expect(bob.main.locator(".error-summary")).to_contain_text("To nie jest plik PDF")
    bob.fill("Numer licencji firmy", numbers.display(licence.number))
    bob.main.get_by_label("Podpisane oświadczenie (PDF)").set_input_files(str(statement))
    bob.follow(bob.button("Wyślij wniosek"))
    expect(bob.main.locator("h1")).to_have_text("Wniosek wysłany")

    anna.log_in("anna@example.com")
    anna.open_mail("anna@example.com", "Wniosek o uprawnienia administratora firmy")
    anna.follow_mail_link("/wnioski")
    expect(anna.main.locator(".claim")).to_contain_text("Bob Kowal")
    expect(anna.button("Zgłoś sprzeciw")).to_be_visible()

    clock.travel(timedelta(hours=73))  # nobody objected in the 72 hours
    into_back_office(ola)
    ola.follow(ola.main.get_by_role("navigation", name="Obsługa").get_by_role("link", name=re.compile("Wnioski")))
    ola.follow(ola.link(NAME))
    expect(ola.main).to_contain_text("bob@example.com")
    expect(ola.link("Pobierz oświadczenie (PDF)")).to_have_attribute("href", re.compile(r"/oswiadczenie\.pdf$"))
    ola.submit_redirect(ola.button("Przyjmij: nadaj uprawnienia administratora"))
    expect(ola.main).to_contain_text("Wniosek przyjęty")

    bob.open_mail("bob@example.com", "Wniosek o uprawnienia administratora: przyjęty")
    bob.goto(f"/firmy/{company_id}")
    expect(bob.main).to_contain_text("jesteś administratorem")
