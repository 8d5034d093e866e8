"""What every response shares: htmx both ways, CSRF, headers, error pages, input limits."""

import re

import pytest
from werkzeug.datastructures import MultiDict

from konto import create_app
from konto.db import database
from konto.models import ALL_MODELS
from konto.models import AccessRequest
from konto.models import Company
from konto.models import CompanyDraft
from konto.models import Invitation
from konto.models import Membership
from konto.models import User
from konto.models import UserSession
from tests.helpers import PASSWORD
from tests.helpers import Journey
from tests.helpers import make_config
from tests.helpers import user
from tests.licence_helpers import licence_objects

HX = {"HX-Request": "true"}


def test_same_url_serves_page_or_fragment_and_varies_on_hx_request(client):
    page = client.get("/rejestracja")
    fragment = client.get("/rejestracja", headers=HX)
    assert page.data.startswith(b"<!doctype html>")
    assert b"<html" not in fragment.data and "Załóż konto".encode() in fragment.data
    assert b"<title>" in fragment.data  # htmx updates the title from it
    assert "HX-Request" in page.headers["Vary"] and "HX-Request" in fragment.headers["Vary"]


def test_history_restore_gets_the_whole_page(client):
    response = client.get("/rejestracja", headers={**HX, "HX-History-Restore-Request": "true"})
    assert response.data.startswith(b"<!doctype html>")


def test_htmx_form_errors_come_back_as_fragment_with_422(client):
    response = client.post("/rejestracja", data={"email": "zly"}, headers=HX)
    assert response.status_code == 422
    body = response.data.decode()
    assert "<html" not in body and 'role="alert"' in body and "autofocus" in body


def test_htmx_login_sends_hx_redirect(client, journey):
    journey.register()
    journey.activate()
    response = client.post("/logowanie", data={"email": "anna@example.com", "password": PASSWORD}, headers=HX)
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == "/panel"


def test_htmx_logout_sends_hx_redirect(client, journey):
    journey.signed_up()
    response = client.post("/wyloguj", headers=HX)
    assert response.headers["HX-Redirect"] == "/logowanie"


def test_htmx_request_without_session_gets_401_and_hx_redirect(client):
    response = client.get("/firmy/dodaj", headers=HX)
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/logowanie")


def test_inline_email_check(client):
    bad = client.post("/sprawdz/email", data={"email": "zly@"}, headers=HX).data.decode()
    assert 'id="email-error"' in bad and 'data-invalid="true"' in bad and "To nie jest poprawny adres" in bad
    good = client.post("/sprawdz/email", data={"email": "ok@example.com"}, headers=HX).data.decode()
    assert 'data-invalid="false"' in good and "<p>" not in good


def test_inline_email_check_never_says_taken(client, journey):
    journey.signed_up()
    taken = client.post("/sprawdz/email", data={"email": "anna@example.com"}, headers=HX).data
    free = client.post("/sprawdz/email", data={"email": "free@example.com"}, headers=HX).data
    assert taken.replace(b"anna", b"X") == free.replace(b"free", b"X")


def test_password_strength_hint(client):
    weak = client.post("/sprawdz/haslo", data={"password": "abc"}).data.decode()
    assert "co najmniej 12 znaków" in weak
    strong = client.post("/sprawdz/haslo", data={"password": "kot-pije-mleko-o-północy"}).data.decode()
    assert "Siła hasła" in strong and "bardzo dobre" in strong
    # The user's own names count against the password.
    alone = client.post("/sprawdz/haslo", data={"password": "zdzislawkowalczykowski"}).data.decode()
    personal = client.post(
        "/sprawdz/haslo",
        data={"password": "zdzislawkowalczykowski", "first_name": "Zdzislaw", "last_name": "Kowalczykowski"},
    ).data.decode()
    assert "bardzo dobre" in alone and "<strong>słabe</strong>" in personal


def test_security_headers_on_every_page(client):
    response = client.get("/logowanie")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers


