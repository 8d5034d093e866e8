"""What every request runs outside its page (issue 16's "hooks"): each shortcut gives what the
plain path gives, on every kind of request."""

import pytest
from flask import g
from flask_babel import force_locale
from flask_babel import get_locale
from flask_login import current_user

from konto.i18n import request_locale
from konto.sessions import request_user
from tests.helpers import Journey

ENGLISH = {"Accept-Language": "en-GB,en;q=0.9"}


@pytest.fixture
def seen(app):
    """What request_user() (and the templates' current_user) and request_locale() gave against
    Flask-Login's current_user and Flask-Babel's get_locale(), at the start of each request and
    after its view."""
    seen = []

    def compare(moment):
        template_context = {}
        app.update_template_context(template_context)  # the templates' current_user too
        user = current_user._get_current_object()
        same_user = request_user() is user and template_context["current_user"] is user
        seen.append((moment, same_user, request_locale() is get_locale()))

    def first():
        compare("first")

    app.before_request_funcs.setdefault(None, []).insert(0, first)

    @app.after_request
    def after(response):
        compare("after")
        with force_locale("en"):  # an e-mail in its recipient's language, inside a request
            seen.append(("forced", True, request_locale() is get_locale() and str(request_locale()) == "en"))
        compare("after force_locale")
        return response

    return seen


def test_request_user_and_locale_are_flask_logins_and_flask_babels_on_every_request(app, client, seen):
    journey = Journey(client)
    client.get("/logowanie")
    client.get("/logowanie", headers=ENGLISH)
    journey.signed_up()
    client.get("/panel")
    client.get("/panel", headers=ENGLISH)
    client.post("/jezyk", data={"lang": "en", "next": "/panel"})
    assert 'lang="en"' in client.get("/panel").text
    journey.logout()
    client.get("/panel")
    client.get("/nie-ma-takiej-strony")
    assert len(seen) > 30
    assert all(same_user and same_locale for _moment, same_user, same_locale in seen), seen


def test_request_user_is_the_loaded_user_or_the_anonymous_one_and_none_outside_a_request(app, client):
    assert request_user() is None and request_locale() is None is get_locale()  # no app, no request
    with app.app_context():
        assert request_user() is None and request_locale() is get_locale() and str(get_locale()) == "pl"
        g._login_user = "left by someone"  # an app context's g is not a request's user
        assert request_user() is None
    with app.test_request_context("/"):
        user = request_user()
        assert user is current_user._get_current_object() and not user.is_authenticated
        assert request_user() is user
        assert request_locale() is get_locale() and str(request_locale()) == "pl"
    with app.test_request_context("/", headers=ENGLISH):
        assert str(request_locale()) == "en"


def test_the_locale_selector_gives_the_selected_language_parsed_once(app):
    from babel import Locale  # noqa: PLC0415

    from konto.i18n import request_locale_selector  # noqa: PLC0415
    from konto.i18n import select_locale  # noqa: PLC0415

    for headers in ({}, ENGLISH, {"Accept-Language": "de"}, {"Cookie": "konto_lang=en"}):
        with app.test_request_context("/", headers=headers):
            chosen = request_locale_selector()
            assert chosen == Locale.parse(select_locale()) and str(chosen) == select_locale()
            assert request_locale_selector() is chosen and get_locale() is chosen


def test_login_required_answers_as_flask_logins(app, client):
    """konto.sessions.login_required against flask_login.login_required, on twin views."""
    import flask_login  # noqa: PLC0415

    from konto.sessions import login_required  # noqa: PLC0415

    def view():
        return f"page of {getattr(current_user, 'email', 'a visitor')}"

    methods = ["GET", "POST", "OPTIONS"]
    app.add_url_rule("/test/ours", "test_ours", login_required(view), methods=methods)
    app.add_url_rule("/test/theirs", "test_theirs", flask_login.login_required(view), methods=methods)

    def both(method, **kwargs):
        answers = []
        for which in ("ours", "theirs"):
            response = client.open(f"/test/{which}", method=method, **kwargs)
            answers.append((response.status_code, response.headers.get("Location", "").replace(which, "…"),
                            response.headers.get("HX-Redirect", "").replace(which, "…"),
                            response.text.replace(which, "…")))
        assert answers[0] == answers[1], (method, kwargs, answers)
        return answers[0]

    assert both("GET")[0] == 302 and both("GET", headers={"HX-Request": "true"})[0] == 401
    assert both("POST")[0] == 302 and both("OPTIONS") == (200, "", "", "page of a visitor")
    app.config["LOGIN_DISABLED"] = True
    assert both("GET") == (200, "", "", "page of a visitor")
    app.config["LOGIN_DISABLED"] = False
    Journey(client).signed_up()
    assert both("GET") == (200, "", "", "page of anna@example.com")
    assert both("GET", headers={"HX-Request": "true"})[0] == 200


def test_session_protections_identifier_is_flask_logins(app):
    """The identifier kept per address and user agent is Flask-Login's _create_identifier()."""
    import flask_login  # noqa: PLC0415

    from konto.sessions import _session_identifier  # noqa: PLC0415

    assert app.login_manager._session_identifier_generator is _session_identifier
    requests = [
        ({}, "192.0.2.1"), ({"User-Agent": "Firefox"}, "192.0.2.1"), ({"User-Agent": "Firefox"}, "192.0.2.2"),
        ({"User-Agent": "Firefox", "X-Forwarded-For": "198.51.100.7"}, "192.0.2.1"),
        ({"User-Agent": "Firefox", "X-Forwarded-For": "198.51.100.7, 203.0.113.9"}, "192.0.2.1"),
        ({"User-Agent": "żółw/1.0"}, "192.0.2.1"), ({"User-Agent": "x" * 2000}, "192.0.2.1"),
    ]
    seen = set()
    for headers, address in requests * 2:  # the second time from what was kept
        with app.test_request_context("/", headers=headers, environ_base={"REMOTE_ADDR": address}):
            assert _session_identifier() == flask_login.utils._create_identifier(), (headers, address)
            seen.add(_session_identifier())
    assert len(seen) == len(requests) - 1  # the forwarded address stands for the remote one


def test_a_session_seen_from_another_browser_is_still_marked_not_fresh(app, client):
    """Session protection ("basic") as before: another user agent makes the session non-fresh
    (the cookie re-issued), the same one leaves it alone."""
    client.environ_base["HTTP_USER_AGENT"] = "Firefox"
    Journey(client).signed_up()
    client.get("/panel")  # the first page after the log-in notes the documents accepted in the session
    assert "Set-Cookie" not in client.get("/panel").headers
    other = client.get("/panel", headers={"User-Agent": "Chrome"})
    assert other.status_code == 200 and "Set-Cookie" in other.headers
