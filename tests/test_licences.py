"""Licencje, Usługi, Abonament notices and the admin-rights claim: the company's side."""

import io
import os
import re
import subprocess
import sys
import time
from datetime import date
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import assume
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from stdnum.iso7064 import mod_37_2

from konto import clock
from konto import create_app
from konto import factors
from konto.db import database
from konto.flows import Refused
from konto.flows import licences as flow
from konto.i18n import date_text
from konto.licences import catalogue
from konto.licences import demo
from konto.licences import numbers
from konto.licences.notices import due_mark
from konto.models import AbonamentNotice
from konto.models import AdminClaim
from konto.models import CompanyService
from konto.models import Email
from konto.models import Installation
from konto.models import LicenceExtension
from konto.models import Membership
from konto.models import MembershipEvent
from konto.models import Product
from konto.models import Service
from konto.models import ServiceTermsAcceptance
from konto.models import TotpCredential
from konto.models import TrialUse
from konto.models import User
from tests.helpers import Journey
from tests.helpers import app_code
from tests.helpers import mails_to
from tests.helpers import make_config
from tests.licence_helpers import COMPANY
from tests.licence_helpers import PDF
from tests.licence_helpers import company
from tests.licence_helpers import confirm_staff
from tests.licence_helpers import in_request
from tests.licence_helpers import issue
from tests.licence_helpers import people


@pytest.fixture
def anna(journey):
    journey.signed_up()
    journey.add_company(COMPANY)
    return journey


def member(app, email="bob@example.com", role="member", tax_id=COMPANY):
    """Another person in anna's company (issue 11 adds invitations; here the row is made directly)."""
    journey = Journey(app.test_client())
    journey.signed_up(email=email)
    with database.connection_context():
        Membership.create(user=people(app, email), company=company(tax_id), role=role, contact_email=email)
    return journey


# --- licence numbers ------------------------------------------------------------------------


def test_a_new_number_has_the_prefix_the_format_and_a_valid_check_character():
    number = numbers.generate("SP")
    assert len(number) == 15 and number.startswith("SP")
    assert numbers.parse(number) == number
    assert numbers.parse(numbers.display(number).lower()) == number
    assert numbers.parse(" " + " ".join(numbers.display(number).split("-")) + " ") == number
    assert numbers.masked(number) == "•••••-•••••-•" + number[-4:]


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_one_wrong_character_or_two_swapped_neighbours_are_always_caught(data):
    body = data.draw(st.sampled_from(["SP", "KS", "KP", "BR"])) + data.draw(
        st.text(alphabet=numbers.BODY_ALPHABET, min_size=12, max_size=12)
    )
    number = body + mod_37_2.calc_check_digit(body)
    assume(number[-1] != "*")  # never issued
    position = data.draw(st.integers(min_value=0, max_value=14))
    replacement = data.draw(
        st.sampled_from("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ").filter(lambda c: c != number[position])
    )
    typo = number[:position] + replacement + number[position + 1 :]
    assert not numbers.is_valid(typo)
    swap = data.draw(st.integers(min_value=0, max_value=13))
    if number[swap] != number[swap + 1]:
        swapped = number[:swap] + number[swap + 1] + number[swap] + number[swap + 2 :]
        assert not numbers.is_valid(swapped)


@pytest.mark.parametrize(
    "typed, message",
    [
        ("", "Podaj numer licencji"),
        ("SP123", "ma 15 znaków"),
        ("12DEM-HAQJQ-D6E29", "dwóch liter"),
        ("SPDEM-HAQJQ-D6E21", "znak kontrolny"),
        ("x" * 41, "za długi"),
    ],
)
def test_a_bad_number_says_what_is_wrong(typed, message):
    with pytest.raises(numbers.InvalidNumber, match=message):
        numbers.parse(typed)


# --- the catalogue ----------------------------------------------------------------------


