"""Two-step sign-in ("weryfikacja dwuetapowa"): its pages and the rule that holds them together.

The modules add their routes to `bp`: `signin` (the second step after the password, signing
in with a passkey alone), `settings` (the account's authenticator app, recovery codes,
passkeys, turning it off), `passkeys` (the WebAuthn challenge every passkey form asks for)
and `company` (an administrator requiring it from the company's users). What each action does
to the database is in `konto.flows.twostep`; the primitives (TOTP, encryption, recovery codes)
in `konto.factors`.

A user whose company requires two-step sign-in and who has not turned it on may open nothing
but the pages that turn it on, the re-authentication before them, the documents and logging
out (`_require_two_step`, on every request).
"""

from flask import Blueprint
from flask import make_response
from flask import redirect
from flask import request
from flask import url_for

from konto.htmx import is_htmx
from konto.sessions import request_user

bp = Blueprint("twostep", __name__)

# What a user who must turn two-step sign-in on may still open.
ENROLMENT_OPEN = {
    "static", "auth.logout", "account.reauthenticate", "account.accept_documents", "pages.terms", "pages.privacy",
    "twostep.overview", "twostep.app_new", "twostep.app_setup", "twostep.recovery_codes", "twostep.passkeys",
    "twostep.add_passkey", "twostep.passkey_options", "twostep.reauth_passkey", "mailbox.index", "mailbox.show",
    "mailbox.html_part",
}


@bp.before_app_request
def _require_two_step():
    """A company of the user requires two-step sign-in and it is off: turn it on first."""
    user = request_user()
    if not user.is_authenticated or user.two_step_at is not None:
        return None
    # two_step_required: read with the session (konto.sessions), no query of its own.
    if request.endpoint in ENROLMENT_OPEN or not user.two_step_required:
        return None
    target = url_for("twostep.overview")
    if is_htmx():
        response = make_response("", 200)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target, code=303 if request.method != "GET" else 302)


# Last: these modules import `bp` from here to add their routes to it.
from konto.twostep import company  # noqa: E402,F401
from konto.twostep import passkeys  # noqa: E402,F401
from konto.twostep import settings  # noqa: E402,F401
from konto.twostep import signin  # noqa: E402,F401
