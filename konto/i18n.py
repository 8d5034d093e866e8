"""Languages: which one a request is served in, the switch that changes it, and dates and
times as people read them (in Europe/Warsaw, written the local way of the language).

The language of a request, first that applies: the account's choice (User.language), the
cookie the footer's switch sets (a visitor's choice, kept a year), the browser's
Accept-Language, Polish. The messages are written in Polish in the sources and translated
from the catalogues in konto/translations (`make translations`; see the README).

E-mails are rendered in their recipient's language (konto.mail.send_email uses
`locale_for_recipient`): an account's language, else the language of the request that sent
the message (a visitor registering gets the language they registered in).
"""

from datetime import UTC
from datetime import date
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel import dates
from flask import current_app
from flask import has_request_context
from flask import request
from flask.globals import _cv_app
from flask_babel import get_locale
from markupsafe import Markup
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from konto.sessions import request_user

# The languages the UI is translated into, with their names in themselves (the switch shows
# each in its own language).
LANGUAGES = {"pl": "Polski", "en": "English"}
DEFAULT = "pl"
COOKIE = "konto_lang"
COOKIE_MAX_AGE = 365 * 24 * 3600


def language_or_none(value):
    """`value` when it is a language the UI has, else None."""
    return value if isinstance(value, str) and value in LANGUAGES else None


def select_locale():
    """Flask-Babel's locale selector (see the module's docstring for the order)."""
    if not has_request_context():
        return DEFAULT
    user = request_user()
    if user and user.is_authenticated and language_or_none(getattr(user, "language", None)):
        return user.language
    req = request._get_current_object()
    chosen = language_or_none(req.cookies.get(COOKIE))
    if chosen:
        return chosen
    return _browser_language(req.environ.get("HTTP_ACCEPT_LANGUAGE"))


@lru_cache(maxsize=1024)
def _browser_language(header):
    """The UI's language a browser's Accept-Language asks for, else Polish: what
    request.accept_languages.best_match(LANGUAGES) gives (Werkzeug parses the header the same
    way from the same text), kept per header text (browsers send a few; ~25 calls a request)."""
    return parse_accept_header(header, LanguageAccept).best_match(LANGUAGES) or DEFAULT


# The UI's languages as babel Locales, parsed once: Flask-Babel's get_locale() parses what the
# selector returns (Locale.parse), and takes a Locale as it is. (A Locale is not changed by use.)
_LOCALES = {}


def request_locale_selector():
    """Flask-Babel's locale selector: select_locale()'s language as its Locale, parsed once."""
    language = select_locale()
    locale = _LOCALES.get(language)
    if locale is None:
        locale = _LOCALES[language] = Locale.parse(language)
    return locale


def request_locale():
    """flask_babel.get_locale(), the same Locale (None outside an app context): once Flask-Babel
    has chosen it for this context, read where it keeps it (`g._flask_babel.babel_locale`,
    Flask-Babel 4, pinned; force_locale sets it there too) instead of through its three proxies
    (tests/test_i18n.py compares the two inside and outside requests and force_locale)."""
    app_context = _cv_app.get(None)
    if app_context is not None:
        babel = app_context.g.__dict__.get("_flask_babel")
        if babel is not None:
            locale = babel.__dict__.get("babel_locale")
            if locale is not None:
                return locale
    return get_locale()


def current_language():
    locale = request_locale()
    return locale.language if locale is not None and locale.language in LANGUAGES else DEFAULT


def remember_choice(response, language):
    """The switch's cookie: a visitor's choice, remembered on this browser."""
    response.set_cookie(
        COOKIE, language, max_age=COOKIE_MAX_AGE, httponly=True, samesite="Lax",
        secure=bool(current_app.config["KONTO_HTTPS"]),
    )
    return response


def locale_for_recipient(language=None):
    """The language an e-mail is written in: the recipient account's, else this request's."""
    return language_or_none(language) or (current_language() if has_request_context() else DEFAULT)


# --- dates and times: stored naive in UTC, shown in Europe/Warsaw, the language's way -------

WARSAW = ZoneInfo("Europe/Warsaw")


def in_warsaw(value):
    """A stored moment (naive UTC, or aware) as Warsaw's wall-clock time."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(WARSAW)


def _locale():
    return request_locale() or Locale.parse(DEFAULT)


# Dates and times as text are pure functions of (locale, value): Babel's formatting is ~60 calls
# a value, and a page shows the same moments again and again (history, licences, the registry's
# dates). Kept per process and worker, bounded; the key is the Locale (equal Locales are one
# language) and the value with its type (a date is not a datetime; two equal aware moments are
# one instant, shown alike in Warsaw). tests/test_i18n.py compares them with Babel's own.
DATES_MEMO_SIZE = 4096


def datetime_text(value, seconds=False):
    """A moment, Warsaw time, the CLDR way of the language: "2 grudnia 2026, 10:55",
    "December 2, 2026, 10:55 AM"."""
    if value is None:
        return ""
    return _datetime_text(_locale(), value, seconds)


@lru_cache(maxsize=DATES_MEMO_SIZE, typed=True)
def _datetime_text(locale, value, seconds):
    moment = in_warsaw(value)
    day = dates.format_date(moment.date(), "long", locale=locale)
    time = dates.format_time(moment, "medium" if seconds else "short", tzinfo=WARSAW, locale=locale)
    return locale.datetime_formats["medium"].format(time, day)


def _as_day(value):
    """The day a value stands for (a date; a moment, in Warsaw time; a registry's "2012-03-01"),
    or None for any other text, which is shown as it is."""
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return in_warsaw(value).date() if isinstance(value, datetime) else value


def date_text(value):
    """A day: "2 grudnia 2026", "December 2, 2026". A moment is taken in Warsaw time first; a
    registry's "2012-03-01" is read as a day; any other text comes back as it is."""
    if value is None or value == "":
        return ""
    return _date_text(_locale(), value)


@lru_cache(maxsize=DATES_MEMO_SIZE, typed=True)
def _date_text(locale, value):
    day = _as_day(value)
    return value if day is None else dates.format_date(day, "long", locale=locale)


def _time_tag(machine, text):
    return Markup('<time datetime="{}">{}</time>').format(machine, text)


def datetime_filter(value, seconds=False):
    """{{ moment|datetime }}: a <time> element, the instant in ISO 8601 for machines."""
    if value is None:
        return ""
    return _datetime_tag(_locale(), value, seconds)


@lru_cache(maxsize=DATES_MEMO_SIZE, typed=True)
def _datetime_tag(locale, value, seconds):
    return _time_tag(in_warsaw(value).isoformat(timespec="seconds"), _datetime_text(locale, value, seconds))


def date_filter(value):
    """{{ day|date }}: a <time> element with the day (a date, a moment, or a registry's
    "2012-03-01"; any other text is shown as it is)."""
    if value is None or value == "":
        return ""
    return _date_tag(_locale(), value)


@lru_cache(maxsize=DATES_MEMO_SIZE, typed=True)
def _date_tag(locale, value):
    day = _as_day(value)
    return value if day is None else _time_tag(day.isoformat(), _date_text(locale, day))


def init_app(app):
    app.add_template_filter(datetime_filter, "datetime")
    app.add_template_filter(date_filter, "date")
    app.add_template_filter(datetime_text)  # plain text, for e-mails' text parts and inside messages
    app.add_template_filter(date_text)

    @app.context_processor
    def _languages():
        return {"languages": LANGUAGES, "current_language": current_language()}