def test_the_catalogue_is_data_copied_from_the_file_once(app, tmp_path):
    with database.connection_context():
        assert Product.select().where(Product.kind == "program").count() == 4
        assert Service.get(Service.code == "ksef").terms_version == "2026-11-01"
        assert catalogue.sync() is False  # unchanged file: nothing written
        changed = tmp_path / "catalogue.toml"
        text = catalogue.CATALOGUE_FILE.read_text(encoding="utf-8")
        text = text.replace(
            'terms_version = "2026-11-01"\nincluded_in = ["sprzedaz/standard"',
            'terms_version = "2027-01-01"\nincluded_in = ["sprzedaz/standard"',
        )
        start = text.index('[[extension]]\ncode = "stanowiska"')
        text = text[:start] + text[text.index("[[service]]", start) :]
        changed.write_text(text, encoding="utf-8")
        assert catalogue.sync(changed) is True
        assert Service.get(Service.code == "ksef").terms_version == "2027-01-01"
        removed = Product.get(Product.code == "stanowiska")
        assert removed.offered is False  # kept for old licences, no longer offered
        assert catalogue.sync(changed) is False


# --- the Licencje page --------------------------------------------------------------------


def test_empty_licences_page_says_how_licences_get_here(client, anna):
    page = client.get(f"/firmy/{company().id}/licencje").data.decode()
    assert "Ta firma nie ma jeszcze licencji" in page and "zarejestrować z poziomu programu" in page


def test_demo_company_shows_every_state_on_its_cards(app, client, journey):
    with app.app_context(), database.connection_context():
        demo.seed(app.instance_path)
    journey.signed_up()
    journey.add_company(COMPANY)
    page = client.get(f"/firmy/{company().id}/licencje").data.decode()
    for text in (
        "aktywna",
        "wygasa za 12 dni",
        "wygasła",
        "zawieszona",
        "unieważniona",
        "oczekuje na akceptację",
        "Zaległa płatność za Abonament",
        "kończy się za 20 dni",
        "po terminie — odnowienie w cenie odnowienia do",
        "wygasł",
        "PLUS Złoty",
        "Łącznik API",
        "okres próbny do",
        "Dodatkowe stanowiska",
        "zajęte 2 z 7",
        "KASA-1",
        "Historia licencji",
        "Okres próbny Łącznik API został już wykorzystany dla tej licencji",
    ):
        assert text in page, text
    assert "SPDEM-HAQJQ-D6E20" not in page and "•••••-•••••-•6E20" in page
    services = client.get(f"/firmy/{company().id}/uslugi").data.decode()
    assert "Kursy walut" in services and "włączona" in services and "e-Dokumenty" in services


def test_a_member_sees_licences_but_cannot_act(app, client, anna, staff):
    lic = issue(app)
    bob = member(app)
    page = bob.client.get(f"/firmy/{company().id}/licencje")
    assert page.status_code == 200 and numbers.masked(lic.number) in page.data.decode()
    assert "Wypróbuj Łącznik API" not in page.data.decode()
    trial = bob.client.post(f"/firmy/{company().id}/licencje/{lic.id}/proba", data={"produkt": "lacznik"})
    assert trial.status_code == 403
    assert "Wypróbuj Łącznik API przez 15 dni" in client.get(f"/firmy/{company().id}/licencje").data.decode()


def test_a_trial_is_used_once_and_never_again(app, client, anna, staff):
    lic = issue(app)
    path = f"/firmy/{company().id}/licencje/{lic.id}/proba"
    assert client.post(path, data={"produkt": "lacznik"}).status_code == 303
    page = client.get(f"/firmy/{company().id}/licencje").data.decode()
    until = date_text(clock.today() + timedelta(days=14))
    assert f"okres próbny do {until}" in page
    assert client.post(path, data={"produkt": "lacznik"}).status_code == 303  # refused with a message
    clock.travel(timedelta(days=20))
    page = client.get(f"/firmy/{company().id}/licencje").data.decode()
    assert "okres próbny zakończony" in page
    # Ended (even removed by staff): still never again.
    ext = lic.extensions[0] if False else None
    with in_request(app):
        ext = LicenceExtension.get(LicenceExtension.licence == lic.id)
        flow.end_extension(people(app, "obsluga@example.com"), lic.id, ext.id)
        with pytest.raises(Refused) as refused:
            flow.start_trial(people(app, "anna@example.com"), company(), lic.id, "lacznik")
    assert refused.value.code == "TRIAL_USED"
    page = client.get(f"/firmy/{company().id}/licencje").data.decode()
    assert "Okres próbny Łącznik API został już wykorzystany" in page and "Wypróbuj" not in page
    with database.connection_context():
        assert TrialUse.select().count() == 1


