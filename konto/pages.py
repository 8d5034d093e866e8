"""Pages anyone can read: the start page, the terms and the privacy notice."""

from flask import Blueprint
from flask import redirect
from flask import url_for
from flask_login import current_user

from konto import documents
from konto.htmx import render

bp = Blueprint("pages", __name__)


@bp.route("/")
def index():
    """Start: the dashboard when logged in, else the login page."""
    if current_user.is_authenticated:
        return redirect(url_for("account.dashboard"))
    return redirect(url_for("auth.login"))


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
