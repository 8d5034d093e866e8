"""Rate limits and the temporary login lockout (Flask-Limiter).

Every limit is a Flask-Limiter limit on one view, declared in LIMITS below and applied by
`init_app` around the view functions, so the views themselves stay free of it. Each limit
string comes from the configuration (RATELIMIT_<NAME>, also from the environment), so tests
and deployments can lower or raise it; RATELIMIT_ENABLED=0 turns them all off.

Keys: "ip" is the client address (request.remote_addr: put ProxyFix in front when the app
runs behind a proxy); "account" is a hash of the normalised e-mail address in the form,
whether or not an account has it, so a limit never tells who has an account (on the e-mail
change form: the address asked for); "user" is the logged-in user; "company" the company in
the URL (whoever acts for it); "second_step" is the
account whose second step is being tried: the user of the half-session between the password
and the code, or the logged-in user (re-authentication, turning two-step sign-in off).

Second step: wrong codes (and wrong passkey answers) count per account and per client IP,
with the same growing windows as passwords; the account's owner is told by e-mail once an hour
that the second step is locked (someone who got that far knows the password).

Login: failures count per address and per client IP. Several windows on one key make the
delays grow (5 failures lock the address for the rest of 5 minutes, 15 for the hour, 40 for
the day), which keeps well under ASVS's 100 failures an hour and never locks anyone out for
good. The first time an address is locked in an hour its owner, if there is one, gets an
e-mail; the page says the same whether or not the address has an account.

Storage: the app's own database by default (`database://`, konto.limit_storage), so every
worker and process on it counts together; `redis://host:6379/0` works too. `memory://` counts
per process: with several workers, each would allow the whole limit.
"""

import functools
import hashlib
import time

from flask import current_app
from flask import request
from flask import url_for
from flask.globals import _cv_request
from flask_babel import gettext as _
from flask_limiter import Limiter
from flask_limiter import RateLimitExceeded
from flask_login import current_user
from limits import parse as parse_limit

from konto import limit_storage  # noqa: F401 - registers the database:// storage with `limits`
from konto import problems
from konto import sessions
from konto.client import client_ip
from konto.flows import login as login_flow
from konto.forms import normalize_email
from konto.web import error_page

# Where a second step is checked: at sign-in, re-authenticating (the back office's too),
# turning two-step sign-in off.
_SECOND_STEP_ENDPOINTS = (
    "twostep.second_step", "twostep.second_step_recovery", "twostep.second_step_passkey",
    "account.reauthenticate", "twostep.reauth_passkey", "twostep.turn_off", "staff.reauthenticate",
)

# Where a logged-in user types the password again (re-authentication, turning two-step sign-in
# off): each wrong one is a guess like a failed log-in, on the user's own address.
_PASSWORD_AGAIN = ("account.reauthenticate", "twostep.turn_off")

# Every route of the program API (a test checks the list against the blueprint).
API_ENDPOINTS = (
    "api.me", "api.companies", "api.licences", "api.register", "api.registration", "api.licence_file",
    "api.release",
)