def test_suspension_shows_the_reason_to_the_customer(app, client, anna, staff):
    lic = issue(app)
    with in_request(app):
        flow.change_status(people(app, "obsluga@example.com"), lic.id, "suspend", "Brak wpłaty za fakturę 12/2026")
    page = client.get(f"/firmy/{company().id}/licencje").data.decode()
    assert "zawieszona" in page and "Brak wpłaty za fakturę 12/2026" in page
    assert "Zmiana licencji: zawieszona" in mails_to("anna@example.com")[0].subject


def test_licences_issued_before_the_company_is_added_appear_when_it_is(app, journey, staff):
    lic = issue(app, tax_id="PL6770002009", program="ksiegi/pro", stations=3)
    journey.signed_up()
    journey.add_company("6770002009")
    page = journey.client.get(f"/firmy/{company('PL6770002009').id}/licencje").data.decode()
    assert "Kontor Księgi" in page and numbers.masked(lic.number) in page


# --- installations (the program side of issue 13, through the flows) -----------------------


def test_registration_release_and_the_station_rule(app, client, anna, staff):
    lic = issue(app, program="sprzedaz/start", stations=1)
    with in_request(app):
        a = people(app, "anna@example.com")
        first = flow.request_registration(a, company(), numbers.display(lic.number), "inst-1", "KASA")
        again = flow.request_registration(a, company(), lic.number, "inst-1", "KASA")
        assert again.id == first.id  # the program asking twice: one registration
        second = flow.request_registration(a, company(), lic.number, "inst-2", "BIURO")
        staff_user = people(app, "obsluga@example.com")
        flow.decide_registration(staff_user, first.id, True)
        with pytest.raises(Refused) as full:
            flow.decide_registration(staff_user, second.id, True)
        assert full.value.code == "TOO_MANY_INSTALLATIONS"
        with pytest.raises(Refused) as full:
            flow.request_registration(a, company(), lic.number, "inst-3", "MAGAZYN")
        assert full.value.code == "TOO_MANY_INSTALLATIONS"
        with pytest.raises(Refused) as bad:
            flow.request_registration(a, company(), "SPDEM-HAQJQ-D6E21", "inst-4", "X")
        assert bad.value.code == "INVALID_NUMBER"
    page = client.get(f"/firmy/{company().id}/licencje").data.decode()
    assert "zajęte 1 z 1" in page and "KASA" in page and "BIURO" in page
    release = client.post(f"/firmy/{company().id}/licencje/{lic.id}/stanowiska/{first.id}/zwolnij")
    assert release.status_code == 303
    with in_request(app):
        assert flow.decide_registration(staff_user, second.id, True).status == "active"
    assert "Rejestracja licencji przyjęta" in [m.subject for m in mails_to("anna@example.com")]


def test_a_plain_member_cannot_register_and_a_stranger_cannot_see(app, anna, staff):
    lic = issue(app)
    member(app)
    with in_request(app):
        with pytest.raises(Refused) as refused:
            flow.request_registration(people(app, "bob@example.com"), company(), lic.number, "i", "PC")
        assert refused.value.status == 403
    eve = Journey(app.test_client())
    eve.signed_up(email="eve@example.com")
    with in_request(app):
        with pytest.raises(Refused) as refused:
            flow.request_registration(people(app, "eve@example.com"), company(), lic.number, "i", "PC")
        assert refused.value.status == 404


# --- services -------------------------------------------------------------------------------


