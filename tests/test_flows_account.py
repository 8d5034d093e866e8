"""The account flows called directly: twice is once, and nobody acts on another user's things."""


from konto import documents
from konto import passwords
from konto.flows import account
from konto.flows import email_change
from konto.flows import password
from konto.models import AuditEvent
from konto.models import Consent
from konto.models import Email
from konto.models import EmailChange
from konto.models import User
from konto.models import UserSession
from konto.models import utcnow
from tests.helpers import PASSWORD


def person(email):
    return User.create(email=email, first_name="Anna", last_name="Nowak",
                       password_hash=passwords.hash_password(PASSWORD), activated_at=utcnow())


def events(user, name):
    return AuditEvent.select().where((AuditEvent.user == user.id) & (AuditEvent.event == name)).count()


def test_confirming_a_new_address_twice_changes_it_once(ctx):
    anna = person("anna@example.com")
    email_change.request_change(anna, "anna.new@example.com")
    change = EmailChange.get()
    assert email_change.confirm(change) == email_change.DONE
    assert email_change.confirm(change) == email_change.USED
    assert User.get_by_id(anna.id).email == "anna.new@example.com"
    assert Email.select().where(Email.recipient == "anna@example.com").count() == 1  # the notice, once
    assert events(anna, "email_changed") == 1


def test_an_address_taken_meanwhile_is_not_confirmed(ctx):
    anna = person("anna@example.com")
    email_change.request_change(anna, "new@example.com")
    person("new@example.com")  # someone registered it since
    assert email_change.confirm(EmailChange.get()) == email_change.TAKEN
    assert User.get_by_id(anna.id).email == "anna@example.com"


def test_asking_for_an_address_with_an_account_tells_its_owner_and_sends_no_link(ctx):
    anna = person("anna@example.com")
    person("bob@example.com")
    email_change.request_change(anna, "bob@example.com")
    [notice] = Email.select()
    assert notice.recipient == "bob@example.com" and "/konto/email/potwierdz/" not in notice.text_body
    assert events(anna, "email_change_requested") == 1


def test_a_marketing_consent_given_twice_is_one_and_withdrawn_once(ctx):
    anna = person("anna@example.com")
    account.set_marketing(anna, True)
    account.set_marketing(anna, True)
    assert Consent.select().where(Consent.document == documents.MARKETING).count() == 1
    account.set_marketing(anna, False)
    account.set_marketing(anna, False)
    assert events(anna, "consent_given") == 1 and events(anna, "consent_withdrawn") == 1
    assert Consent.get(Consent.document == documents.MARKETING).withdrawn_at is not None


def test_nobody_ends_another_users_session(ctx):
    anna, eve = person("anna@example.com"), person("eve@example.com")
    row = UserSession.create(key_hash="k" * 64, user=anna)
    assert account.end_session(eve, row.id) is False
    assert UserSession.get_or_none(UserSession.id == row.id) is not None
    assert account.end_session(anna, row.id) is True
    assert account.end_session(anna, row.id) is False


def test_a_password_change_keeps_the_one_session_and_ends_the_rest(ctx):
    anna = person("anna@example.com")
    keep = UserSession.create(key_hash="a" * 64, user=anna)
    UserSession.create(key_hash="b" * 64, user=anna)
    password.change(anna, "inne-dlugie-haslo-2026", keep_session=keep)
    assert [row.id for row in UserSession.select()] == [keep.id]
    assert passwords.verify_password(User.get_by_id(anna.id).password_hash, "inne-dlugie-haslo-2026")
    assert password.confirm(anna, PASSWORD) is False and password.confirm(anna, "inne-dlugie-haslo-2026") is True
    assert events(anna, "login_failed") == 1  # the old password, typed again


def test_deleting_an_account_leaves_other_accounts_alone(ctx):
    anna, bob = person("anna@example.com"), person("bob@example.com")
    UserSession.create(key_hash="b" * 64, user=bob)
    account.delete(anna)
    assert User.get_or_none(User.id == anna.id) is None
    assert User.get_by_id(bob.id) and UserSession.select().where(UserSession.user == bob.id).count() == 1
