"""What every response shares: security headers, Vary, the top bar, error pages."""

from flask import abort
from flask import current_app
from flask import make_response
from flask import redirect
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.datastructures import Headers
from werkzeug.routing import IntegerConverter

from konto import documents
from konto import links
from konto import problems
from konto import taxid
from konto import tokens
from konto.forms import MAX_ID
from konto.htmx import add_vary
from konto.htmx import is_htmx
from konto.htmx import render
from konto.i18n_cache import lazy_gettext as _l
from konto.registry.base import OTHER
from konto.registry.base import SOURCE_LABELS
from konto.sessions import login_manager
from konto.sessions import request_user

# What a company is when the registry names no legal form (the white list says only this much).
KIND_LABELS = {
    "legal_person": _l("osoba prawna"),
    "sole_proprietor": _l("osoba fizyczna prowadząca działalność gospodarczą"),
    "civil_partnership": _l("spółka cywilna"),
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


# The headers every response gets unless its view set them, in this order.
SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    # same-origin, not no-referrer: Flask-WTF's strict HTTPS check needs the Referer.
    ("Referrer-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)
HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
# Pages carry personal data: never kept in shared caches.
NO_STORE = ("Cache-Control", "no-store")


def _append_ours(headers, pairs):
    """headers.extend(pairs) for our own constant pairs (str names and values without line
    breaks, which Werkzeug's Headers.add would check one by one): appended to the list Werkzeug's
    Headers keeps them in (`_list`, Werkzeug 3.1, pinned); any other kind of headers, extended.
    tests/test_web.py: the same headers as extend, and Werkzeug accepts each pair."""
    if type(headers) is Headers:
        headers._list.extend(pairs)
    else:
        headers.extend(pairs)


_VARY_HX = ("Vary", "HX-Request")


def security_headers(response):
    """The security headers, Cache-Control and Vary: HX-Request, each unless already there, in
    one pass over the response's headers (what a `setdefault` per header and `response.vary.add`
    gave, header for header: tests/test_web.py compares)."""
    headers = response.headers
    present = {name.lower() for name, _value in headers.items()}
    wanted = list(SECURITY_HEADERS)
    if current_app.config["KONTO_HTTPS"]:
        wanted.append(HSTS)
    if request._get_current_object().endpoint != "static":
        wanted.append(NO_STORE)
    if "vary" in present:
        _append_ours(headers, [(name, value) for name, value in wanted if name.lower() not in present])
        return add_vary(response)  # merged into the view's own Vary
    wanted.append(_VARY_HX)
    _append_ours(headers, [(name, value) for name, value in wanted if name.lower() not in present])
    return response


def legal_form(company):
    """The company's legal form as the registry writes it ("spółka cywilna"), once; without
    one, what kind of entity it is; "" when the registry says neither (VIES)."""
    if company.legal_form:
        return company.legal_form
    return KIND_LABELS.get(company.kind, "") if company.kind != OTHER else ""


# The MF white list's VAT statuses (registry.whitelist), as a person reads them.
VAT_STATUS_LABELS = {
    "czynny": _l("czynny"),
    "zwolniony": _l("zwolniony"),
    "niezarejestrowany": _l("niezarejestrowany"),
}


def vat_status(value):
    """{{ company.vat_status|vat_status }}: the white list's status in the page's language."""
    return VAT_STATUS_LABELS.get(value, value or "")


def end_sentence(text):
    """A name at the end of a sentence: its own final dot ends the sentence ("… S.C.", not "… S.C..")."""
    text = str(text or "")
    return text if text.endswith((".", "!", "?", "…")) else text + "."


class IdConverter(IntegerConverter):
    """`<int:…>` in every route: 1 … MAX_ID, or the URL does not match (404), so no query is ever
    given a number its column cannot hold (PostgreSQL refuses one, SQLite's driver overflows)."""

    def __init__(self, url_map, fixed_digits=0, min=1, max=MAX_ID, signed=False):
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def refuse_nul():
    """No field, path or parameter of ours means a NUL character, and PostgreSQL cannot store or
    compare one: a request carrying one is refused (400) before anything reads it."""
    req = request._get_current_object()
    values = [req.path]
    if req.query_string:  # no query string, no arguments (not parsed for nothing)
        values.extend(req.args.values())
    if req.method == "POST":
        values.extend(req.form.values())
    if any("\x00" in value for value in values):
        abort(400)


def error_page(status, title, *paragraphs, heading=None, action=None, alert=False):
    """An error in the app's style: one template (errors/error.html), the parts that differ
    passed in. action: (url, text) of the button, by default the start page. For htmx the
    page is swapped into <main> whatever the status, so the message is seen. For a program (the
    API, the OAuth endpoints): a problem in JSON (konto.problems)."""
    if problems.is_api_request():
        return problems.for_status(status)
    response = render(
        "errors/error.html",
        status=status,
        page_error=False,
        title=title,
        heading_text=heading or title,
        paragraphs=paragraphs,
        action=action or (url_for("pages.index"), _("Strona główna")),
        alert=alert,
    )
    if is_htmx():
        response.headers["HX-Retarget"] = "#main"
        response.headers["HX-Reswap"] = "innerHTML"
    return response


def not_found_page(status=404):
    return error_page(status, _("Nie znaleziono strony"), _("Tej strony nie ma albo nie masz do niej dostępu."))


def bad_request_page(status=400):
    return error_page(
        status,
        _("Nieprawidłowe żądanie"),
        _("Przesłane dane są niepoprawne lub za duże. Nic nie zostało zmienione. Wróć i spróbuj ponownie."),
    )


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
    req = request._get_current_object()
    if req.method == "POST" and req.mimetype == "multipart/form-data" and (None in req.form or None in req.files):
        abort(400)


def _taxid(value, label=True):
    """{{ company.tax_id|taxid }}: "NIP 5261040828", or "numer VAT UE DE136695976" in the page's language."""
    return taxid.display(value, label, translate=_)


def init_app(app):
    """Before the blueprints: the `int` converter their routes use is ours."""
    app.url_map.converters["int"] = IdConverter
    login_manager.login_view = "auth.login"
    # First of all before_request hooks: CSRF protection reads the form after it.
    app.before_request_funcs.setdefault(None, []).insert(0, _refuse_nameless_fields)
    app.before_request(refuse_nul)
    app.after_request(security_headers)
    app.add_template_filter(device)
    app.add_template_global(tokens.lifetime, "link_lifetime")  # link_lifetime("activate"): "48 godzin"
    app.add_template_filter(_taxid, "taxid")
    app.add_template_filter(legal_form)
    app.add_template_filter(vat_status)
    app.add_template_filter(end_sentence)
    app.jinja_env.globals["url_for"] = links.memoised_url_for(app)

    @app.context_processor
    def topbar():
        company = None
        user = request_user()
        if user.is_authenticated and user.active_company_id:
            company = user.active_company
        return {
            "active_company": company,
            "source_labels": SOURCE_LABELS,
            "statement_version": documents.VERSIONS[documents.STATEMENT],
        }

    @app.errorhandler(403)
    def forbidden(error):
        return error_page(
            403,
            _("Brak uprawnień"),
            _("Tę zmianę może zrobić tylko administrator firmy. Jeśli jest potrzebna, poproś go o nią."),
            action=(url_for("account.dashboard"), _("Wróć do panelu")),
        )

    @app.errorhandler(404)
    def not_found(error):
        return not_found_page(404)

    @app.errorhandler(405)
    def method_not_allowed(error):
        return not_found_page(405)

    @app.errorhandler(413)
    def too_large(error):
        return bad_request_page(413)

    @app.errorhandler(400)
    def bad_request(error):
        return bad_request_page(400)

    @app.errorhandler(CSRFError)
    def csrf_failed(error):
        again = request.path if request.method == "GET" else url_for("pages.index")
        return error_page(
            400,
            _("Formularz wygasł"),
            _("Ze względów bezpieczeństwa formularz trzeba wysłać jeszcze raz (na przykład po wylogowaniu "
              "w innej karcie). Nic nie zostało zmienione."),
            action=(again, _("Spróbuj ponownie")),
        )

    @app.errorhandler(500)
    def server_error(error):
        return error_page(
            500,
            _("Błąd serwera"),
            _("Wystąpił błąd po naszej stronie. Nic nie zostało zapisane w połowie. Spróbuj ponownie za chwilę."),
            heading=_("Coś poszło nie tak"),
        )