def test_a_service_is_turned_on_with_its_terms_and_off(app, client, anna, staff):
    issue(app, program="sprzedaz/standard", stations=3)
    cid = company().id
    page = client.get(f"/firmy/{cid}/uslugi").data.decode()
    assert "KSeF" in page and "Bankowość internetowa" in page and "e-Dokumenty" not in page
    refused = client.post(f"/firmy/{cid}/uslugi/ksef", data={"akcja": "wlacz", "version": "2026-11-01"})
    assert refused.status_code == 422 and "zaakceptuj jej regulamin" in refused.data.decode()
    stale = client.post(f"/firmy/{cid}/uslugi/ksef", data={"akcja": "wlacz", "accept": "y", "version": "2020-01-01"})
    assert stale.status_code == 422 and "zmienił się" in stale.data.decode()
    on = client.post(f"/firmy/{cid}/uslugi/ksef", data={"akcja": "wlacz", "accept": "y", "version": "2026-11-01"})
    assert on.status_code == 303
    with database.connection_context():
        row = CompanyService.get()
        assert row.enabled and row.terms_version == "2026-11-01"
        acceptance = ServiceTermsAcceptance.get()
        assert acceptance.version == "2026-11-01" and acceptance.user_id == people(app, "anna@example.com").id
    assert "Zaakceptowany regulamin: wersja z 2026-11-01" in client.get(f"/firmy/{cid}/uslugi").data.decode()
    # A new version of the terms: the service asks for acceptance again.
    with database.connection_context():
        Service.update(terms_version="2027-02-01").where(Service.code == "ksef").execute()
    assert "nowy regulamin do akceptacji" in client.get(f"/firmy/{cid}/uslugi").data.decode()
    assert client.post(f"/firmy/{cid}/uslugi/ksef", data={"akcja": "wylacz"}).status_code == 303
    with database.connection_context():
        assert CompanyService.get().enabled is False
    bob = member(app)
    assert bob.client.post(f"/firmy/{cid}/uslugi/ksef", data={"akcja": "wylacz"}).status_code == 403
    assert bob.client.get(f"/firmy/{cid}/uslugi").status_code == 200
    # Not included in any licence: refused.
    assert (
        client.post(
            f"/firmy/{cid}/uslugi/e-dokumenty", data={"akcja": "wlacz", "accept": "y", "version": "2026-11-01"}
        ).status_code
        == 422
    )
    assert client.get("/uslugi/ksef/regulamin").status_code == 200


def test_a_suspended_licence_takes_its_services_away(app, client, anna, staff):
    lic = issue(app, program="sprzedaz/standard", stations=3)
    cid = company().id
    client.post(f"/firmy/{cid}/uslugi/ksef", data={"akcja": "wlacz", "accept": "y", "version": "2026-11-01"})
    with in_request(app):
        flow.change_status(people(app, "obsluga@example.com"), lic.id, "suspend", "Test")
    assert "niedostępna: żadna aktywna licencja jej nie obejmuje" in client.get(f"/firmy/{cid}/uslugi").data.decode()


# --- Abonament notices ----------------------------------------------------------------------


def notice_mails():
    with database.connection_context():
        return [m.subject for m in Email.select().where(Email.subject.contains("Abonament")).order_by(Email.id)]


def test_notices_30_7_and_0_days_before_exactly_once_each(app, client, anna, staff):
    end = clock.today() + timedelta(days=40)
    lic = issue(app, abonament_until=end)
    runner = app.test_cli_runner()
    start = clock.today()

    def walk(first, last):
        for offset in range(first, last + 1):
            day = start + timedelta(days=offset)
            clock.travel(timedelta(days=offset))
            # Cron and the app's own runner, each twice on every day.
            for _ in range(2):
                assert runner.invoke(args=["licences", "notify", "--date", day.isoformat()]).exit_code == 0
                with in_request(app):
                    app.extensions["konto_licence_notices"].last = 0
                    app.extensions["konto_licence_notices"].maybe_run()

    walk(0, 45)
    subjects = notice_mails()
    assert subjects == [
        "Abonament firmy PRZYKŁADOWA SPÓŁKA HANDLOWA SPÓŁKA Z OGRANICZONĄ ODPOWIEDZIALNOŚCIĄ kończy się za 30 dni",
        "Abonament firmy PRZYKŁADOWA SPÓŁKA HANDLOWA SPÓŁKA Z OGRANICZONĄ ODPOWIEDZIALNOŚCIĄ kończy się za 7 dni",
        "Abonament firmy PRZYKŁADOWA SPÓŁKA HANDLOWA SPÓŁKA Z OGRANICZONĄ ODPOWIEDZIALNOŚCIĄ kończy się dziś",
    ]
    with database.connection_context():
        marks = [(n.mark, n.ends_on) for n in AbonamentNotice.select().order_by(AbonamentNotice.id)]
    assert marks == [(30, end), (7, end), (0, end)]
    # The same days again (the clock moved back, a re-run): nothing more.
    walk(0, 45)
    assert len(notice_mails()) == 3
    # Renewed for a year: the marks come again for the new date, once each.
    with in_request(app):
        flow.renew_abonament(people(app, "obsluga@example.com"), lic.id, end + timedelta(days=365))
    walk(45 + 300, 45 + 370)
    walk(45 + 300, 45 + 370)
    assert len(notice_mails()) == 6
    message = mails_to("anna@example.com")[0]
    assert "kończy się Abonament" in message.text_body or "dziś kończy się Abonament" in message.text_body
    assert "http://konto.test/firmy/" in message.text_body


