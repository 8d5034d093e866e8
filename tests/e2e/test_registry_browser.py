"""The wizard in a real browser with KONTO_REGISTRY=gus, talking to stand-ins of GUS BIR 1.1,
the MF white list and VIES over real HTTP (issue 4), JavaScript on and off."""


import pytest
from playwright.sync_api import expect

from konto import create_app
from konto.db import database
from tests.e2e.helpers import PREVIEW_URL
from tests.e2e.helpers import confirm
from tests.e2e.helpers import look_up
from tests.e2e.helpers import signed_in
from tests.helpers import LiveServer
from tests.helpers import make_config
from tests.standins import registry_config
from tests.standins import start_gus_standin
from tests.standins import start_mf_standin
from tests.standins import start_vies_standin

pytestmark = pytest.mark.browser


@pytest.fixture
def standins():
    running = (start_gus_standin(), start_mf_standin(), start_vies_standin())
    yield running
    for standin in running:
        standin.stop()


@pytest.fixture
def live_server(tmp_path, standins):
    """The app, as in production, with the real registry clients pointed at the stand-ins."""
    config = make_config(
        tmp_path, WTF_CSRF_ENABLED=True, REGISTRY_READ_TIMEOUT=2.0, **registry_config(*standins)
    )
    server = LiveServer(create_app(config))
    yield server
    server.stop()
    database.close()


def test_wizard_shows_gus_data_with_one_login_for_many_lookups(person, standins):
    gus, mf, _ = standins
    signed_in(person, "anna@example.com")
    person.goto("/firmy/dodaj")
    look_up(person, "525-000-10-03")
    expect(person.page).to_have_url(PREVIEW_URL)
    table = person.main.locator(".data-table")
    expect(table).to_contain_text("PRZYKŁADOWA SPÓŁKA HANDLOWA")
    expect(table).to_contain_text("140000000")  # REGON from the full report
    expect(table).to_contain_text("0000123456")  # KRS
    expect(person.main).to_contain_text("GUS (BIR 1.1)")
    confirm(person)
    expect(person.page.locator("#current-company")).to_contain_text("PRZYKŁADOWA SPÓŁKA HANDLOWA")

    # A second company: the GUS session is reused, not logged into again.
    person.goto("/firmy/dodaj")
    look_up(person, "6770002009")
    expect(person.main.locator(".data-table")).to_contain_text("JAN KOWALSKI")
    assert gus.calls["Zaloguj"] == 1, gus.calls

    # The same number again comes from the cache: no call reaches GUS.
    searches = gus.calls["DaneSzukajPodmioty"]
    person.goto("/firmy/dodaj")
    look_up(person, "6770002009")
    expect(person.main.locator(".data-table")).to_contain_text("JAN KOWALSKI")
    assert gus.calls["DaneSzukajPodmioty"] == searches


def test_gus_down_falls_back_to_the_white_list_then_to_manual_entry(person, standins):
    gus, mf, _ = standins
    gus.mode = "maintenance"  # an HTML page with status 200, as GUS serves during maintenance
    signed_in(person, "anna@example.com")
    person.goto("/firmy/dodaj")
    look_up(person, "9720005007")
    expect(person.page).to_have_url(PREVIEW_URL)
    expect(person.main).to_contain_text("Biała lista podatników VAT")
    expect(person.main.locator(".data-table")).to_contain_text("DEMO LOGISTYKA")

    mf.mode = "error500"
    person.goto("/firmy/dodaj")
    look_up(person, "5210008016")
    expect(person.main).to_contain_text("Rejestr jest chwilowo niedostępny")
    expect(person.main.get_by_label("NIP lub numer VAT UE", exact=True)).to_have_value("5210008016")
    person.follow(person.link("Wpisz dane ręcznie"))
    expect(person.main.locator("h1")).to_have_text("Wpisz dane firmy")


def test_foreign_vat_number_goes_to_vies_and_a_nameless_answer_asks_for_the_name(person, standins):
    _, _, vies = standins
    signed_in(person, "anna@example.com")
    person.goto("/firmy/dodaj")
    look_up(person, "CZ25123891")
    expect(person.main).to_contain_text("VIES")
    expect(person.main.locator(".data-table")).to_contain_text("UKÁZKOVÁ FIRMA")

    person.goto("/firmy/dodaj")
    look_up(person, "DE123456788")
    expect(person.main).to_contain_text("nie podaje nazwy ani adresu")
    person.fill("Nazwa firmy", "Beispiel GmbH")
    person.fill("Numer budynku", "5")
    person.fill("Kod pocztowy", "10115")
    person.fill("Miejscowość", "Berlin")
    person.swap(person.button("Przejdź dalej"))
    expect(person.main.locator("h1")).to_have_text("Oświadczenie i formy kontaktu")
    assert sum(vies.calls.values()) >= 2, vies.calls
