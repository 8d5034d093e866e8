"""Parts of pages kept rendered: the layout around a page's content (base.html's `layout_top()`
and `layout_bottom()`), the registry table (`registry_table()`) and items repeated down a page
(`kept(template, **values)`).

Everything of a page outside its <main> (the head's links, the top bar, the footer, the language
switch) is the same from one request to the next for a given user, company and language, yet
every page rendered it anew (two dozen url_for and _() calls, five includes). Here
_layout_top.html and _layout_bottom.html are rendered once per key and kept. A key holds every
value the part shows: the language (the request's Locale and current_language), the request's
URL adapter (host, SCRIPT_NAME, subdomain, scheme, method: the links), config.DEMO_MAIL and, for
the top, whether someone is logged in, their id and name, the chosen company's id and name. A
change of any of them is another key, so a part never shows what another session, company or
language had, and nothing has to be dropped on a change (a rename, a company switch, a
membership, a language switch, a log-out); an entry nobody asks for any more is forgotten when
the memo is full. The parts are rendered with those values only (not the page's context), so
they cannot show anything else.

Two values differ per request and are not in the key (else the memo would grow per session and
page): the session's CSRF token (the body's hx-headers, the log-out and language forms) and the
language switch's `next` (this page). A part is rendered with a mark in their place, a random
text of this process, and each request puts its own values, escaped as Jinja escapes them, where
the marks are. tests/test_fragments.py: every kind of page equals the plain rendering (the
templates included with the request's own values), and two people's changes walked in turn.

The registry table and kept items follow the same rule: rendered with their values only, kept
under those values (for the table: the record's shown values), the language and URL root; the
tests check from each template's syntax tree that it reads nothing else.
"""

import secrets
from datetime import date
from datetime import datetime
from operator import attrgetter

from flask.globals import _cv_request
from jinja2 import pass_context
from markupsafe import Markup
from markupsafe import escape

from konto.csrf_tokens import csrf_token
from konto.i18n import request_locale

# Parts kept per worker (a top is ~2.5 kB: ~5 MB at most); past it, it starts again.
MEMO_SIZE = 2048

# Where a request's own values go; random per process, so no page content can contain them.
_CSRF_MARK = "csrf-" + secrets.token_hex(16)
_NEXT_MARK = "/next-" + secrets.token_hex(16)


def _marked_csrf_token():
    return _CSRF_MARK


class _MarkedRule:
    methods = frozenset({"GET"})


class _MarkedRequest:
    """`request` for the kept rendering of the language switch: `next` is the mark (a GET page's
    full path), filled per request with what the template would give (_next_path)."""

    url_rule = _MarkedRule()
    full_path = _NEXT_MARK


def _next_path(request, url_for):
    """_language_switch.html's `next`: this page for a GET route, else the home page."""
    rule = request.url_rule
    if rule and "GET" in rule.methods:
        return request.full_path.rstrip("?")
    return url_for("pages.index")


class Keeper:
    """One app's kept fragments: a template rendered with the given values only, under a key."""

    def __init__(self, app):
        self.app = app
        self.environment = app.jinja_env
        self.memo = {}

    def get(self, name, key, values):
        html = self.memo.get(key)
        if html is None:
            html = str(self.environment.get_template(name).render(values))
            if len(self.memo) >= MEMO_SIZE:
                self.memo.clear()
            self.memo[key] = html
        return html

    def place(self):
        """The request's context and the key of where and how it is shown: its language, its URL
        adapter (the links), DEMO_MAIL (the footer's link)."""
        request_context = _cv_request.get()
        adapter = request_context.url_adapter
        locale = request_locale()
        return request_context, (locale, locale.language if locale is not None else None, adapter.server_name,
                                 adapter.script_name, adapter.subdomain, adapter.url_scheme, adapter.default_method,
                                 self.app.config["DEMO_MAIL"])