def test_a_missed_mark_sends_only_the_latest_due_and_nobody_outside_the_portal(app, anna, staff):
    issue(app, abonament_until=clock.today() + timedelta(days=5))
    issue(app, tax_id="PL9720005007", abonament_until=clock.today() + timedelta(days=5))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["licences", "notify"])
    assert result.exit_code == 0 and "powiadomienia: 1" in result.output
    assert notice_mails() == [
        "Abonament firmy PRZYKŁADOWA SPÓŁKA HANDLOWA SPÓŁKA Z OGRANICZONĄ ODPOWIEDZIALNOŚCIĄ kończy się za 7 dni"
    ]


# --- Odzyskaj uprawnienia administratora ----------------------------------------------------


@pytest.fixture
def claim_setup(app, anna, staff):
    """anna is the administrator; bob, a plain member, wants the rights; the company has a licence."""
    lic = issue(app)
    bob = member(app)
    return lic, bob


def post_claim(client, cid, number, content=PDF, name="oswiadczenie.pdf", path=None):
    return client.post(
        path or f"/firmy/{cid}/odzyskaj",
        content_type="multipart/form-data",
        data={"number": number, "statement": (io.BytesIO(content), name)},
    )


def upload_files(app):
    folder = app.instance_path and (app.config["UPLOAD_DIR"] or None)
    root = Path(folder or Path(app.instance_path) / "uploads") / "claims"
    return sorted(p.name for p in root.glob("*")) if root.exists() else []


@pytest.fixture
def app(tmp_path):
    application = create_app(make_config(tmp_path, UPLOAD_DIR=str(tmp_path / "uploads")))
    yield application
    database.close()


@pytest.mark.parametrize(
    "content, name, message",
    [
        (b"MZ\x90\x00 not a pdf at all" * 10, "oswiadczenie.pdf", "To nie jest plik PDF"),
        (b"<html>%PDF-1.4 fake</html>", "skan.pdf", "To nie jest plik PDF"),
        (PDF, "../../etc/passwd.pdf", "Nazwa pliku jest nieprawidłowa"),
        (PDF, "..\\..\\windows\\win.ini.pdf", "Nazwa pliku jest nieprawidłowa"),
        (PDF, "oswiadczenie.exe", "Nazwa pliku jest nieprawidłowa"),
        (b"", "pusty.pdf", "Plik jest pusty"),
    ],
)
def test_a_bad_upload_is_refused_cleanly_and_nothing_is_kept(app, claim_setup, content, name, message):
    lic, bob = claim_setup
    response = post_claim(bob.client, company().id, lic.number, content, name)
    assert response.status_code == 422 and message in response.data.decode()
    assert upload_files(app) == []
    with database.connection_context():
        assert AdminClaim.select().count() == 0


def test_an_oversized_upload_is_refused(app, claim_setup):
    lic, bob = claim_setup
    app.config["CLAIM_UPLOAD_MAX"] = 100 * 1024
    padded = PDF[:-6] + b"%" + b"x" * (150 * 1024) + b"\n%%EOF\n"
    response = post_claim(bob.client, company().id, lic.number, padded)
    assert response.status_code == 422 and "Plik jest za duży: najwyżej 0.10 MB" in response.data.decode()
    huge = PDF[:-6] + b"%" + b"x" * (400 * 1024) + b"\n%%EOF\n"
    response = post_claim(bob.client, company().id, lic.number, huge)
    assert response.status_code == 413
    assert upload_files(app) == []
    # Elsewhere the app's own limit (64 KiB) still holds.
    assert bob.client.post(f"/firmy/{company().id}/kontakt", data={"x": "y" * (100 * 1024)}).status_code == 413


