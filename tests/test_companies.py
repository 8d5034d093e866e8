"""The "Dodaj firmę" wizard: lookup, preview, statement, and the rules that guard companies."""

import threading

import pytest

from konto.db import database
from konto.models import AccessRequest
from konto.models import Company
from konto.models import CompanyDraft
from konto.models import Invitation
from konto.models import Membership
from konto.models import Passkey
from konto.models import ProgramConnection
from konto.models import RegistryCache
from konto.models import User
from konto.models import UserSession
from konto.registry import demo
from konto.registry.base import CompanyData
from konto.registry.base import LookupResult
from tests.helpers import Journey
from tests.helpers import count
from tests.helpers import mails_to
from tests.licence_helpers import licence_objects
from tests.licence_helpers import licence_routes
from tests.program_helpers import connected
from tests.program_helpers import program_routes

LEGAL_PERSON = "PL5250001003"
SOLE_PROPRIETOR = "6770002009"
NOT_FOUND = "PL1130010003"
OUTAGE = "PL7010011003"
ENDED = "PL5830006000"
SUSPENDED = "PL8990007004"
NAMELESS_DE = "DE123456788"


@pytest.fixture
def anna(journey):
    journey.signed_up()
    return journey


def step1(client, number, htmx=False, follow=False):
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post("/firmy/dodaj", data={"number": number}, headers=headers, follow_redirects=follow)


@pytest.mark.parametrize(
    "typed", ["525-000-10-03", "525 000 10 03", "PL5250001003", "pl 525-000-10-03", " 5250001003 "]
)
def test_nip_in_any_usual_spelling_reaches_the_preview(client, anna, typed):
    response = step1(client, typed)
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).data.decode()
    assert "PRZYKŁADOWA SPÓŁKA HANDLOWA" in page
    assert "140000000" in page and "0000123456" in page
    assert "dane demonstracyjne" in page
    assert "Przejdź dalej" in page


@pytest.mark.parametrize(
    "typed, message",
    [
        ("5250001004", "cyfra kontrolna"),
        ("12345", "NIP ma 10 cyfr"),
        ("XX123456789", "nie jest kodem kraju"),
        ("DE12345678", "nie jest poprawny numer VAT dla kraju DE"),
        ("", "Podaj NIP"),
        ("9" * 41, "za długi"),
    ],
)
def test_bad_number_gets_inline_error_and_no_registry_call(client, anna, typed, message):
    response = step1(client, typed)
    assert response.status_code == 422
    assert message in response.data.decode()
    assert count(RegistryCache) == 0
    assert count(CompanyDraft) == 0


def test_not_found_keeps_the_number_in_the_field(client, anna):
    response = step1(client, NOT_FOUND)
    assert response.status_code == 422
    page = response.data.decode()
    assert "W rejestrze nie ma firmy" in page
    assert f'value="{NOT_FOUND}"' in page


def test_outage_offers_retry_and_manual_entry_marked_unverified(client, anna):
    response = step1(client, OUTAGE)
    assert response.status_code == 503
    page = response.data.decode()
    assert "Rejestr jest chwilowo niedostępny" in page
    assert "Spróbuj ponownie" in page
    with database.connection_context():
        key = CompanyDraft.get(CompanyDraft.tax_id == OUTAGE).key
    assert f"/firmy/dodaj/{key}/reczne" in page
    assert count(RegistryCache) == 0  # an outage is never cached
    manual = client.post(
        f"/firmy/dodaj/{key}/reczne",
        data={"name": "Moja Firma", "building": "1", "postal_code": "00-001", "city": "Warszawa"},
    )
    assert manual.status_code == 303
    preview = client.get(manual.headers["Location"]).data.decode()
    assert "wpisane ręcznie" in preview and "niezweryfikowana" in preview
    done = client.post(
        manual.headers["Location"].replace("/dane", "/oswiadczenie"),
        data={"statement": "y", "by_email": "y", "contact_email": "anna@example.com"},
    )
    assert done.status_code == 303
    with database.connection_context():
        company = Company.get(Company.tax_id == "PL7010011003")
    assert company.verified is False and company.source == "manual" and company.name == "Moja Firma"


