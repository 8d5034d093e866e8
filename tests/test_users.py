"""A company's users: the Użytkownicy page, "Dodaj użytkownika", invitations, roles, removing,
leaving and handing over, as people do them through the app (test client)."""

import hashlib
import re
from datetime import timedelta

import pytest

from konto import create_app
from konto.db import database
from konto.models import AccessRequest
from konto.models import AuditEvent
from konto.models import Company
from konto.models import Email
from konto.models import Invitation
from konto.models import Membership
from konto.models import MembershipEvent
from konto.models import User
from konto.models import utcnow
from tests.helpers import Journey
from tests.helpers import comparable
from tests.helpers import count
from tests.helpers import link_in
from tests.helpers import mails_to
from tests.helpers import make_config

COMPANY = "PL5250001003"
SPOLKA = "PRZYKŁADOWA SPÓŁKA HANDLOWA"
OTHER_COMPANY = "PL6770002009"


def db(fn):
    with database.connection_context():
        return fn()


@pytest.fixture
def anna(journey):
    """Anna, logged in, administrator of the company she added."""
    journey.signed_up()
    journey.add_company(COMPANY)
    return journey


@pytest.fixture
def company_id(anna):
    return db(lambda: Company.get(Company.tax_id == COMPANY).id)


def person(app, email, companies=()):
    journey = Journey(app.test_client())
    journey.signed_up(email=email)
    for number in companies:
        journey.add_company(number, contact_email=email)
    return journey


def invite(client, company_id, email, admin=False, **headers):
    data = {"email": email}
    if admin:
        data["admin"] = "y"
    return client.post(f"/firmy/{company_id}/uzytkownicy/dodaj", data=data, headers=headers)


def invitation_mails(email):
    return [m for m in mails_to(email) if m.subject.startswith("Zaproszenie do firmy")]


def invitation_link(email):
    return link_in(invitation_mails(email)[0], "/zaproszenie/")


def invitation_of(email):
    return db(lambda: Invitation.select().where(Invitation.email == email).order_by(Invitation.id.desc()).get())


def membership(email, company_id):
    return db(lambda: Membership.get_or_none(
        (Membership.user == User.get(User.email == email).id) & (Membership.company == company_id)))


def joined(app, client, company_id, email, admin=False, companies=()):
    """`email` signs up, is invited by the client's user and accepts: their Journey."""
    journey = person(app, email, companies)
    assert invite(client, company_id, email, admin=admin).status_code == 303
    link = invitation_link(email)
    assert journey.client.get(link).status_code == 200
    response = journey.client.post(f"/zaproszenia/{invitation_of(email).id}", data={"decyzja": "accept"})
    assert response.status_code == 303, response.data.decode()
    return journey


def member_id(email, company_id):
    return membership(email, company_id).id


# -- the Użytkownicy page ----------------------------------------------------------------


def test_every_member_sees_who_is_in_the_company_and_with_which_role(app, client, anna, company_id):
    bob = joined(app, client, company_id, "bob@example.com")
    page = bob.client.get(f"/firmy/{company_id}/uzytkownicy").data.decode()
    assert "anna@example.com" in page and "bob@example.com" in page
    assert "administrator" in page and "użytkownik" in page
    # A plain member changes nothing: no form of the administrators' here.
    assert "Dodaj użytkownika" not in page and "Zmień rolę" not in page and "Historia zmian" not in page
    assert "Opuść firmę" in page
    admin_page = client.get(f"/firmy/{company_id}/uzytkownicy").data.decode()
    assert "Dodaj użytkownika" in admin_page and "Zmień rolę" in admin_page and "Historia zmian" in admin_page
    assert "Użytkownicy" in client.get(f"/firmy/{company_id}").data.decode()


def test_each_cell_is_labelled_with_its_column_for_phones(app, client, anna, company_id):
    """The Użytkownicy tables stack their rows on phones, each cell labelled (data-label) with its
    column's name: for every row of both tables, the labels are the header's names, in order, for
    an administrator and a member, in Polish and English (the names are translated once a page)."""
    bob = joined(app, client, company_id, "bob@example.com")
    assert invite(client, company_id, "cezary@example.com").status_code == 303
    assert invite(client, company_id, "dorota@example.com", admin=True).status_code == 303
    for language in ("pl", "en"):
        for browser, tables in ((client, 2), (bob.client, 1)):
            browser.post("/jezyk", data={"lang": language, "next": "/"})
            page = browser.get(f"/firmy/{company_id}/uzytkownicy").data.decode()
            found = re.findall(r"<table class=\"stack-table users-table\">(.*?)</table>", page, re.S)
            assert len(found) == tables
            for table in found:
                header = re.findall(r'<th scope="col">([^<]*)</th>', table)
                rows = re.findall(r"<tr>\s*(<td.*?)</tr>", table, re.S)
                assert len(header) >= 3 and len(rows) >= 2, table
                for row in rows:
                    assert re.findall(r'<td data-label="([^"]*)"', row) == header
            assert ("Osoba" in page) == (language == "pl")