def test_a_wrong_licence_number_is_refused(app, claim_setup, staff):
    lic, bob = claim_setup
    other = issue(app, tax_id="PL9720005007")
    for number, message in (
        (numbers.display(other.number), "nie jest numerem licencji tej firmy"),
        (lic.number[:-1] + ("0" if lic.number[-1] != "0" else "1"), "znak kontrolny"),
    ):
        response = post_claim(bob.client, company().id, number)
        assert response.status_code == 422 and message in response.data.decode()
    assert upload_files(app) == []


def test_the_claim_from_filing_to_approval(app, client, claim_setup, staff):
    lic, bob = claim_setup
    cid = company().id
    response = post_claim(bob.client, cid, numbers.display(lic.number).lower())
    assert response.status_code == 200 and "Wniosek wysłany" in response.data.decode()
    [stored] = upload_files(app)
    assert stored.endswith(".pdf") and "oswiadczenie" not in stored
    told = mails_to("anna@example.com")[0]
    assert "Wniosek o uprawnienia administratora" in told.subject and "72 godzin" in told.text_body
    assert f"/firmy/{cid}/wnioski" in told.text_body
    assert "Przyjęliśmy Twój wniosek" in mails_to("bob@example.com")[0].subject
    # A second claim while this one waits: refused.
    assert "już czeka" in post_claim(bob.client, cid, lic.number).data.decode()
    with database.connection_context():
        claim = AdminClaim.get()
    # The statement: staff only.
    pdf_path = f"/obsluga/wnioski/{claim.id}/oswiadczenie.pdf"
    assert bob.client.get(pdf_path).status_code == 404 and client.get(pdf_path).status_code == 404
    with staff.client.get(pdf_path) as download:
        assert download.status_code == 200 and download.data == PDF
        assert download.headers["Content-Disposition"].startswith("attachment")
        assert "sandbox" in download.headers["Content-Security-Policy"]
    # Too early: the administrators still have time to object.
    early = staff.client.post(f"/obsluga/wnioski/{claim.id}", data={"decyzja": "accept"})
    assert early.status_code == 409 and "czas na sprzeciw" in early.data.decode()
    clock.travel(timedelta(hours=73))
    # Too late to object now.
    client.post(f"/firmy/{cid}/wnioski/{claim.id}/sprzeciw")
    with database.connection_context():
        assert AdminClaim.get().objected_at is None
    confirm_staff(staff)
    approved = staff.client.post(f"/obsluga/wnioski/{claim.id}", data={"decyzja": "accept"})
    assert approved.status_code == 303
    with database.connection_context():
        assert Membership.get(Membership.user == people(app, "bob@example.com").id).role == "admin"
        assert AdminClaim.get().status == "approved"
        # In the company's own history of its people, as every change of a role.
        assert MembershipEvent.get(MembershipEvent.event == "claim_approved").subject == "bob@example.com"
    assert "przyjęty" in mails_to("bob@example.com")[0].subject
    assert "Nowy administrator" in mails_to("anna@example.com")[0].subject
    assert bob.client.post(f"/firmy/{cid}/licencje/{lic.id}/proba", data={"produkt": "lacznik"}).status_code == 303


def test_an_objection_stops_approval_and_rejection_needs_a_reason(app, client, claim_setup, staff):
    lic, bob = claim_setup
    cid = company().id
    post_claim(bob.client, cid, lic.number)
    with database.connection_context():
        claim = AdminClaim.get()
    assert bob.client.post(f"/firmy/{cid}/wnioski/{claim.id}/sprzeciw").status_code == 403
    assert client.post(f"/firmy/{cid}/wnioski/{claim.id}/sprzeciw").status_code == 303
    clock.travel(timedelta(hours=80))
    confirm_staff(staff)
    refused = staff.client.post(f"/obsluga/wnioski/{claim.id}", data={"decyzja": "accept"})
    assert refused.status_code == 409 and "sprzeciw" in refused.data.decode()
    no_reason = staff.client.post(f"/obsluga/wnioski/{claim.id}", data={"decyzja": "reject"})
    assert no_reason.status_code == 422 and "Podaj powód" in no_reason.data.decode()
    rejected = staff.client.post(
        f"/obsluga/wnioski/{claim.id}", data={"decyzja": "reject", "reason": "Sprzeciw prezesa"}
    )
    assert rejected.status_code == 303
    message = mails_to("bob@example.com")[0]
    assert "odrzucony" in message.subject and "Sprzeciw prezesa" in message.text_body
    with database.connection_context():
        assert Membership.get(Membership.user == people(app, "bob@example.com").id).role == "member"


