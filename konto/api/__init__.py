"""The program API: JSON under /api/v1 for the vendor's desktop programs (blueprint `api`).

A program calls it with the Bearer access token it got through the device flow
(konto/programs). Every call checks the token, its connection and the company anew
(konto/api/auth.py); errors are RFC 9457 problem details (konto/problems.py); the
OpenAPI 3.1 document is served at /api/v1/openapi.json (konto/api/openapi.py) and a test
checks every route's real responses against it. Calls are limited per connection
(konto/limits.py, API_PROGRAM). The API reads no cookie and sets none, so it needs no CSRF
protection (the blueprint is exempt) and, as no web page elsewhere is meant to call it, no CORS.
"""

from flask import Blueprint

PREFIX = "/api/v1"

bp = Blueprint("api", __name__, url_prefix=PREFIX)

from konto import licences  # noqa: E402,F401 - before the flows the views use (its import order)
from konto import problems  # noqa: E402
from konto.api import auth  # noqa: E402
from konto.api import views  # noqa: E402,F401 - routes


def init_app(app, csrf):
    app.register_blueprint(bp)
    csrf.exempt(bp)
    app.register_error_handler(problems.Problem, problems.from_problem)
    app.extensions["konto_program_limit_key"] = auth.limit_key