def test_ended_activity_is_shown_and_refused(client, anna):
    response = step1(client, ENDED)
    preview = client.get(response.headers["Location"]).data.decode()
    assert "działalność zakończona" in preview and "2023-06-30" in preview
    assert "Tej firmy nie można dodać" in preview
    statement = response.headers["Location"].replace("/dane", "/oswiadczenie")
    forced = client.post(statement, data={"statement": "y", "by_email": "y", "contact_email": "anna@example.com"})
    assert forced.status_code == 302
    assert count(Company) == 0


def test_suspended_company_can_be_added_with_a_warning(client, anna):
    response = step1(client, SUSPENDED)
    preview = client.get(response.headers["Location"]).data.decode()
    assert "działalność zawieszona" in preview and "2025-01-15" in preview


def test_foreign_vat_without_name_asks_for_it(client, anna):
    response = step1(client, NAMELESS_DE)
    preview_url = response.headers["Location"]
    page = client.get(preview_url).data.decode()
    assert "nie podaje nazwy ani adresu" in page
    assert client.post(preview_url, data={"name": ""}).status_code == 422
    typed = client.post(
        preview_url,
        data={"name": "Beispiel GmbH", "street": "Hauptstr.", "building": "5", "postal_code": "10115",
              "city": "Berlin"},
    )
    assert typed.status_code == 303
    done = client.post(
        typed.headers["Location"], data={"statement": "y", "by_email": "y", "contact_email": "anna@example.com"}
    )
    assert done.status_code == 303
    with database.connection_context():
        company = Company.get(Company.tax_id == "DE123456788")
    assert company.name == "Beispiel GmbH" and company.country == "DE" and company.city == "Berlin"


def test_adding_a_company_makes_the_user_its_admin_and_puts_it_in_the_top_bar(client, anna):
    response = anna.add_company(LEGAL_PERSON)
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).data.decode()
    assert "została dodana." in page
    assert 'id="current-company"' in page
    assert "PRZYKŁADOWA SPÓŁKA HANDLOWA" in page.split('id="current-company"')[1][:400]
    with database.connection_context():
        membership = Membership.get()
    assert membership.role == "admin"
    assert membership.statement_version == "2026-11-01"
    assert membership.contact_email == "anna@example.com"
    assert mails_to("anna@example.com")[0].subject.startswith("Jesteś administratorem firmy")


def test_statement_is_required_and_at_least_one_contact_form(client, anna):
    response = step1(client, LEGAL_PERSON)
    statement = response.headers["Location"].replace("/dane", "/oswiadczenie")
    no_statement = client.post(statement, data={"by_email": "y", "contact_email": "anna@example.com"})
    assert no_statement.status_code == 422 and "potwierdź oświadczenie" in no_statement.data.decode()
    no_contact = client.post(statement, data={"statement": "y"})
    assert no_contact.status_code == 422 and "co najmniej jedną formę kontaktu" in no_contact.data.decode()
    bad_phone = client.post(statement, data={"statement": "y", "by_sms": "y", "phone": "123"})
    assert bad_phone.status_code == 422 and "numer telefonu" in bad_phone.data.decode()
    assert count(Company) == 0
    ok = client.post(statement, data={"statement": "y", "by_sms": "y", "phone": "601 234 567"})
    assert ok.status_code == 303
    with database.connection_context():
        membership = Membership.get()
    assert membership.contact_phone == "+48601234567" and membership.contact_sms and membership.contact_email is None


def test_forged_post_cannot_change_the_registry_data(client, anna):
    response = step1(client, LEGAL_PERSON)
    statement = response.headers["Location"].replace("/dane", "/oswiadczenie")
    client.post(
        statement,
        data={"statement": "y", "by_email": "y", "contact_email": "anna@example.com", "name": "FAŁSZYWA",
              "regon": "000000000", "tax_id": "PL6770002009"},
    )
    with database.connection_context():
        company = Company.get()
    assert company.name.startswith("PRZYKŁADOWA") and company.regon == "140000000" and company.tax_id == LEGAL_PERSON


def test_a_company_already_on_the_account_links_to_it(client, anna):
    anna.add_company(LEGAL_PERSON)
    response = step1(client, "525-000-10-03")
    assert response.status_code == 422
    assert "Ta firma jest już na Twoim koncie" in response.data.decode()


def test_double_submit_of_the_last_step_adds_one_company(client, anna):
    response = step1(client, LEGAL_PERSON)
    statement = response.headers["Location"].replace("/dane", "/oswiadczenie")
    data = {"statement": "y", "by_email": "y", "contact_email": "anna@example.com"}
    first = client.post(statement, data=data)
    second = client.post(statement, data=data)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]  # the late click lands on the company too
    assert count(Company) == 1 and count(Membership) == 1
    back = client.get(response.headers["Location"])  # the back button to step 2
    assert back.status_code == 302 and back.headers["Location"] == first.headers["Location"]