def test_a_plain_member_gets_403_on_every_administrators_action_and_nothing_changes(app, client, anna, company_id):
    bob = joined(app, client, company_id, "bob@example.com")
    invite(client, company_id, "carol@example.com")
    carol_invitation = invitation_of("carol@example.com").id
    anna_member = member_id("anna@example.com", company_id)
    before = db(lambda: (Membership.select().count(), Invitation.select().count(), Email.select().count()))
    calls = [
        ("get", f"/firmy/{company_id}/uzytkownicy/dodaj", None),
        ("post", f"/firmy/{company_id}/uzytkownicy/dodaj", {"email": "x@example.com", "admin": "y"}),
        ("post", f"/firmy/{company_id}/uzytkownicy/{anna_member}/rola", {"rola": "member"}),
        ("get", f"/firmy/{company_id}/uzytkownicy/{anna_member}/usun", None),
        ("post", f"/firmy/{company_id}/uzytkownicy/{anna_member}/usun", {}),
        ("get", f"/firmy/{company_id}/przekaz", None),
        ("post", f"/firmy/{company_id}/przekaz", {"member_id": anna_member}),
        ("post", f"/firmy/{company_id}/zaproszenia/{carol_invitation}/ponow", {}),
        ("post", f"/firmy/{company_id}/zaproszenia/{carol_invitation}/wycofaj", {}),
    ]
    for method, path, data in calls:
        response = getattr(bob.client, method)(path, data=data)
        assert response.status_code == 403, (method, path, response.status_code)
        assert "Brak uprawnień" in response.data.decode()
    after = db(lambda: (Membership.select().count(), Invitation.select().count(), Email.select().count()))
    assert before == after
    assert membership("anna@example.com", company_id).role == "admin"


# -- inviting ------------------------------------------------------------------------------


def test_dodaj_uzytkownika_shows_the_administrator_box_with_its_warning(client, anna, company_id):
    page = client.get(f"/firmy/{company_id}/uzytkownicy/dodaj").data.decode()
    assert "Administrator firmy" in page
    assert "Administrator ma pełny dostęp do firmy" in page and "usuwać innych użytkowników" in page
    assert 'aria-describedby="admin-hint admin-error"' in page


def test_the_invitation_email_names_company_inviter_and_role_and_carries_a_hashed_single_token(
    app, client, anna, company_id
):
    response = invite(client, company_id, "Bob@Example.com ", admin=True)
    assert response.status_code == 303
    assert "Zaproszenie wysłane na adres bob@example.com" in client.get(response.headers["Location"]).data.decode()
    [mail] = mails_to("bob@example.com")
    assert mail.subject == f"Zaproszenie do firmy {SPOLKA} SPÓŁKA Z OGRANICZONĄ ODPOWIEDZIALNOŚCIĄ"
    assert "Akceptuj zaproszenie" in mail.html_body
    for body in (mail.text_body, mail.html_body):
        assert "Anna Nowak" in body and "anna@example.com" in body and SPOLKA in body and "administrator" in body
        assert "7 dni" in body
    # The link is written out, and its host is the configured one (KONTO_BASE_URL), not the request's.
    assert "http://konto.test/zaproszenie/" in mail.text_body and "localhost" not in mail.text_body
    token = invitation_link("bob@example.com").rsplit("/", 1)[1]
    assert len(token) >= 43
    invitation = invitation_of("bob@example.com")
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(invitation.__data__)  # stored only as its hash
    assert invitation.role == "admin" and invitation.status == "pending"
    assert timedelta(days=6, hours=23) < invitation.expires_at - invitation.created_at <= timedelta(days=7)
    page = client.get(f"/firmy/{company_id}/uzytkownicy").data.decode()
    assert "bob@example.com" in page and "oczekuje" in page


def test_the_invitation_lifetime_is_a_setting(tmp_path):
    app = create_app(make_config(tmp_path, INVITATION_MAX_AGE=3 * 24 * 3600))
    anna = Journey(app.test_client())
    anna.signed_up()
    anna.add_company(COMPANY)
    company = db(lambda: Company.get())
    invite(anna.client, company.id, "bob@example.com")
    assert "3 dni" in mails_to("bob@example.com")[0].text_body
    invitation = invitation_of("bob@example.com")
    assert invitation.expires_at - invitation.created_at <= timedelta(days=3)
    database.close()


def test_a_bad_address_is_refused_with_a_message_and_nothing_is_sent(client, anna, company_id):
    for bad in ["", "bez-malpy", "a" * 300 + "@example.com"]:
        response = invite(client, company_id, bad)
        assert response.status_code == 422
        assert 'aria-invalid="true"' in response.data.decode()
    assert count(Invitation) == 0 and count(Email, Email.subject.startswith("Zaproszenie")) == 0


