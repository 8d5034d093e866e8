"""What every response shares: security headers, Vary, the top bar, error pages."""

from flask import abort
from flask import current_app
from flask import make_response
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from konto import documents
from konto import tokens
from konto.htmx import add_vary
from konto.htmx import is_htmx
from konto.registry.base import SOURCE_LABELS
from konto.sessions import login_manager

KIND_LABELS = {
    "legal_person": _l("osoba prawna"),
    "sole_proprietor": _l("osoba fizyczna prowadząca działalność gospodarczą"),
    "civil_partnership": _l("spółka cywilna"),
    "other": _l("inna jednostka"),
}

# No inline script or style anywhere, so the policy needs no 'unsafe-inline'; htmx runs
# with allowEval off (see the htmx-config meta tag in base.html).
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "object-src 'none'",
    ]
)


_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"),
             ("Chromium/", "Chromium"), ("Safari/", "Safari"))
_SYSTEMS = (("Windows", "Windows"), ("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"),
            ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux"))


def device(user_agent):
    """A person's name for a user agent: "Firefox, Windows"."""
    if not user_agent:
        return _("nieznane urządzenie")
    browser = next((name for mark, name in _BROWSERS if mark in user_agent), None)
    system = next((name for mark, name in _SYSTEMS if mark in user_agent), None)
    if "HeadlessChrome" in user_agent:
        browser = _("Chrome (bez interfejsu)")
    if not browser and not system:
        return user_agent[:60]
    return ", ".join(part for part in (browser, system) if part)


def security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    # same-origin, not no-referrer: Flask-WTF's strict HTTPS check needs the Referer.
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if current_app.config["KONTO_HTTPS"]:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if request.endpoint != "static":
        # Pages carry personal data: never kept in shared caches.
        headers.setdefault("Cache-Control", "no-store")
    return add_vary(response)


def error_page(template, status):
    """An error in the app's style; for htmx, 200 with a retarget so the message is seen."""
    response = make_response(render_template(template, partial=is_htmx()), status)
    if is_htmx():
        response.headers["HX-Retarget"] = "#main"
        response.headers["HX-Reswap"] = "innerHTML"
    return response


@login_manager.unauthorized_handler
def unauthorized():
    """Not logged in: a browser is sent to log in; htmx gets 401 with HX-Redirect (it never sees a 3xx)."""
    target = url_for("auth.login", next=request.full_path.rstrip("?") if request.method == "GET" else None)
    if is_htmx():
        response = make_response("", 401)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target)


def _refuse_nameless_fields():
    """A multipart part whose name cannot be read (e.g. a bare CR) becomes a None key, which
    Flask-WTF's CSRF check cannot handle (a 500): refuse such a body before it runs."""
    if request.method == "POST" and request.mimetype == "multipart/form-data" and (
        None in request.form or None in request.files
    ):
        abort(400)


def init_app(app):
    login_manager.login_view = "auth.login"
    # First of all before_request hooks: CSRF protection reads the form after it.
    app.before_request_funcs.setdefault(None, []).insert(0, _refuse_nameless_fields)
    app.after_request(security_headers)
    app.add_template_filter(device)
    app.add_template_global(tokens.lifetime, "link_lifetime")  # link_lifetime("activate"): "48 godzin"

    @app.context_processor
    def topbar():
        company = None
        if current_user.is_authenticated and current_user.active_company_id:
            company = current_user.active_company
        return {
            "active_company": company,
            "kind_labels": KIND_LABELS,
            "source_labels": SOURCE_LABELS,
            "statement_version": documents.VERSIONS[documents.STATEMENT],
        }

    @app.errorhandler(403)
    def forbidden(error):
        return error_page("errors/403.html", 403)

    @app.errorhandler(404)
    def not_found(error):
        return error_page("errors/404.html", 404)

    @app.errorhandler(405)
    def method_not_allowed(error):
        return error_page("errors/404.html", 405)

    @app.errorhandler(413)
    def too_large(error):
        return error_page("errors/400.html", 413)

    @app.errorhandler(400)
    def bad_request(error):
        return error_page("errors/400.html", 400)

    @app.errorhandler(CSRFError)
    def csrf_failed(error):
        return error_page("errors/csrf.html", 400)

    @app.errorhandler(500)
    def server_error(error):
        return error_page("errors/500.html", 500)
