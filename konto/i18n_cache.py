"""Translation catalogues cached per process (and per request), which Flask extensions reload.

Found by profiling the pages under load (bench/results.md has the figures):
* Flask-WTF loads WTForms' message catalogue (parses the .mo file) on every request that
  builds a form: here it is loaded once per locale and handed to each request;
* Flask-Babel's template `_()` looks the domain, the locale and the catalogue up again on
  every call (dozens per page): here once per request.
"""

from functools import lru_cache

from babel import support
from flask import g
from flask import request
from flask_babel import get_locale
from flask_babel import get_translations
from wtforms.i18n import messages_path


@lru_cache(maxsize=16)
def _wtforms_catalogue(locale):
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


def _hand_out_wtforms_catalogue():
    if request.endpoint != "static":
        # flask_wtf.i18n looks here first, before loading the catalogue itself.
        request.wtforms_translations = _wtforms_catalogue(str(get_locale()))


def _translations():
    # Kept with its locale: flask_babel.force_locale (an e-mail in its recipient's language)
    # changes the locale within a request.
    locale = get_locale()
    cached = g.get("_konto_translations")
    if cached is None or cached[0] is not locale:
        cached = g._konto_translations = (locale, get_translations())
    return cached[1]


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
