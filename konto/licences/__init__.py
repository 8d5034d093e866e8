"""Licencje, Usługi and the admin-rights claim: a company's side of licences (blueprint `licences`).

Members see a company's licences and services; administrators act (konto.permissions). Every
route with an id looks the company up through the user's memberships, so a stranger gets 404
and a plain member 403 on an administrator's action. The database work is in konto/flows/.
"""

from flask import Blueprint
from flask import request
from playhouse.pool import PooledDatabase

bp = Blueprint("licences", __name__)

from konto import i18n  # noqa: E402
from konto import staff  # noqa: E402 - the back office's blueprint, registered here too
from konto.db import database  # noqa: E402
from konto.licences import catalogue  # noqa: E402
from konto.licences import notices  # noqa: E402
from konto.licences import numbers  # noqa: E402
from konto.licences import views  # noqa: E402 - routes (they import bp)


def _catalogue_text(row, field):
    """{{ service|catalogue_text("description") }}: in the page's language."""
    return catalogue.text(row, field, i18n.current_language())


def init_app(app):
    """The catalogue, both blueprints (Licencje and Obsługa), filters, notices, the upload limit."""
    app.register_blueprint(bp)
    app.register_blueprint(staff.bp)
    with database.connection_context():
        catalogue.sync()
    if isinstance(database.obj, PooledDatabase):
        database.obj.close_all()  # nothing opened here may be inherited by forked workers
    app.add_template_filter(numbers.display, "licence_number")
    app.add_template_filter(numbers.masked, "masked_number")
    app.add_template_filter(_catalogue_text, "catalogue_text")
    notices.init_app(app)

    def _upload_limit():
        # Before CSRF protection reads the form: only the claim's upload may be bigger.
        req = request._get_current_object()
        if req.endpoint in views.CLAIM_ENDPOINTS and req.method == "POST":
            req.max_content_length = views.upload_limit(app)

    app.before_request_funcs.setdefault(None, []).insert(0, _upload_limit)
