"""Two-step sign-in (issue 14): an authenticator app, recovery codes, the second step after the
password, re-authentication, turning it off, and every way someone might get past it."""

import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from konto import factors
from konto import sessions
from konto.db import database
from konto.models import AuditEvent
from konto.models import Company
from konto.models import Membership
from konto.models import PendingLogin
from konto.models import RecoveryCode
from konto.models import TotpCredential
from konto.models import TotpEnrolment
from konto.models import User
from konto.models import UserSession
from tests.helpers import PASSWORD
from tests.helpers import Journey
from tests.helpers import app_code
from tests.helpers import comparable
from tests.helpers import link_in
from tests.helpers import mails_to
from tests.helpers import user

ROOT = Path(__file__).resolve().parent.parent

BASE = "/konto/weryfikacja-dwuetapowa"


@pytest.fixture
def anna(journey):
    journey.signed_up()
    return journey


@pytest.fixture
def enrolled(anna, clock):
    """Anna with an authenticator app: (journey, secret, recovery codes)."""
    secret, codes = anna.turn_on_app(clock)
    return anna, secret, codes


def events(email, name):
    with database.connection_context():
        return list(AuditEvent.select().where(
            (AuditEvent.user == User.get(User.email == email).id) & (AuditEvent.event == name)))


def fresh_login(app, email="anna@example.com", **extra):
    """A new browser that typed the right password: it holds a half-session."""
    journey = Journey(app.test_client())
    response = journey.login(email=email, **extra)
    assert response.status_code == 303 and response.headers["Location"] == "/logowanie/weryfikacja"
    return journey


def recovery(browser, code):
    return browser.client.post("/logowanie/weryfikacja/kod-zapasowy", data={"code": code})


# -- turning it on ------------------------------------------------------------------------


def test_setting_up_an_app_shows_a_qr_code_and_the_secret_and_the_first_code_confirms_it(client, anna, clock):
    assert "wyłączona" in client.get(BASE).data.decode()
    assert client.get(BASE + "/aplikacja/nowa").headers["Location"].startswith("/konto/potwierdz")
    anna.reauth()
    assert client.post(BASE + "/aplikacja/nowa").headers["Location"] == BASE + "/aplikacja"
    page = client.get(BASE + "/aplikacja").data.decode()
    # A QR code as an SVG data: image (the CSP allows data: images), and the secret to type.
    assert re.search(r'<img src="data:image/svg\+xml[^"]+" width="245" height="245" alt="Kod QR', page)
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    assert len(secret) == 32
    assert user("anna@example.com").two_step_at is None  # not before the first code
    wrong = client.post(BASE + "/aplikacja", data={"code": "000000"})
    assert wrong.status_code == 422 and "Ten kod się nie zgadza" in wrong.data.decode()
    done = client.post(BASE + "/aplikacja", data={"code": app_code(secret, clock)})
    assert done.status_code == 200
    body = done.data.decode()
    assert "Weryfikacja dwuetapowa jest włączona" in body
    codes = re.findall(r"<li><code>([0-9a-z-]{19})</code></li>", body)
    assert len(codes) == 10 and len(set(codes)) == 10
    # The same codes in the file to download (a data: link: nothing kept on the server).
    download = re.search(r'href="(data:text/plain;charset=utf-8,[^"]+)" download="konto-kody-zapasowe.txt"', body)
    assert all(code in download.group(1) for code in codes)
    assert user("anna@example.com").two_step_at is not None
    assert events("anna@example.com", "two_step_enabled")
    assert mails_to("anna@example.com")[0].subject == "Włączono weryfikację dwuetapową"
    assert "włączona" in client.get(BASE).data.decode()


def test_the_secret_is_encrypted_at_rest_and_recovery_codes_are_hashed(app, enrolled):
    _journey, secret, codes = enrolled
    with database.connection_context():
        stored = TotpCredential.get().secret
        assert secret not in stored and stored.startswith("gAAAAA")  # a Fernet token
        with app.app_context():
            assert factors.decrypt(stored) == secret
        rows = list(RecoveryCode.select())
    assert len(rows) == 10
    assert not any(code.replace("-", "") in row.code_hash + row.salt for code in codes for row in rows)


