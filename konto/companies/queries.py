"""The reads the company pages start with, for the current user; the hot ones with their SQL built once."""

from flask import abort
from flask_login import current_user

from konto import permissions
from konto.db import PrebuiltSelect
from konto.flows.companies import membership_for
from konto.models import AccessRequest
from konto.models import Company
from konto.models import CompanyDraft
from konto.models import Membership
from konto.models import User

_draft = PrebuiltSelect(
    lambda key, user_id: CompanyDraft.select()
    .where((CompanyDraft.key == key) & (CompanyDraft.user == user_id))
    .limit(1),
    arity=2,
)
_company_by_tax_id = PrebuiltSelect(lambda tax_id: Company.select().where(Company.tax_id == tax_id).limit(1))

pending_requests = PrebuiltSelect(
    lambda company_id: AccessRequest.select(AccessRequest, User)
    .join(User, on=(AccessRequest.user == User.id))
    .where((AccessRequest.company == company_id) & (AccessRequest.status == "pending"))
    .order_by(AccessRequest.id)
)


def membership_or_404(company_id):
    """The current user's membership of the company (with the company); 404 for a stranger."""
    membership = permissions.membership(current_user.id, company_id)
    if membership is None:
        abort(404)
    return membership


def admin_membership_or_403(company_id):
    """The current user's membership of the company when they administer it: 404 for a
    stranger, 403 for a plain member (who knows the company but may not act for it)."""
    membership = membership_or_404(company_id)
    if not permissions.is_admin(membership):
        abort(403)
    return membership


def draft_or_404(key):
    """The current user's wizard draft; 404 for anyone else's."""
    rows = _draft(key, current_user.id)
    if not rows:
        abort(404)
    return rows[0]


def company_with_tax_id(tax_id):
    """The company with this number in the portal, or None."""
    rows = _company_by_tax_id(tax_id)
    return rows[0] if rows else None


def finished(draft):
    """The membership a finished draft added, when this user is in it (back button, late second click)."""
    if draft.company_id is None:
        return None
    return membership_for(current_user, draft.tax_id)


def my_memberships():
    """The current user's memberships with their companies, by company name."""
    return list(
        Membership.select(Membership, Company)
        .join(Company)
        .where(Membership.user == current_user.id)
        .order_by(Company.name)
    )