def test_hsts_and_secure_cookies_with_https(tmp_path):
    app = create_app(make_config(tmp_path, KONTO_HTTPS=True))
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    response = app.test_client().get("/logowanie")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_session_cookie_is_httponly_and_samesite(client, journey):
    response = journey.register()
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_no_inline_script_or_style_in_pages(client, journey):
    journey.signed_up()
    for path in ["/logowanie", "/rejestracja", "/panel", "/firmy/dodaj", "/regulamin"]:
        html = client.get(path).data.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), path
        assert " style=" not in html and "<style" not in html, path
        assert "hx-on" not in html, path


def test_pages_are_polish(client):
    assert b'<html lang="pl">' in client.get("/logowanie").data


def test_404_page_in_app_style(client):
    response = client.get("/nie-ma-takiej-strony")
    assert response.status_code == 404
    assert "Nie znaleziono strony" in response.data.decode()


def test_500_page_in_app_style(app, client):
    @app.route("/boom")
    def boom():
        raise RuntimeError("boom")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/boom")
    assert response.status_code == 500
    assert "Coś poszło nie tak" in response.data.decode()


@pytest.mark.parametrize(
    "data",
    [
        {"first_name": "A" * 100_000},
        {"email": ["a@example.com", "b@example.com"]},
        {"password": "\x00" * 20},
        {},
    ],
)
def test_bad_registration_input_never_500_and_stores_nothing(client, data):
    response = client.post("/rejestracja", data=data)
    assert response.status_code in (400, 413, 422)
    with database.connection_context():
        assert User.select().count() == 0


