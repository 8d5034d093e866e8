"""The logged-in user's own account: dashboard, settings, e-mail change, sessions, personal data.

The modules add their routes to `bp`: `settings` (the dashboard, the settings page,
re-authentication and the password), `email_change` (the new address and the "to nie ja" link),
`security` (sessions and the activity log) and `personal_data` (consents, new versions of the
terms, the copy of the data, deletion). What each action does to the database is in
`konto.flows.password`, `konto.flows.email_change` and `konto.flows.account`.

Changing the e-mail or password, exporting data and deleting the account need a password typed
within the last REAUTH_WINDOW seconds (10 minutes by default): `settings.recent_login_required`.
"""

from flask import Blueprint

bp = Blueprint("account", __name__)

# Last: these modules import `bp` from here to add their routes to it.
from konto.account import email_change  # noqa: E402,F401
from konto.account import personal_data  # noqa: E402,F401
from konto.account import security  # noqa: E402,F401
from konto.account import settings  # noqa: E402,F401