def test_a_decided_claims_statement_is_deleted_after_the_retention_and_the_claim_stays(app, claim_setup, staff):
    lic, bob = claim_setup
    cid = company().id
    post_claim(bob.client, cid, lic.number)
    with database.connection_context():
        decided = AdminClaim.get()
    assert staff.client.post(f"/obsluga/wnioski/{decided.id}",
                             data={"decyzja": "reject", "reason": "Podpis nieczytelny"}).status_code == 303
    post_claim(bob.client, cid, lic.number)  # a new claim, waiting
    with database.connection_context():
        waiting = AdminClaim.get(AdminClaim.status == "pending")
    folder = Path(app.config["UPLOAD_DIR"]) / "claims"
    # A file no claim holds (its claim went with the account), two days old; and one just written.
    orphan, fresh = folder / ("O" * 32 + ".pdf"), folder / ("F" * 32 + ".pdf")
    orphan.write_bytes(PDF)
    fresh.write_bytes(PDF)
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(orphan, (two_days_ago, two_days_ago))
    assert upload_files(app) == sorted([decided.stored_name, waiting.stored_name, orphan.name, fresh.name])

    def purge():
        result = app.test_cli_runner().invoke(args=["accounts", "purge"])
        assert result.exit_code == 0, result.output
        return result.output

    clock.travel(timedelta(days=89))  # CLAIM_FILE_RETENTION is 90 days after the decision
    assert "pliki wniosków: 1" in purge()  # only the orphan
    assert upload_files(app) == sorted([decided.stored_name, waiting.stored_name, fresh.name])
    clock.travel(timedelta(days=91))
    assert "pliki wniosków: 1" in purge()
    assert upload_files(app) == sorted([waiting.stored_name, fresh.name])  # a waiting claim's file stays
    with database.connection_context():
        kept = AdminClaim.get_by_id(decided.id)
        assert kept.status == "rejected" and kept.original_name == "oswiadczenie.pdf" and kept.file_deleted_at
        assert AdminClaim.get_by_id(waiting.id).file_deleted_at is None
    assert "pliki wniosków: 0" in purge()  # nothing twice
    # The back office says so, instead of a link to a file that is gone.
    confirm_staff(staff)
    page = staff.client.get(f"/obsluga/wnioski/{decided.id}").data.decode()
    assert "Plik usunięty" in page and "przechowywane 90 dni od decyzji" in page and "oswiadczenie.pdf" in page
    assert f"/obsluga/wnioski/{decided.id}/oswiadczenie.pdf" not in page
    assert staff.client.get(f"/obsluga/wnioski/{decided.id}/oswiadczenie.pdf").status_code == 404
    waiting_page = staff.client.get(f"/obsluga/wnioski/{waiting.id}").data.decode()
    assert f"/obsluga/wnioski/{waiting.id}/oswiadczenie.pdf" in waiting_page and "Plik usunięty" not in waiting_page


def test_a_company_without_administrators_can_be_claimed_at_once_from_the_wizard(app, client, anna, staff):
    lic = issue(app)
    with database.connection_context():
        Membership.update(role="member").execute()  # the administrator is gone
    carol = Journey(app.test_client())
    carol.signed_up(email="carol@example.com")
    step1 = carol.client.post("/firmy/dodaj", data={"number": COMPANY})
    key = step1.headers["Location"].split("/")[3]
    preview = carol.client.get(step1.headers["Location"]).data.decode()
    assert f"/firmy/dodaj/{key}/odzyskaj" in preview
    assert post_claim(carol.client, None, lic.number, path=f"/firmy/dodaj/{key}/odzyskaj").status_code == 200
    with database.connection_context():
        claim = AdminClaim.get()
    assert claim.admins_told == 0
    assert staff.client.post(f"/obsluga/wnioski/{claim.id}", data={"decyzja": "accept"}).status_code == 303
    with database.connection_context():
        carol_user = people(app, "carol@example.com")
        assert Membership.get(Membership.user == carol_user.id).role == "admin"
        assert User.get_by_id(carol_user.id).active_company_id == company().id  # joined like any member
    assert carol.client.get(f"/firmy/{company().id}/licencje").status_code == 200