def test_non_utf8_body_is_refused_cleanly(client):
    response = client.post(
        "/rejestracja", data=b"email=%FF%FE&first_name=%C3", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code in (400, 422)


def test_wrong_content_type_is_a_form_error_not_a_crash(client):
    response = client.post("/logowanie", data='{"email": "x"}', content_type="application/json")
    assert response.status_code == 422


class TestWithCsrf:
    """CSRF is on in production: forms and htmx requests need the token."""

    def test_post_without_token_is_refused_and_changes_nothing(self, csrf_app):
        client = csrf_app.test_client()
        response = client.post("/rejestracja", data={"email": "a@example.com"})
        assert response.status_code == 400
        assert "Formularz wygasł" in response.data.decode()

    def test_htmx_post_with_header_token_is_accepted(self, csrf_app):
        client = csrf_app.test_client()
        page = client.get("/rejestracja").data.decode()
        token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
        response = client.post("/sprawdz/email", data={"email": "a@example.com"}, headers={**HX, "X-CSRFToken": token})
        assert response.status_code == 200

    def test_htmx_post_without_token_is_refused(self, csrf_app):
        client = csrf_app.test_client()
        client.get("/rejestracja")
        response = client.post("/sprawdz/email", data={"email": "a@example.com"}, headers=HX)
        assert response.status_code == 400

    def test_logout_with_token_from_page(self, csrf_app):
        client = csrf_app.test_client()
        journey = Journey(client)
        page = client.get("/rejestracja").data.decode()
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        journey.register(csrf_token=token)
        with database.connection_context():
            assert User.select().count() == 1


def test_every_post_route_refuses_a_post_without_the_token_and_changes_nothing(tmp_path):
    """The views check no token themselves: CSRFProtect refuses before any of them runs."""
    app = create_app(make_config(tmp_path, RATELIMIT_ENABLED=False))
    anna, bob = Journey(app.test_client()), Journey(app.test_client())
    anna.signed_up()
    anna.add_company("PL5250001003")
    bob.signed_up(email="bob@example.com")
    bob.client.post(bob.client.post("/firmy/dodaj", data={"number": "PL5250001003"}).headers["Location"]
                    .replace("/dane", "/dostep"))
    anna.client.post("/firmy/dodaj", data={"number": "PL6770002009"})
    with database.connection_context():
        company_id = Company.get().id
    anna.client.post(f"/firmy/{company_id}/uzytkownicy/dodaj", data={"email": "carol@example.com"})
    app.config["WTF_CSRF_ENABLED"] = True
    with database.connection_context():
        values = {
            "company_id": Company.get().id,
            "request_id": AccessRequest.get().id,
            "session_id": UserSession.select().order_by(UserSession.id.desc()).first().id,  # bob's
            "key": CompanyDraft.get(CompanyDraft.company.is_null()).key,
            "token": "x",
            "passkey_id": 1,
            "member_id": Membership.get().id,
            "invitation_id": Invitation.get().id,
            "connection_id": 1,
        }
    values.update(licence_objects(values["company_id"]))  # licences, claims, the back office
    # What each form would carry: with a valid token, most of these would change something.
    data = {"decyzja": "accept", "company_id": values["company_id"], "statement": "y", "by_email": "y",
            "contact_email": "anna@example.com", "number": "PL6770002009", "email": "anna@example.com",
            "password": PASSWORD, "marketing": "y", "confirm": "y", "name": "X", "code": "123456", "require": "y",
            "cel": "sign_in", "rola": "member",
            "member_id": values["member_id"]}

    def counts():
        with database.connection_context():
            return {model.__name__: model.select().count() for model in ALL_MODELS}

    adapter = app.url_map.bind("localhost")
    # A program's endpoints (the OAuth ones, the API) take no cookie, so there is no CSRF to
    # refuse: tests/test_api.py::test_the_api_reads_no_cookie_sets_none_and_has_no_cors.
    posts = [rule for rule in app.url_map.iter_rules()
             if "POST" in rule.methods and rule.endpoint.split(".")[0] not in ("oauth", "api")]
    assert len(posts) >= 29
    for rule in posts:
        url = adapter.build(rule.endpoint, {name: values[name] for name in rule.arguments}, method="POST")
        for headers in ({}, HX):
            before = counts()
            response = anna.client.post(url, data=data, headers=headers)
            assert response.status_code == 400, (url, headers, response.status_code)
            assert "Formularz wygasł" in response.data.decode(), url
            assert counts() == before, url
    assert anna.client.get("/panel").status_code == 200  # still logged in: the log-out was refused too


def test_https_cookies_carry_the_host_prefix(tmp_path):
    app = create_app(make_config(tmp_path, KONTO_HTTPS=True))
    journey = Journey(app.test_client())
    response = journey.register()
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-konto=") and "Secure" in cookie and "Path=/" in cookie and "Domain" not in cookie


def test_logout_clears_site_data(client, journey):
    journey.signed_up()
    assert client.post("/wyloguj").headers["Clear-Site-Data"] == '"cache", "storage"'


@pytest.mark.parametrize(
    "password",
    ["Qwerty2024!!!", "password123456", "Subiekt-2024!", "Konto-2026-12", "123456789012"],
)
def test_common_and_service_words_padded_with_digits_are_refused(journey, password):
    response = journey.register(password=password, password_repeat=password)
    assert response.status_code == 422
    assert "najczęściej używanych" in response.data.decode()


def test_no_composition_rules_a_plain_passphrase_is_fine(journey):
    passphrase = "correct horse battery staple"
    assert journey.register(password=passphrase, password_repeat=passphrase).status_code == 303


def test_password_checked_exactly_as_typed(journey):
    long = "a-very-long-passphrase-" * 4 + "X"
    journey.register(password=long, password_repeat=long)
    journey.activate(password=long)
    assert journey.login(password=long[:-1] + "x").status_code == 422
    assert journey.login(password=long).status_code == 303


def test_control_characters_in_names_are_flattened(client, journey):
    journey.register(first_name="Anna\r\nBcc: evil@example.com")
    assert "\n" not in user("anna@example.com").first_name


def test_password_fields_are_password_managers_friendly(client):
    register = client.get("/rejestracja").data.decode()
    login = client.get("/logowanie").data.decode()
    assert register.count('type="password"') == 2 and 'autocomplete="new-password"' in register
    assert 'type="password"' in login and 'autocomplete="current-password"' in login
    assert "onpaste" not in register + login


def test_consent_boxes_start_unticked(client):
    page = client.get("/rejestracja").data.decode()
    for name in ("accept_terms", "accept_privacy", "accept_marketing"):
        tag = re.search(rf'<input[^>]*id="{name}"[^>]*>', page).group(0)
        assert "checked" not in tag


def test_every_page_needing_login_redirects_strangers(app, client):
    public = {"static", "pages.index", "pages.help", "pages.terms", "pages.privacy", "pages.favicon", "healthz",
              "licences.service_terms"}  # a service's terms: public, like the portal's own
    for rule in app.url_map.iter_rules():
        if rule.endpoint in public or rule.endpoint.startswith(("auth.", "mailbox.")) or "GET" not in rule.methods:
            continue
        if rule.endpoint in ("account.confirm_email", "account.revert_email", "observability.healthz",
                             "invitations.show"):
            continue  # reached from e-mail links; they check their token instead
        if rule.endpoint.startswith(("oauth.", "api.")):
            continue  # for programs: a Bearer token, never a login (tests/test_api.py: 401 without one)
        path = rule.build({name: 1 if "id" in name else "x" for name in rule.arguments})[1]
        response = client.get(path)
        assert response.status_code == 302 and "/logowanie" in response.headers["Location"], rule.rule


def test_a_multipart_part_without_a_readable_name_is_refused_not_a_crash(csrf_app):
    client = csrf_app.test_client()
    response = client.post("/logowanie", data=MultiDict([("\r", "")]), content_type="multipart/form-data")
    assert response.status_code == 400


# -- security headers and Vary in one pass (konto.web.security_headers) ----------------------


def headers_the_old_way(response):
    """What konto.web.security_headers did before it was one pass: a setdefault per header."""
    from flask import current_app  # noqa: PLC0415 - the reference needs the app of the request
    from flask import request  # noqa: PLC0415

    from konto.web import CONTENT_SECURITY_POLICY  # noqa: PLC0415

    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if current_app.config["KONTO_HTTPS"]:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if request.endpoint != "static":
        headers.setdefault("Cache-Control", "no-store")
    response.vary.add("HX-Request")
    return response


@pytest.mark.parametrize("https", [False, True])
def test_security_headers_in_one_pass_are_the_setdefaults_header_for_header(tmp_path, https):
    from flask import make_response  # noqa: PLC0415

    from konto.web import security_headers  # noqa: PLC0415

    app = create_app(make_config(tmp_path, KONTO_HTTPS=https))
    shapes = [
        {},
        {"Content-Security-Policy": "default-src 'none'", "X-Frame-Options": "SAMEORIGIN"},
        {"cache-control": "private, max-age=60"},
        {"Vary": "Cookie"},
        {"Vary": "HX-Request"},
        {"Vary": "Accept-Language, HX-Request", "Strict-Transport-Security": "max-age=1"},
        {"Content-Type": "application/json", "X-Request-ID": "abc"},
    ]
    for path in ("/logowanie", "/static/konto.css", "/no-such-page", "/api/v1/me"):
        for shape in shapes:
            with app.test_request_context(path):
                ours = security_headers(make_response("body", 200, dict(shape)))
                theirs = headers_the_old_way(make_response("body", 200, dict(shape)))
                assert list(ours.headers.items()) == list(theirs.headers.items()), (path, shape)
    database.close()


def test_every_response_of_a_journey_carries_the_same_headers_as_before(app, client, journey, monkeypatch):
    """Whole responses (the session's Vary: Cookie added after ours), the old way and the new."""
    import konto.web  # noqa: PLC0415

    journey.signed_up()
    paths = ["/", "/logowanie", "/panel", "/static/konto.css", "/nie-ma-takiej", "/konto", "/healthz"]

    def responses():
        seen = []
        for path in paths:
            for headers in ({}, HX):
                response = client.get(path, headers={**headers, "X-Request-ID": "same-id"})
                # Date: the clock's (a static file's response), not a header of ours; it moves between the runs.
                seen.append([(k, v) for k, v in response.headers.items() if k not in ("Set-Cookie", "Date")])
                response.close()
        return seen

    new = responses()
    funcs = app.after_request_funcs[None]
    assert konto.web.security_headers in funcs
    monkeypatch.setitem(app.after_request_funcs, None,
                        [headers_the_old_way if f is konto.web.security_headers else f for f in funcs])
    assert responses() == new


def test_ensure_sync_remembers_plain_functions_and_still_refuses_async_ones(app):
    """konto.Konto.ensure_sync: Flask's answer, kept for plain functions; an `async def` is
    never taken for one (without asgiref Flask refuses it, and so does Konto, every time)."""
    from flask import Flask  # noqa: PLC0415

    def plain():
        return "ok"

    async def coroutine():
        return "ok"

    assert app.ensure_sync(plain) is plain and app.ensure_sync(plain) is plain
    assert plain in app._plain_functions
    for _ in range(2):
        with pytest.raises(RuntimeError) as ours:
            app.ensure_sync(coroutine)
        with pytest.raises(RuntimeError) as flasks:
            Flask.ensure_sync(app, coroutine)
        assert str(ours.value) == str(flasks.value)
    assert coroutine not in app._plain_functions


def test_templates_compiled_once_are_loaded_by_the_next_start(tmp_path, monkeypatch):
    """TEMPLATE_CACHE_DIR: the first app compiles and keeps; the next loads, with the same pages."""
    from jinja2 import Environment  # noqa: PLC0415

    cache = tmp_path / "templates"
    first = create_app(make_config(tmp_path, TEMPLATE_CACHE_DIR=str(cache)))
    page = first.test_client().get("/logowanie").data.decode()
    assert len(list(cache.glob("*.cache"))) >= 3  # the page, base.html, its includes
    compiled = []
    original = Environment.compile

    def counting(self, *args, **kwargs):
        compiled.append(args)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Environment, "compile", counting)
    second = create_app(make_config(tmp_path, TEMPLATE_CACHE_DIR=str(cache)))
    again = second.test_client().get("/logowanie").data.decode()
    assert compiled == []
    token = re.compile(r'(value=|"X-CSRFToken": )"[^"]*"')
    assert token.sub("", again) == token.sub("", page)
    database.close()