def test_inviting_a_member_or_an_address_already_invited_says_so(app, client, anna, company_id):
    joined(app, client, company_id, "bob@example.com")
    member = invite(client, company_id, "BOB@example.com")
    assert member.status_code == 422 and "jest już użytkownikiem tej firmy" in member.data.decode()
    yourself = invite(client, company_id, "anna@example.com")
    assert yourself.status_code == 422 and "jest już użytkownikiem tej firmy" in yourself.data.decode()
    assert invite(client, company_id, "carol@example.com").status_code == 303
    again = invite(client, company_id, "carol@example.com", admin=True)
    assert again.status_code == 422 and "czeka już zaproszenie" in again.data.decode()
    assert count(Invitation) == 2 and len(mails_to("carol@example.com")) == 1


def test_the_invite_form_tells_nothing_about_whether_an_address_has_an_account(app, client, anna, company_id):
    person(app, "bob@example.com")  # an account, not in the company
    client.get(f"/firmy/{company_id}")  # (shows the "company added" message)
    answers = {}
    for email in ("bob@example.com", "nikt@example.com"):
        response = invite(client, company_id, email)
        page = client.get(response.headers["Location"]).data.decode()
        mail = mails_to(email)[0]
        token = link_in(mail, "/zaproszenie/").rsplit("/", 1)[1]
        answers[email] = (
            response.status_code,
            comparable(page.split("<h2 id=\"invitations-heading\">")[0], email),
            mail.subject,
            comparable(mail.text_body, email, token),
            comparable(mail.html_body, email, token),
        )
    assert answers["bob@example.com"] == answers["nikt@example.com"]


def test_an_expired_invitation_can_be_sent_again_or_replaced(client, anna, company_id):
    invite(client, company_id, "bob@example.com")
    with database.connection_context():
        Invitation.update(expires_at=utcnow() - timedelta(minutes=1)).execute()
    page = client.get(f"/firmy/{company_id}/uzytkownicy").data.decode()
    assert "wygasło" in page
    assert invite(client, company_id, "bob@example.com").status_code == 303  # a new one takes its place
    assert count(Invitation) == 2
    assert count(Invitation, Invitation.pending_email == "bob@example.com") == 1


# -- the invitee -----------------------------------------------------------------------------


def test_an_existing_account_accepts_and_the_company_is_in_its_top_bar(app, client, anna, company_id):
    bob = person(app, "bob@example.com")
    invite(client, company_id, "bob@example.com")
    page = bob.client.get(invitation_link("bob@example.com")).data.decode()
    assert SPOLKA in page and "Anna Nowak" in page and "użytkownik" in page and "Akceptuj zaproszenie" in page
    dashboard = bob.client.get("/panel").data.decode()
    assert "Zaproszenia do firm" in dashboard and SPOLKA in dashboard
    invitation_id = invitation_of("bob@example.com").id
    response = bob.client.post(f"/zaproszenia/{invitation_id}", data={"decyzja": "accept"})
    assert response.status_code == 303 and response.headers["Location"] == f"/firmy/{company_id}"
    page = bob.client.get(response.headers["Location"]).data.decode()
    assert "Jesteś teraz użytkownikiem firmy" in page
    assert SPOLKA in page.split('id="current-company"')[1][:400]
    assert membership("bob@example.com", company_id).role == "member"
    assert invitation_of("bob@example.com").status == "accepted"
    # The link is used up: its page says so; a second click lands on the company, once.
    used = bob.client.get(invitation_link("bob@example.com"))
    assert used.status_code == 410 and "Zaproszenie zostało już przyjęte" in used.data.decode()
    again = bob.client.post(f"/zaproszenia/{invitation_id}", data={"decyzja": "accept"})
    assert again.status_code == 303 and again.headers["Location"] == f"/firmy/{company_id}"
    assert count(Membership, Membership.company == company_id) == 2
    assert "Zaproszenia do firm" not in bob.client.get("/panel").data.decode()


def test_an_administrators_invitation_makes_an_administrator(app, client, anna, company_id):
    joined(app, client, company_id, "bob@example.com", admin=True)
    assert membership("bob@example.com", company_id).role == "admin"


def test_declining_makes_no_membership_and_kills_the_link(app, client, anna, company_id):
    bob = person(app, "bob@example.com")
    invite(client, company_id, "bob@example.com")
    invitation_id = invitation_of("bob@example.com").id
    response = bob.client.post(f"/zaproszenia/{invitation_id}", data={"decyzja": "decline"})
    assert response.status_code == 303 and response.headers["Location"] == "/panel"
    assert "zostało odrzucone" in bob.client.get("/panel").data.decode()
    assert membership("bob@example.com", company_id) is None
    gone = bob.client.get(invitation_link("bob@example.com"))
    assert gone.status_code == 410 and "Zaproszenie zostało odrzucone" in gone.data.decode()
    late = bob.client.post(f"/zaproszenia/{invitation_id}", data={"decyzja": "accept"})
    assert late.status_code == 410 and membership("bob@example.com", company_id) is None
    assert "odrzucone" in client.get(f"/firmy/{company_id}/uzytkownicy").data.decode()