# name: (default limit, key, endpoint(s), what counts)
#   counts "all": every POST; "failed": a POST answered 422 (wrong password, bad form);
#   "ok": a POST that went through (303, or 200 with HX-Redirect for htmx).
LIMITS = {
    # Typing the password again (_PASSWORD_AGAIN) is a guess like a log-in: it spends the same
    # budgets, per IP and per address (the logged-in user's own).
    "LOGIN_IP": ("20/minute;200/hour", "ip", ("auth.login",) + _PASSWORD_AGAIN, "failed"),
    "LOGIN_ACCOUNT": ("5/5 minutes;15/hour;40/day", "account", ("auth.login",) + _PASSWORD_AGAIN, "failed"),
    "REGISTER_IP": ("10/minute;60/hour", "ip", ("auth.register",), "all"),
    "REGISTER_ACCOUNT": ("3/hour", "account", ("auth.register",), "ok"),
    # Activation asks for the registration's password: wrong ones count like failed log-ins.
    "ACTIVATE_IP": ("20/minute;200/hour", "ip", ("auth.activate",), "failed"),
    "RESEND_IP": ("10/minute;60/hour", "ip", ("auth.resend_activation",), "all"),
    "RESEND_ACCOUNT": ("3/hour", "account", ("auth.resend_activation",), "ok"),
    "RESET_IP": ("10/minute;60/hour", "ip", ("auth.forgot_password",), "all"),
    "RESET_ACCOUNT": ("3/hour", "account", ("auth.forgot_password",), "ok"),
    "FIELD_CHECK_IP": ("120/minute", "ip", ("auth.check_email_field", "auth.check_password_field"), "all"),
    "NIP_IP": ("30/minute;300/hour", "ip", ("companies.new",), "all"),
    "NIP_USER": ("10/minute", "user", ("companies.new",), "all"),
    # Step 1 and "refresh" may ask the registry: one budget per account per hour, so nobody
    # can use the portal to scrape GUS.
    "REGISTRY_USER": ("60/hour", "user", ("companies.new", "companies.refresh", "companies.manual"), "all"),
    # A company typed by hand (the registry could not answer; it is asked again first).
    "MANUAL_USER": ("10/hour", "user", ("companies.manual",), "all"),
    "ACCESS_REQUEST_IP": ("20/hour", "ip", ("companies.request_access",), "all"),
    "ACCESS_REQUEST_USER": ("10/hour", "user", ("companies.request_access",), "all"),
    # A claim to administrator rights stores a file and e-mails the administrators.
    "CLAIM_USER": ("5/hour", "user", ("licences.claim_member", "licences.claim_draft"), "all"),
    # Staff confirm their password and code often: wrong ones are limited like log-ins.
    "STAFF_REAUTH_USER": ("5/5 minutes;20/hour", "user", ("staff.reauthenticate",), "failed"),
    "SECOND_STEP_ACCOUNT": ("5/5 minutes;15/hour;40/day", "second_step", _SECOND_STEP_ENDPOINTS, "failed"),
    "SECOND_STEP_IP": ("20/minute;200/hour", "ip", _SECOND_STEP_ENDPOINTS + ("twostep.passkey_sign_in",), "failed"),
    # Each asks for a WebAuthn challenge (a row until answered or purged).
    "PASSKEY_OPTIONS_IP": ("30/minute;300/hour", "ip", ("twostep.passkey_options",), "all"),
    # Invitations sent (and sent again): each is an e-mail to an address someone typed.
    "INVITE_COMPANY": ("50/day", "company", ("companies.invite", "companies.resend_invitation"), "ok"),
    "INVITE_USER": ("20/hour", "user", ("companies.invite", "companies.resend_invitation"), "ok"),
    # Each request mails the address asked for: a budget per account, and per address asked
    # for (whoever asks), so the form cannot be used to flood a mailbox.
    "EMAIL_CHANGE_USER": ("5/hour;20/day", "user", ("account.change_email",), "all"),
    "EMAIL_CHANGE_ADDRESS": ("3/hour;10/day", "account", ("account.change_email",), "all"),
    # The code page: RFC 8628 §5.1 — with 8 letters of 20 (34.5 bits), about 5 wrong tries per
    # code lifetime (15 minutes) keep a guess at 2^-32. Per account and per address; a right
    # code is not counted, so the owner of a real code typing it is never stopped by someone else.
    "PROGRAM_CODE_USER": ("5/15 minutes;20/day", "user", ("programs.code",), "failed"),
    "PROGRAM_CODE_IP": ("10/15 minutes;50/day", "ip", ("programs.code",), "failed"),
    # Programs: asking for codes (each pending code is one more to guess), polling and refreshing,
    # revoking; the API per connection (all its tokens together), GET and POST alike.
    "DEVICE_IP": ("20/hour;100/day", "ip", ("oauth.device_authorization",), "all"),
    "TOKEN_IP": ("60/minute", "ip", ("oauth.token", "oauth.revoke"), "all"),
    "API_PROGRAM": ("120/minute;5000/hour", "program", API_ENDPOINTS, "all"),
    "API_REGISTER_PROGRAM": ("30/hour", "program", ("api.register",), "all"),
}
# Limits that count GET requests too (the rest count POSTs).
ANY_METHOD = {"API_PROGRAM"}

# After an address is locked, its owner is told at most this often.
LOCKOUT_NOTICE = "1/hour"


def ip_key():
    return "ip:" + client_ip()


def _limited_address():
    """The address a request counts against: the form's, normalised; on re-authentication the
    logged-in user's own (whatever the form says)."""
    if request.endpoint in _PASSWORD_AGAIN and current_user.is_authenticated:
        return current_user.email
    return normalize_email(request.form.get("email", ""))


def account_key():
    """The address a request counts against, hashed (addresses are not kept in the store)."""
    return "account:" + hashlib.sha256(_limited_address()[:320].encode()).hexdigest()[:32]


def user_key():
    return f"user:{current_user.id}" if current_user.is_authenticated else ip_key()


def company_key():
    """The company in the URL (/firmy/<company_id>/…), whoever acts for it."""
    return f"company:{(request.view_args or {}).get('company_id')}"


def second_step_key():
    """The account whose second step this is: logged in, or in this browser's half-session."""
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    pending = sessions.half_session()
    return f"user:{pending.user_id}" if pending is not None else ip_key()


def program_key():
    """A program's connection (by its Bearer token), or the address when the token is not valid
    (konto.api.auth.limit_key, which the API registers)."""
    return current_app.extensions["konto_program_limit_key"]()


