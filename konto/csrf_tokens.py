"""The signed CSRF token of a session, signed once per process instead of once per request.

Flask-WTF keeps a random token in the session and puts it in pages signed (itsdangerous,
HMAC-SHA1 plus a timestamp): a page pays for the signature on every request. While tokens
have no time limit (WTF_CSRF_TIME_LIMIT = None, konto.config: a token lives as long as the
session), the timestamp is never checked, so the token signed for a session's random value the
first time stays valid for it: it is kept, keyed by the signing key and that session's own
random value (another session's value is another key, so it never gets this one's), and
validation (Flask-WTF's validate_csrf, CSRFProtect) is unchanged. With a time limit set,
every request signs anew, as Flask-WTF does.
"""

from flask import current_app
from flask import g
from flask import session
from flask_wtf.csrf import _FlaskFormCSRF
from flask_wtf.csrf import generate_csrf

# Signed tokens kept per worker (one per live session; ~100 bytes each); past it, start again.
MEMO_SIZE = 10_000
_signed = {}


def csrf_token(secret_key=None, token_key=None):
    """Flask-WTF's generate_csrf (same arguments, same result), the signature kept per session."""
    config = current_app.config
    if config["WTF_CSRF_TIME_LIMIT"] is not None:
        return generate_csrf(secret_key, token_key)
    field = token_key or config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    token = g.get(field)
    if token is not None:  # this request has one already
        return token
    secret = secret_key or config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key
    raw = session.get(field)
    if isinstance(raw, str):
        token = _signed.get((secret, field, raw))
        if token is not None:
            setattr(g, field, token)  # as generate_csrf leaves it, for the rest of the request
            return token
    token = generate_csrf(secret_key, token_key)  # signs (and makes the session's value if new)
    raw = session.get(field)
    if isinstance(raw, str):
        if len(_signed) >= MEMO_SIZE:
            _signed.clear()
        _signed[(secret, field, raw)] = token
    return token


class CachedCSRF(_FlaskFormCSRF):
    """The forms' CSRF (BaseForm.Meta.csrf_class): Flask-WTF's, the token from csrf_token()."""

    def generate_csrf_token(self, csrf_token_field):
        return csrf_token(secret_key=self.meta.csrf_secret, token_key=self.meta.csrf_field_name)


def init_app(app):
    """After CSRFProtect's init_app: the templates' csrf_token() is ours."""
    app.jinja_env.globals["csrf_token"] = csrf_token