def test_an_expired_link_has_its_own_page_and_is_not_accepted(app, client, anna, company_id):
    bob = person(app, "bob@example.com")
    invite(client, company_id, "bob@example.com")
    with database.connection_context():
        Invitation.update(expires_at=utcnow() - timedelta(seconds=1)).execute()
    page = bob.client.get(invitation_link("bob@example.com"))
    assert page.status_code == 410
    text = page.data.decode()
    assert "Zaproszenie wygasło" in text and "ponowne wysłanie" in text and "Akceptuj zaproszenie" not in text
    refused = bob.client.post(f"/zaproszenia/{invitation_of('bob@example.com').id}", data={"decyzja": "accept"})
    assert refused.status_code == 410 and membership("bob@example.com", company_id) is None
    assert "Zaproszenia do firm" not in bob.client.get("/panel").data.decode()


def test_resend_makes_a_new_link_and_kills_the_old_one(app, client, anna, company_id):
    bob = person(app, "bob@example.com")
    invite(client, company_id, "bob@example.com")
    old = invitation_link("bob@example.com")
    with database.connection_context():
        Invitation.update(expires_at=utcnow() - timedelta(seconds=1)).execute()  # even once expired
    invitation_id = invitation_of("bob@example.com").id
    response = client.post(f"/firmy/{company_id}/zaproszenia/{invitation_id}/ponow")
    assert response.status_code == 303
    assert "wysłane ponownie" in client.get(response.headers["Location"]).data.decode()
    new = invitation_link("bob@example.com")
    assert new != old and len(invitation_mails("bob@example.com")) == 2
    dead = bob.client.get(old)
    assert dead.status_code == 404 and "Ten link nie działa" in dead.data.decode()
    assert "Akceptuj zaproszenie" in bob.client.get(new).data.decode()
    invitation = invitation_of("bob@example.com")
    assert invitation.send_count == 2 and invitation.expires_at > utcnow() + timedelta(days=6)
    assert count(Invitation) == 1


def test_a_revoked_invitation_cannot_be_accepted_and_its_link_says_so(app, client, anna, company_id):
    bob = person(app, "bob@example.com")
    invite(client, company_id, "bob@example.com")
    invitation_id = invitation_of("bob@example.com").id
    assert client.post(f"/firmy/{company_id}/zaproszenia/{invitation_id}/wycofaj").status_code == 303
    page = bob.client.get(invitation_link("bob@example.com"))
    assert page.status_code == 410 and "Zaproszenie zostało wycofane" in page.data.decode()
    refused = bob.client.post(f"/zaproszenia/{invitation_id}", data={"decyzja": "accept"})
    assert refused.status_code == 410 and membership("bob@example.com", company_id) is None
    # Closed: neither sent again nor revoked twice.
    assert client.post(f"/firmy/{company_id}/zaproszenia/{invitation_id}/ponow").status_code == 422
    assert client.post(f"/firmy/{company_id}/zaproszenia/{invitation_id}/wycofaj").status_code == 422
    assert len(invitation_mails("bob@example.com")) == 1
    assert "wycofane" in client.get(f"/firmy/{company_id}/uzytkownicy").data.decode()


def test_logging_in_from_the_link_comes_back_to_it_whichever_the_account(app, client, anna, company_id):
    invite(client, company_id, "bob@example.com")
    person(app, "bob@example.com").logout()
    person(app, "carol@example.com").logout()
    link = invitation_link("bob@example.com")
    answers = (("carol@example.com", "Nic nie zostało zmienione"), ("bob@example.com", "Akceptuj zaproszenie"))
    for email, expected in answers:
        browser = Journey(app.test_client())
        browser.client.get(link)
        response = browser.login(email=email, next=link)
        assert response.status_code == 303 and response.headers["Location"] == link
        assert expected in browser.client.get(link).data.decode()


def test_a_link_opened_from_another_account_says_so_and_changes_nothing(app, client, anna, company_id):
    invite(client, company_id, "bob@example.com")
    carol = person(app, "carol@example.com")  # got the e-mail forwarded
    response = carol.client.get(invitation_link("bob@example.com"))
    assert response.status_code == 403
    page = response.data.decode()
    assert "b***@example.com" in page and "carol@example.com" in page and "Nic nie zostało zmienione" in page
    assert "bob@example.com" not in page and "Akceptuj zaproszenie" not in page
    invitation_id = invitation_of("bob@example.com").id
    assert carol.client.get(f"/zaproszenia/{invitation_id}").status_code == 404
    for decision in ("accept", "decline"):
        assert carol.client.post(f"/zaproszenia/{invitation_id}", data={"decyzja": decision}).status_code == 404
    assert membership("carol@example.com", company_id) is None
    assert invitation_of("bob@example.com").status == "pending"
    assert "Zaproszenia do firm" not in carol.client.get("/panel").data.decode()


