"""The logged-in home: the dashboard with the account's companies."""

from flask import Blueprint
from flask_login import current_user
from flask_login import login_required

from konto.htmx import render
from konto.models import Company
from konto.models import Membership

bp = Blueprint("account", __name__)


@bp.route("/panel")
@login_required
def dashboard():
    """The user's companies, or an invitation to add the first one."""
    memberships = (
        Membership.select(Membership, Company)
        .join(Company)
        .where(Membership.user == current_user.id)
        .order_by(Company.name)
    )
    return render("account/dashboard.html", memberships=list(memberships))