def test_parallel_submits_from_two_tabs_add_one_company_and_one_membership(app, anna):
    cookie = anna.client.get_cookie("session").value
    drafts = []
    for _ in range(8):  # eight tabs, each through steps 1-2
        response = step1(anna.client, LEGAL_PERSON)
        drafts.append(response.headers["Location"].replace("/dane", "/oswiadczenie"))
    statuses = []
    barrier = threading.Barrier(len(drafts) * 2)

    def submit(path):
        tab = app.test_client()
        tab.set_cookie("session", cookie)
        barrier.wait()
        response = tab.post(path, data={"statement": "y", "by_email": "y", "contact_email": "anna@example.com"})
        statuses.append(response.status_code)

    threads = [threading.Thread(target=submit, args=(path,)) for path in drafts * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert all(status in (302, 303) for status in statuses), statuses
    assert 500 not in statuses
    assert count(Company) == 1 and count(Membership) == 1


def test_two_accounts_racing_for_one_company_give_it_one_admin(app, tmp_path):
    clients = []
    for n in range(6):
        journey = Journey(app.test_client())
        journey.signed_up(email=f"user{n}@example.com")
        response = step1(journey.client, LEGAL_PERSON)
        clients.append((journey.client, response.headers["Location"].replace("/dane", "/oswiadczenie"), n))
    barrier = threading.Barrier(len(clients))
    statuses = []

    def submit(client, path, n):
        barrier.wait()
        statuses.append(
            client.post(
                path, data={"statement": "y", "by_email": "y", "contact_email": f"user{n}@example.com"}
            ).status_code
        )

    threads = [threading.Thread(target=submit, args=args) for args in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert 500 not in statuses
    assert count(Company) == 1
    assert count(Membership, Membership.role == "admin") == 1


def test_company_of_another_account_shows_no_data_and_offers_access_request(app, client, anna):
    anna.add_company(LEGAL_PERSON)
    company_id = Company.select().get().id
    bob = Journey(app.test_client())
    bob.signed_up(email="bob@example.com")
    response = step1(bob.client, LEGAL_PERSON)
    preview = bob.client.get(response.headers["Location"]).data.decode()
    assert "Poproś o dostęp" in preview
    assert "anna@example.com" not in preview  # nothing about who administers it
    assert bob.client.get(f"/firmy/{company_id}").status_code == 404
    statement = response.headers["Location"].replace("/dane", "/oswiadczenie")
    data = {"statement": "y", "by_email": "y", "contact_email": "bob@example.com"}
    assert bob.client.post(statement, data=data).status_code == 302
    request_url = response.headers["Location"].replace("/dane", "/dostep")
    sent = bob.client.post(request_url)
    assert sent.status_code == 200 and "Prośba o dostęp wysłana" in sent.data.decode()
    bob.client.post(request_url)  # twice: still one request
    assert count(AccessRequest) == 1
    assert mails_to("anna@example.com")[0].subject.startswith("Prośba o dostęp")

    page = client.get(f"/firmy/{company_id}").data.decode()
    assert "bob@example.com" in page
    access_id = AccessRequest.select().get().id
    # Bob cannot decide his own request.
    assert bob.client.post(f"/firmy/{company_id}/prosby/{access_id}", data={"decyzja": "accept"}).status_code == 404
    accepted = client.post(f"/firmy/{company_id}/prosby/{access_id}", data={"decyzja": "accept"})
    assert accepted.status_code == 303
    assert bob.client.get(f"/firmy/{company_id}").status_code == 200
    with database.connection_context():
        assert Membership.get(Membership.user == User.get(User.email == "bob@example.com").id).role == "member"
    assert "przyjął" in mails_to("bob@example.com")[0].text_body


def test_declined_access_request_gives_no_membership(app, client, anna):
    anna.add_company(LEGAL_PERSON)
    company_id = Company.select().get().id
    bob = Journey(app.test_client())
    bob.signed_up(email="bob@example.com")
    response = step1(bob.client, LEGAL_PERSON)
    bob.client.post(response.headers["Location"].replace("/dane", "/dostep"))
    access_id = AccessRequest.select().get().id
    client.post(f"/firmy/{company_id}/prosby/{access_id}", data={"decyzja": "decline"})
    assert bob.client.get(f"/firmy/{company_id}").status_code == 404
    assert "odrzucił" in mails_to("bob@example.com")[0].text_body


def test_switching_the_active_company_is_remembered_across_logins(client, anna):
    anna.add_company(LEGAL_PERSON)
    anna.add_company(SOLE_PROPRIETOR)
    with database.connection_context():
        first = Company.get(Company.tax_id == LEGAL_PERSON)
    assert "JAN KOWALSKI" in client.get("/panel").data.decode().split('id="current-company"')[1][:400]
    switched = client.post("/firmy/zmien", data={"company_id": first.id})
    assert switched.status_code == 303
    anna.logout()
    anna.login()
    top = client.get("/panel").data.decode().split('id="current-company"')[1][:400]
    assert "PRZYKŁADOWA" in top


def test_cannot_switch_to_a_company_of_another_account(app, client, anna):
    anna.add_company(LEGAL_PERSON)
    company_id = Company.select().get().id
    bob = Journey(app.test_client())
    bob.signed_up(email="bob@example.com")
    assert bob.client.post("/firmy/zmien", data={"company_id": company_id}).status_code == 404
    assert bob.client.post("/firmy/zmien", data={"company_id": "abc"}).status_code == 404
    with database.connection_context():
        assert User.get(User.email == "bob@example.com").active_company_id is None


def test_company_page_shows_source_and_refreshes_from_registry(client, anna):
    anna.add_company(LEGAL_PERSON)
    company_id = Company.select().get().id
    page = client.get(f"/firmy/{company_id}").data.decode()
    assert "Źródło danych:" in page and "dane demonstracyjne" in page and "Odśwież dane z rejestru" in page
    with database.connection_context():
        Company.update(name="STARA NAZWA").execute()
    response = client.post(f"/firmy/{company_id}/odswiez")
    assert response.status_code == 303
    with database.connection_context():
        assert Company.get_by_id(company_id).name.startswith("PRZYKŁADOWA")


def test_contact_forms_are_editable(client, anna):
    anna.add_company(LEGAL_PERSON)
    company_id = Company.select().get().id
    bad = client.post(f"/firmy/{company_id}/kontakt", data={})
    assert bad.status_code == 422
    ok = client.post(f"/firmy/{company_id}/kontakt", data={"by_phone": "y", "phone": "+48 601 234 567"})
    assert ok.status_code == 303
    with database.connection_context():
        membership = Membership.get()
    assert membership.contact_phone == "+48601234567" and membership.contact_email is None


# Routes with a variable part that are not about an object of an account: e-mail links carry
# a signed token instead (checked in test_auth / test_account), and the demo mailbox exists
# only without SMTP and shows the demo's own outbox to whoever runs it.
# The invitation link (/zaproszenie/<token>) carries a random token stored only as its hash;
# what it shows to whom is checked in test_users.
NOT_OBJECT_ROUTES = {
    "/aktywacja/<token>", "/haslo/nowe/<token>", "/konto/email/potwierdz/<token>", "/konto/email/cofnij/<token>",
    "/poczta/<int:message_id>", "/poczta/<int:message_id>/html", "/static/<path:filename>", "/zaproszenie/<token>",
    "/uslugi/<code>/regulamin",  # a service's terms: a public document, like the portal's own terms
}


def test_stranger_gets_404_on_every_route_that_takes_an_id(app, client, anna):
    anna.add_company(LEGAL_PERSON)
    company_id = Company.select().get().id
    response = step1(client, SOLE_PROPRIETOR)
    draft_key = response.headers["Location"].split("/")[3]
    client.post(f"/firmy/{company_id}/uzytkownicy/dodaj", data={"email": "bob@example.com"})
    with database.connection_context():
        AccessRequest.create(user=User.get(User.email == "anna@example.com"), company=company_id)
        access_id = AccessRequest.select().get().id
        anna_session = UserSession.get(UserSession.user == User.get(User.email == "anna@example.com").id).id
        member_id = Membership.get().id
        invitation_id = Invitation.get().id
        passkey_id = Passkey.create(user=User.get(User.email == "anna@example.com"), credential_id="a-credential",
                                    public_key="a-key", name="Laptop").id
    ids = licence_objects(company_id)  # licences, claims, the back office: tests/test_staff.py walks them too
    anna_program = connected(app, anna)  # a connection of anna's, to her company
    with database.connection_context():
        connection_id = ProgramConnection.get().id
    eve = Journey(app.test_client())
    eve.signed_up(email="eve@example.com")
    eve.add_company("PL6760003007")
    eve_program = connected(app, eve)  # eve's program, with a token of its own for eve's company
    programs = program_routes(connection_id, company_id, ids["installation_id"])
    eve.reauth()  # so that a recent password is not what stops her
    users = f"/firmy/{company_id}/uzytkownicy"
    routes = {
        **licence_routes(ids, draft_key),
        "/firmy/<int:company_id>/uzytkownicy": [("get", users)],
        "/firmy/<int:company_id>/uzytkownicy/dodaj": [("get", f"{users}/dodaj"), ("post", f"{users}/dodaj")],
        "/firmy/<int:company_id>/uzytkownicy/<int:member_id>/rola": [("post", f"{users}/{member_id}/rola")],
        "/firmy/<int:company_id>/uzytkownicy/<int:member_id>/usun": [
            ("get", f"{users}/{member_id}/usun"), ("post", f"{users}/{member_id}/usun")],
        "/firmy/<int:company_id>/opusc": [
            ("get", f"/firmy/{company_id}/opusc"), ("post", f"/firmy/{company_id}/opusc")],
        "/firmy/<int:company_id>/przekaz": [
            ("get", f"/firmy/{company_id}/przekaz"), ("post", f"/firmy/{company_id}/przekaz")],
        "/firmy/<int:company_id>/zaproszenia/<int:invitation_id>/ponow": [
            ("post", f"/firmy/{company_id}/zaproszenia/{invitation_id}/ponow")],
        "/firmy/<int:company_id>/zaproszenia/<int:invitation_id>/wycofaj": [
            ("post", f"/firmy/{company_id}/zaproszenia/{invitation_id}/wycofaj")],
        "/zaproszenia/<int:invitation_id>": [("get", f"/zaproszenia/{invitation_id}"),
                                             ("post", f"/zaproszenia/{invitation_id}")],
        "/firmy/<int:company_id>": [("get", f"/firmy/{company_id}")],
        "/firmy/<int:company_id>/kontakt": [("post", f"/firmy/{company_id}/kontakt")],
        "/firmy/<int:company_id>/odswiez": [("post", f"/firmy/{company_id}/odswiez")],
        "/firmy/<int:company_id>/prosby/<int:request_id>": [("post", f"/firmy/{company_id}/prosby/{access_id}")],
        "/firmy/dodaj/<key>/dane": [
            ("get", f"/firmy/dodaj/{draft_key}/dane"),
            ("post", f"/firmy/dodaj/{draft_key}/dane"),
        ],
        "/firmy/dodaj/<key>/oswiadczenie": [
            ("get", f"/firmy/dodaj/{draft_key}/oswiadczenie"), ("post", f"/firmy/dodaj/{draft_key}/oswiadczenie")],
        "/firmy/dodaj/<key>/dostep": [("post", f"/firmy/dodaj/{draft_key}/dostep")],
        "/firmy/dodaj/<key>/reczne": [
            ("get", f"/firmy/dodaj/{draft_key}/reczne"), ("post", f"/firmy/dodaj/{draft_key}/reczne")],
        "/konto/sesje/<int:session_id>/zakoncz": [("post", f"/konto/sesje/{anna_session}/zakoncz")],
        "/firmy/<int:company_id>/weryfikacja-dwuetapowa": [("post", f"/firmy/{company_id}/weryfikacja-dwuetapowa")],
        "/konto/weryfikacja-dwuetapowa/klucze/<int:passkey_id>/usun": [
            ("post", f"/konto/weryfikacja-dwuetapowa/klucze/{passkey_id}/usun")],
    }
    for calls in routes.values():
        for method, path in calls:
            data = {"decyzja": "accept", "statement": "y", "rola": "member", "member_id": member_id,
                    "email": "eve@example.com"} if method == "post" else None
            response = getattr(eve.client, method)(path, data=data)
            assert response.status_code == 404, (method, path, response.status_code)
    for calls in programs.values():
        for method, path, by_program in calls:
            if by_program:
                response = getattr(eve_program, method)(path.removeprefix("/api/v1"))
            else:
                response = getattr(eve.client, method)(path)
            assert response.status_code == 404, (method, path, response.status_code)
    assert client.get(f"/firmy/{company_id}").status_code == 200  # anna's session and company are intact
    with database.connection_context():
        assert Passkey.get_by_id(passkey_id).name == "Laptop" and not Company.get_by_id(company_id).require_two_step
        in_company = Membership.select().where(Membership.company == company_id)  # eve has one of her own
        assert in_company.count() == 1 and in_company.get().role == "admin"
        assert Invitation.get().status == "pending" and Invitation.get().send_count == 1
    assert anna_program.get("/companies").status_code == 200  # and her program's connection
    # A new route that takes an id must be added above (or, if it is not about an account's
    # object, to NOT_OBJECT_ROUTES with the reason).
    with_ids = {rule.rule for rule in app.url_map.iter_rules() if "<" in rule.rule}
    assert with_ids - NOT_OBJECT_ROUTES == set(routes) | set(programs)


# What a plain member of a company gets on each of its routes: the administrators' actions are
# refused (403; the older access-request decision answers 404), the rest is theirs too.
MEMBER_GETS = {
    ("get", "/firmy/<int:company_id>"): 200,
    ("post", "/firmy/<int:company_id>/kontakt"): 422,  # their own contact forms (here: an empty form)
    ("post", "/firmy/<int:company_id>/odswiez"): 303,
    ("post", "/firmy/<int:company_id>/prosby/<int:request_id>"): 404,
    ("get", "/firmy/<int:company_id>/uzytkownicy"): 200,
    ("get", "/firmy/<int:company_id>/uzytkownicy/dodaj"): 403,
    ("post", "/firmy/<int:company_id>/uzytkownicy/dodaj"): 403,
    ("post", "/firmy/<int:company_id>/uzytkownicy/<int:member_id>/rola"): 403,
    ("get", "/firmy/<int:company_id>/uzytkownicy/<int:member_id>/usun"): 403,
    ("post", "/firmy/<int:company_id>/uzytkownicy/<int:member_id>/usun"): 403,
    ("get", "/firmy/<int:company_id>/opusc"): 200,  # leaving is theirs (the POST is tested in test_users)
    ("get", "/firmy/<int:company_id>/przekaz"): 403,
    ("post", "/firmy/<int:company_id>/przekaz"): 403,
    ("post", "/firmy/<int:company_id>/zaproszenia/<int:invitation_id>/ponow"): 403,
    ("post", "/firmy/<int:company_id>/zaproszenia/<int:invitation_id>/wycofaj"): 403,
}


def test_a_plain_member_gets_403_or_404_on_every_administrators_route_of_the_company(app, client, anna):
    anna.add_company(LEGAL_PERSON)
    company_id = Company.select().get().id
    bob = Journey(app.test_client())
    bob.signed_up(email="bob@example.com")
    client.post(f"/firmy/{company_id}/uzytkownicy/dodaj", data={"email": "bob@example.com"})
    client.post(f"/firmy/{company_id}/uzytkownicy/dodaj", data={"email": "carol@example.com"})
    with database.connection_context():
        bob_invitation = Invitation.get(Invitation.email == "bob@example.com").id
    assert bob.client.post(f"/zaproszenia/{bob_invitation}", data={"decyzja": "accept"}).status_code == 303
    with database.connection_context():
        anna_user = User.get(User.email == "anna@example.com")
        AccessRequest.create(user=User.create(email="x@example.com", first_name="X", last_name="Y", password_hash="-"),
                             company=company_id)
        ids = {
            "company_id": company_id,
            "member_id": Membership.get(Membership.user == anna_user.id).id,
            "invitation_id": Invitation.get(Invitation.email == "carol@example.com").id,
            "request_id": AccessRequest.get().id,
        }
    for (method, rule), expected in MEMBER_GETS.items():
        path = rule
        for name, value in ids.items():
            path = path.replace(f"<int:{name}>", str(value))
        data = {"decyzja": "accept", "rola": "member", "member_id": ids["member_id"], "email": "eve@example.com"}
        response = getattr(bob.client, method)(path, data=data if method == "post" else None)
        assert response.status_code == expected, (method, path, response.status_code)
    with database.connection_context():
        assert Membership.get(Membership.user == anna_user.id).role == "admin"
        assert Invitation.get(Invitation.email == "carol@example.com").send_count == 1
        assert AccessRequest.get().status == "pending" and Invitation.select().count() == 2
    # Every route of a company in this blueprint is listed above with what a member gets (the
    # licences' and two-step sign-in's company routes have their member cases in test_licences
    # and test_twostep).
    company_rules = {
        (method.lower(), rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/firmy/<int:company_id>") and rule.endpoint.startswith("companies.")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert company_rules - {("post", "/firmy/<int:company_id>/opusc")} == set(MEMBER_GETS)


def test_company_pages_need_login(client):
    for path in ["/firmy/dodaj", "/firmy/1", "/firmy/zmien", "/panel"]:
        response = client.get(path)
        assert response.status_code == 302 and "/logowanie" in response.headers["Location"]


def test_htmx_lookup_swaps_preview_in_place_and_pushes_url(client, anna):
    # A 303 to step 2, followed (as a browser's XHR does) with the HX-Request header kept.
    posted = step1(client, LEGAL_PERSON, htmx=True)
    assert posted.status_code == 303 and posted.headers["Location"].endswith("/dane")
    response = step1(client, LEGAL_PERSON, htmx=True, follow=True)
    assert response.status_code == 200
    assert response.headers["HX-Push-Url"].endswith("/dane")
    body = response.data.decode()
    assert "<html" not in body and "PRZYKŁADOWA" in body and 'aria-current="step"' in body
    assert "HX-Request" in response.headers["Vary"]


def test_htmx_final_step_swaps_the_top_bar_out_of_band(client, anna):
    response = step1(client, LEGAL_PERSON, htmx=True, follow=True)
    statement = response.headers["HX-Push-Url"].replace("/dane", "/oswiadczenie")
    done = client.post(
        statement,
        data={"statement": "y", "by_email": "y", "contact_email": "anna@example.com"},
        headers={"HX-Request": "true"},
        follow_redirects=True,
    )
    assert [r.status_code for r in done.history] == [303]
    assert done.status_code == 200
    body = done.data.decode()
    assert 'id="current-company" class="current-company" hx-swap-oob="true"' in body
    assert 'id="sr-status"' in body and "została dodana." in body
    assert done.headers["HX-Push-Url"].startswith("/firmy/")
    assert "PRZYKŁADOWA" in body.split('id="current-company"')[1].split("</div>")[0]
    assert "została dodana." in body.split('id="sr-status"')[1].split("</div>")[0]  # announced


def test_htmx_company_page_puts_the_active_company_in_the_top_bar(client, anna):
    anna.add_company(LEGAL_PERSON)
    anna.add_company(SOLE_PROPRIETOR)  # the active one now
    with database.connection_context():
        first = Company.get(Company.tax_id == LEGAL_PERSON)
    body = client.get(f"/firmy/{first.id}", headers={"HX-Request": "true"}).data.decode()
    top = body.split('id="current-company"')[1].split("</div>")[0]
    assert "JAN KOWALSKI" in top and "PRZYKŁADOWA" not in top


def test_registry_answer_is_cached_and_not_asked_again(app, client, anna):
    step1(client, LEGAL_PERSON)
    assert count(RegistryCache) == 1
    calls = []
    original = demo.DemoRegistry.lookup
    demo.DemoRegistry.lookup = lambda self, tax_id: calls.append(tax_id) or original(self, tax_id)
    try:
        step1(client, LEGAL_PERSON)
    finally:
        demo.DemoRegistry.lookup = original
    assert calls == []


def test_company_name_typed_by_hand_is_escaped_everywhere(client, anna):
    step1(client, OUTAGE)
    with database.connection_context():
        key = CompanyDraft.get(CompanyDraft.tax_id == OUTAGE).key
    evil = '<script>alert(1)</script><img src=x onerror=alert(2)>'
    manual = client.post(
        f"/firmy/dodaj/{key}/reczne",
        data={"name": evil, "building": "1", "postal_code": "00-001", "city": "Warszawa"},
    )
    done = client.post(
        manual.headers["Location"].replace("/dane", "/oswiadczenie"),
        data={"statement": "y", "by_email": "y", "contact_email": "anna@example.com"},
    )
    for path in [done.headers["Location"], "/panel", "/firmy/zmien"]:
        page = client.get(path).data.decode()
        assert "<script>alert(1)" not in page and "<img src=x" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in mails_to("anna@example.com")[0].html_body


# Manual entry (issue 10, item 5): only as the continuation of a lookup that came back
# "unavailable", bound to its draft, with every rule of the normal path.

TYPED = {"name": "ZMYŚLONA NAZWA", "building": "1", "postal_code": "00-001", "city": "Warszawa"}
STATEMENT = {"statement": "y", "by_email": "y", "contact_email": "anna@example.com"}


def test_manual_entry_is_refused_when_the_registry_answered(client, anna):
    for number in (LEGAL_PERSON, NOT_FOUND, ENDED):
        answer = step1(client, number)
        attempts = [f"/firmy/dodaj/reczne?numer={number}"]
        if answer.status_code == 303:  # a draft of the registry's answer: its key cannot take typed data
            key = answer.headers["Location"].split("/")[3]
            attempts.append(f"/firmy/dodaj/{key}/reczne")
        for path in attempts:
            typed = client.post(path, data=TYPED)
            assert typed.status_code in (302, 404), (path, typed.status_code)
            if typed.status_code == 302 and "/dane" in typed.headers["Location"]:
                client.post(typed.headers["Location"].replace("/dane", "/oswiadczenie"), data=STATEMENT)
    assert count(Company, Company.name == "ZMYŚLONA NAZWA") == 0
    assert count(Company, Company.tax_id << [NOT_FOUND, ENDED]) == 0


def outage_draft(client):
    response = step1(client, OUTAGE)
    assert response.status_code == 503
    with database.connection_context():
        draft = CompanyDraft.get(CompanyDraft.tax_id == OUTAGE)
    assert f"/firmy/dodaj/{draft.key}/reczne" in response.data.decode()
    return draft.key


def registry_answers(monkeypatch, result):
    monkeypatch.setattr(demo.DemoRegistry, "lookup", lambda self, tax_id: result)


def test_manual_entry_asks_the_registry_again_and_takes_its_answer(client, anna, monkeypatch):
    key = outage_draft(client)
    registry_answers(monkeypatch, LookupResult.found("demo", CompanyData(country="PL", name="PRAWDZIWA NAZWA SA",
                                                                           nip="7010011003")))
    typed = client.post(f"/firmy/dodaj/{key}/reczne", data=TYPED)
    assert typed.status_code == 303 and typed.headers["Location"].endswith(f"/{key}/dane")
    preview = client.get(typed.headers["Location"]).data.decode()
    assert "PRAWDZIWA NAZWA SA" in preview and "ZMYŚLONA" not in preview and "niezweryfikowana" not in preview
    assert client.post(f"/firmy/dodaj/{key}/oswiadczenie", data=STATEMENT).status_code == 303
    with database.connection_context():
        company = Company.get(Company.tax_id == OUTAGE)
    assert company.name == "PRAWDZIWA NAZWA SA" and company.verified is True


def test_manual_entry_of_a_number_the_registry_now_does_not_know_is_refused(client, anna, monkeypatch):
    key = outage_draft(client)
    registry_answers(monkeypatch, LookupResult.not_found("demo"))
    typed = client.post(f"/firmy/dodaj/{key}/reczne", data=TYPED)
    assert typed.status_code == 422 and "W rejestrze nie ma firmy" in typed.data.decode()
    assert client.post(f"/firmy/dodaj/{key}/oswiadczenie", data=STATEMENT).status_code == 302
    assert count(Company) == 0


def test_manual_entry_of_a_company_in_the_portal_leads_to_an_access_request(client, anna):
    with database.connection_context():
        Company.create(tax_id=OUTAGE, country="PL", name="FIRMA BOBA", source="demo")
    key = outage_draft(client)
    typed = client.post(f"/firmy/dodaj/{key}/reczne", data=TYPED)
    assert typed.status_code == 302 and typed.headers["Location"].endswith(f"/{key}/dane")
    preview = client.get(typed.headers["Location"]).data.decode()
    assert "Poproś o dostęp" in preview
    assert client.post(f"/firmy/dodaj/{key}/oswiadczenie", data=STATEMENT).status_code == 302
    assert count(Membership) == 0 and count(Company, Company.name == "ZMYŚLONA NAZWA") == 0


def test_a_manual_draft_is_its_owners_only(app, client, anna):
    key = outage_draft(client)
    eve = Journey(app.test_client())
    eve.signed_up(email="eve@example.com")
    assert eve.client.post(f"/firmy/dodaj/{key}/reczne", data=TYPED).status_code == 404
    assert count(Company) == 0