def test_a_garbage_or_guessed_link_is_refused(client):
    for token in ["x", "a" * 43, "a" * 101]:
        response = client.get(f"/zaproszenie/{token}")
        assert response.status_code == 404 and "Ten link nie działa" in response.data.decode()


def test_a_new_address_registers_activates_and_accepts(app, client, anna, company_id):
    invite(client, company_id, "nowy@example.com")
    newcomer = Journey(app.test_client())
    link = invitation_link("nowy@example.com")
    page = newcomer.client.get(link).data.decode()
    assert SPOLKA in page and "Załóż konto" in page
    assert f'href="/logowanie?next={link}"' in page  # log in, then back to the link
    registration = newcomer.client.get("/rejestracja").data.decode()
    assert 'value="nowy@example.com"' in registration and "aby przyjąć zaproszenie do firmy" in registration
    assert newcomer.register(email="nowy@example.com").status_code == 303
    # Every rule of registration still holds: no log-in before activation, no membership yet.
    assert newcomer.login(email="nowy@example.com").status_code == 422
    assert count(Membership, Membership.company == company_id) == 1
    # Activation takes the password typed at registration and logs in: it goes on to the invitation.
    activated = newcomer.activate(email="nowy@example.com")
    invitation_id = invitation_of("nowy@example.com").id
    assert activated.status_code == 303 and activated.headers["Location"] == f"/zaproszenia/{invitation_id}"
    shown = newcomer.client.get(activated.headers["Location"]).data.decode()
    assert "Akceptuj zaproszenie" in shown and SPOLKA in shown
    accepted = newcomer.client.post(f"/zaproszenia/{invitation_id}", data={"decyzja": "accept"})
    assert accepted.status_code == 303
    assert SPOLKA in newcomer.client.get("/panel").data.decode().split('id="current-company"')[1][:400]
    assert membership("nowy@example.com", company_id).role == "member"


def test_activation_opened_in_another_browser_still_finds_the_invitation_on_the_panel(app, client, anna, company_id):
    invite(client, company_id, "nowy@example.com")
    phone = Journey(app.test_client())
    phone.client.get(invitation_link("nowy@example.com"))
    phone.register(email="nowy@example.com")
    laptop = Journey(app.test_client())
    laptop.activate(email="nowy@example.com")
    assert laptop.login(email="nowy@example.com").headers["Location"] == "/panel"
    panel = laptop.client.get("/panel").data.decode()
    assert "Zaproszenia do firm" in panel and "Akceptuj zaproszenie" in panel
    invitation_id = invitation_of("nowy@example.com").id
    assert laptop.client.post(f"/zaproszenia/{invitation_id}", data={"decyzja": "accept"}).status_code == 303
    assert membership("nowy@example.com", company_id) is not None


def test_registering_another_address_from_an_invitation_gives_it_nothing(app, client, anna, company_id):
    invite(client, company_id, "bob@example.com")
    eve = Journey(app.test_client())
    eve.client.get(invitation_link("bob@example.com"))  # a forwarded e-mail
    eve.register(email="eve@example.com")
    eve.activate(email="eve@example.com")
    eve.login(email="eve@example.com")
    invitation_id = invitation_of("bob@example.com").id
    assert eve.client.post(f"/zaproszenia/{invitation_id}", data={"decyzja": "accept"}).status_code == 404
    assert membership("eve@example.com", company_id) is None


# -- roles, removing, leaving, handing over ------------------------------------------------------------


def test_an_administrator_changes_roles_and_the_person_is_told(app, client, anna, company_id):
    joined(app, client, company_id, "bob@example.com")
    bob_member = member_id("bob@example.com", company_id)
    response = client.post(f"/firmy/{company_id}/uzytkownicy/{bob_member}/rola", data={"rola": "admin"})
    assert response.status_code == 303
    assert "Zmieniono rolę: administrator" in client.get(response.headers["Location"]).data.decode()
    assert membership("bob@example.com", company_id).role == "admin"
    mail = mails_to("bob@example.com")[0]
    assert "administrator" in mail.subject and "Anna Nowak" in mail.text_body
    unchanged = client.post(f"/firmy/{company_id}/uzytkownicy/{bob_member}/rola", data={"rola": "admin"})
    assert unchanged.status_code == 303
    assert client.post(f"/firmy/{company_id}/uzytkownicy/{bob_member}/rola", data={"rola": "owner"}).status_code == 400
    # Two administrators: Anna may step down herself.
    anna_member = member_id("anna@example.com", company_id)
    stepped_down = client.post(f"/firmy/{company_id}/uzytkownicy/{anna_member}/rola", data={"rola": "member"})
    assert stepped_down.status_code == 303
    assert membership("anna@example.com", company_id).role == "member"
    assert client.get(f"/firmy/{company_id}/uzytkownicy/dodaj").status_code == 403


