"""Links that leave a page: absolute ones for e-mails, and where a form may send the user on to."""

from urllib.parse import quote
from urllib.parse import urlsplit

from flask import current_app


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
