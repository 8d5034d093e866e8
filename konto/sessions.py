"""Server-side login sessions behind Flask-Login.

Flask-Login keeps `user.get_id()` in the session cookie (and in the remember-me cookie).
Here that id is a random key whose hash names a UserSession row: deleting the row ends the
session wherever its cookies were copied to.

Between the password and the second step of a two-step sign-in the browser holds a
half-session instead: a random key in its session cookie whose hash names a PendingLogin row.
It is not a Flask-Login login (every page sees an anonymous visitor), it lives
TWO_STEP_LOGIN_TIMEOUT seconds, and only the second-step pages read it. `start_session` refuses
to log in an account with two-step sign-in on unless the caller says the second step was done,
so no other way in (a link, a new flow) can skip it by accident.
"""

import functools
import hashlib
import secrets
from datetime import timedelta

import flask_login
from flask import current_app
from flask import request
from flask import session
from flask.globals import _cv_app
from flask.globals import _cv_request
from flask_login.config import EXEMPT_METHODS
from flask_login.utils import decode_cookie
from peewee import JOIN
from peewee import SQL
from peewee import fn
from werkzeug.datastructures import EnvironHeaders

from konto.client import client_agent
from konto.client import client_ip
from konto.db import PrebuiltSelect
from konto.db import database
from konto.models import Company
from konto.models import Membership
from konto.models import PendingLogin
from konto.models import StaffMember
from konto.models import User
from konto.models import UserSession
from konto.models import utcnow

login_manager = flask_login.LoginManager()

# last_seen_at is written at most this often, so reading pages does not mean writing.
_TOUCH_EVERY = timedelta(minutes=5)


def _hash(key):
    return hashlib.sha256(key.encode()).hexdigest()


# Does a company of the session's user require two-step sign-in? (A correlated subquery: the
# rule that sends such a user to turn it on costs no query of its own.)
_RequiringCompany = Company.alias("requiring")
# Staff (the back office) always need it.
_TWO_STEP_REQUIRED = (
    fn.EXISTS(
        Membership.select(SQL("1"))
        .join(_RequiringCompany, on=(Membership.company == _RequiringCompany.id))
        .where((Membership.user == User.id) & (_RequiringCompany.require_two_step == True))  # noqa: E712
    )
    | fn.EXISTS(StaffMember.select(SQL("1")).where(StaffMember.user == User.id))
).alias("two_step_required")

# Every logged-in request runs this: the session, its user and the user's active company (the
# top bar shows it) in one query, its SQL generated once.
_session_by_key_hash = PrebuiltSelect(
    # Only the company's id and name: the top bar shows nothing else, and each column costs.
    lambda key_hash: UserSession.select(UserSession, User, Company.id, Company.name, _TWO_STEP_REQUIRED)
    .join(User)
    .join(Company, JOIN.LEFT_OUTER, on=(User.active_company == Company.id))
    .where(UserSession.key_hash == key_hash)
    .limit(1)
)


def request_user():
    """Flask-Login's `current_user` itself, not its proxy: the same object (the request's user or
    the anonymous one; None outside a request), found with one look-up once Flask-Login loaded
    it for this request, where Flask-Login keeps it (`g._login_user`, Flask-Login 0.6, pinned:
    tests/test_web.py checks it is `current_user`'s object on every kind of request). Hooks and
    context processors ask for the user ~15 times a request; each look-up through the proxy
    cost a dozen calls."""
    app_context = _cv_app.get(None)
    if app_context is not None and _cv_request.get(None) is not None:
        user = app_context.g.__dict__.get("_login_user")
        if user is not None:
            return user
    return flask_login.current_user._get_current_object()


def login_required(view):
    """flask_login.login_required, the same rule (a request of an EXEMPT_METHODS method, or with
    LOGIN_DISABLED, passes; else a visitor gets the login manager's unauthorized()), with the
    app, the request and the user each looked up once (Flask-Login's took 30 calls of proxies).
    tests/test_hooks.py: the same answers as Flask-Login's for visitors and users."""

    @functools.wraps(view)
    def decorated_view(*args, **kwargs):
        app = _cv_app.get().app
        if request._get_current_object().method not in EXEMPT_METHODS and not app.config.get("LOGIN_DISABLED"):
            if not request_user().is_authenticated:
                return app.login_manager.unauthorized()
        return app.ensure_sync(view)(*args, **kwargs)

    return decorated_view


def _user_context():
    """The templates' current_user (Flask-Login's context processor's, found once)."""
    return {"current_user": request_user()}


# Session protection's identifiers (Flask-Login's hash of the address and the user agent), per
# worker; past the size, anew. Longer inputs than this are hashed every time.
_IDENTIFIERS = {}
IDENTIFIERS_SIZE = 4096
_IDENTIFIER_INPUT_MAX = 512


