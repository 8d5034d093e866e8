"""Access requests: asking to join a company someone else added, and its administrators' decision."""

from flask import abort
from flask import flash
from flask import redirect
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user

from konto import permissions
from konto.companies import bp
from konto.companies.queries import company_with_tax_id
from konto.companies.queries import draft_or_404
from konto.companies.queries import membership_or_404
from konto.flows import access as flow
from konto.flows import members
from konto.htmx import redirect_to
from konto.htmx import render
from konto.registry.base import CompanyData


@bp.route("/dodaj/<key>/dostep", methods=["POST"])
def request_access(key):
    """Ask the administrators of a company already in the portal to let this user in."""
    draft = draft_or_404(key)
    company = company_with_tax_id(draft.tax_id)
    if company is None:
        return redirect(url_for("companies.preview", key=key))
    flow.ask(current_user, company)
    return render("companies/access_requested.html", company_name=CompanyData.from_dict(draft.data).name)


@bp.route("/<int:company_id>/prosby/<int:request_id>", methods=["POST"])
def decide_access(company_id, request_id):
    """An administrator accepts (with the role they pick) or declines an access request."""
    membership = membership_or_404(company_id)
    if not permissions.is_admin(membership):
        abort(404)
    decision = request.form.get("decyzja")
    role = request.form.get("rola", members.MEMBER)
    if decision not in ("accept", "decline") or role not in members.ROLES:
        abort(400)
    if flow.decide(current_user, membership.company, request_id, accept=decision == "accept", role=role) is None:
        abort(404)
    flash(_("Prośba została przyjęta.") if decision == "accept" else _("Prośba została odrzucona."))
    return redirect_to("companies.show", company_id=company_id)
