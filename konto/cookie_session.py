"""Flask's signed cookie session, with a cookie value once verified remembered per worker.

Flask's SecureCookieSessionInterface builds its serializer, checks the cookie's HMAC signature
and decodes its JSON on every request: about 300 Python calls, more than a twentieth of a page.
A browser sends the same cookie value request after request, so here:

* the serializer is built once per set of keys (SECRET_KEY and SECRET_KEY_FALLBACKS);
* a cookie value that itsdangerous verified with those keys is remembered, with the moment it
  was signed and its data; the next request carrying exactly that value gets a new session
  object with the same data, after the age check itsdangerous makes (older than the session
  lifetime, or signed in the future: an empty session, as Flask gives for an expired cookie).
  Any other value (one byte changed, another key, another browser's session) is verified as
  Flask verifies it.

Only sessions whose values are all immutable (str, int, float, bool, None) are remembered: a
list or dict value could be changed in place by one request and be seen by the next; such a
session is verified every time. Each request gets its own session object (a copy of the data),
so what a request changes is only ever saved through its own response's cookie.

The Cookie header itself is parsed once per worker and header text (Werkzeug's parse, kept:
an immutable dict, handed to each request carrying exactly that header; headers over 1 KiB are
parsed every time).

Saving: a response whose session sets no cookie (most: nothing changed) only gets `Cookie` added
to its Vary header when the session was read; that is written directly when the Vary header is
our usual "HX-Request" (konto.web.security_headers), instead of parsing it into a set and back.
tests/test_cookie_session.py compares both ways with Flask's interface, header for header.
"""

import threading
import time

from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadSignature
from werkzeug.datastructures import EnvironHeaders
from werkzeug.datastructures import ImmutableMultiDict

# Verified cookie values kept per worker and set of keys (one per live browser session, a few
# hundred bytes each); past it, the oldest go first.
MEMO_SIZE = 2048
# Cookie headers longer than this are parsed every time (a browser's few cookies are far shorter).
PARSED_MAX_LENGTH = 1024
_SCALARS = frozenset({str, int, float, bool, type(None)})


def _immutable(data):
    return type(data) is dict and all(type(value) in _SCALARS for value in data.values())


class CookieSessionInterface(SecureCookieSessionInterface):
    def __init__(self):
        self._by_keys = {}  # (secret key, fallbacks) -> (serializer, {cookie value: (signed at, data)})
        self._lock = threading.Lock()
        self._parsed = {}  # (dict class, Cookie header) -> the parsed cookies

    def _signing(self, app):
        secret = app.secret_key
        if not secret:
            return None, None
        fallbacks = app.config["SECRET_KEY_FALLBACKS"]
        keys = (secret, tuple(fallbacks) if fallbacks else ())
        kept = self._by_keys.get(keys)
        if kept is None:
            with self._lock:
                if len(self._by_keys) >= 8:  # keys change rarely (tests make many apps)
                    self._by_keys.clear()
                kept = self._by_keys[keys] = (super().get_signing_serializer(app), {})
        return kept

    def save_session(self, app, session, response):
        if session.modified or (session and self.should_set_cookie(app, session)):
            return super().save_session(app, session, response)
        # Nothing to set or delete: Flask only adds "Vary: Cookie" when the session was read.
        if session.accessed:
            headers = response.headers
            if headers.get("Vary") == "HX-Request":  # what response.vary.add("Cookie") writes then
                headers["Vary"] = "HX-Request, Cookie"
            else:
                response.vary.add("Cookie")
        return None

    def get_signing_serializer(self, app):
        return self._signing(app)[0]

    def _cookies(self, request):
        """request.cookies, parsed once per worker and Cookie header (Werkzeug's parse of the same
        text: an immutable dict, so one request cannot change what another sees)."""
        headers = request.headers
        if type(headers) is EnvironHeaders:  # a WSGI request's: the one HTTP_COOKIE, or none
            raw = headers.environ.get("HTTP_COOKIE", "")
        else:
            raw = ";".join(headers.getlist("Cookie"))  # what Werkzeug's Request.cookies parses
        key = (request.dict_storage_class, raw)
        cookies = self._parsed.get(key)
        if cookies is None:
            cookies = request.cookies
            if len(raw) <= PARSED_MAX_LENGTH and isinstance(cookies, ImmutableMultiDict):
                with self._lock:
                    if len(self._parsed) >= MEMO_SIZE:
                        self._parsed.pop(next(iter(self._parsed)), None)
                    self._parsed[key] = cookies
            return cookies
        request.cookies = cookies  # Werkzeug's cached_property takes the value
        return cookies

    def open_session(self, app, request):
        serializer, verified = self._signing(app)
        if serializer is None:
            return None
        value = self._cookies(request).get(self.get_cookie_name(app))
        if not value:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        kept = verified.get(value)
        if kept is not None:
            # itsdangerous' TimestampSigner: too old, or signed in the future, is expired.
            age = int(time.time()) - kept[0]
            if 0 <= age <= max_age:
                return self.session_class(kept[1])
            with self._lock:
                verified.pop(value, None)
            return self.session_class()
        try:
            data, signed_at = serializer.loads(value, max_age=max_age, return_timestamp=True)
        except BadSignature:
            return self.session_class()
        if _immutable(data):
            with self._lock:
                if len(verified) >= MEMO_SIZE:
                    verified.pop(next(iter(verified)), None)
                verified[value] = (int(signed_at.timestamp()), dict(data))
        return self.session_class(data)