def test_an_administrator_cannot_claim(app, client, claim_setup):
    response = client.get(f"/firmy/{company().id}/odzyskaj")
    assert response.status_code == 302


def test_date_helpers_in_the_notice_window():
    assert [due_mark(d) for d in (31, 30, 8, 7, 1, 0, -1, -30, -31)] == [None, 30, 30, 7, 7, 0, 0, 0, None]
    assert date(2026, 1, 1)  # keeps the import honest for readers: dates are calendar days


def test_installation_ids_are_checked(app, anna, staff):
    lic = issue(app)
    with in_request(app):
        a = people(app, "anna@example.com")
        for bad in ("", "x" * 65, "a b", "<script>"):
            with pytest.raises(Refused) as refused:
                flow.request_registration(a, company(), lic.number, bad, "PC")
            assert refused.value.code == "INVALID_INSTALLATION_ID"
        with pytest.raises(Refused):
            flow.request_registration(a, company(), lic.number, "ok", "")
        row = flow.request_registration(a, company(), lic.number, "ok", "PC\r\nBcc: x")
        assert row.machine_name == "PC  Bcc: x"
    with database.connection_context():
        assert Installation.select().count() == 1


def test_the_demo_command_seeds_once_and_prints_a_staff_account_with_its_app(app, tmp_path, clock):
    app.instance_path = str(tmp_path / "instance")
    runner = app.test_cli_runner()
    first = runner.invoke(args=["licences", "demo"])
    assert first.exit_code == 0, first.output
    assert "Licencje demonstracyjne: 12 nowych." in first.output
    password = (tmp_path / "instance" / "demo_staff_password").read_text().strip()
    secret = (tmp_path / "instance" / "demo_staff_totp").read_text().strip()
    assert f"e-mail: obsluga@konto.localhost  hasło: {password}" in first.output
    assert f"z kluczem {factors.grouped(secret)}" in first.output
    for name in ("demo_staff_password", "demo_staff_totp"):
        assert oct((tmp_path / "instance" / name).stat().st_mode & 0o777) == "0o600"
    # The printed command prints the code an app with that key shows now.
    command = re.search(r'bieżący kod: \.venv/bin/python -c "([^"]+)"', first.output).group(1)
    printed = subprocess.run([sys.executable, "-c", command], capture_output=True, text=True, check=True).stdout
    now = factors.current_step(time.time())
    assert printed.strip() in {factors.code_at(secret, now + step) for step in (-1, 0, 1)}
    again = runner.invoke(args=["licences", "demo"])
    assert "0 nowych" in again.output and password in again.output and factors.grouped(secret) in again.output
    # A newcomer gets in with what was printed: the password, the app's code, then both again.
    staff = Journey(app.test_client())
    assert staff.login(email="obsluga@konto.localhost", password=password).headers["Location"] == (
        "/logowanie/weryfikacja")
    assert staff.second_step(app_code(secret, clock)).status_code == 303
    assert staff.client.get("/obsluga/").status_code == 302  # the back office: the password and a code again
    clock.advance(30)
    confirmed = staff.client.post("/obsluga/potwierdz", data={"password": password, "code": app_code(secret, clock)})
    assert confirmed.status_code == 303
    assert staff.client.get("/obsluga/").status_code == 200
    # Another app set up in the account meanwhile: the demo puts the printed one back.
    with in_request(app):
        ola = User.get(User.email == "obsluga@konto.localhost")
        TotpCredential.update(secret=factors.encrypt(factors.new_totp_secret())).where(
            TotpCredential.user == ola.id).execute()
    runner.invoke(args=["licences", "demo"])
    with in_request(app):
        assert factors.decrypt(TotpCredential.get(TotpCredential.user == ola.id).secret) == secret
    app.config["MAIL_SERVER"] = "smtp.example.com"
    app.config["DEMO_MAIL"] = False
    refused = runner.invoke(args=["licences", "demo"])
    assert refused.exit_code == 1 and "tylko w trybie demo" in refused.output
