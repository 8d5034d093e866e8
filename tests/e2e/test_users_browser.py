"""A company's users in a real browser (issue 11), JavaScript on and off: inviting a new address
and an existing account, accepting, declining, expired, revoked and resent invitations, a link
opened from the wrong account, roles, removing, the last administrator, handing over, leaving."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from konto.db import database
from konto.models import Company
from konto.models import Invitation
from konto.models import Membership
from konto.models import User
from konto.models import utcnow
from tests.e2e.helpers import COMPANY_URL
from tests.e2e.helpers import create_user
from tests.e2e.helpers import signed_in
from tests.helpers import PASSWORD

pytestmark = pytest.mark.browser

SPOLKA = "PRZYKŁADOWA SPÓŁKA HANDLOWA SP. Z O.O."
USERS_URL = re.compile(r"/firmy/\d+/uzytkownicy$")
INVITATION_URL = re.compile(r"/zaproszenia/\d+$")


def company_of(server, email, *members):
    """A company in the portal administered by `email`, with `members` as plain users."""
    with server.app.app_context(), database.connection_context():
        company = Company.create(tax_id="PL5250001003", country="PL", nip="5250001003", name=SPOLKA, source="demo")
        for address, role in [(email, "admin"), *((m, "member") for m in members)]:
            user = User.get(User.email == address)
            Membership.create(user=user, company=company, role=role, contact_email=address)
            User.update(active_company=company).where(User.id == user.id).execute()
        return company


def to_users_page(person, company):
    person.goto(f"/firmy/{company.id}")
    person.follow(person.link("Użytkownicy"))
    expect(person.main.locator("h1")).to_have_text(f"Użytkownicy firmy {SPOLKA}")


def invite(person, company, email, admin=False):
    to_users_page(person, company)
    person.follow(person.link("Dodaj użytkownika"))
    expect(person.main.locator("h1")).to_have_text("Dodaj użytkownika")
    expect(person.main).to_contain_text("Administrator ma pełny dostęp do firmy")
    person.fill("Adres e-mail", email)
    if admin:
        person.main.get_by_label("Administrator firmy", exact=True).check()
    person.swap(person.button("Wyślij zaproszenie"), push_url=USERS_URL)
    expect(person.main).to_contain_text(f"Zaproszenie wysłane na adres {email}")


def open_invitation(person, email):
    person.open_mail(email, "Zaproszenie do firmy")
    expect(person.main.locator("iframe.mail-frame")).to_be_visible()
    person.follow_mail_link("/zaproszenie/")


def top_bar(person):
    return person.page.locator("#current-company")


def anna_and_bob(people, bob_logged_in=True):
    """Anna, logged in, administering the company; Bob (Bogdan Kowal), logged in or not yet anyone."""
    anna, bob = people(), people()
    signed_in(anna, "anna@example.com")
    company = company_of(anna.server, "anna@example.com")
    if bob_logged_in:
        signed_in(bob, "bob@example.com", "Bogdan", "Kowal")
    return anna, bob, company


def button_starting(person, text):
    return person.main.get_by_role("button", name=re.compile("^" + re.escape(text)))


def test_invite_a_new_address_who_registers_activates_and_accepts(people, js):
    anna, newcomer, company = anna_and_bob(people, bob_logged_in=False)
    invite(anna, company, "nowy@example.com")
    expect(anna.main.locator("#invitations-heading + table")).to_contain_text("oczekuje")

    # The e-mail in the demo mailbox; its link shows the company, who invites and the role.
    open_invitation(newcomer, "nowy@example.com")
    expect(newcomer.main.locator("h1")).to_have_text("Zaproszenie do firmy")
    for text in (SPOLKA, "Anna Nowak", "użytkownik"):
        expect(newcomer.main).to_contain_text(text)

    # No account yet: registration starts with the invited address; activation as always.
    newcomer.follow(newcomer.link("Załóż konto"))
    expect(newcomer.main).to_contain_text("aby przyjąć zaproszenie do firmy")
    expect(newcomer.main.get_by_label("Adres e-mail", exact=True)).to_have_value("nowy@example.com")
    newcomer.fill("Imię", "Nowy")
    newcomer.fill("Nazwisko", "Kolega")
    newcomer.fill("Hasło", PASSWORD)
    newcomer.fill("Powtórz hasło", PASSWORD)
    newcomer.main.get_by_label("akceptuję regulamin", exact=False).check()
    newcomer.main.get_by_label("zgodę na przetwarzanie moich danych", exact=False).check()
    newcomer.submit_redirect(newcomer.button("Załóż konto"))
    expect(newcomer.page).to_have_url(re.compile(r"/rejestracja/sprawdz-poczte$"))
    newcomer.open_mail("nowy@example.com", "Aktywuj swoje Konto")
    newcomer.follow_mail_link("/aktywacja/")
    newcomer.fill("Hasło podane przy rejestracji", PASSWORD)
    newcomer.submit_redirect(newcomer.button("Aktywuj konto"))

    # Activation logs in and comes back to the invitation; accepting puts the company in the top bar.
    expect(newcomer.page).to_have_url(INVITATION_URL)
    expect(newcomer.main.locator("h1")).to_have_text("Zaproszenie do firmy")
    newcomer.swap(newcomer.button("Akceptuj zaproszenie"), push_url=COMPANY_URL)
    expect(newcomer.main).to_contain_text("Jesteś teraz użytkownikiem firmy")
    expect(top_bar(newcomer)).to_contain_text(SPOLKA)

    to_users_page(anna, company)
    expect(anna.main.locator("table").first).to_contain_text("nowy@example.com")
    expect(anna.main.locator("#invitations-heading + table")).to_contain_text("przyjęte")


def test_an_existing_account_accepts_gets_a_new_role_and_is_removed(people, js):
    anna, bob, company = anna_and_bob(people)
    invite(anna, company, "bob@example.com")

    open_invitation(bob, "bob@example.com")
    expect(bob.button("Odrzuć")).to_be_visible()
    bob.swap(bob.button("Akceptuj zaproszenie"), push_url=COMPANY_URL)
    expect(top_bar(bob)).to_contain_text(SPOLKA)
    bob.follow(bob.link("Użytkownicy"))
    expect(bob.main).to_contain_text("anna@example.com")
    expect(bob.main.get_by_role("button", name=re.compile("Zmień rolę"))).to_have_count(0)

    # Anna makes him an administrator, then removes him (asked first); he is told by e-mail.
    to_users_page(anna, company)
    anna.main.get_by_label("Rola: Bogdan Kowal", exact=True).select_option("admin")
    anna.swap(button_starting(anna, "Zmień rolę"), push_url=USERS_URL)
    expect(anna.main).to_contain_text("Zmieniono rolę: administrator.")
    anna.follow(anna.main.get_by_role("link", name=re.compile("^Usuń z firmy")))
    expect(anna.main).to_contain_text("Czy usunąć Bogdan Kowal")
    anna.swap(anna.button("Usuń z firmy"), push_url=USERS_URL)
    expect(anna.main).to_contain_text("Bogdan Kowal nie jest już użytkownikiem firmy")
    expect(anna.main.locator("table").first).not_to_contain_text("bob@example.com")

    bob.goto("/panel")
    expect(top_bar(bob)).not_to_contain_text(SPOLKA)
    bob.open_mail("bob@example.com", "Nie jesteś już użytkownikiem firmy")
    expect(bob.main).to_contain_text("Nie jesteś już użytkownikiem firmy")


def test_decline_and_the_link_says_so_afterwards(people, js):
    anna, bob, company = anna_and_bob(people)
    invite(anna, company, "bob@example.com", admin=True)
    open_invitation(bob, "bob@example.com")
    expect(bob.main).to_contain_text("administrator")
    link = bob.page.url
    bob.submit_redirect(bob.button("Odrzuć"))
    expect(bob.page).to_have_url(re.compile(r"/panel$"))
    expect(bob.main).to_contain_text("zostało odrzucone")
    expect(top_bar(bob)).not_to_contain_text(SPOLKA)
    bob.allows_status(410)
    bob.goto(link)
    expect(bob.main.locator("h1")).to_have_text("Zaproszenie zostało odrzucone")
    expect(bob.main.get_by_role("button", name="Akceptuj zaproszenie")).to_have_count(0)


def test_an_expired_invitation_is_sent_again_and_only_the_new_link_works(people, js):
    anna, bob, company = anna_and_bob(people)
    invite(anna, company, "bob@example.com")
    with anna.server.app.app_context(), database.connection_context():
        Invitation.update(expires_at=utcnow() - timedelta(minutes=1)).execute()

    bob.allows_status(404, 410)
    open_invitation(bob, "bob@example.com")
    old_link = bob.page.url
    expect(bob.main.locator("h1")).to_have_text("Zaproszenie wygasło")
    expect(bob.main).to_contain_text("ponowne wysłanie")

    to_users_page(anna, company)
    expect(anna.main.locator("#invitations-heading + table")).to_contain_text("wygasło")
    anna.swap(button_starting(anna, "Wyślij ponownie"), push_url=USERS_URL)
    expect(anna.main).to_contain_text("Zaproszenie wysłane ponownie na adres bob@example.com")
    expect(anna.main.locator("#invitations-heading + table")).to_contain_text("oczekuje")

    bob.goto(old_link)
    expect(bob.main.locator("h1")).to_have_text("Ten link nie działa")
    open_invitation(bob, "bob@example.com")  # the newest message
    bob.swap(bob.button("Akceptuj zaproszenie"), push_url=COMPANY_URL)
    expect(top_bar(bob)).to_contain_text(SPOLKA)


def test_a_revoked_invitation_link_says_so(people, js):
    anna, bob, company = anna_and_bob(people, bob_logged_in=False)
    invite(anna, company, "bob@example.com")
    anna.swap(button_starting(anna, "Wycofaj"), push_url=USERS_URL)
    expect(anna.main).to_contain_text("Zaproszenie dla bob@example.com zostało wycofane")
    expect(anna.main.locator("#invitations-heading + table")).to_contain_text("wycofane")
    bob.allows_status(410)
    open_invitation(bob, "bob@example.com")
    expect(bob.main.locator("h1")).to_have_text("Zaproszenie zostało wycofane")
    expect(bob.main.get_by_role("link", name="Załóż konto")).to_have_count(0)


def test_a_link_opened_from_another_account_changes_nothing(people, js):
    anna, carol, company = anna_and_bob(people, bob_logged_in=False)
    create_user(anna.server, "bob@example.com", "Bogdan", "Kowal")
    invite(anna, company, "bob@example.com")
    signed_in(carol, "carol@example.com", "Karolina", "Nowicka")
    carol.allows_status(403)
    open_invitation(carol, "bob@example.com")  # forwarded to her
    expect(carol.main).to_contain_text("To zaproszenie wysłano na adres b***@example.com")
    expect(carol.main).to_contain_text("Nic nie zostało zmienione")
    expect(carol.main.get_by_role("button", name="Akceptuj zaproszenie")).to_have_count(0)
    carol.goto("/panel")
    expect(top_bar(carol)).not_to_contain_text(SPOLKA)
    with anna.server.app.app_context(), database.connection_context():
        assert Invitation.get().status == "pending"
        assert Membership.select().where(Membership.company == company.id).count() == 1


def test_the_last_administrator_hands_over_then_leaves(people, js):
    anna, bob = people(), people()
    create_user(anna.server, "bob@example.com", "Bogdan", "Kowal")
    signed_in(anna, "anna@example.com")
    company = company_of(anna.server, "anna@example.com", "bob@example.com")
    to_users_page(anna, company)
    expect(anna.main).to_contain_text("jedyny administrator")

    # Leaving is refused while she is the only administrator: the page offers the hand-over.
    anna.follow(anna.link("Opuść firmę"))
    expect(anna.main).to_contain_text("Jesteś jedynym administratorem firmy")
    expect(anna.main.get_by_role("button", name="Opuść firmę")).to_have_count(0)
    anna.follow(anna.link("Przekaż administrację"))
    expect(anna.main.locator("h1")).to_have_text("Przekaż administrację")
    anna.main.get_by_label(re.compile("^Bogdan Kowal")).check()
    anna.swap(anna.button("Przekaż administrację"), push_url=USERS_URL)
    expect(anna.main).to_contain_text("Bogdan Kowal jest teraz administratorem firmy")
    expect(anna.main.get_by_role("link", name="Dodaj użytkownika")).to_have_count(0)

    # Now she may leave: asked first, then the panel, with no company in the top bar.
    anna.follow(anna.link("Opuść firmę"))
    expect(anna.main).to_contain_text("Czy opuścić firmę")
    anna.submit_redirect(anna.button("Opuść firmę"))
    expect(anna.page).to_have_url(re.compile(r"/panel$"))
    expect(anna.main).to_contain_text("Nie jesteś już użytkownikiem firmy")
    expect(top_bar(anna)).not_to_contain_text(SPOLKA)

    signed_in_as_bob = bob
    signed_in_as_bob.log_in("bob@example.com")
    to_users_page(signed_in_as_bob, company)
    expect(signed_in_as_bob.main).to_contain_text("jedyny administrator")
    expect(signed_in_as_bob.main.locator("#history-heading + ul")).to_contain_text("Przekazanie administracji")
    expect(signed_in_as_bob.main.locator("#history-heading + ul")).to_contain_text("Opuszczenie firmy")
