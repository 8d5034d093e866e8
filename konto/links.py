"""Links that leave a page: absolute ones for e-mails, and where a form may send the user on to."""

from urllib.parse import quote
from urllib.parse import urlsplit

from flask import current_app
from flask.globals import _cv_request


def external_url(endpoint, **values):
    """An absolute link for an e-mail, built from KONTO_BASE_URL alone: never from the request
    (its Host or X-Forwarded-Host header is whatever the sender of the request wrote), and the
    same inside a request or outside one (a command, the mail sender)."""
    base = urlsplit(current_app.config["KONTO_BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path.rstrip("/") or "/", url_scheme=base.scheme)
    return adapter.build(endpoint, values, force_external=True)


# What a URL keeps as it is; anything else (a non-ASCII letter, a space) is percent-encoded.
_URL_SAFE = "/?&=#%:@!$'()*+,;~-._[]"


def safe_next(target):
    """`target` when it is a path on this site (no scheme, no host, no //host, no backslash
    tricks), percent-encoded to ASCII (it goes into a Location or HX-Redirect header), else None."""
    if not target or not isinstance(target, str) or len(target) > 500:
        return None
    if "\\" in target or any(ord(c) < 32 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return quote(target, safe=_URL_SAFE)


# How many URLs a worker keeps built (they are short strings); past it, it starts again.
URL_MEMO_SIZE = 4096


def memoised_url_for(app):
    """The templates' url_for: Flask's, its result kept per endpoint and values.

    A page builds the same dozen URLs on every request (the layout's, the top bar's), each
    through Flask's and Werkzeug's whole build. A built URL depends on the endpoint, the values,
    the blueprint of the request (for ".name"), and the request's URL adapter: host, script
    root (SCRIPT_NAME), subdomain, scheme and method (a rule for the request's method comes
    first); all of them are in the key. Outside a request, with url_defaults functions
    registered, or with a value that cannot be a key (a list), it is Flask's url_for as it is.
    tests/test_links.py checks it against Flask's for every endpoint the templates use.
    """
    flask_url_for = app.url_for
    memo = {}

    def url_for(endpoint, **values):
        request_context = _cv_request.get(None)
        if request_context is None or app.url_default_functions:
            return flask_url_for(endpoint, **values)
        adapter = request_context.url_adapter
        blueprint = request_context.request.blueprint if endpoint[:1] == "." else None
        try:
            key = (endpoint, blueprint, adapter.server_name, adapter.script_name, adapter.subdomain,
                   adapter.url_scheme, adapter.default_method,
                   *sorted((name, type(value), value) for name, value in values.items()))
            url = memo.get(key)
        except TypeError:  # an unhashable value
            return flask_url_for(endpoint, **values)
        if url is None:
            url = flask_url_for(endpoint, **values)
            if len(memo) >= URL_MEMO_SIZE:
                memo.clear()
            memo[key] = url
        return url

    return url_for