def test_rotating_the_key_re_encrypts_every_app_secret_so_the_old_key_can_go(app, enrolled, clock):
    _journey, secret, _codes = enrolled
    bob = Journey(app.test_client())  # an app being set up: its secret is encrypted too
    bob.signed_up(email="bob@example.com")
    bob.reauth()
    assert bob.client.post(BASE + "/aplikacja/nowa").status_code == 303
    old = app.config["KONTO_TWO_STEP_KEY"]
    new = Fernet.generate_key().decode()
    app.config["KONTO_TWO_STEP_KEY"] = (new, *old)  # the new key first, the old one still read
    runner = app.test_cli_runner()
    rotated = runner.invoke(args=["two-step", "rotate-key"])
    assert rotated.exit_code == 0, rotated.output
    assert "Zaszyfrowane ponownie najnowszym kluczem: 2; już nim zaszyfrowane: 0." in rotated.output
    again = runner.invoke(args=["two-step", "rotate-key"])
    assert "Zaszyfrowane ponownie najnowszym kluczem: 0; już nim zaszyfrowane: 2." in again.output
    assert secret not in rotated.output + again.output
    with database.connection_context():
        for model in (TotpCredential, TotpEnrolment):
            Fernet(new).decrypt(model.get().secret.encode())  # under the new key alone
    app.config["KONTO_TWO_STEP_KEY"] = (new,)  # the old key dropped: the app's codes still sign in
    assert fresh_login(app).second_step(app_code(secret, clock)).status_code == 303
    # A key changed without rotating: the command names the rows no key reads, and fails.
    app.config["KONTO_TWO_STEP_KEY"] = (Fernet.generate_key().decode(),)
    lost = runner.invoke(args=["two-step", "rotate-key"])
    assert lost.exit_code == 1
    with database.connection_context():  # the rows' own ids (PostgreSQL's sequences go on across tests)
        rows = f"totpcredential {TotpCredential.get().id}, totpenrolment {TotpEnrolment.get().id}"
    assert f"nie odczytuje 2 sekretów ({rows})" in lost.output


def test_turning_it_on_ends_the_other_sessions_opened_with_the_password_alone(app, anna, clock):
    old = Journey(app.test_client())
    old.login()
    assert old.client.get("/panel").status_code == 200
    anna.turn_on_app(clock)
    assert old.client.get("/panel").status_code == 302  # its cookie (and remember-me) is dead
    assert anna.client.get("/panel").status_code == 200  # this one stays


def test_setting_up_another_app_never_shows_the_old_secret_and_the_old_one_works_until_the_new_confirms(
    app, enrolled, clock
):
    anna, old_secret, _codes = enrolled
    anna.reauth(code=app_code(old_secret, clock))
    anna.client.post(BASE + "/aplikacja/nowa")
    page = anna.client.get(BASE + "/aplikacja").data.decode()
    new_secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    assert new_secret != old_secret
    assert old_secret not in page and factors.grouped(old_secret) not in page
    # Until the new app confirms a code, the old one signs in.
    clock.advance(30)
    other = fresh_login(app)
    assert other.second_step(app_code(old_secret, clock)).status_code == 303
    clock.advance(30)
    done = anna.client.post(BASE + "/aplikacja", data={"code": app_code(new_secret, clock)})
    assert done.status_code == 303
    assert events("anna@example.com", "two_step_app_changed")
    clock.advance(30)
    third = fresh_login(app)
    assert third.second_step(app_code(old_secret, clock)).status_code == 422
    assert third.second_step(app_code(new_secret, clock)).status_code == 303


# -- signing in ---------------------------------------------------------------------------


def test_sign_in_asks_for_the_code_after_the_password(app, enrolled, clock):
    _anna, secret, _codes = enrolled
    bob = fresh_login(app, next="/konto")
    page = bob.client.get("/logowanie/weryfikacja").data.decode()
    assert "Kod z aplikacji" in page and 'autocomplete="one-time-code"' in page
    assert bob.client.get("/panel").status_code == 302  # nothing before the code
    wrong = bob.second_step("123456")
    assert wrong.status_code == 422 and "nieprawidłowy albo został już użyty" in wrong.data.decode()
    done = bob.second_step(app_code(secret, clock))
    assert done.status_code == 303 and done.headers["Location"] == "/konto"
    assert bob.client.get("/panel").status_code == 200
    assert events("anna@example.com", "second_step_failed")
    assert any("kod z aplikacji" in (event.detail or "") for event in events("anna@example.com", "login"))


