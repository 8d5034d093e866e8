"""Companies: the "Dodaj firmę" wizard, the company page, switching, and access requests.

Every route that takes an id looks the object up through the current user's memberships (or
drafts), so a stranger gets 404. The modules add their routes to `bp`: `wizard` (the three
steps), `company` (the company page, contact forms, refresh, the active company), `access`
(asking to join a company in the portal, the administrators' decision) and `users` (the
company's users: invitations, roles, removing, leaving, handing over). What each action does
to the database is in `konto.flows.companies`, `konto.flows.access`, `konto.flows.members` and
`konto.flows.invitations`.
"""

from flask import Blueprint

from konto.sessions import login_required

bp = Blueprint("companies", __name__, url_prefix="/firmy")


@bp.before_request
@login_required
def _require_login():
    """Every company page is for logged-in users only."""


# Last: these modules import `bp` from here to add their routes to it.
from konto.companies import access  # noqa: E402,F401
from konto.companies import company  # noqa: E402,F401
from konto.companies import users  # noqa: E402,F401
from konto.companies import wizard  # noqa: E402,F401
