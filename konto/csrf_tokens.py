"""The signed CSRF token of a session, signed once per process instead of once per request.

Flask-WTF keeps a random token in the session and puts it in pages signed (itsdangerous,
HMAC-SHA1 plus a timestamp): a page pays for the signature on every request. While tokens
have no time limit (WTF_CSRF_TIME_LIMIT = None, konto.config: a token lives as long as the
session), the timestamp is never checked, so the token signed for a session's random value the
first time stays valid for it: it is kept, keyed by the signing key and that session's own
random value (another session's value is another key, so it never gets this one's), and
validation (Flask-WTF's validate_csrf, CSRFProtect) is unchanged. With a time limit set,
every request signs anew, as Flask-WTF does.

The templates' csrf_token is this one (Flask-WTF's context processor, which gave them its own
generate_csrf, is taken out), and CSRFProtect's before_request hook is called only for the
methods it checks (WTF_CSRF_METHODS): for any other it returns without checking anything.
"""

from flask import request
from flask import session
from flask.globals import _cv_app
from flask_wtf.csrf import _FlaskFormCSRF
from flask_wtf.csrf import csrf_meta_tag
from flask_wtf.csrf import generate_csrf

# Signed tokens kept per worker (one per live session; ~100 bytes each); past it, start again.
MEMO_SIZE = 10_000
_signed = {}


def csrf_token(secret_key=None, token_key=None):
    """Flask-WTF's generate_csrf (same arguments, same result), the signature kept per session."""
    app_context = _cv_app.get()
    config = app_context.app.config
    if config["WTF_CSRF_TIME_LIMIT"] is not None:
        return generate_csrf(secret_key, token_key)
    field = token_key or config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    kept = app_context.g.__dict__
    token = kept.get(field)
    if token is not None:  # this request has one already
        return token
    secret = secret_key or config.get("WTF_CSRF_SECRET_KEY") or app_context.app.secret_key
    raw = session.get(field)
    if isinstance(raw, str):
        token = _signed.get((secret, field, raw))
        if token is not None:
            kept[field] = token  # as generate_csrf leaves it (g.csrf_token), for the rest of the request
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


def _flask_wtf_hook(functions, name):
    """Flask-WTF 1.3's own function (pinned) of that name among an app's hooks: its position."""
    for position, function in enumerate(functions):
        if function.__module__ == "flask_wtf.csrf" and function.__qualname__ == f"CSRFProtect.init_app.<locals>.{name}":
            return position
    raise RuntimeError(f"Flask-WTF's {name} hook not found: see konto/csrf_tokens.py")


def init_app(app, csrf):
    """After CSRFProtect's init_app: the templates' csrf_token() is ours, and its hook checks
    only the methods it checks."""
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.jinja_env.globals["csrf_meta_tag"] = csrf_meta_tag
    # Its context processor gave the templates its generate_csrf, over the globals: out.
    processors = app.template_context_processors[None]
    del processors[_flask_wtf_hook(processors, "<lambda>")]
    hooks = app.before_request_funcs[None]
    position = _flask_wtf_hook(hooks, "csrf_protect")

    def csrf_protect():
        """CSRFProtect's hook (the same checks, in its place), called for POST, PUT, PATCH and
        DELETE only: for other methods CSRFProtect.protect returns before checking anything."""
        config = app.config
        if not config["WTF_CSRF_ENABLED"] or not config["WTF_CSRF_CHECK_DEFAULT"]:
            return
        if request._get_current_object().method not in config["WTF_CSRF_METHODS"]:
            return
        csrf.protect(apply_exemptions=True)

    hooks[position] = csrf_protect