def layout_functions(app, keeper):
    """The `layout_top` and `layout_bottom` template globals of one app."""
    environment = app.jinja_env
    marked = {"config": app.config, "csrf_token": _marked_csrf_token, "request": _MarkedRequest()}

    def plain(context, name):  # outside a request: rendered as an include would
        return Markup(environment.get_template(name).render(context.get_all()))

    @pass_context
    def layout_top(context):
        if _cv_request.get(None) is None:
            return plain(context, "_layout_top.html")
        _, key = keeper.place()
        user = context.resolve_or_missing("current_user")
        company = context.resolve_or_missing("active_company")
        if user.is_authenticated:
            key += (True, user.id, user.full_name, *((company.id, company.name) if company else (None, None)))
        else:
            key += (False,)
        values = {**marked, "current_user": user, "active_company": company,
                  "current_language": context.resolve_or_missing("current_language"),
                  "languages": context.resolve_or_missing("languages")}
        html = keeper.get("_layout_top.html", ("top", context.resolve_or_missing("current_language"), *key), values)
        return Markup(html.replace(_CSRF_MARK, escape(csrf_token())))

    @pass_context
    def layout_bottom(context):
        if _cv_request.get(None) is None:
            return plain(context, "_layout_bottom.html")
        request_context, key = keeper.place()
        language = context.resolve_or_missing("current_language")
        values = {**marked, "current_language": language, "languages": context.resolve_or_missing("languages")}
        html = keeper.get("_layout_bottom.html", ("bottom", language, *key), values)
        here = escape(_next_path(request_context.request, environment.globals["url_for"]))
        return Markup(html.replace(_CSRF_MARK, escape(csrf_token())).replace(_NEXT_MARK, here))

    return layout_top, layout_bottom


# What the registry table (companies/_company_data.html) shows of a company (a Company or the
# registry's CompanyData): its key, with the number shown and the language. tests/test_fragments.py
# checks that the template reads nothing else.
REGISTRY_TABLE_SHOWS = ("name", "nip", "regon", "krs", "street", "building", "unit", "postal_code", "city", "gmina",
                        "powiat", "wojewodztwo", "address_text", "legal_form", "kind", "status", "start_date",
                        "suspended_date", "end_date", "vat_status")
_registry_values = attrgetter(*REGISTRY_TABLE_SHOWS)


def registry_table_function(keeper):
    """The `registry_table(company, tax_id_display)` template global: the registry table kept per
    what it shows (the record's values, the number, the language)."""

    def registry_table(company, tax_id_display):
        values = {"company": company, "tax_id_display": tax_id_display}
        if _cv_request.get(None) is None:
            return Markup(keeper.environment.get_template("companies/_company_data.html").render(values))
        _, place = keeper.place()
        key = ("registry", _registry_values(company), tax_id_display, *place)
        try:
            hash(key)
        except TypeError:  # a value that cannot be a key: rendered as it is
            return Markup(keeper.environment.get_template("companies/_company_data.html").render(values))
        return Markup(keeper.get("companies/_company_data.html", key, values))

    return registry_table


# What kept() takes: values whose equality is their text's (a model instance is equal to
# another state of its row: pass the values it shows instead).
PLAIN_VALUES = (str, int, float, bool, type(None), Markup, date, datetime)


def kept_function(keeper):
    """The `kept(template, **values)` template global: a template that shows only these values
    (and translations, links, filters), rendered once per them, the language and URL root."""

    def kept(template, /, **values):
        """{{ kept("area/_part.html", name=value, …) }}: what {% include %} would give with only
        these values. For a part repeated down a page (a list's items) whose text changes only
        with its values; tests/test_fragments.py checks that every such template reads nothing
        else, and that the pages equal their plain rendering."""
        for value in values.values():
            if type(value) not in PLAIN_VALUES:
                raise TypeError(f"kept({template!r}): {type(value).__name__} is not a plain value")
        if _cv_request.get(None) is None:
            return Markup(keeper.environment.get_template(template).render(values))
        _, place = keeper.place()
        key = (template, *((item, type(value), value) for item, value in sorted(values.items())), *place)
        return Markup(keeper.get(template, key, values))

    return kept


def init_app(app):
    keeper = Keeper(app)
    app.jinja_env.globals["layout_top"], app.jinja_env.globals["layout_bottom"] = layout_functions(app, keeper)
    app.jinja_env.globals["registry_table"] = registry_table_function(keeper)
    app.jinja_env.globals["kept"] = kept_function(keeper)