def test_one_step_of_clock_drift_either_way_and_no_more(app, enrolled, clock):
    _anna, secret, _codes = enrolled
    clock.advance(300)
    for steps, status in [(-2, 422), (2, 422), (-1, 303)]:
        browser = fresh_login(app)
        assert browser.second_step(app_code(secret, clock, steps)).status_code == status, steps
    browser = fresh_login(app)
    assert browser.second_step(app_code(secret, clock, 1)).status_code == 303


def test_a_used_code_is_refused_and_so_is_an_older_one(app, enrolled, clock):
    _anna, secret, _codes = enrolled
    code = app_code(secret, clock)
    assert fresh_login(app).second_step(code).status_code == 303
    assert fresh_login(app).second_step(code).status_code == 422  # the same step again
    assert events("anna@example.com", "second_step_replayed")
    assert mails_to("anna@example.com")[0].subject == "Ktoś ponownie użył kodu z Twojej aplikacji"
    assert fresh_login(app).second_step(app_code(secret, clock, -1)).status_code == 422  # an older step
    clock.advance(30)
    assert fresh_login(app).second_step(app_code(secret, clock)).status_code == 303


def test_the_same_code_in_two_tabs_at_the_same_moment_signs_in_once(app, enrolled, clock):
    _anna, secret, _codes = enrolled
    code = app_code(secret, clock)
    browsers = [fresh_login(app) for _ in range(4)]
    barrier = threading.Barrier(len(browsers))
    statuses = []

    def submit(browser):
        barrier.wait()
        statuses.append(browser.second_step(code).status_code)
        database.close()

    threads = [threading.Thread(target=submit, args=(b,)) for b in browsers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(statuses) == [303, 422, 422, 422]


def test_the_half_session_grants_nothing_but_the_second_step(app, enrolled):
    """Every GET page answers a half-session exactly as it answers a visitor with no session."""
    half = fresh_login(app)
    stranger = app.test_client()
    open_to_half = {"twostep.second_step", "twostep.second_step_recovery"}
    checked = 0
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static" or rule.endpoint in open_to_half:
            continue
        path = re.sub(r"<int:\w+>", "1", re.sub(r"<(string:)?\w+>", "x", rule.rule))
        got, expected = half.client.get(path), stranger.get(path)
        assert got.status_code == expected.status_code, path
        assert got.headers.get("Location") == expected.headers.get("Location"), path
        assert comparable(got.data.decode()) == comparable(expected.data.decode()), path
        checked += 1
    assert checked > 20
    # The pages that need a login send the half-session to the login page.
    assert half.client.get("/konto").headers["Location"].startswith("/logowanie")
    # htmx and JSON-ish requests are refused the same way.
    assert half.client.get("/panel", headers={"HX-Request": "true"}).status_code == 401
    assert half.client.post("/klucz-dostepu/opcje", data={"cel": "register"}).status_code == 401
    assert half.client.get("/logowanie/weryfikacja").status_code == 200


def test_the_half_session_expires(app, enrolled, clock):
    _anna, secret, _codes = enrolled
    browser = fresh_login(app)
    app.config["TWO_STEP_LOGIN_TIMEOUT"] = 0
    expired = browser.second_step(app_code(secret, clock))
    assert expired.status_code == 303 and expired.headers["Location"] == "/logowanie"
    assert browser.client.get("/panel").status_code == 302
    assert "Logowanie wygasło" in browser.client.get("/logowanie").data.decode()
    with database.connection_context():
        assert PendingLogin.select().count() == 0


def test_the_half_session_is_bound_to_its_browser_and_ends_with_the_sign_in(app, enrolled, clock):
    _anna, secret, _codes = enrolled
    browser = fresh_login(app)
    # Another browser (no cookie) has no half-session to finish, whatever it posts.
    other = Journey(app.test_client())
    assert other.second_step(app_code(secret, clock)).headers["Location"] == "/logowanie"
    # The half-session's cookie, replayed after the sign-in, is worth nothing.
    copied = browser.client.get_cookie("session").value
    assert browser.second_step(app_code(secret, clock)).status_code == 303
    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert thief.get("/logowanie/weryfikacja").headers["Location"] == "/logowanie"
    assert thief.get("/panel").status_code == 302


def test_cancelling_the_sign_in_ends_the_half_session(app, enrolled, clock):
    _anna, secret, _codes = enrolled
    browser = fresh_login(app)
    assert browser.client.post("/logowanie/weryfikacja/anuluj").headers["Location"] == "/logowanie"
    assert browser.second_step(app_code(secret, clock)).headers["Location"] == "/logowanie"
    with database.connection_context():
        assert PendingLogin.select().count() == 0


def test_remember_me_waits_for_the_second_step(app, enrolled, clock):
    _anna, secret, _codes = enrolled
    browser = fresh_login(app, remember="y")
    assert browser.client.get_cookie("remember_token") is None
    browser.second_step(app_code(secret, clock))
    remembered = browser.client.get_cookie("remember_token").value
    # A browser with only that remember-me cookie is in (the session row passed the second step)...
    later = app.test_client()
    later.set_cookie("remember_token", remembered)
    assert later.get("/panel").status_code == 200


def test_a_remember_me_cookie_from_before_turning_it_on_is_dead(app, anna, clock):
    old = Journey(app.test_client())
    old.login(remember="y")
    remembered = old.client.get_cookie("remember_token").value
    anna.turn_on_app(clock)
    later = app.test_client()
    later.set_cookie("remember_token", remembered)
    assert later.get("/panel").status_code == 302


def test_htmx_gets_the_second_step_as_a_full_page_load(app, enrolled, clock):
    _anna, secret, _codes = enrolled
    browser = Journey(app.test_client())
    response = browser.client.post(
        "/logowanie", data={"email": "anna@example.com", "password": PASSWORD}, headers={"HX-Request": "true"})
    assert response.headers["HX-Redirect"] == "/logowanie/weryfikacja"
    wrong = browser.second_step("000000", **{"HX-Request": "true"})
    assert wrong.status_code == 422 and "<html" not in wrong.data.decode()
    done = browser.second_step(app_code(secret, clock), **{"HX-Request": "true"})
    assert done.headers["HX-Redirect"] == "/panel"


def test_no_way_in_starts_a_session_without_the_second_step(app, enrolled):
    """sessions.start_session refuses an account with two-step sign-in on unless told the
    second step was done: a new way in (a link, an invitation) cannot skip it by accident."""
    with app.test_request_context(), database.connection_context():
        anna = User.get(User.email == "anna@example.com")
        with pytest.raises(sessions.SecondStepRequired):
            sessions.start_session(anna)
        assert UserSession.select().where(UserSession.user == anna.id).count() == 1  # only the enrolling one


# -- recovery codes -------------------------------------------------------------------------


def test_a_recovery_code_signs_in_once_and_the_owner_is_told(app, enrolled):
    _anna, _secret, codes = enrolled
    browser = fresh_login(app)
    page = browser.client.get("/logowanie/weryfikacja/kod-zapasowy").data.decode()
    assert "pomoc@konto.localhost" in page  # lost everything: who to write to
    typed = codes[3].upper().replace("-", " ")  # case and separators do not matter
    done = browser.client.post("/logowanie/weryfikacja/kod-zapasowy", data={"code": typed})
    assert done.status_code == 303
    assert "Użyto kodu zapasowego" in browser.client.get("/panel").data.decode()
    again = recovery(fresh_login(app), codes[3])
    assert again.status_code == 422 and "nieprawidłowy albo został już użyty" in again.data.decode()
    assert mails_to("anna@example.com")[0].subject == "Użyto kodu zapasowego"
    assert "Pozostało kodów: 9" in mails_to("anna@example.com")[0].text_body
    assert events("anna@example.com", "recovery_code_used")
    assert "Pozostało kodów: 9 z 10" in browser.client.get(BASE).data.decode()


def test_a_recovery_code_is_spent_once_when_two_tabs_send_it_at_once(app, enrolled):
    _anna, _secret, codes = enrolled
    browsers = [fresh_login(app) for _ in range(4)]
    barrier = threading.Barrier(len(browsers))
    statuses = []

    def submit(browser):
        barrier.wait()
        statuses.append(browser.client.post("/logowanie/weryfikacja/kod-zapasowy", data={"code": codes[0]}).status_code)
        database.close()

    threads = [threading.Thread(target=submit, args=(b,)) for b in browsers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(statuses) == [303, 422, 422, 422]
    with database.connection_context():
        assert RecoveryCode.select().where(RecoveryCode.used_at.is_null(False)).count() == 1


def test_recovery_codes_are_compared_with_every_unused_one_in_constant_time(monkeypatch):
    """Each check hashes and compares every unused code, whether or not an earlier one matched."""
    codes = factors.new_recovery_codes()

    class Row:
        def __init__(self, code):
            self.salt, self.code_hash = factors.hash_recovery_code(code)

    rows = [Row(code) for code in codes]
    compared = []
    real = factors.hmac.compare_digest
    monkeypatch.setattr(factors.hmac, "compare_digest", lambda a, b: compared.append(1) or real(a, b))
    assert factors.matching_recovery_code(rows, codes[0]) is rows[0]
    assert len(compared) == 10
    compared.clear()
    assert factors.matching_recovery_code(rows, "zzzz-zzzz-zzzz-zzzz") is None
    assert len(compared) == 10
    compared.clear()
    assert factors.matching_recovery_code(rows, "not a code") is None
    assert len(compared) == 10


def test_new_recovery_codes_replace_the_old_ones(app, enrolled, clock):
    anna, _secret, old_codes = enrolled
    assert recovery(fresh_login(app), old_codes[0]).status_code == 303
    page = anna.client.get(BASE + "/kody").data.decode()
    assert "Pozostało kodów: 9 z 10" in page
    done = anna.client.post(BASE + "/kody")
    assert done.status_code == 200
    new_codes = re.findall(r"<li><code>([0-9a-z-]{19})</code></li>", done.data.decode())
    assert len(new_codes) == 10 and not set(new_codes) & set(old_codes)
    assert recovery(fresh_login(app), old_codes[1]).status_code == 422
    assert recovery(fresh_login(app), new_codes[1]).status_code == 303
    assert events("anna@example.com", "recovery_codes_generated")
    assert mails_to("anna@example.com")[1].subject == "Wygenerowano nowe kody zapasowe"


# -- re-authentication and turning it off -----------------------------------------------------


def test_reauthentication_asks_for_the_second_step_too(app, enrolled, clock):
    anna, secret, codes = enrolled
    app.config["REAUTH_WINDOW"] = 0
    assert anna.client.get("/konto/haslo").status_code == 302
    page = anna.client.get("/konto/potwierdz?next=/konto/haslo").data.decode()
    assert "Kod z aplikacji lub kod zapasowy" in page
    app.config["REAUTH_WINDOW"] = 600
    assert anna.reauth().status_code == 422  # the password alone is not enough
    assert anna.reauth(code="000000").status_code == 422
    assert anna.reauth(password="zle-haslo-calkiem", code=app_code(secret, clock)).status_code == 422
    assert anna.reauth(code=app_code(secret, clock)).status_code == 303
    assert anna.client.get("/konto/haslo").status_code == 200
    # A recovery code does too (and is spent).
    assert anna.reauth(code=codes[5]).status_code == 303
    assert anna.reauth(code=codes[5]).status_code == 422


def test_turning_it_off_needs_the_password_and_a_code(app, enrolled, clock):
    anna, secret, _codes = enrolled
    page = anna.client.get(BASE + "/wylacz").data.decode()
    assert "Hasło" in page and "Kod z aplikacji lub kod zapasowy" in page
    off = BASE + "/wylacz"
    assert anna.client.post(off, data={"password": PASSWORD}).status_code == 422
    wrong_password = {"password": "zle-haslo-calkiem", "code": app_code(secret, clock)}
    assert anna.client.post(off, data=wrong_password).status_code == 422
    assert anna.client.post(off, data={"password": PASSWORD, "code": "000000"}).status_code == 422
    assert user("anna@example.com").two_step_at is not None
    done = anna.client.post(off, data={"password": PASSWORD, "code": app_code(secret, clock)})
    assert done.status_code == 303
    assert user("anna@example.com").two_step_at is None
    with database.connection_context():
        assert TotpCredential.select().count() == RecoveryCode.select().count() == 0
    assert events("anna@example.com", "two_step_disabled")
    assert mails_to("anna@example.com")[0].subject == "Wyłączono weryfikację dwuetapową"
    assert Journey(app.test_client()).login().headers["Location"] == "/panel"  # the password alone now


# -- other ways in ------------------------------------------------------------------------------


def test_a_password_reset_leaves_two_step_sign_in_on(app, enrolled, clock):
    _anna, secret, _codes = enrolled
    browser = Journey(app.test_client())
    browser.client.post("/haslo/nie-pamietam", data={"email": "anna@example.com"})
    path = link_in(mails_to("anna@example.com")[0], "/haslo/nowe/")
    new_password = "nowe-haslo-po-resecie-2026"
    done = browser.client.post(path, data={"password": new_password, "password_repeat": new_password})
    assert done.status_code == 303 and done.headers["Location"] == "/logowanie"  # not logged in
    assert browser.client.get("/panel").status_code == 302
    assert user("anna@example.com").two_step_at is not None
    response = browser.login(password=new_password)
    assert response.headers["Location"] == "/logowanie/weryfikacja"
    assert browser.second_step(app_code(secret, clock)).status_code == 303


def reset_by_e_mail(app, new_password):
    browser = Journey(app.test_client())
    browser.client.post("/haslo/nie-pamietam", data={"email": "anna@example.com"})
    form = {"password": new_password, "password_repeat": new_password}
    assert browser.client.post(link_in(mails_to("anna@example.com")[0], "/haslo/nowe/"), data=form).status_code == 303


def change_in_settings(anna, secret, clock, new_password):
    assert anna.reauth(code=app_code(secret, clock)).status_code == 303
    clock.advance(30)
    form = {"password": new_password, "password_repeat": new_password}
    assert anna.client.post("/konto/haslo", data=form).status_code == 303


@pytest.mark.parametrize("how", ["reset", "change"])
def test_a_new_password_ends_a_sign_in_waiting_at_the_second_step(app, enrolled, clock, how):
    """A half-session stands for "the password was right": whoever typed the old password and
    waits at the second step (for a code they hope to phish) is out once the owner sets a new one
    (issue 10's rule: a token dies with the state it stands for)."""
    anna, secret, _codes = enrolled
    attacker = fresh_login(app)  # the old password, typed elsewhere
    if how == "reset":
        reset_by_e_mail(app, "nowe-haslo-po-resecie-2026")
    else:
        change_in_settings(anna, secret, clock, "nowe-haslo-w-ustawieniach-2026")
    clock.advance(30)
    answer = attacker.second_step(app_code(secret, clock))
    assert answer.status_code == 303 and answer.headers["Location"] == "/logowanie"
    assert attacker.client.get("/panel").status_code == 302
    assert anna.client.get("/panel").status_code == (302 if how == "reset" else 200)


def test_e_mail_change_and_its_links_never_log_in_past_the_second_step(app, enrolled, clock):
    anna, secret, _codes = enrolled
    assert anna.reauth(code=app_code(secret, clock)).status_code == 303
    assert anna.client.post("/konto/email", data={"email": "nowy@example.com"}).status_code == 200
    confirm = link_in(mails_to("nowy@example.com")[0], "/konto/email/potwierdz/")
    stranger = Journey(app.test_client())
    assert stranger.client.post(confirm).headers["Location"] == "/logowanie"
    assert stranger.client.get("/panel").status_code == 302
    revert = link_in([m for m in mails_to("anna@example.com") if "/konto/email/cofnij/" in m.text_body][0],
                     "/konto/email/cofnij/")
    assert stranger.client.post(revert).status_code == 200
    assert stranger.client.get("/panel").status_code == 302
    # "To nie ja" ends the password (whoever moved the address knew it) and mails a reset link:
    # the new password still leads to the second step.
    assert stranger.login().status_code == 422
    reset = link_in(mails_to("anna@example.com")[0], "/haslo/nowe/")
    new_password = "inne-dlugie-haslo-2026"
    form = {"password": new_password, "password_repeat": new_password}
    assert stranger.client.post(reset, data=form).status_code == 303
    assert stranger.login(password=new_password).headers["Location"] == "/logowanie/weryfikacja"


def test_the_second_step_page_says_how_to_reach_support(app, enrolled):
    browser = fresh_login(app)
    page = browser.client.get("/logowanie/weryfikacja/kod-zapasowy").data.decode()
    assert "Nowe hasło z linku w e-mailu nie wyłącza weryfikacji dwuetapowej" in page
    assert 'href="mailto:pomoc@konto.localhost"' in page


def test_the_secret_is_never_in_the_export(app, enrolled, clock):
    anna, secret, codes = enrolled
    body = anna.client.post("/konto/eksport").data.decode()
    assert '"two_step"' in body and '"recovery_codes_left": 10' in body
    with database.connection_context():
        stored = TotpCredential.get().secret
        hashes = [row.code_hash for row in RecoveryCode.select()]
    for secret_text in [secret, stored, factors.grouped(secret), *codes, *hashes]:
        assert secret_text not in body


def test_the_secret_and_codes_are_never_in_the_logs(app, client, clock, capfd, caplog):
    journey = Journey(client)
    journey.signed_up()
    secret, codes = journey.turn_on_app(clock)
    browser = fresh_login(app)
    browser.second_step(app_code(secret, clock))
    recovery(fresh_login(app), codes[0])
    out, err = capfd.readouterr()
    logged = out + err + caplog.text
    for text in [secret, factors.grouped(secret), *codes]:
        assert text not in logged


def test_setting_up_an_app_needs_a_recent_password_and_a_started_setup(client, anna):
    assert client.get(BASE + "/aplikacja").headers["Location"].startswith("/konto/potwierdz")
    anna.reauth()
    assert client.get(BASE + "/aplikacja").headers["Location"] == BASE + "/aplikacja/nowa"
    assert client.post(BASE + "/aplikacja", data={"code": "123456"}).status_code == 302
    with database.connection_context():
        assert TotpEnrolment.select().count() == 0


def test_codes_and_turning_off_are_not_offered_while_it_is_off(client, anna):
    anna.reauth()
    assert client.get(BASE + "/kody").headers["Location"] == BASE
    assert client.get(BASE + "/wylacz").headers["Location"] == BASE
    assert client.post(BASE + "/kody").headers["Location"] == BASE
    with database.connection_context():
        assert RecoveryCode.select().count() == 0


# -- a company requiring it -------------------------------------------------------------------

COMPANY = "PL5250001003"


def company_of(email):
    with database.connection_context():
        return Company.select().join(Membership).join(User).where(User.email == email).get()


def join(app, admin, email):
    """`email` signs up and the admin makes them a member of the admin's company."""
    member = Journey(app.test_client())
    member.signed_up(email=email)
    with database.connection_context():
        Membership.create(user=User.get(User.email == email), company=company_of("anna@example.com"))
    return member


def require(journey, company_id, on=True):
    return journey.client.post(f"/firmy/{company_id}/weryfikacja-dwuetapowa", data={"require": "y"} if on else {})


def test_an_administrator_requires_it_and_users_are_led_to_turn_it_on(app, anna, clock):
    anna.add_company(COMPANY)
    company = company_of("anna@example.com")
    bob = join(app, anna, "bob@example.com")
    page = anna.client.get(f"/firmy/{company.id}").data.decode()
    assert "Wymagaj weryfikacji dwuetapowej" in page
    # Requiring it while having it off: refused (it would lock the administrator out first).
    refused = require(anna, company.id)
    assert refused.status_code == 303
    assert "Najpierw włącz weryfikację dwuetapową" in anna.client.get(refused.headers["Location"]).data.decode()
    assert not company_of("anna@example.com").require_two_step
    anna.turn_on_app(clock)
    assert require(anna, company.id).status_code == 303
    assert company_of("anna@example.com").require_two_step
    assert events("anna@example.com", "company_two_step_required")
    # Bob can open nothing but turning it on (and log out), with htmx too.
    for path in ["/panel", f"/firmy/{company.id}", "/konto", "/firmy/dodaj"]:
        response = bob.client.get(path)
        assert response.status_code == 302 and response.headers["Location"] == BASE, path
    assert bob.client.get("/panel", headers={"HX-Request": "true"}).headers["HX-Redirect"] == BASE
    assert bob.client.post(f"/firmy/{company.id}/kontakt", data={}).status_code == 303
    page = bob.client.get(BASE).data.decode()
    assert "Włącz weryfikację dwuetapową, aby korzystać z Konta" in page and "PRZYKŁADOWA" in page
    # He cannot turn it off later either.
    secret, codes = bob.turn_on_app(clock)
    assert bob.client.get("/panel").status_code == 200
    page = bob.client.get(BASE + "/wylacz").data.decode()
    assert "Nie możesz wyłączyć weryfikacji dwuetapowej" in page
    off = bob.client.post(BASE + "/wylacz", data={"password": PASSWORD, "code": app_code(secret, clock)})
    assert off.status_code == 422 and user("bob@example.com").two_step_at is not None
    # Logging out always works.
    assert bob.logout().headers["Location"] == "/logowanie"


def test_a_user_who_must_turn_it_on_is_asked_right_after_signing_in(app, anna, clock):
    anna.add_company(COMPANY)
    company = company_of("anna@example.com")
    bob = join(app, anna, "bob@example.com")
    anna.turn_on_app(clock)
    require(anna, company.id)
    bob.logout()
    signed_in = bob.login(email="bob@example.com")
    assert bob.client.get(signed_in.headers["Location"]).headers["Location"] == BASE
    # The password was typed a moment ago: setting up the app does not ask for it again.
    assert bob.client.get(BASE + "/aplikacja/nowa").status_code == 200


def test_only_an_administrator_of_the_company_sets_the_requirement(app, anna, clock):
    anna.add_company(COMPANY)
    company = company_of("anna@example.com")
    bob = join(app, anna, "bob@example.com")
    bob.turn_on_app(clock)
    assert require(bob, company.id).status_code == 404  # a plain member
    assert "Wymagaj weryfikacji dwuetapowej" not in bob.client.get(f"/firmy/{company.id}").data.decode()
    eve = Journey(app.test_client())
    eve.signed_up(email="eve@example.com")
    eve.turn_on_app(clock)
    assert require(eve, company.id).status_code == 404  # a stranger
    assert not company_of("anna@example.com").require_two_step


def test_an_administrator_stops_requiring_it(app, anna, clock):
    anna.add_company(COMPANY)
    company = company_of("anna@example.com")
    bob = join(app, anna, "bob@example.com")
    anna.turn_on_app(clock)
    require(anna, company.id)
    assert bob.client.get("/panel").status_code == 302
    assert require(anna, company.id, on=False).status_code == 303
    assert bob.client.get("/panel").status_code == 200
    assert events("anna@example.com", "company_two_step_not_required")


def test_py_webauthn_is_imported_when_a_passkey_is_first_used_not_when_the_app_starts(tmp_path):
    """A worker's start (gunicorn's cold start) does without py_webauthn and pyOpenSSL: only the
    passkey functions import them. In a fresh interpreter, since this one has them already."""
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from konto import create_app\n"
        "from tests.helpers import make_config\n"
        "app = create_app(make_config(Path(sys.argv[1])))\n"
        "assert app.test_client().get('/logowanie').status_code == 200\n"
        "print(sorted(m for m in ('webauthn', 'OpenSSL') if m in sys.modules))\n"
        "from konto.flows import twostep\n"
        "twostep._webauthn()\n"
        "print(sorted(m for m in ('webauthn', 'OpenSSL') if m in sys.modules))\n"
    )
    ran = subprocess.run([sys.executable, "-c", script, str(tmp_path)], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.splitlines() == ["[]", "['OpenSSL', 'webauthn']"]
