"""The cookie session with verified values remembered (konto.cookie_session): for every cookie,
the session Flask's own interface opens, on the first request and on every later one."""

import re
import time

import pytest
from flask.sessions import SecureCookieSessionInterface
from werkzeug.test import EnvironBuilder

from konto import create_app
from konto.cookie_session import CookieSessionInterface
from konto.db import database
from tests.helpers import Journey
from tests.helpers import make_config

NAME = "session"


@pytest.fixture
def app(tmp_path):
    app = create_app(make_config(tmp_path, SECRET_KEY="current-key", SECRET_KEY_FALLBACKS=["old-key"]))
    yield app
    database.close()


def signed(app, data, secret=None, at=None, monkeypatch=None):
    """A session cookie as Flask signs it (with another key, or at another moment)."""
    if at is not None:
        monkeypatch.setattr(time, "time", lambda: at)
    saved = app.secret_key
    if secret is not None:
        app.secret_key = secret
    try:
        return SecureCookieSessionInterface().get_signing_serializer(app).dumps(data)
    finally:
        app.secret_key = saved
        if at is not None:
            monkeypatch.undo()


def opened(interface, app, cookie):
    request = app.request_class(EnvironBuilder(headers={"Cookie": f"{NAME}={cookie}"}).get_environ())
    return interface.open_session(app, request)


def same(ours, flasks, name):
    assert type(ours) is type(flasks), name
    assert dict(ours) == dict(flasks), name
    assert (ours.new, ours.modified, ours.accessed) == (flasks.new, flasks.modified, flasks.accessed), name


def test_every_cookie_opens_as_flask_opens_it_the_first_time_and_every_time_after(app, monkeypatch):
    now = time.time()
    cookies = {
        "a logged-in session": signed(app, {"_user_id": "k" * 43, "_fresh": True, "_id": "x" * 128, "csrf_token": "c"}),
        "numbers and nothing": signed(app, {"at": 1733146200.5, "n": 3, "none": None}),
        "empty": signed(app, {}),
        "a list value": signed(app, {"_flashes": [("message", "Zapisano.")]}),
        "a dict value": signed(app, {"program_pending": {"id": 1, "code": "ABCD"}}),
        "the fallback key": signed(app, {"_user_id": "old"}, secret="old-key"),
        "another key": signed(app, {"_user_id": "forged"}, secret="someone-else"),
        "signed too long ago": signed(app, {"_user_id": "old"}, at=now - 32 * 24 * 3600, monkeypatch=monkeypatch),
        "signed in the future": signed(app, {"_user_id": "future"}, at=now + 3600, monkeypatch=monkeypatch),
        "no signature": "eyJfdXNlcl9pZCI6ImsifQ",
        "garbage": "not.a.cookie",
    }
    valid = signed(app, {"_user_id": "k"})
    # A byte of the data changed (not the signature's last character: its low bits are padding).
    cookies["one byte changed"] = ("f" if valid[0] != "f" else "g") + valid[1:]
    flask_interface, ours = SecureCookieSessionInterface(), CookieSessionInterface()
    for name, cookie in cookies.items():
        for _ in range(3):  # the first time verified, then (where it may be) remembered
            same(opened(ours, app, cookie), opened(flask_interface, app, cookie), name)
    assert dict(opened(ours, app, cookies["a logged-in session"]))["_fresh"] is True
    assert dict(opened(ours, app, cookies["another key"])) == {}
    assert dict(opened(ours, app, cookies["signed too long ago"])) == {}
    assert dict(opened(ours, app, cookies["signed in the future"])) == {}
    # Only the valid sessions of immutable values were remembered.
    _serializer, verified = ours._signing(app)
    remembered = {cookies[name] for name in ("a logged-in session", "numbers and nothing", "empty", "the fallback key")}
    assert set(verified) == remembered


def test_a_remembered_cookie_still_expires_with_the_session_lifetime(app, monkeypatch):
    ours = CookieSessionInterface()
    cookie = signed(app, {"_user_id": "k"})
    assert dict(opened(ours, app, cookie)) == {"_user_id": "k"}  # verified and remembered
    lifetime = app.permanent_session_lifetime.total_seconds()
    later = time.time() + lifetime + 5
    monkeypatch.setattr(time, "time", lambda: later)
    assert dict(opened(ours, app, cookie)) == {} == dict(opened(SecureCookieSessionInterface(), app, cookie))
    assert dict(opened(ours, app, cookie)) == {}  # forgotten, and verified (expired) again