def test_the_last_administrator_can_neither_leave_be_removed_nor_be_demoted(app, client, anna, company_id):
    joined(app, client, company_id, "bob@example.com")
    anna_member = member_id("anna@example.com", company_id)
    demoted = client.post(f"/firmy/{company_id}/uzytkownicy/{anna_member}/rola", data={"rola": "member"})
    assert demoted.status_code == 422
    assert "co najmniej jednego administratora" in demoted.data.decode()
    assert "Przekaż administrację" in demoted.data.decode()
    removed = client.post(f"/firmy/{company_id}/uzytkownicy/{anna_member}/usun")
    assert removed.status_code == 302 and removed.headers["Location"].endswith("/opusc")  # herself: that is leaving
    leave_page = client.get(f"/firmy/{company_id}/opusc").data.decode()
    assert "Jesteś jedynym administratorem" in leave_page and "Przekaż administrację" in leave_page
    left = client.post(f"/firmy/{company_id}/opusc")
    assert left.status_code == 422 and "Jesteś jedynym administratorem" in left.data.decode()
    assert membership("anna@example.com", company_id).role == "admin"
    users = client.get(f"/firmy/{company_id}/uzytkownicy").data.decode()
    assert "jedyny administrator" in users


def test_alone_in_the_company_the_administrator_is_told_to_invite_first(client, anna, company_id):
    page = client.get(f"/firmy/{company_id}/opusc").data.decode()
    assert "Nie ma jeszcze innych użytkowników" in page and "Dodaj użytkownika" in page
    assert "Nie ma jeszcze innych użytkowników" in client.get(f"/firmy/{company_id}/przekaz").data.decode()
    assert client.post(f"/firmy/{company_id}/przekaz", data={"member_id": "1"}).status_code == 422


def test_handing_over_makes_the_other_the_administrator_and_me_a_member_at_once(app, client, anna, company_id):
    bob = joined(app, client, company_id, "bob@example.com")
    invite(client, company_id, "carol@example.com")
    page = client.get(f"/firmy/{company_id}/przekaz").data.decode()
    assert "bob@example.com" in page and "anna@example.com" not in page  # the others, not herself
    assert client.post(f"/firmy/{company_id}/przekaz", data={"member_id": "abc"}).status_code == 422
    response = client.post(f"/firmy/{company_id}/przekaz", data={"member_id": member_id("bob@example.com", company_id)})
    assert response.status_code == 303
    assert "jest teraz administratorem firmy" in client.get(response.headers["Location"]).data.decode()
    assert membership("bob@example.com", company_id).role == "admin"
    assert membership("anna@example.com", company_id).role == "member"
    # Anna no longer holds the role: the invitation she sent is revoked with it.
    assert invitation_of("carol@example.com").status == "revoked"
    assert "administrator" in mails_to("bob@example.com")[0].subject
    assert bob.client.get(f"/firmy/{company_id}/uzytkownicy/dodaj").status_code == 200
    assert client.get(f"/firmy/{company_id}/uzytkownicy/dodaj").status_code == 403
    # Now Anna may leave.
    left = client.post(f"/firmy/{company_id}/opusc")
    assert left.status_code == 303 and left.headers["Location"] == "/panel"
    assert membership("anna@example.com", company_id) is None


def test_a_removed_member_is_told_and_their_chosen_company_falls_back(app, client, anna, company_id):
    bob = joined(app, client, company_id, "bob@example.com", companies=[OTHER_COMPANY])
    assert SPOLKA in bob.client.get("/panel").data.decode().split('id="current-company"')[1][:400]
    bob_member = member_id("bob@example.com", company_id)
    confirm = client.get(f"/firmy/{company_id}/uzytkownicy/{bob_member}/usun").data.decode()
    assert "Czy usunąć" in confirm and "bob@example.com" in confirm
    response = client.post(f"/firmy/{company_id}/uzytkownicy/{bob_member}/usun")
    assert response.status_code == 303
    assert "nie jest już użytkownikiem firmy" in client.get(response.headers["Location"]).data.decode()
    assert membership("bob@example.com", company_id) is None
    mail = mails_to("bob@example.com")[0]
    assert mail.subject.startswith("Nie jesteś już użytkownikiem firmy") and "Anna Nowak" in mail.text_body
    top = bob.client.get("/panel").data.decode().split('id="current-company"')[1][:400]
    assert "JAN KOWALSKI" in top and SPOLKA not in top  # his other company
    assert bob.client.get(f"/firmy/{company_id}").status_code == 404
    # He may ask to come back.
    response = bob.client.post("/firmy/dodaj", data={"number": COMPANY})
    assert bob.client.post(response.headers["Location"].replace("/dane", "/dostep")).status_code == 200
    assert count(AccessRequest, AccessRequest.status == "pending") == 1