KEYS = {
    "ip": ip_key, "account": account_key, "user": user_key, "second_step": second_step_key, "company": company_key,
    "program": program_key,
}


def _went_through(response):
    return response.status_code == 303 or "HX-Redirect" in response.headers


COUNTS = {
    "all": None,
    "failed": lambda response: response.status_code == 422,
    "ok": _went_through,
}


def _limiter():
    return current_app.extensions["konto_limiter"]


def _notify_lockout(request_limit):
    """An address has just been locked: tell its owner (once an hour), if the address has one."""
    key = account_key()
    limiter = _limiter()
    if not limiter.limiter.hit(parse_limit(LOCKOUT_NOTICE), "lockout-notice", key):
        return None
    login_flow.tell_owner_of_lockout(_limited_address(), _minutes_left(request_limit.reset_at), client_ip())
    return None


def _notify_second_step_lockout(request_limit):
    """The second step of an account has just been locked: its owner is told (once an hour)."""
    key = second_step_key()
    if not key.startswith("user:"):
        return None
    if not _limiter().limiter.hit(parse_limit(LOCKOUT_NOTICE), "second-step-notice", key):
        return None
    login_flow.tell_owner_of_second_step_lockout(int(key[5:]), _minutes_left(request_limit.reset_at), client_ip())
    return None


_ON_BREACH = {"LOGIN_ACCOUNT": _notify_lockout, "SECOND_STEP_ACCOUNT": _notify_second_step_lockout}