def test_what_one_request_changes_never_reaches_the_next(app):
    ours = CookieSessionInterface()
    cookie = signed(app, {"_user_id": "k", "csrf_token": "c"})
    first = opened(ours, app, cookie)
    first["_user_id"] = "someone-else"
    first.pop("csrf_token")
    first["new"] = "value"
    second = opened(ours, app, cookie)
    assert dict(second) == {"_user_id": "k", "csrf_token": "c"}
    assert second is not first and not second.modified


def test_new_keys_verify_anew(app):
    ours = CookieSessionInterface()
    cookie = signed(app, {"_user_id": "k"})
    assert dict(opened(ours, app, cookie)) == {"_user_id": "k"}
    app.secret_key = "rotated"  # the old key dropped: the remembered value is not trusted
    assert dict(opened(ours, app, cookie)) == {}
    app.config["SECRET_KEY_FALLBACKS"] = ["current-key"]  # kept as a fallback: valid again
    assert dict(opened(ours, app, cookie)) == {"_user_id": "k"}


def test_the_app_uses_it_and_a_journey_keeps_working(app):
    assert isinstance(app.session_interface, CookieSessionInterface)
    client = app.test_client()
    journey = Journey(client)
    journey.signed_up()
    for _ in range(3):
        assert client.get("/panel").status_code == 200
    journey.logout()
    assert client.get("/panel").status_code == 302


def sessions_in_every_state(interface, app, cookie):
    """(name, session) for each state a request can leave its session in."""
    def fresh():
        return opened(interface, app, cookie)

    untouched = fresh()
    read = fresh()
    changed = fresh()
    changed["csrf_token"] = "new"
    cleared = fresh()
    cleared.clear()
    permanent = fresh()
    permanent.permanent = True  # a permanent session is re-sent on every request (SESSION_REFRESH_EACH_REQUEST)
    empty_read = interface.session_class()
    for session in (read, changed, cleared, permanent, empty_read):
        session.accessed = True  # what reading it through flask.session does
    return [("untouched", untouched), ("read", read), ("changed", changed), ("cleared", cleared),
            ("permanent", permanent), ("empty, read", empty_read), ("empty", interface.session_class())]


def test_saving_gives_the_headers_flask_gives(app, monkeypatch):
    """Every state of the session, whatever Vary the response had: the same headers, the same cookie."""
    cookie = signed(app, {"_user_id": "k", "csrf_token": "c"})
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now)  # both sign in the same second

    def comparable_headers(headers):  # a permanent cookie's Expires is from the wall clock
        return [(name, re.sub(r"Expires=[^;]+", "Expires=…", value)) for name, value in headers.to_wsgi_list()]

    varies = [[], ["HX-Request"], ["Accept-Language"], ["HX-Request", "Accept-Language"], ["hx-request"],
              ["HX-Request, Cookie"], ["Cookie"]]
    ours, flasks = CookieSessionInterface(), SecureCookieSessionInterface()
    compared = 0
    for vary in varies:
        for (name, our_session), (_name, flask_session) in zip(
            sessions_in_every_state(ours, app, cookie), sessions_in_every_state(flasks, app, cookie), strict=True
        ):
            responses = []
            for interface, session in ((ours, our_session), (flasks, flask_session)):
                response = app.response_class("page")
                for value in vary:
                    response.headers.add("Vary", value)
                with app.test_request_context():
                    interface.save_session(app, session, response)
                responses.append(comparable_headers(response.headers))
            assert responses[0] == responses[1], (name, vary)
            compared += 1
    assert compared == 49


def test_each_request_sees_the_cookies_werkzeug_parses_from_its_header(app):
    """The parsed cookies kept per Cookie header: for every header, what a fresh request parses."""
    headers = [
        None, "", "session=abc", "session=abc; konto_lang=en", 'a="quoted \\"value\\""; b=2',
        "a=1; a=2; b", "konto_lang=pl;session=x.y.z", "n=%C5%BC%C3%B3%C5%82w; e=", "x=" + "y" * 2000,
    ]
    ours = CookieSessionInterface()
    for header in headers * 2:  # the second time from what was kept
        environ = EnvironBuilder(headers={} if header is None else {"Cookie": header}).get_environ()
        request = app.request_class(environ)
        ours.open_session(app, request)
        expected = app.request_class(dict(environ)).cookies
        assert list(request.cookies.items(multi=True)) == list(expected.items(multi=True)), header
        assert type(request.cookies) is type(expected)
        with pytest.raises(TypeError):
            request.cookies["session"] = "changed"  # immutable: no request changes another's
    kept = {raw for _cls, raw in ours._parsed}
    assert "" in kept and "session=abc" in kept and not any(len(raw) > 1024 for raw in kept)
