"""Pages anyone can read: the front page, help, the terms and the privacy notice; the language switch."""

from flask import Blueprint
from flask import abort
from flask import redirect
from flask import request
from flask import url_for
from flask_login import current_user

from konto import documents
from konto import i18n
from konto.flows import account as account_flows
from konto.htmx import render
from konto.links import safe_next

bp = Blueprint("pages", __name__)


@bp.route("/")
def index():
    """The front page: what the portal is for, log in or create an account; the dashboard when logged in."""
    if current_user.is_authenticated:
        return redirect(url_for("account.dashboard"))
    return render("pages/index.html")


@bp.route("/pomoc", endpoint="help")
def help_page():
    """Help: the steps of the journey, common questions, and how to reach support."""
    return render("pages/help.html")


@bp.route("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico whatever the page says."""
    return redirect(url_for("static", filename="favicon.svg"), code=301)


@bp.route("/regulamin")
def terms():
    """The terms of service, with their version."""
    return render("pages/terms.html", version=documents.VERSIONS[documents.TERMS])


@bp.route("/polityka-prywatnosci")
def privacy():
    """The privacy notice (RODO), with its version."""
    return render("pages/privacy.html", version=documents.VERSIONS[documents.PRIVACY])


@bp.post("/jezyk")
def language():
    """The footer's switch (a form: it works without JavaScript): the language is kept in a
    cookie on this browser and, logged in, on the account (its e-mails follow it too); back to
    the page the switch was on."""
    chosen = i18n.language_or_none(request.form.get("lang"))
    if chosen is None:
        abort(400)
    if current_user.is_authenticated:
        account_flows.set_language(current_user, chosen)
    target = safe_next(request.form.get("next")) or url_for("pages.index")
    return i18n.remember_choice(redirect(target, code=303), chosen)