def _minutes_left(reset_at):
    return max(1, int((reset_at - time.time() + 59) // 60))


def _breached(error):
    """The name (in LIMITS) of the limit that stopped the request; None for a plain 429."""
    scope = getattr(getattr(error, "limit", None), "scope", None)
    return scope.upper() if isinstance(scope, str) else None


def too_many_requests(error):
    """429: the app's error page (htmx swaps it into #main), Retry-After in seconds. Its words
    say which limit stopped the request (a password's, a code's) and what to do."""
    current = _limiter().current_limit
    reset_at = current.reset_at if current is not None else time.time() + 60
    seconds = max(1, int(reset_at - time.time()))
    if problems.is_api_request():  # a program: a problem in JSON
        return problems.for_status(429, headers={"Retry-After": str(seconds)})
    minutes = _minutes_left(reset_at)
    breached = _breached(error)
    if breached in ("SECOND_STEP_ACCOUNT", "SECOND_STEP_IP"):
        # Wrong codes: at sign-in, re-authenticating (the back office's too), turning it off.
        response = error_page(
            429,
            _("Zbyt wiele prób"),
            _("Weryfikacja dwuetapowa tego konta jest czasowo wstrzymana po zbyt wielu błędnych kodach."),
            _("Spróbuj ponownie za %(minutes)s min. Wpisz wtedy kod, który aplikacja pokazuje w tej chwili, "
              "a jeśli nie masz jej przy sobie, użyj jednego z kodów zapasowych.", minutes=minutes),
            alert=True,
        )
    elif breached == "STAFF_REAUTH_USER":
        response = error_page(
            429,
            _("Zbyt wiele prób"),
            _("Potwierdzanie hasła i kodu w obsłudze jest czasowo wstrzymane po zbyt wielu błędnych próbach."),
            _("Spróbuj ponownie za %(minutes)s min. Jeśli nie pamiętasz hasła, możesz ustawić nowe.", minutes=minutes),
            action=(url_for("auth.forgot_password"), _("Nie pamiętam hasła")),
            alert=True,
        )
    # Re-authentication guesses a password: the log-in page's words.
    elif request.endpoint in ("auth.login",) + _PASSWORD_AGAIN:
        response = error_page(
            429,
            _("Zbyt wiele prób"),
            _(
                "Logowanie na ten adres e-mail lub z Twojej sieci jest czasowo wstrzymane po zbyt wielu "
                "nieudanych próbach."
            ),
            _("Spróbuj ponownie za %(minutes)s min. Jeśli nie pamiętasz hasła, możesz ustawić nowe.", minutes=minutes),
            action=(url_for("auth.forgot_password"), _("Nie pamiętam hasła")),
            alert=True,
        )
    else:
        response = error_page(
            429,
            _("Zbyt wiele prób"),
            _(
                "Z tego adresu lub dla tego konta przyszło w krótkim czasie zbyt wiele takich żądań. "
                "Nic nie zostało zmienione."
            ),
            _("Spróbuj ponownie za %(minutes)s min.", minutes=minutes),
            alert=True,
        )
    response.headers["Retry-After"] = str(seconds)
    return response


def _limit_value(name):
    return lambda: current_app.config[f"RATELIMIT_{name}"]


# Methods that change nothing: only the limits declared for any method (ANY_METHOD) count them.
READS = frozenset({"GET", "HEAD", "OPTIONS"})


def _skip_unlimited_reads(app, limiter):
    """A GET, HEAD or OPTIONS on an endpoint none of whose limits counts it is left alone by
    Flask-Limiter: no limit looked up, no storage touched (pages were paying for the look-up
    on every request). Every limit in LIMITS counts POSTs only, except ANY_METHOD's, whose
    endpoints are never skipped; with default or application-wide limits configured
    (RATELIMIT_DEFAULT, RATELIMIT_APPLICATION), nothing is skipped. Returns the test (None when
    nothing is skipped)."""
    if app.config.get("RATELIMIT_DEFAULT") or app.config.get("RATELIMIT_APPLICATION"):
        return None
    counted_on_reads = frozenset(
        endpoint for name in ANY_METHOD for endpoint in LIMITS[name][2]
    )

    def unlimited_read():
        req = request._get_current_object()
        return req.method in READS and req.endpoint not in counted_on_reads

    # Flask-Limiter's own request filter (asked by the view decorators and by its hook)…
    limiter.request_filter(unlimited_read)
    # …and its before_request hook not called at all for such a request.
    hooks = app.before_request_funcs.setdefault(None, [])
    check = limiter._check_request_limit

    def check_limits():
        if not unlimited_read():
            check()

    hooks[:] = [check_limits if hook == check else hook for hook in hooks]
    return unlimited_read


def _reads_skip_the_limits(plain, limited, unlimited_read):
    """A view whose limits count POSTs only: for a read none of them counts (unlimited_read), the
    view itself, not Flask-Limiter's decorators around it (which would look every limit up to
    find that none applies: the log-in page paid ~170 calls for it)."""

    @functools.wraps(limited)
    def view(*args, **kwargs):
        if unlimited_read():
            return plain(*args, **kwargs)
        return limited(*args, **kwargs)

    return view


def _skip_untouched_contexts(app, limiter):
    """Flask-Limiter's after_request hook (conditional deductions, headers) and its teardown (the
    request's limits context reset) only read that context, which it creates on a request's first
    look at a limit: a request none of its limits looked at (a page, see _skip_unlimited_reads)
    has none, and both would create an empty one to find nothing in it. They are not called for
    such a request. Their functions are Flask-Limiter 4.1's (pinned); not found, init fails."""
    after = app.after_request_funcs.setdefault(None, [])
    teardown = app.teardown_request_funcs.setdefault(None, [])
    inject = next(i for i, f in enumerate(after) if isinstance(f, functools.partial) and f.args == (limiter,)
                  and f.func is Limiter._Limiter__inject_headers)
    release = next(i for i, f in enumerate(teardown) if getattr(f, "__self__", None) is limiter
                   and getattr(f, "__func__", None) is Limiter._Limiter__release_context)
    inject_headers, release_context = after[inject], teardown[release]

    def touched():
        return hasattr(_cv_request.get(), "_limiter_request_context")

    def limits_after_request(response):
        return inject_headers(response) if touched() else response

    def limits_teardown(exc=None):
        if touched():
            release_context(exc)

    after[inject], teardown[release] = limits_after_request, limits_teardown


def init_app(app):
    """One Limiter per app (tests build many apps), wrapped around the views in LIMITS."""
    limiter = Limiter(
        key_func=ip_key,
        storage_uri=app.config["RATELIMIT_STORAGE_URI"],
        strategy=app.config["RATELIMIT_STRATEGY"],
        headers_enabled=False,
    )
    limiter.init_app(app)
    app.extensions["konto_limiter"] = limiter
    app.register_error_handler(RateLimitExceeded, too_many_requests)
    app.register_error_handler(429, too_many_requests)
    if not app.config["RATELIMIT_ENABLED"]:
        return
    unlimited_read = _skip_unlimited_reads(app, limiter)
    _skip_untouched_contexts(app, limiter)
    wrapped = {}
    for name, (_default, key, endpoints, counts) in LIMITS.items():
        for endpoint in endpoints:
            wrapped.setdefault(endpoint, []).append((name, key, counts))
    for endpoint, limits in wrapped.items():
        plain = view = app.view_functions[endpoint]
        for name, key, counts in limits:
            # Shared by name: REGISTRY_USER is one budget over two endpoints.
            view = limiter.shared_limit(
                _limit_value(name),
                scope=name.lower(),
                key_func=KEYS[key],
                methods=None if name in ANY_METHOD else ["POST"],
                deduct_when=COUNTS[counts],
                on_breach=_ON_BREACH.get(name),
            )(view)
        if unlimited_read is not None and not any(name in ANY_METHOD for name, _key, _counts in limits):
            view = _reads_skip_the_limits(plain, view, unlimited_read)
        app.view_functions[endpoint] = view
