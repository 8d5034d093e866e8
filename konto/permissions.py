"""Who may do what in a company: the one place that maps a member's role to actions.

Today a membership's role is "admin" or "member": members see a company's licences and
services, administrators act on them. Issue 11 adds roles by extending ROLE_ACTIONS; every
view and flow asks `can(membership, action)` and nothing else.
"""

from konto.models import Company
from konto.models import Membership

VIEW = "view"  # see the company's licences, services, history
MANAGE = "manage"  # start a trial, register or release an installation, turn services on/off, object to a claim

ROLE_ACTIONS = {
    "admin": frozenset({VIEW, MANAGE}),
    "member": frozenset({VIEW}),
}


def membership(user, company_id):
    """The user's membership of the company (with the company), or None."""
    user_id = getattr(user, "id", user)
    return (
        Membership.select(Membership, Company)
        .join(Company)
        .where((Membership.user == user_id) & (Membership.company == company_id))
        .first()
    )


def can(member, action):
    """True when this membership (or None) allows the action."""
    return member is not None and action in ROLE_ACTIONS.get(member.role, frozenset())


def is_admin(member):
    return can(member, MANAGE)
