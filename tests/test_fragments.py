"""The layout's kept fragments (konto.fragments): the top bar is always the one of this request's
user, session, company and language, whatever another user or an earlier page left in the memo.
Two people, one worker: after every change that alters a top bar, the next page shows the change."""

import re

from konto.db import database
from konto.models import Company
from konto.models import Membership
from konto.models import User
from tests.helpers import Journey

ANNA_COMPANY = "PL5250001003"
ANNA_SECOND = "PL6760003007"
BOB_COMPANY = "PL6770002009"


def top_bar(client, path="/panel", **headers):
    page = client.get(path, headers=headers).data.decode()
    bar = re.search(r'<header class="topbar">.*?</header>', page, re.S).group(0)
    page_token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
    return bar, page_token


def person(app, email, first, last, company=None):
    journey = Journey(app.test_client())
    journey.register(email=email, first_name=first, last_name=last)
    journey.activate(email=email)
    assert journey.login(email=email).status_code == 303
    if company:
        assert journey.add_company(company, contact_email=email).status_code == 303
    return journey


def name_of(tax_id):
    with database.connection_context():
        return Company.get(Company.tax_id == tax_id).name


def company_id(tax_id):
    with database.connection_context():
        return Company.get(Company.tax_id == tax_id).id


def test_two_people_each_get_their_own_top_bar(app):
    anna = person(app, "anna@example.com", "Anna", "Nowak", ANNA_COMPANY)
    bob = person(app, "bob@example.com", "Bartosz", "Zieliński", BOB_COMPANY)
    for _ in range(3):  # turn by turn, the memo full of both
        for journey, mine, theirs in ((anna, ("Anna Nowak", name_of(ANNA_COMPANY)), ("Bartosz Zieliński",)),
                                      (bob, ("Bartosz Zieliński", name_of(BOB_COMPANY)), ("Anna Nowak",))):
            for path in ("/panel", "/konto", f"/firmy/{company_id(ANNA_COMPANY if journey is anna else BOB_COMPANY)}"):
                bar, page_token = top_bar(journey.client, path)
                assert all(text in bar for text in mine), (path, bar)
                assert not any(text in bar for text in theirs), (path, bar)
                # The log-out form carries this session's own token, the page's.
                assert f'name="csrf_token" value="{page_token}"' in bar
    assert name_of(ANNA_COMPANY) != name_of(BOB_COMPANY)


def test_the_same_person_in_two_browsers_gets_each_browsers_token(app):
    first = person(app, "anna@example.com", "Anna", "Nowak", ANNA_COMPANY)
    second = Journey(app.test_client())
    assert second.login().status_code == 303
    bar_one, token_one = top_bar(first.client)
    bar_two, token_two = top_bar(second.client)
    assert token_one != token_two
    assert token_one in bar_one and token_two not in bar_one
    assert token_two in bar_two and token_one not in bar_two


def test_a_company_renamed_shows_its_new_name_on_the_next_page(app):
    anna = person(app, "anna@example.com", "Anna", "Nowak", ANNA_COMPANY)
    old = name_of(ANNA_COMPANY)
    assert old in top_bar(anna.client)[0]
    with database.connection_context():  # as a refresh from the registry would
        Company.update(name="Nowa Nazwa Handlowa Sp. z o.o.").where(Company.tax_id == ANNA_COMPANY).execute()
    bar, _ = top_bar(anna.client)
    assert "Nowa Nazwa Handlowa Sp. z o.o." in bar and old not in bar


def test_switching_companies_shows_the_chosen_one(app):
    anna = person(app, "anna@example.com", "Anna", "Nowak", ANNA_COMPANY)
    assert anna.add_company(ANNA_SECOND, contact_email="anna@example.com").status_code == 303
    first, second = name_of(ANNA_COMPANY), name_of(ANNA_SECOND)
    for chosen, other in ((first, second), (second, first), (first, second)):
        response = anna.client.post("/firmy/zmien", data={"company_id": company_id(
            ANNA_COMPANY if chosen == first else ANNA_SECOND)})
        assert response.status_code == 303
        bar, _ = top_bar(anna.client)
        assert chosen in bar and other not in bar


def test_a_new_name_shows_on_the_next_page(app):
    anna = person(app, "anna@example.com", "Anna", "Nowak", ANNA_COMPANY)
    assert "Anna Nowak" in top_bar(anna.client)[0]
    response = anna.client.post("/konto/imie-i-nazwisko", data={"first_name": "Anita", "last_name": "Nowak"})
    assert response.status_code == 303
    bar, _ = top_bar(anna.client)
    assert "Anita Nowak" in bar and "Anna Nowak" not in bar


def test_a_member_removed_no_longer_sees_the_company(app):
    anna = person(app, "anna@example.com", "Anna", "Nowak", ANNA_COMPANY)
    bob = person(app, "bob@example.com", "Bartosz", "Zieliński")
    company = company_id(ANNA_COMPANY)
    with database.connection_context():
        bob_id = User.get(User.email == "bob@example.com").id
        membership = Membership.create(user=bob_id, company=company, role="member")
        User.update(active_company=company).where(User.id == bob_id).execute()
    assert name_of(ANNA_COMPANY) in top_bar(bob.client)[0]
    response = anna.client.post(f"/firmy/{company}/uzytkownicy/{membership.id}/usun")
    assert response.status_code in (200, 303), response.data.decode()[:300]
    with database.connection_context():
        assert not Membership.select().where(Membership.id == membership.id).exists()
    bar, _ = top_bar(bob.client)
    assert name_of(ANNA_COMPANY) not in bar and "Bartosz Zieliński" in bar
    assert name_of(ANNA_COMPANY) in top_bar(anna.client)[0]  # still hers


def test_a_language_switch_shows_the_top_bar_in_that_language(app):
    anna = person(app, "anna@example.com", "Anna", "Nowak", ANNA_COMPANY)
    bob = person(app, "bob@example.com", "Bartosz", "Zieliński", BOB_COMPANY)
    assert "Wyloguj" in top_bar(anna.client)[0]
    assert anna.client.post("/jezyk", data={"lang": "en", "next": "/panel"}).status_code == 303
    english, _ = top_bar(anna.client)
    assert "Log out" in english and "Wyloguj" not in english and "Selected company:" in english
    polish, _ = top_bar(bob.client)  # Bob still reads Polish
    assert "Wyloguj" in polish and "Log out" not in polish
    assert anna.client.post("/jezyk", data={"lang": "pl", "next": "/panel"}).status_code == 303
    assert "Wyloguj" in top_bar(anna.client)[0]


def test_after_log_out_the_top_bar_is_a_visitors(app):
    anna = person(app, "anna@example.com", "Anna", "Nowak", ANNA_COMPANY)
    assert "Anna Nowak" in top_bar(anna.client)[0]
    assert anna.logout().status_code == 303
    bar, _ = top_bar(anna.client, "/logowanie")
    assert "Anna Nowak" not in bar and name_of(ANNA_COMPANY) not in bar
    assert "Zaloguj się" in bar and "Wyloguj" not in bar
    # Logged in again: her bar, with the new session's token.
    assert anna.login().status_code == 303
    bar, page_token = top_bar(anna.client)
    assert "Anna Nowak" in bar and page_token in bar


def test_a_visitors_top_bar_never_carries_a_users(app):
    anna = person(app, "anna@example.com", "Anna", "Nowak", ANNA_COMPANY)
    top_bar(anna.client)
    visitor = app.test_client()
    for path in ("/logowanie", "/rejestracja", "/"):
        bar, _ = top_bar(visitor, path)
        assert "Anna Nowak" not in bar and "csrf_token" not in bar