def test_a_member_without_another_company_has_none_chosen_after_leaving(app, client, anna, company_id):
    bob = joined(app, client, company_id, "bob@example.com")
    assert bob.client.get(f"/firmy/{company_id}/opusc").status_code == 200
    response = bob.client.post(f"/firmy/{company_id}/opusc", headers={"HX-Request": "true"})
    assert response.status_code == 200 and response.headers["HX-Redirect"] == "/panel"
    assert db(lambda: User.get(User.email == "bob@example.com").active_company_id) is None
    panel = bob.client.get("/panel").data.decode()
    assert "Nie jesteś już użytkownikiem firmy" in panel and SPOLKA not in panel.split('id="current-company"')[1][:300]
    assert len(mails_to("bob@example.com")) == 2  # activation and invitation; leaving sends nothing


def test_an_administrator_of_one_company_cannot_touch_another_companys_people(app, client, anna, company_id):
    joined(app, client, company_id, "bob@example.com")
    carol = person(app, "carol@example.com", companies=[OTHER_COMPANY])
    other_id = db(lambda: Company.get(Company.tax_id == OTHER_COMPANY).id)
    bob_member = member_id("bob@example.com", company_id)
    invite(client, company_id, "dave@example.com")
    dave_invitation = invitation_of("dave@example.com").id
    # Carol administers her own company, and uses its URL with Anna's ids.
    for path, data in [
        (f"/firmy/{other_id}/uzytkownicy/{bob_member}/rola", {"rola": "admin"}),
        (f"/firmy/{other_id}/uzytkownicy/{bob_member}/usun", {}),
        (f"/firmy/{other_id}/przekaz", {"member_id": bob_member}),
        (f"/firmy/{other_id}/zaproszenia/{dave_invitation}/ponow", {}),
        (f"/firmy/{other_id}/zaproszenia/{dave_invitation}/wycofaj", {}),
    ]:
        assert carol.client.post(path, data=data).status_code in (404, 422), path
    assert membership("bob@example.com", company_id).role == "member"
    assert membership("carol@example.com", other_id).role == "admin"
    assert invitation_of("dave@example.com").status == "pending" and len(mails_to("dave@example.com")) == 1


# -- access requests, history, activity ---------------------------------------------------------


def test_an_access_request_ends_in_a_membership_with_the_role_the_administrator_picks(app, client, anna, company_id):
    bob = person(app, "bob@example.com")
    response = bob.client.post("/firmy/dodaj", data={"number": COMPANY})
    bob.client.post(response.headers["Location"].replace("/dane", "/dostep"))
    invite(client, company_id, "bob@example.com")  # also invited meanwhile
    access_id = db(lambda: AccessRequest.get().id)
    page = client.get(f"/firmy/{company_id}").data.decode()
    assert f'id="rola-prosba-{access_id}"' in page
    bad_role = client.post(f"/firmy/{company_id}/prosby/{access_id}", data={"decyzja": "accept", "rola": "x"})
    assert bad_role.status_code == 400
    accepted = client.post(f"/firmy/{company_id}/prosby/{access_id}", data={"decyzja": "accept", "rola": "admin"})
    assert accepted.status_code == 303
    assert membership("bob@example.com", company_id).role == "admin"
    assert "Twoja rola: administrator" in mails_to("bob@example.com")[0].text_body
    # The invitation he no longer needs is closed: its link says he is in.
    assert invitation_of("bob@example.com").status == "accepted"
    assert bob.client.get(invitation_link("bob@example.com")).status_code == 410


def test_every_step_is_in_the_activity_of_the_people_concerned_and_in_the_company_history(
    app, client, anna, company_id
):
    bob = joined(app, client, company_id, "bob@example.com")
    bob_member = member_id("bob@example.com", company_id)
    client.post(f"/firmy/{company_id}/uzytkownicy/{bob_member}/rola", data={"rola": "admin"})
    invite(client, company_id, "carol@example.com")
    carol_invitation = invitation_of("carol@example.com").id
    client.post(f"/firmy/{company_id}/zaproszenia/{carol_invitation}/ponow")
    client.post(f"/firmy/{company_id}/zaproszenia/{carol_invitation}/wycofaj")
    client.post(f"/firmy/{company_id}/uzytkownicy/{bob_member}/usun")
    anna_activity = client.get("/konto/aktywnosc").data.decode()
    for label in ["Zaproszenie użytkownika do firmy", "Zmiana roli użytkownika firmy",
                  "Ponowne wysłanie zaproszenia do firmy", "Wycofanie zaproszenia do firmy",
                  "Usunięcie użytkownika z firmy"]:
        assert label in anna_activity, label
    bob_activity = bob.client.get("/konto/aktywnosc").data.decode()
    for label in ["Przyjęcie zaproszenia do firmy", "Zmiana Twojej roli w firmie", "Usunięcie Cię z firmy"]:
        assert label in bob_activity, label
    assert "Zaproszenie użytkownika do firmy" not in bob_activity
    history = client.get(f"/firmy/{company_id}/uzytkownicy").data.decode().split('id="history-heading"')[1]
    for label in ["Dodanie firmy do portalu", "Zaproszenie", "Przyjęcie zaproszenia", "Zmiana roli",
                  "Ponowne wysłanie zaproszenia", "Wycofanie zaproszenia", "Usunięcie z firmy"]:
        assert label in history, label
    assert "carol@example.com" in history and "bob@example.com" in history
    assert count(MembershipEvent, MembershipEvent.company == company_id) == 8
    assert "Ostatnie zmiany" in client.get(f"/firmy/{company_id}").data.decode()


