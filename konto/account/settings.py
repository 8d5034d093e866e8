"""The dashboard, the settings page, re-authentication and the password."""

import time
from functools import wraps
from typing import NamedTuple

from flask import current_app
from flask import flash
from flask import redirect
from flask import request
from flask import session
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from konto.account import bp
from konto.db import PrebuiltSelect
from konto.flows import account as account_flow
from konto.flows import invitations
from konto.flows import members
from konto.flows import password as flow
from konto.flows import twostep as twostep_flow
from konto.forms import EmptyForm
from konto.forms import NameForm
from konto.forms import NewPasswordForm
from konto.forms import PasswordOnlyForm
from konto.forms import ReauthTwoStepForm
from konto.htmx import redirect_to
from konto.htmx import redirect_to_url
from konto.htmx import render
from konto.htmx import render_form
from konto.i18n_cache import lazy_gettext as _l
from konto.links import safe_next
from konto.models import Company
from konto.models import Membership
from konto.sessions import login_required

_REAUTH_AT = "reauth_at"


def recently_confirmed():
    """Was the password (and the second step, when it is on) confirmed in the last few minutes?"""
    return time.time() - session.get(_REAUTH_AT, 0) <= current_app.config["REAUTH_WINDOW"]


def mark_confirmed():
    """This browser has just confirmed it is the account's owner (password and second step)."""
    session[_REAUTH_AT] = time.time()


def recent_login_required(view):
    """The password (and the second step) must have been confirmed in the last few minutes."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not recently_confirmed():
            return redirect(url_for("account.reauthenticate", next=request.path))
        return view(*args, **kwargs)

    return login_required(wrapper)


class DashboardCompany(NamedTuple):
    id: int
    name: str
    tax_id: str
    verified: bool


class DashboardMembership(NamedTuple):
    role: str
    company: DashboardCompany


_new = tuple.__new__  # a NamedTuple's own __new__ is a Python function: one call less per tuple


def _dashboard_row(values):
    role, company_id, name, tax_id, verified = values
    return _new(DashboardMembership, (role, _new(DashboardCompany, (company_id, name, tax_id, verified))))


# The dashboard's one query (besides the session's), its SQL generated once, with only the
# columns the page shows, as light named tuples under the names the template reads (a model
# row is an instance and a joined instance per company, each attribute read a Python call).
memberships_of = PrebuiltSelect(
    lambda user_id: Membership.select(Membership.role, Company.id, Company.name, Company.tax_id, Company.verified)
    .join(Company)
    .where(Membership.user == user_id)
    .order_by(Company.name)
    .tuples(),
    make=_dashboard_row,
)


@bp.route("/panel")
@login_required
def dashboard():
    """The user's companies (or an invitation to add the first one) and invitations waiting for them."""
    pending = invitations.pending_for(current_user)
    return render(
        "account/dashboard.html",
        memberships=memberships_of(current_user.id),
        invitations=pending,
        role_label=members.role_label,
        form=EmptyForm() if pending else None,  # only the invitations' buttons use it
    )


@bp.route("/konto")
@login_required
def settings():
    """The account: profile, security, consents, data."""
    return render("account/settings.html")


@bp.route("/konto/imie-i-nazwisko", methods=["GET", "POST"])
@login_required
def change_name():
    """One's own first and last name (no password asked: it changes how one is addressed, not
    who can sign in)."""
    form = NameForm(obj=None if request.method == "POST" else current_user)
    if not form.validate_on_submit():
        return render_form("account/name.html", form)
    if account_flow.change_name(current_user, form.first_name.data, form.last_name.data):
        flash(_("Zapisano imię i nazwisko."))
    return redirect_to("account.settings")  # htmx: a whole page, so the top bar shows the new name


def reauth_form(user):
    """The re-authentication form: the password, and a code when two-step sign-in is on."""
    return ReauthTwoStepForm() if twostep_flow.is_on(user) else PasswordOnlyForm()


def reauth_checks_out(user, form):
    """The password of a re-authentication form, then its code (if it has one): each wrong one
    gets its message on its field (the code is not tried, so not spent, after a wrong password)."""
    if not flow.confirm(user, form.password.data):
        form.password.errors.append(_("Nieprawidłowe hasło."))
        return False
    if "code" in form and not twostep_flow.check_code(user, form.code.data):
        form.code.errors.append(_("Ten kod jest nieprawidłowy albo został już użyty."))
        return False
    return True


@bp.route("/konto/potwierdz", methods=["GET", "POST"])
@login_required
def reauthenticate():
    """Type the password again before a sensitive change, and a code when two-step sign-in is on."""
    form = reauth_form(current_user)
    two_step = "code" in form
    passkeys = two_step and bool(twostep_flow.passkeys_of(current_user))
    target = safe_next(request.args.get("next")) or url_for("account.settings")
    reason = _reauth_reason(target, two_step)
    if not form.validate_on_submit():
        return render_form("account/reauth.html", form, passkeys=passkeys, reason=reason)
    if not reauth_checks_out(current_user, form):
        return render("account/reauth.html", form=form, passkeys=passkeys, reason=reason, status=422)
    mark_confirmed()
    return redirect_to_url(target)


# What the re-authentication page says, by the page it leads to.
_REAUTH_REASONS = {
    "account.change_password": _l("Zanim zmienisz hasło, podaj obecne hasło."),
    "account.change_email": _l("Zanim zmienisz adres e-mail konta, podaj hasło."),
    "account.export": _l("Zanim pobierzesz kopię swoich danych, podaj hasło."),
    "account.delete": _l("Zanim usuniesz konto, podaj hasło."),
}


def _reauth_reason(target, two_step=False):
    """Why the password is asked for, in words about what comes next."""
    try:
        endpoint, _args = current_app.url_map.bind("localhost").match(target.split("?")[0])
    except HTTPException:
        endpoint = None
    reason = _REAUTH_REASONS.get(endpoint, _l("Ze względów bezpieczeństwa podaj hasło jeszcze raz."))
    if two_step:
        return _("%(reason)s Potrzebny będzie też kod z aplikacji (albo kod zapasowy).", reason=reason)
    return reason


@bp.route("/konto/haslo", methods=["GET", "POST"])
@recent_login_required
def change_password():
    """Set a new password; every other session ends and the owner is told by e-mail."""
    form = NewPasswordForm()
    if not form.validate_on_submit():
        return render_form("account/password.html", form)
    flow.change(current_user, form.password.data, keep_session=current_user.session_row)
    flash(_("Hasło zostało zmienione. Pozostałe sesje zostały zakończone."))
    return redirect_to("account.settings")
