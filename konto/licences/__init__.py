"""Licencje, Usługi and the admin-rights claim: a company's side of licences (blueprint `licences`).

Members see a company's licences and services; administrators act (konto.permissions). Every
route with an id looks the company up through the user's memberships, so a stranger gets 404
and a plain member 403 on an administrator's action. The database work is in konto/flows/.
"""

from flask import Blueprint

bp = Blueprint("licences", __name__)

from konto.licences import views  # noqa: E402,F401 - routes


def init_app(app):
    """Settings, the catalogue, both blueprints (Licencje and Obsługa), filters, CLI, notices."""
    from flask import request
    from playhouse.pool import PooledDatabase

    from konto import staff
    from konto.config import apply_area_settings
    from konto.db import database
    from konto.flows import claims
    from konto.flows.staff import staff_group
    from konto.licences import catalogue
    from konto.licences import cli
    from konto.licences import notices
    from konto.licences import numbers

    apply_area_settings(app, {**claims.SETTINGS, **notices.SETTINGS, **staff.SETTINGS})
    app.register_blueprint(bp)
    app.register_blueprint(staff.bp)
    with database.connection_context():
        catalogue.sync()
    if isinstance(database.obj, PooledDatabase):
        database.obj.close_all()  # nothing opened here may be inherited by forked workers
    app.add_template_filter(numbers.display, "licence_number")
    app.add_template_filter(numbers.masked, "masked_number")
    notices.init_app(app)
    app.cli.add_command(cli.licences_group)
    app.cli.add_command(staff_group)

    from konto.licences.views import CLAIM_ENDPOINTS
    from konto.licences.views import upload_limit

    def _upload_limit():
        # Before CSRF protection reads the form: only the claim's upload may be bigger.
        if request.endpoint in CLAIM_ENDPOINTS and request.method == "POST":
            request.max_content_length = upload_limit(app)

    app.before_request_funcs.setdefault(None, []).insert(0, _upload_limit)
