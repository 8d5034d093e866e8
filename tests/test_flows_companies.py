"""The company flows called directly, as another caller than a view would (a back office, a job):
they keep their rules whoever calls them, and twice is once."""


from konto import taxid
from konto.flows import access
from konto.flows import companies
from konto.models import AccessRequest
from konto.models import AuditEvent
from konto.models import Company
from konto.models import Email
from konto.models import Membership
from konto.models import User
from tests.helpers import activated_account

CONTACT = {"contact_email": "anna@example.com", "contact_phone": None, "contact_sms": False}


def drafted(user, number="PL5250001003"):
    found = companies.look_up(user, taxid.parse(number))
    assert found.outcome == companies.DRAFTED
    return found.draft


def test_adding_a_company_twice_from_one_draft_adds_it_once(ctx):
    anna = activated_account("anna@example.com")
    draft = drafted(anna)
    company = companies.add_company(anna, draft.key, CONTACT)
    assert company is not None and anna.active_company == company
    assert companies.add_company(anna, draft.key, CONTACT) is None
    assert Company.select().count() == Membership.select().count() == 1
    assert Email.select().where(Email.subject.contains("administratorem")).count() == 1
    assert User.get_by_id(anna.id).active_company_id == company.id


def test_nobody_adds_a_company_from_someone_elses_draft(ctx):
    anna, eve = activated_account("anna@example.com"), activated_account("eve@example.com")
    draft = drafted(anna)
    assert companies.add_company(eve, draft.key, CONTACT) is None
    assert Company.select().count() == 0


def test_a_company_whose_activity_ended_is_not_added_even_when_asked_directly(ctx):
    anna = activated_account("anna@example.com")
    draft = drafted(anna, "PL5830006000")
    assert companies.add_company(anna, draft.key, CONTACT) is None
    assert Company.select().count() == 0


def test_a_second_account_gets_no_company_that_is_in_the_portal(ctx):
    anna, bob = activated_account("anna@example.com"), activated_account("bob@example.com")
    first, second = drafted(anna), drafted(bob)
    assert companies.add_company(anna, first.key, CONTACT) is not None
    assert companies.add_company(bob, second.key, CONTACT) is None
    assert Membership.select().where(Membership.user == bob.id).count() == 0


def test_step1_knows_a_company_already_on_the_account(ctx):
    anna = activated_account("anna@example.com")
    company = companies.add_company(anna, drafted(anna).key, CONTACT)
    found = companies.look_up(anna, taxid.parse("5250001003"))
    assert found.outcome == companies.ALREADY_MINE and found.company.id == company.id


def test_switching_to_a_company_the_user_is_not_in_changes_nothing(ctx):
    anna, eve = activated_account("anna@example.com"), activated_account("eve@example.com")
    company = companies.add_company(anna, drafted(anna).key, CONTACT)
    assert companies.switch(eve, company.id) is None
    assert User.get_by_id(eve.id).active_company_id is None


def test_contact_of_a_stranger_is_not_changed_nor_recorded(ctx):
    anna, eve = activated_account("anna@example.com"), activated_account("eve@example.com")
    company = companies.add_company(anna, drafted(anna).key, CONTACT)
    assert companies.update_contact(eve, company, {"contact_email": "eve@example.com"}) is False
    assert Membership.get().contact_email == "anna@example.com"
    assert AuditEvent.select().where(AuditEvent.event == "contact_changed").count() == 0


def test_asking_twice_makes_one_request_and_one_message_per_admin(ctx):
    anna, bob = activated_account("anna@example.com"), activated_account("bob@example.com")
    company = companies.add_company(anna, drafted(anna).key, CONTACT)
    access.ask(bob, company)
    access.ask(bob, company)
    assert AccessRequest.select().count() == 1
    assert Email.select().where(Email.recipient == "anna@example.com", Email.subject.contains("Prośba")).count() == 1


def test_a_member_asks_for_nothing(ctx):
    anna = activated_account("anna@example.com")
    company = companies.add_company(anna, drafted(anna).key, CONTACT)
    access.ask(anna, company)
    assert AccessRequest.select().count() == 0


def test_only_an_administrator_decides_and_a_decision_stands(ctx):
    anna, bob, carol = (activated_account(f"{name}@example.com") for name in ("anna", "bob", "carol"))
    company = companies.add_company(anna, drafted(anna).key, CONTACT)
    Membership.create(user=carol, company=company, role="member")
    access.ask(bob, company)
    request = AccessRequest.get()
    assert access.decide(carol, company, request.id, accept=True) is None  # a plain member
    assert AccessRequest.get_by_id(request.id).status == "pending"
    assert access.decide(anna, company, request.id, accept=False).status == "declined"
    assert access.decide(anna, company, request.id, accept=True).status == "declined"  # decided already
    assert Membership.select().where(Membership.user == bob.id).count() == 0
    assert access.decide(anna, company, request.id + 1, accept=True) is None
