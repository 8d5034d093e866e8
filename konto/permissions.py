"""Who may do what in a company: the one place that maps a member's role to actions.

A membership's role is "admin" (administrator) or "member" (użytkownik): members see the
company, its users, licences and services; administrators act on them and decide who is in
the company and with which role (konto.flows.members). A new role extends ROLE_ACTIONS; every
view and flow asks `can(membership, action)` (or `is_admin`) and nothing else.
"""

from konto.db import PrebuiltSelect
from konto.models import Company
from konto.models import Membership

ADMIN = "admin"
MEMBER = "member"

VIEW = "view"  # see the company, its users, licences, services, history
# invite, change roles, remove; start a trial, register or release an installation, turn services
# on/off, object to a claim
MANAGE = "manage"

ROLE_ACTIONS = {
    ADMIN: frozenset({VIEW, MANAGE}),
    MEMBER: frozenset({VIEW}),
}


# Every company page starts with it: its SQL built once (tests/test_prebuilt_select.py).
_membership = PrebuiltSelect(
    lambda user_id, company_id: Membership.select(Membership, Company)
    .join(Company)
    .where((Membership.user == user_id) & (Membership.company == company_id))
    .limit(1),
    arity=2,
)


def membership(user, company_id):
    """The user's membership of the company (with the company), or None."""
    rows = _membership(getattr(user, "id", user), company_id)
    return rows[0] if rows else None


def can(member, action):
    """True when this membership (or None) allows the action."""
    return member is not None and action in ROLE_ACTIONS.get(member.role, frozenset())


def is_admin(member):
    """True when this membership (or None) is a company administrator's."""
    return can(member, MANAGE)
