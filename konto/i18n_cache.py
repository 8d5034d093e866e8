"""Translation catalogues cached per process, which Flask extensions reload, and the
templates' `_()` memoised per catalogue.

Found by profiling the pages under load (bench/results.md has the figures):
* Flask-WTF loads WTForms' message catalogue (parses the .mo file) on every request that
  builds a form: here it is loaded once per locale and handed to each request;
* Flask-Babel's template `_()` looks the domain, the locale and the catalogue up again on
  every call (dozens per page), through three of Jinja's `context.call`s: here the template's
  `_` / `gettext` is one function that finds the request's catalogue (once per request, again
  only when the locale changes: `flask_babel.force_locale`, an e-mail in its recipient's
  language) and keeps each message's translated Markup in a dict on that catalogue (and, for a
  call without variables, the formatted result). What it returns is what Jinja's new-style
  gettext returns (tests/test_i18n.py compares them).
"""

from functools import lru_cache

from babel import support
from flask import request
from flask.globals import _cv_app
from flask_babel import get_translations
from flask_babel import gettext
from flask_babel.speaklater import LazyString
from jinja2 import pass_eval_context
from markupsafe import Markup
from wtforms.i18n import messages_path

from konto.i18n import request_locale


@lru_cache(maxsize=16)
def _wtforms_catalogue(locale):
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


def _hand_out_wtforms_catalogue():
    req = request._get_current_object()
    if req.endpoint != "static":
        # flask_wtf.i18n looks here first, before loading the catalogue itself.
        req.wtforms_translations = _wtforms_catalogue(str(request_locale()))


def _translations():
    """flask_babel.get_translations(): the app's catalogue of the request's locale. Flask-Babel
    loads each once per app and keeps it (its default domain's cache; konto uses no other
    domain), and finds it again through ~65 calls a request (domain, context, locale, its
    name); here it is kept beside it, on the app, per Locale (equal Locales are one language).
    Kept with its locale on `g` too: flask_babel.force_locale (an e-mail in its recipient's
    language) changes the locale within a request."""
    locale = request_locale()
    app_context = _cv_app.get()
    kept = app_context.g.__dict__.get("_konto_translations")
    if kept is None or kept[0] is not locale:
        catalogues = app_context.app.extensions.get("konto_catalogues")
        if catalogues is None:
            catalogues = app_context.app.extensions["konto_catalogues"] = {}
        catalogue = catalogues.get(locale)
        if catalogue is None:
            catalogue = get_translations()
            if locale is not None:
                catalogues[locale] = catalogue
        kept = app_context.g._konto_translations = (locale, catalogue)
    return kept[1]


def _memo():
    """The memo of the request's catalogue: {(message, autoescape): translated} (a dict kept on
    the catalogue object itself, which Flask-Babel loads once per locale and process).

    Found once per request and kept beside Flask-Babel's own locale of the request (its
    namespace on `g`); found again when that locale is another object (force_locale)."""
    app_context = _cv_app.get(None)
    babel = app_context.g.__dict__.get("_flask_babel") if app_context is not None else None
    kept = getattr(babel, "_konto_memo", None)
    if kept is not None and kept[0] is getattr(babel, "babel_locale", None):
        return kept[1]
    catalogue = _translations()
    memo = catalogue.__dict__.get("_konto_memo")
    if memo is None:
        memo = catalogue.__dict__["_konto_memo"] = {}
    babel = app_context.g.__dict__.get("_flask_babel") if app_context is not None else None
    if babel is not None:  # now there, with the locale the catalogue was found for
        babel._konto_memo = (babel.babel_locale, memo)
    return memo


@pass_eval_context
def template_gettext(eval_ctx, message, **variables):
    """{{ _("…") }}: jinja2.ext's new-style gettext (translated, Markup when autoescaping,
    always %-formatted), the translation and its Markup looked up once per catalogue."""
    autoescape = eval_ctx.autoescape
    memo = _memo()
    if not variables:
        # Most calls: the %-formatted result itself is kept (formatting a Markup is ~8 calls).
        done = memo.get((message, autoescape, None))
        if done is not None:
            return done
    key = (message, autoescape)
    translated = memo.get(key)
    if translated is None:
        translated = _translations().ugettext(message)
        if autoescape:
            translated = Markup(translated)
        memo[key] = translated
    if not variables:
        done = memo[(message, autoescape, None)] = translated % variables
        return done
    return translated % variables


@pass_eval_context
def template_ngettext(eval_ctx, singular, plural, num, **variables):
    """{{ ngettext("…", "…", n) }}: jinja2.ext's new-style ngettext, on the request's catalogue."""
    variables.setdefault("num", num)
    translated = _translations().ungettext(singular, plural, num)
    if eval_ctx.autoescape:
        translated = Markup(translated)
    return translated % variables


_LAZY = object()  # marks a lazy string's key in a catalogue's memo


class LazyText(LazyString):
    """What flask_babel.lazy_gettext gives (a LazyString: translated each time it is used, in the
    language of that moment), its text kept in the request's catalogue's memo when it has no
    variables (a label, a role's name: ~60 calls each time through Flask-Babel's gettext).
    Outside an app context, and with variables (often a request's data), Flask-Babel's as before.
    tests/test_i18n.py compares it with Flask-Babel's lazy_gettext for every message."""

    def __init__(self, string, **variables):
        super().__init__(gettext, string, **variables)
        self._key = (_LAZY, string) if not variables else None

    def __str__(self):
        if self._key is None or _cv_app.get(None) is None:
            return str(self._func(*self._args, **self._kwargs))
        memo = _memo()
        text = memo.get(self._key)
        if text is None:
            text = memo[self._key] = str(self._func(*self._args))
        return text

    __html__ = __str__


def lazy_gettext(string, **variables):
    """flask_babel.lazy_gettext, kept per catalogue (LazyText)."""
    return LazyText(string, **variables)


def init_app(app):
    """After Flask-Babel's init_app: replaces the gettext callables it gave Jinja."""
    app.before_request(_hand_out_wtforms_catalogue)
    if app.jinja_env.globals.get("gettext") is not None:
        app.jinja_env.install_gettext_callables(
            gettext=lambda s: _translations().ugettext(s),
            ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
            newstyle=True,
            pgettext=lambda c, s: _translations().upgettext(c, s),
            npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
        )
        # `_` is an alias Jinja resolves to `gettext` through two more calls: both are ours.
        app.jinja_env.globals.update(_=template_gettext, gettext=template_gettext, ngettext=template_ngettext)
