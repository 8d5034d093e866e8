"""Desktop programs connect to the account: the OAuth 2.0 device flow (RFC 8628).

Two blueprints:
* `programs` (pages for people, with cookies and CSRF): the code page `/polacz` where a person
  types the code a program shows and decides (Połącz / Odrzuć), and "Połączone programy"
  (`/konto/programy`) with Rozłącz;
* `oauth` (for programs, no cookies, exempt from CSRF): device authorization, token,
  revocation and the server metadata (konto/programs/oauth_views.py, on Authlib in
  konto/programs/server.py).

The program API (`/api/v1`) is the `api` blueprint (konto/api/). What each action does to the
database is in konto/flows/programs.py; licence files are signed in konto/licence_files.py.
"""

import logging

from flask import Blueprint

bp = Blueprint("programs", __name__)
oauth = Blueprint("oauth", __name__)

from konto import licence_files  # noqa: E402
from konto.db import database  # noqa: E402
from konto.flows import programs as flow  # noqa: E402
from konto.programs import oauth_views  # noqa: E402 - routes
from konto.programs import views  # noqa: E402,F401 - routes


def init_app(app, csrf):
    """Both blueprints, the signing key, the demo program's client. The authorization server (on
    Authlib) is made at its endpoints' first request (oauth_views._server)."""
    app.register_blueprint(bp)
    app.register_blueprint(oauth)
    csrf.exempt(oauth)
    app.before_request_funcs.setdefault(None, []).insert(0, oauth_views.note_start)
    logging.getLogger("authlib").setLevel(logging.WARNING)  # it logs issued tokens at DEBUG
    licence_files.init_app(app)
    with database.connection_context():
        flow.ensure_demo_client()
