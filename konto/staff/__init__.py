"""Obsługa: the vendor's back office, under /obsluga, for accounts with the staff role only.

Every request passes `require_staff()`, the one place that says who gets in: not logged in →
the login page; logged in without the role → 404 (the back office does not show itself); with
the role but without two-step sign-in → the page that turns it on (staff always need it;
`konto.twostep` sends them there from every page, too); then the password and a second-step
code typed in the last STAFF_REAUTH_WINDOW seconds (5 minutes by default; never extended by
activity), or the confirmation page first.
Staff pages never show a password hash, a session key, a token or any other secret, and
every staff action is an audit event (who, what, when) written by the flow it calls.
"""

import time

from flask import Blueprint
from flask import abort
from flask import current_app
from flask import redirect
from flask import request
from flask import session
from flask import url_for
from flask_login import current_user

from konto.flows.staff import is_staff
from konto.htmx import is_htmx

bp = Blueprint("staff", __name__, url_prefix="/obsluga")

REAUTH_AT = "staff_reauth_at"
_OPEN = {"staff.reauthenticate"}


def confirmed_recently():
    return time.time() - session.get(REAUTH_AT, 0) <= current_app.config["STAFF_REAUTH_WINDOW"]


def mark_confirmed():
    session[REAUTH_AT] = time.time()


def require_staff():
    """The guard of every back-office request: login, the staff role, two-step sign-in on, and a
    recent confirmation (password and code)."""
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    if not is_staff(current_user):
        abort(404)
    if current_user.two_step_at is None:
        return _send_to(url_for("twostep.overview"))
    if request.endpoint in _OPEN or confirmed_recently():
        return None
    if request.method == "GET":
        target = request.full_path.rstrip("?")
    else:
        target = request.referrer if request.referrer and request.referrer.startswith(request.host_url) else None
        target = target[len(request.host_url) - 1 :] if target else url_for("staff.index")
    return _send_to(url_for("staff.reauthenticate", next=target))


def _send_to(location):
    """Elsewhere first: a redirect, or HX-Redirect for htmx (a whole page)."""
    if is_htmx():
        response = current_app.response_class("", 200)
        response.headers["HX-Redirect"] = location
        return response
    return redirect(location, code=303 if request.method != "GET" else 302)


bp.before_request(require_staff)

from konto.staff import queues  # noqa: E402,F401 - routes
from konto.staff import views  # noqa: E402,F401 - routes