def test_our_headers_appended_directly_are_what_werkzeug_would_add():
    """konto.web._append_ours: Werkzeug's Headers.add accepts every pair we append without its
    checks, and the result is what extend gives (for Headers, and for any other kind)."""
    from werkzeug.datastructures import EnvironHeaders  # noqa: PLC0415
    from werkzeug.datastructures import Headers  # noqa: PLC0415

    from konto.web import _VARY_HX  # noqa: PLC0415
    from konto.web import HSTS  # noqa: PLC0415
    from konto.web import NO_STORE  # noqa: PLC0415
    from konto.web import SECURITY_HEADERS  # noqa: PLC0415
    from konto.web import _append_ours  # noqa: PLC0415

    pairs = [*SECURITY_HEADERS, HSTS, NO_STORE, _VARY_HX]
    checked, direct = Headers([("Content-Type", "text/html")]), Headers([("Content-Type", "text/html")])
    for name, value in pairs:
        checked.add(name, value)  # raises on anything Werkzeug would refuse
    _append_ours(direct, pairs)
    assert list(direct.items()) == list(checked.items()) and direct == checked
    assert direct.get("vary") == "HX-Request" and direct.getlist("X-Frame-Options") == ["DENY"]

    class Other(Headers):
        pass

    other = Other()
    _append_ours(other, pairs)
    assert list(other.items()) == pairs
    with pytest.raises(TypeError):  # read-only headers are not written behind their back
        _append_ours(EnvironHeaders({}), pairs)
