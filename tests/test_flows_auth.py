"""The sign-up, log-in and password flows called directly: twice is once, and the same result
whether or not an address has an account."""


from konto.flows import login
from konto.flows import password
from konto.flows import signup
from konto.models import AuditEvent
from konto.models import Email
from konto.models import User
from tests.helpers import PASSWORD


def subjects(address):
    return [m.subject for m in Email.select().where(Email.recipient == address).order_by(Email.id)]


def test_registering_an_address_again_never_makes_a_second_account(ctx):
    signup.register("anna@example.com", "inne-dlugie-haslo-2026", "Eve", "Intruz")
    signup.register("anna@example.com", PASSWORD, "Anna", "Nowak")
    # Not active yet: the latest registration's details, and the link again.
    assert User.select().count() == 1 and User.get().first_name == "Anna"
    assert subjects("anna@example.com") == ["Aktywuj swoje Konto"] * 2
    assert signup.activate(User.get(), "inne-dlugie-haslo-2026") == signup.WRONG_PASSWORD
    assert signup.activate(User.get(), PASSWORD) == signup.ACTIVATED
    signup.register("anna@example.com", PASSWORD, "Anna", "Nowak")
    assert subjects("anna@example.com")[-1] == "Próba założenia konta na Twój adres"


def test_activating_twice_activates_once(ctx):
    signup.register("anna@example.com", PASSWORD, "Anna", "Nowak")
    user = User.get()
    assert signup.activate(user, PASSWORD) == signup.ACTIVATED
    assert signup.activate(user, PASSWORD) == signup.ALREADY_ACTIVE
    assert AuditEvent.select().where(AuditEvent.event == "activate").count() == 1


def test_a_new_activation_link_only_for_an_account_waiting_for_one(ctx):
    signup.resend_activation("nikt@example.com")
    assert Email.select().count() == 0
    signup.register("anna@example.com", PASSWORD, "Anna", "Nowak")
    signup.activate(User.get(), PASSWORD)
    signup.resend_activation("anna@example.com")
    assert subjects("anna@example.com") == ["Aktywuj swoje Konto"]


def test_log_in_outcomes_and_what_is_recorded(ctx):
    assert login.log_in("nikt@example.com", PASSWORD).outcome == login.WRONG
    signup.register("anna@example.com", PASSWORD, "Anna", "Nowak")
    assert login.log_in("anna@example.com", PASSWORD).outcome == login.INACTIVE
    signup.activate(User.get(), PASSWORD)
    assert login.log_in("anna@example.com", "zle-haslo-calkiem").outcome == login.WRONG
    result = login.log_in("anna@example.com", PASSWORD)
    assert result.outcome == login.LOGGED_IN and result.user.email == "anna@example.com"
    events = [e.event for e in AuditEvent.select().order_by(AuditEvent.id)]
    assert events == ["register", "activate", "login", "login_failed", "login"]


def test_a_reset_link_works_once_and_an_unknown_address_gets_nothing(ctx):
    password.request_reset("nikt@example.com")
    assert Email.select().count() == 0
    signup.register("anna@example.com", PASSWORD, "Anna", "Nowak")
    password.request_reset("anna@example.com")  # not activated: the activation link again
    assert subjects("anna@example.com") == ["Aktywuj swoje Konto"] * 2
    signup.activate(User.get(), PASSWORD)
    user = User.get()
    assert password.reset(user, "inne-dlugie-haslo-2026") is True
    assert password.reset(User.get(), "trzecie-dlugie-haslo-2026") is True  # a new link: the new hash
    assert password.reset(user, "czwarte-dlugie-haslo-2026") is False  # the first link, again
    assert login.log_in("anna@example.com", "trzecie-dlugie-haslo-2026").outcome == login.LOGGED_IN
