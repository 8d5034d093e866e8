"""The layout around a page's content, kept rendered: base.html's `layout_top()` and `layout_bottom()`.

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
"""

import secrets

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


def layout_functions(app):
    """The `layout_top` and `layout_bottom` template globals of one app (each app its own memo)."""
    memo = {}
    environment = app.jinja_env

    def kept(name, key, values):
        html = memo.get(key)
        if html is None:
            variables = {**values, "config": app.config, "csrf_token": _marked_csrf_token, "request": _MarkedRequest()}
            html = str(environment.get_template(name).render(variables))
            if len(memo) >= MEMO_SIZE:
                memo.clear()
            memo[key] = html
        return html

    def adapter_key(context):
        request_context = _cv_request.get(None)
        adapter = request_context.url_adapter
        return request_context, (request_locale(), context.resolve_or_missing("current_language"),
                                 adapter.server_name, adapter.script_name, adapter.subdomain, adapter.url_scheme,
                                 adapter.default_method, app.config["DEMO_MAIL"])

    def plain(context, name):  # outside a request: rendered as an include would
        return Markup(environment.get_template(name).render(context.get_all()))

    @pass_context
    def layout_top(context):
        if _cv_request.get(None) is None:
            return plain(context, "_layout_top.html")
        _, key = adapter_key(context)
        user = context.resolve_or_missing("current_user")
        company = context.resolve_or_missing("active_company")
        if user.is_authenticated:
            key += (True, user.id, user.full_name, *((company.id, company.name) if company else (None, None)))
        else:
            key += (False,)
        values = {"current_user": user, "active_company": company, "current_language": key[1],
                  "languages": context.resolve_or_missing("languages")}
        html = kept("_layout_top.html", ("top", *key), values)
        return Markup(html.replace(_CSRF_MARK, escape(csrf_token())))

    @pass_context
    def layout_bottom(context):
        if _cv_request.get(None) is None:
            return plain(context, "_layout_bottom.html")
        request_context, key = adapter_key(context)
        values = {"current_language": key[1], "languages": context.resolve_or_missing("languages")}
        html = kept("_layout_bottom.html", ("bottom", *key), values)
        here = escape(_next_path(request_context.request, environment.globals["url_for"]))
        return Markup(html.replace(_CSRF_MARK, escape(csrf_token())).replace(_NEXT_MARK, here))

    return layout_top, layout_bottom


def init_app(app):
    app.jinja_env.globals["layout_top"], app.jinja_env.globals["layout_bottom"] = layout_functions(app)