def _session_identifier():
    """Flask-Login's _create_identifier() (the SHA-512 of the X-Forwarded-For header or the
    remote address, and the User-Agent, that session protection compares with the session's
    `_id`), kept per those inputs: the same text for the same request headers, without
    hashing them again on every request (tests/test_hooks.py compares)."""
    req = request._get_current_object()
    headers = req.headers
    if type(headers) is not EnvironHeaders:
        return flask_login.utils._create_identifier()
    environ = headers.environ  # what EnvironHeaders.get("X-Forwarded-For"), get("User-Agent") read
    forwarded, agent = environ.get("HTTP_X_FORWARDED_FOR"), environ.get("HTTP_USER_AGENT")
    key = (forwarded, req.remote_addr, agent)
    identifier = _IDENTIFIERS.get(key)
    if identifier is None:
        identifier = flask_login.utils._create_identifier()
        if len(forwarded or "") + len(agent or "") <= _IDENTIFIER_INPUT_MAX:
            if len(_IDENTIFIERS) >= IDENTIFIERS_SIZE:
                _IDENTIFIERS.clear()
            _IDENTIFIERS[key] = identifier
    return identifier


def init_app(app):
    """Flask-Login on the app; its context processor (the templates' current_user) is ours,
    giving the same user with one look-up, and session protection's identifier is kept per
    address and user agent (tests/test_hooks.py)."""
    login_manager.init_app(app)
    login_manager._session_identifier_generator = _session_identifier  # Flask-Login 0.6 (pinned)
    processors = app.template_context_processors[None]
    processors[processors.index(flask_login.utils._user_context_processor)] = _user_context


@login_manager.user_loader
def load_user(key):
    """The user of a live session key, or None (expired, ended, or unknown)."""
    if not isinstance(key, str) or len(key) > 100:
        return None
    rows = _session_by_key_hash(_hash(key))
    if not rows:
        return None
    row = rows[0]
    now = utcnow()
    idle = timedelta(seconds=current_app.config["SESSION_IDLE_TIMEOUT"])
    absolute = timedelta(seconds=current_app.config["SESSION_ABSOLUTE_TIMEOUT"])
    too_idle = now - row.last_seen_at > idle and not _remembered(key)
    if too_idle or now - row.created_at > absolute:
        row.delete_instance()
        return None
    if now - row.last_seen_at > _TOUCH_EVERY:
        UserSession.update(last_seen_at=now).where(UserSession.id == row.id).execute()
    user = row.user
    user.session_key = key
    user.session_row = row
    user.two_step_required = bool(row.two_step_required)
    return user


def _remembered(key):
    """True when this request carries this session's own remember-me cookie (signed by Flask-Login
    with the secret key), not merely a cookie of that name: only then is idleness forgiven."""
    cookie = request.cookies.get(current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token"))
    return bool(cookie) and decode_cookie(cookie) == key


class SecondStepRequired(RuntimeError):
    """A caller tried to log in an account with two-step sign-in on without its second step."""


def start_session(user, remember=False, second_step=False):
    """Log the user in on a fresh session (a new key: no session fixation); a session this
    browser had (the same user or another) ends on the server too.

    `second_step`: the caller checked the account's second factor (or a passkey, which is one);
    without it an account with two-step sign-in on is refused (SecondStepRequired).
    """
    if user.two_step_at is not None and not second_step:
        raise SecondStepRequired(f"user {user.id} has two-step sign-in on")
    previous = flask_login.current_user
    if previous.is_authenticated:
        UserSession.delete().where(UserSession.id == previous.session_row.id).execute()
    session.clear()
    key = secrets.token_urlsafe(32)
    with database.atomic():
        row = UserSession.create(
            key_hash=_hash(key), user=user, ip=client_ip(), user_agent=client_agent()
        )
        User.update(last_login_at=utcnow()).where(User.id == user.id).execute()
    user.session_key = key
    user.session_row = row
    flask_login.login_user(user, remember=remember)
    session.permanent = False


def end_session():
    """Log the current browser out and delete its session row."""
    user = flask_login.current_user
    if user.is_authenticated:
        UserSession.delete().where(UserSession.id == user.session_row.id).execute()
    flask_login.logout_user()
    session.clear()


def end_all_sessions(user, keep=None):
    """End every session of a user (password reset or change), optionally but one; and every
    half-session (a sign-in waiting at the second step stands for a password that may be gone)."""
    query = UserSession.delete().where(UserSession.user == user)
    if keep is not None:
        query = query.where(UserSession.id != keep.id)
    query.execute()
    PendingLogin.delete().where(PendingLogin.user == user).execute()


# -- the half-session between the password and the second step ----------------------------

_PENDING = "pending_login"


def start_half_session(user, remember=False):
    """The password was right and a second step is needed: a fresh half-session for this browser."""
    session.clear()
    key = secrets.token_urlsafe(32)
    PendingLogin.create(key_hash=_hash(key), user=user, remember=bool(remember))
    session[_PENDING] = key


def half_session():
    """This browser's live half-session (a PendingLogin with its user), or None."""
    key = session.get(_PENDING)
    if not isinstance(key, str) or len(key) > 100:
        return None
    row = PendingLogin.select(PendingLogin, User).join(User).where(PendingLogin.key_hash == _hash(key)).first()
    if row is None:
        return None
    if utcnow() - row.created_at > timedelta(seconds=current_app.config["TWO_STEP_LOGIN_TIMEOUT"]):
        row.delete_instance()
        session.pop(_PENDING, None)
        return None
    return row


def end_half_session():
    """Forget this browser's half-session (cancelled, or replaced by a real session)."""
    key = session.pop(_PENDING, None)
    if isinstance(key, str) and len(key) <= 100:
        PendingLogin.delete().where(PendingLogin.key_hash == _hash(key)).execute()
