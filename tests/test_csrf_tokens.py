"""The signed CSRF token kept per session (konto.csrf_tokens): each session gets its own, the
same on every page, and validation is Flask-WTF's, unchanged."""

import re

from flask import g
from flask import render_template_string
from flask import session

from konto import create_app
from konto import csrf_tokens
from konto.db import database
from konto.models import Company
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


def _form_classes():
    """Every form class of the portal (konto.forms.BaseForm's subclasses, in every module)."""
    import importlib  # noqa: PLC0415
    import pkgutil  # noqa: PLC0415

    import konto  # noqa: PLC0415
    from konto.forms import BaseForm  # noqa: PLC0415

    for info in pkgutil.walk_packages(konto.__path__, "konto."):
        importlib.import_module(info.name)
    found, todo = set(), [BaseForm]
    while todo:
        for sub in todo.pop().__subclasses__():
            found.add(sub)
            todo.append(sub)
    return sorted(found, key=lambda cls: (cls.__module__, cls.__qualname__))


def test_a_forms_hidden_tag_rendered_once_is_flask_wtfs_every_time(csrf_app):
    """BaseForm.hidden_tag keeps what it rendered per form and arguments: for every form of the
    portal, asked again and again (no arguments, a field's name, a field object), it is Flask-WTF's
    hidden_tag of that form; each session's form carries that session's own token, never another's."""
    from flask_wtf import FlaskForm  # noqa: PLC0415 - the reference

    classes = _form_classes()
    assert len(classes) > 20
    seen = {}
    for raw in ("a" * 40, "b" * 40, "a" * 40):
        with csrf_app.test_request_context("/"):
            session["csrf_token"] = raw
            token = csrf_tokens.csrf_token()
            for cls in classes:
                form = cls()
                for args in [(), ("csrf_token",), (), ("nothing",), (form.csrf_token,), ()]:
                    ours = form.hidden_tag(*args)
                    assert ours == FlaskForm.hidden_tag(form, *args), (cls, args)
                    assert type(ours) is type(FlaskForm.hidden_tag(form, *args))
                assert f'value="{token}"' in form.hidden_tag(), cls
            seen.setdefault(raw, token)
            assert seen[raw] == token
    assert seen["a" * 40] != seen["b" * 40]


def test_every_post_form_of_the_pages_carries_the_sessions_token(app, clock):
    """The forms a view builds only when the page has buttons for them (the dashboard's
    invitations, the preview's access request, the Licencje cards) are there whenever those
    buttons are: with CSRF on, every POST form of these pages carries the session's token."""
    from tests.licence_helpers import COMPANY  # noqa: PLC0415
    from tests.licence_helpers import issue  # noqa: PLC0415
    from tests.licence_helpers import make_staff  # noqa: PLC0415

    make_staff(app, clock)
    anna, bob = Journey(app.test_client()), Journey(app.test_client())
    anna.signed_up()
    anna.add_company(COMPANY)
    bob.signed_up(email="bob@example.com")
    with database.connection_context():
        company_id = Company.get(Company.tax_id == COMPANY).id
    invited = anna.client.post(f"/firmy/{company_id}/uzytkownicy/dodaj", data={"email": "bob@example.com"})
    assert invited.status_code == 303
    issue(app, COMPANY)
    preview = bob.client.post("/firmy/dodaj", data={"number": COMPANY}).headers["Location"]
    app.config["WTF_CSRF_ENABLED"] = True  # read per request and per form
    pages = [
        (bob, "/panel", 1), (bob, preview, 1),
        (anna, "/panel", 0), (anna, f"/firmy/{company_id}", 1), (anna, f"/firmy/{company_id}/licencje", 1),
        (anna, f"/firmy/{company_id}/uzytkownicy", 1),
    ]
    for journey, path, at_least in pages:
        page = journey.client.get(path).data.decode()
        token = one_token(journey.client, path)
        forms = re.findall(r'<form[^>]*method="post".*?</form>', page, re.S)
        main = page.split('<main', 1)[1].split('</main>', 1)[0]
        in_main = [form for form in forms if form in main]
        assert len(in_main) >= at_least, (path, len(in_main))
        for form in forms:
            assert re.search(rf'name="csrf_token"[^>]* value="{re.escape(token)}"', form), (path, form)