def test_leaving_and_declining_are_in_the_history_too(app, client, anna, company_id):
    bob = joined(app, client, company_id, "bob@example.com")
    bob.client.post(f"/firmy/{company_id}/opusc")
    carol = person(app, "carol@example.com")
    invite(client, company_id, "carol@example.com")
    carol.client.post(f"/zaproszenia/{invitation_of('carol@example.com').id}", data={"decyzja": "decline"})
    history = client.get(f"/firmy/{company_id}/uzytkownicy").data.decode().split('id="history-heading"')[1]
    assert "Opuszczenie firmy" in history and "Odrzucenie zaproszenia" in history
    assert "Opuszczenie firmy" in bob.client.get("/konto/aktywnosc").data.decode()
    assert "Odrzucenie zaproszenia do firmy" in carol.client.get("/konto/aktywnosc").data.decode()
    with database.connection_context():
        events = {e.event for e in AuditEvent.select()}
    assert {"company_left", "invitation_declined"} <= events


def test_deleting_an_account_ends_its_memberships_like_any_other_ending(app, client, anna, company_id):
    bob = joined(app, client, company_id, "bob@example.com")
    invite(client, company_id, "carol@example.com")
    anna.client.get("/konto/potwierdz")
    anna.client.post("/konto/potwierdz", data={"password": "zielone-jabłko-na-wiosnę"})
    assert anna.client.post("/konto/usun", data={"confirm": "y"}).status_code in (302, 303)
    assert membership("bob@example.com", company_id).role == "admin"  # the oldest member takes over
    assert invitation_of("carol@example.com").status == "revoked"  # Anna's invitation goes with her
    history = bob.client.get(f"/firmy/{company_id}/uzytkownicy").data.decode().split('id="history-heading"')[1]
    assert "Usunięcie konta" in history and "anna@example.com" in history


# -- htmx ------------------------------------------------------------------------------------------


def test_htmx_actions_swap_the_users_page_in_and_announce_what_was_done(app, client, anna, company_id):
    joined(app, client, company_id, "bob@example.com")
    bob_member = member_id("bob@example.com", company_id)
    response = client.post(f"/firmy/{company_id}/uzytkownicy/{bob_member}/rola", data={"rola": "admin"},
                           headers={"HX-Request": "true"}, follow_redirects=True)
    assert response.status_code == 200 and [r.status_code for r in response.history] == [303]
    body = response.data.decode()
    assert "<html" not in body and response.headers["HX-Push-Url"] == f"/firmy/{company_id}/uzytkownicy"
    assert "Zmieniono rolę" in body.split('id="sr-status"')[1].split("</div>")[0]
    refused = client.post(f"/firmy/{company_id}/uzytkownicy/{member_id('anna@example.com', company_id)}/rola",
                          data={"rola": "member"}, headers={"HX-Request": "true"})
    assert refused.status_code == 303  # two administrators now: allowed
    refused = client.post(f"/firmy/{company_id}/uzytkownicy/{bob_member}/rola", data={"rola": "member"},
                          headers={"HX-Request": "true"})
    assert refused.status_code == 403  # Anna is no longer an administrator


def test_htmx_accept_swaps_the_company_in_with_the_top_bar(app, client, anna, company_id):
    bob = person(app, "bob@example.com")
    invite(client, company_id, "bob@example.com")
    response = bob.client.post(f"/zaproszenia/{invitation_of('bob@example.com').id}", data={"decyzja": "accept"},
                               headers={"HX-Request": "true"}, follow_redirects=True)
    body = response.data.decode()
    assert response.status_code == 200 and "<html" not in body
    assert 'id="current-company" class="current-company" hx-swap-oob="true"' in body
    assert SPOLKA in body.split('id="current-company"')[1].split("</div>")[0]


def test_invitee_pages_need_a_login_except_the_link_itself(client):
    assert client.get("/zaproszenia/1").status_code == 302
    assert client.post("/zaproszenia/1", data={"decyzja": "accept"}).status_code == 302
