"""The signed CSRF token kept per session (konto.csrf_tokens): each session gets its own, the
same on every page, and validation is Flask-WTF's, unchanged."""

import re

from flask import g
from flask import render_template_string
from flask import session

from konto import create_app
from konto import csrf_tokens
from konto.db import database
from konto.models import User
from tests.helpers import PASSWORD
from tests.helpers import Journey
from tests.helpers import link_in
from tests.helpers import mails_to
from tests.helpers import make_config


def tokens_in(page):
    """Every CSRF token a page carries: htmx's header, the forms' hidden fields."""
    return set(re.findall(r'"X-CSRFToken": "([^"]+)"', page)) | set(
        re.findall(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page)
    )


def one_token(client, path="/rejestracja"):
    found = tokens_in(client.get(path).data.decode())
    assert len(found) == 1, found
    return found.pop()


def test_each_session_gets_its_own_token_the_same_on_every_page(csrf_app):
    anna, bob = csrf_app.test_client(), csrf_app.test_client()
    first = one_token(anna)
    assert one_token(anna, "/logowanie") == first == one_token(anna)  # kept: the same signed token
    other = one_token(bob)
    assert other != first
    assert one_token(anna) == first and one_token(bob) == other  # interleaved, never swapped


def test_a_token_is_accepted_only_from_its_own_session(csrf_app):
    anna, bob = csrf_app.test_client(), csrf_app.test_client()
    anna_token, bob_token = one_token(anna), one_token(bob)
    def check(client, token):
        headers = {"HX-Request": "true", "X-CSRFToken": token}
        return client.post("/sprawdz/email", data={"email": "a@example.com"}, headers=headers).status_code

    assert check(anna, bob_token) == 400 and check(bob, anna_token) == 400
    assert check(anna, anna_token) == 200 and check(bob, bob_token) == 200
    # A form's hidden field, the same way: Anna registers with her token, not with Bob's.
    refused = Journey(anna).register(email="anna@example.com", csrf_token=bob_token)
    assert refused.status_code == 400
    with database.connection_context():
        assert User.select().count() == 0
    Journey(anna).register(email="anna@example.com", csrf_token=anna_token)
    with database.connection_context():
        assert User.select().count() == 1


def test_a_new_session_gets_a_new_token_and_the_old_one_dies(csrf_app):
    """Logging in clears the session (konto.sessions.start_session): the token before it is refused."""
    client = csrf_app.test_client()
    before = one_token(client)
    journey = Journey(client)
    journey.register(csrf_token=before)
    link = link_in(mails_to("anna@example.com")[0], "/aktywacja/")
    activation_token = one_token(client, link)
    assert activation_token == before
    # Activating logs in: a fresh session.
    assert client.post(link, data={"password": PASSWORD, "csrf_token": before}).status_code == 303
    after = one_token(client, "/panel")
    assert after != before
    response = client.post("/wyloguj", data={"csrf_token": before})
    assert response.status_code == 400
    assert client.post("/wyloguj", data={"csrf_token": after}).status_code == 303


def test_what_it_serves_is_what_flask_wtf_signs_for_that_session(csrf_app):
    """The kept token is a valid signature of this session's own value, checked by Flask-WTF."""
    from flask_wtf.csrf import validate_csrf  # noqa: PLC0415 - only this test calls it

    with csrf_app.test_request_context():
        session["csrf_token"] = "a" * 40
        first = csrf_tokens.csrf_token()
        validate_csrf(first)
    with csrf_app.test_request_context():
        session["csrf_token"] = "a" * 40
        assert csrf_tokens.csrf_token() == first  # served from the memo
        assert g.csrf_token == first
        validate_csrf(first)
    with csrf_app.test_request_context():
        session["csrf_token"] = "b" * 40
        other = csrf_tokens.csrf_token()
        assert other != first
        validate_csrf(other)


def test_with_a_time_limit_every_request_signs_anew(tmp_path):
    app = create_app(make_config(tmp_path, WTF_CSRF_ENABLED=True, WTF_CSRF_TIME_LIMIT=3600))
    csrf_tokens._signed.clear()
    client = app.test_client()
    assert one_token(client)
    assert csrf_tokens._signed == {}
    database.close()


def test_the_templates_csrf_token_is_the_kept_one(csrf_app):
    """Flask-WTF's context processor (its own generate_csrf over the templates' globals) is out."""
    with csrf_app.test_request_context():
        page = render_template_string("{{ csrf_token.__module__ }}.{{ csrf_token.__name__ }} {{ csrf_meta_tag() }}")
        assert page.startswith("konto.csrf_tokens.csrf_token ")
        assert f'<meta name="csrf-token" content="{g.csrf_token}">' in page  # the same token, signed once


def test_csrf_protection_runs_in_its_place_for_the_methods_it_checks(csrf_app):
    """CSRFProtect's hook is ours at the same position: the same checks for POST, PUT, PATCH and
    DELETE (refused without a token, exempt blueprints exempt), nothing for the other methods;
    WTF_CSRF_ENABLED still read on every request."""
    assert all(f.__module__ != "flask_wtf.csrf" for f in csrf_app.before_request_funcs[None])
    assert all(f.__module__ != "flask_wtf.csrf" for f in csrf_app.template_context_processors[None])
    hooks = [f.__qualname__ for f in csrf_app.before_request_funcs[None]]
    assert hooks.index("init_app.<locals>.csrf_protect") < hooks.index("refuse_nul")
    assert hooks.index("_refuse_nameless_fields") < hooks.index("init_app.<locals>.csrf_protect")
    client = csrf_app.test_client()
    response = client.post("/wyloguj")
    assert response.status_code == 400 and "Formularz wygasł" in response.text
    for method in ("PUT", "PATCH", "DELETE"):  # no route takes them here: no endpoint, nothing to check
        assert client.open("/wyloguj", method=method).status_code == 405, method
    for method in ("GET", "HEAD", "OPTIONS"):
        assert client.open("/logowanie", method=method).status_code == 200, method
    # The OAuth endpoints (for programs, no cookies) are exempt: refused by OAuth, not by CSRF.
    response = client.post("/oauth/token", data={"grant_type": "refresh_token", "refresh_token": "x"})
    assert response.status_code == 400 and response.is_json
    csrf_app.config["WTF_CSRF_ENABLED"] = False
    assert client.post("/wyloguj").status_code in (302, 303)
