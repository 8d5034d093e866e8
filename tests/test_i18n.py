"""Languages: Polish by default, English from the browser, the footer's switch (remembered on the
browser and on the account), e-mails in their recipient's language, Polish plural forms."""

import re
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta

import pytest
from flask import render_template
from flask import request
from flask_babel import force_locale

from konto import clock
from konto import create_app
from konto import i18n
from konto.db import database
from konto.models import AuditEvent
from konto.models import Company
from konto.models import User
from tests.helpers import Journey
from tests.helpers import mails_to
from tests.helpers import make_config
from tests.helpers import user
from tests.licence_helpers import COMPANY
from tests.licence_helpers import issue
from tests.licence_helpers import make_staff

ENGLISH = {"Accept-Language": "en-GB,en;q=0.9"}


def switch(client, lang, next_path="/logowanie"):
    return client.post("/jezyk", data={"lang": lang, "next": next_path})


def test_polish_without_a_preference_english_when_the_browser_asks(client):
    polish = client.get("/logowanie").data.decode()
    assert '<html lang="pl">' in polish and "Zaloguj się" in polish
    english = client.get("/logowanie", headers=ENGLISH).data.decode()
    assert '<html lang="en">' in english and "Log in" in english and "Zaloguj się" not in english
    # A language the portal does not have falls back to Polish; Polish preferred wins over English.
    assert '<html lang="pl">' in client.get("/logowanie", headers={"Accept-Language": "de"}).data.decode()
    both = client.get("/logowanie", headers={"Accept-Language": "pl;q=0.9,en;q=0.8"}).data.decode()
    assert '<html lang="pl">' in both


def test_the_footer_switch_is_a_form_that_works_without_javascript(client):
    page = client.get("/rejestracja?next=/panel").data.decode()
    form = re.search(r'<form class="inline language-switch" method="post" action="/jezyk".*?</form>', page, re.S)
    assert form, page
    assert 'name="csrf_token"' in form.group(0) and 'name="next" value="/rejestracja?next=/panel"' in form.group(0)
    button = '<button type="submit" class="link-button" name="lang" value="en" lang="en">English</button>'
    assert button in form.group(0)
    assert '<span lang="pl" aria-current="true">Polski</span>' in form.group(0)


def test_a_visitor_switches_and_the_browser_remembers(client):
    response = switch(client, "en", "/rejestracja")
    assert response.status_code == 303 and response.headers["Location"] == "/rejestracja"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("konto_lang=en;") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Max-Age=31536000" in cookie
    page = client.get("/rejestracja", headers={"Accept-Language": "pl"}).data.decode()
    assert '<html lang="en">' in page and "Create account" in page  # the choice beats the browser
    back = switch(client, "pl", "/rejestracja")
    assert back.status_code == 303
    assert '<html lang="pl">' in client.get("/rejestracja", headers=ENGLISH).data.decode()


def test_bad_choices_change_nothing_and_next_stays_on_the_site(client):
    for lang in ["de", "", "EN", "x" * 500]:
        response = client.post("/jezyk", data={"lang": lang, "next": "/panel"})
        assert response.status_code == 400 and "konto_lang" not in response.headers.get("Set-Cookie", "")
    for target in ["https://evil.example/", "//evil.example/", "/\\evil", None]:
        response = switch(client, "en", target)
        assert response.status_code == 303 and response.headers["Location"] == "/"


def test_a_logged_in_choice_is_kept_on_the_account(app, client, journey):
    journey.signed_up()
    assert user("anna@example.com").language == "pl"  # registered in Polish
    switch(client, "en", "/panel")
    assert user("anna@example.com").language == "en"
    assert "Your companies" not in client.get("/panel").data.decode()  # no company yet: the empty state
    assert "You have no companies yet" in client.get("/panel").data.decode()
    # Another browser, asking for Polish, without the cookie: the account's choice wins.
    elsewhere = Journey(app.test_client())
    elsewhere.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "pl"
    elsewhere.login()
    assert '<html lang="en">' in elsewhere.client.get("/panel").data.decode()


def test_a_visitor_registering_in_english_gets_english_e_mails(client, journey):
    switch(client, "en", "/rejestracja")
    assert journey.register().status_code == 303
    assert user("anna@example.com").language == "en"
    [activation] = mails_to("anna@example.com")
    assert activation.subject == "Activate your Konto"
    assert "thank you for creating a Konto" in activation.text_body and "valid for 48 hours" in activation.text_body
    assert "Aktywuj" not in activation.html_body


def test_an_e_mail_is_written_in_its_recipients_language_not_the_senders(app, client, journey):
    """Anna reads English; a visitor browsing in Polish asks for her password to be reset."""
    journey.signed_up()
    switch(client, "en", "/panel")
    journey.logout()
    stranger = app.test_client()
    stranger.post("/haslo/nie-pamietam", data={"email": "anna@example.com"})
    reset = mails_to("anna@example.com")[0]
    assert reset.subject == "Set a new password"
    assert reset.text_body.startswith("Hello,") and "(valid for an hour, works once)" in reset.text_body
    # And Polish for a Polish account, whatever the language of the request that sends it.
    Journey(app.test_client()).register(email="bob@example.com")
    with database.connection_context():
        User.update(activated_at=User.created_at).where(User.email == "bob@example.com").execute()
    english_browser = app.test_client()
    english_browser.post("/haslo/nie-pamietam", data={"email": "bob@example.com"}, headers=ENGLISH)
    assert mails_to("bob@example.com")[0].subject == "Ustaw nowe hasło"


def test_polish_plural_forms_of_the_companies_count(client, journey):
    journey.signed_up()
    counts = []
    for number in ["PL5250001003", "PL6770002009", "PL6760003007", "PL7390004008", "PL9720005007"]:
        journey.add_company(number)
        counts.append(re.search(r"\((\d+ firm\w*)\)", client.get("/panel").data.decode()).group(1))
    assert counts == ["1 firma", "2 firmy", "3 firmy", "4 firmy", "5 firm"]
    switch(client, "en", "/panel")
    assert "(5 companies)" in client.get("/panel").data.decode()


def test_times_are_shown_in_warsaw_the_way_of_each_language(client, journey):
    """Stored in UTC; 22:30 UTC on 1 July is already 2 July in Warsaw (summer time, UTC+2)."""
    journey.signed_up()
    with database.connection_context():
        AuditEvent.update(created_at=datetime(2026, 7, 1, 22, 30, 5)).execute()
        User.update(created_at=datetime(2026, 1, 15, 23, 30)).execute()  # winter: UTC+1
    activity = client.get("/konto/aktywnosc").data.decode()
    assert '<time datetime="2026-07-02T00:30:05+02:00">2 lipca 2026, 00:30:05</time>' in activity
    assert "UTC" not in activity
    assert '<time datetime="2026-01-16">16 stycznia 2026</time>' in client.get("/konto").data.decode()
    switch(client, "en", "/konto/aktywnosc")
    activity = client.get("/konto/aktywnosc").data.decode()
    assert '<time datetime="2026-07-02T00:30:05+02:00">July 2, 2026, 12:30:05\u202fAM</time>' in activity
    assert '<time datetime="2026-01-16">January 16, 2026</time>' in client.get("/konto").data.decode()


def test_date_texts_outside_a_request_are_polish(app):
    with app.app_context():
        assert i18n.date_text(date(2026, 12, 24)) == "24 grudnia 2026"
        assert i18n.datetime_text(datetime(2026, 12, 24, 17, 5)) == "24 grudnia 2026, 18:05"
        assert i18n.datetime_text(datetime(2026, 12, 24, 17, 5, 9), seconds=True) == "24 grudnia 2026, 18:05:09"
        with force_locale("en"):
            assert i18n.date_text(datetime(2026, 12, 24, 23, 5)) == "December 25, 2026"


def test_a_notice_sent_by_cron_is_in_its_recipients_language(app, client, journey):
    """No request: the command renders each e-mail in its recipient account's language."""
    journey.signed_up()
    journey.add_company(COMPANY)
    switch(client, "en", "/panel")
    make_staff(app)  # Polish
    end = clock.today() + timedelta(days=30)
    issue(app, abonament_until=end)
    result = app.test_cli_runner().invoke(args=["licences", "notify", "--date", clock.today().isoformat()])
    assert result.exit_code == 0, result.output
    [notice] = [m for m in mails_to("anna@example.com") if "Abonament" in m.subject]
    assert notice.subject.startswith("The Abonament of PRZYKŁADOWA") and notice.subject.endswith("ends in 30 days")
    with app.app_context(), force_locale("en"):
        on = i18n.date_text(end)
    assert f"in 30 days, on {on}, the Abonament ends for" in notice.text_body


@pytest.mark.parametrize("hours, polish, english", [
    (1, "mają 1 godzinę na sprzeciw", "have 1 hour to object"),
    (24, "mają 24 godziny na sprzeciw", "have 24 hours to object"),
    (48, "mają 48 godzin na sprzeciw", "have 48 hours to object"),
    (72, "mają 72 godziny na sprzeciw", "have 72 hours to object"),
])  # fmt: skip
def test_the_time_to_object_takes_the_plural_form_of_its_number(tmp_path, hours, polish, english):
    app = create_app(make_config(tmp_path, CLAIM_OBJECTION_HOURS=hours))
    try:
        with app.test_request_context():
            page = render_template("licences/claim_sent.html", company=Company(name="X"), hours=hours)
            assert polish in page
            with force_locale("en"):
                assert english in render_template("licences/claim_sent.html", company=Company(name="X"), hours=hours)
    finally:
        database.close()


def test_the_registrys_dates_and_vat_status_are_written_in_the_page_language(client, journey):
    journey.signed_up()
    journey.add_company(COMPANY)
    with database.connection_context():
        path = f"/firmy/{Company.get(Company.tax_id == COMPANY).id}"
    polish = client.get(path).data.decode()
    assert '(od <time datetime="2012-03-01">1 marca 2012</time>)' in polish and "<td>czynny</td>" in polish
    switch(client, "en", path)
    english = client.get(path).data.decode()
    assert '(since <time datetime="2012-03-01">March 1, 2012</time>)' in english
    assert "<td>active VAT payer</td>" in english


# -- the templates' _() memoised per catalogue (konto.i18n_cache) ----------------------------


def test_the_templates_gettext_is_jinjas_for_every_message_of_both_catalogues(app):
    """What konto.i18n_cache.template_gettext returns is what jinja2.ext's new-style gettext
    returns on Flask-Babel's catalogue: the translation, Markup when autoescaping, %-formatted;
    each message asked twice (the second answer from the memo), in each language in turn."""
    from babel.messages.pofile import read_po  # noqa: PLC0415 - only this test reads the .po files
    from jinja2.ext import _make_new_gettext  # noqa: PLC0415 - the reference, jinja2's own

    from konto.i18n_cache import template_gettext  # noqa: PLC0415

    root = app.root_path + "/translations"
    messages = set()
    for language in ("pl", "en"):
        with open(f"{root}/{language}/LC_MESSAGES/messages.po", "rb") as po:
            messages |= {m.id for m in read_po(po) if m.id and isinstance(m.id, str)}
    assert len(messages) > 500
    compared = 0
    for language in ("en", "pl", "en"):
        with app.test_request_context("/", headers={"Accept-Language": language}):
            env = app.jinja_env
            reference = _make_new_gettext(lambda s: flask_babel_gettext(s))
            for autoescape in (True, False):
                template = env.from_string("{{ f(m) }}", globals={"f": reference})
                context = template.new_context({"m": "x"})
                context.eval_ctx.autoescape = autoescape
                for message in sorted(messages):
                    if "%(" in message:
                        continue  # needs its variables: below
                    for _ in range(2):
                        ours = context.call(template_gettext, message)
                        assert ours == context.call(reference, message), (language, message)
                        assert type(ours) is type(context.call(reference, message))
                        compared += 1
            variables = {"minutes": "<5>", "name": "Anna & Bob", "num": 3}
            message = "Spróbuj ponownie za %(minutes)s min."
            template = env.from_string("{{ f(m) }}")
            context = template.new_context({})
            assert context.call(template_gettext, message, **variables) == context.call(reference, message, **variables)
    assert compared > 2000


def flask_babel_gettext(message):
    from flask_babel import get_translations  # noqa: PLC0415 - the plain look-up, for comparison

    return get_translations().ugettext(message)


def test_pages_follow_the_requests_language_whatever_the_memo_holds(app):
    """Two browsers, one Polish and one English, take turns on the same pages of one worker."""
    polish, english = app.test_client(), app.test_client()
    for _ in range(2):
        for path in ("/logowanie", "/rejestracja", "/"):
            pl_page = polish.get(path).data.decode()
            en_page = english.get(path, headers=ENGLISH).data.decode()
            assert '<html lang="pl">' in pl_page and '<html lang="en">' in en_page
            assert "Pomoc i kontakt" in pl_page and "Pomoc i kontakt" not in en_page
            assert "Help and contact" in en_page or "Help & contact" in en_page, en_page[-1500:]


def test_an_e_mail_in_another_language_inside_a_request_is_in_that_language(app):
    """force_locale within a request (an e-mail to an English account from a Polish page)."""
    with app.test_request_context("/"):
        before = render_template("_logo.html") + app.jinja_env.from_string('{{ _("Strona główna") }}').render()
        with force_locale("en"):
            inside = app.jinja_env.from_string('{{ _("Strona główna") }}').render()
        after = app.jinja_env.from_string('{{ _("Strona główna") }}').render()
    assert "Strona główna" in before and after == "Strona główna"
    assert inside != "Strona główna" and inside


def test_the_kept_result_of_a_call_without_variables_is_not_used_with_variables(app):
    """template_gettext keeps the formatted result of a call without variables: a call of the same
    message with variables is still formatted with them, in either order, in both languages."""
    from jinja2.ext import _make_new_gettext  # noqa: PLC0415 - the reference, jinja2's own

    from konto.i18n_cache import template_gettext  # noqa: PLC0415

    reference = _make_new_gettext(lambda s: flask_babel_gettext(s))
    for language in ("pl", "en", "pl"):
        with app.test_request_context("/", headers={"Accept-Language": language}):
            context = app.jinja_env.from_string("{{ 1 }}").new_context({})
            for message, variables in (("Panel", {}), ("Panel", {"x": "<b>"}), ("100%% pewności", {}),
                                       ("100%% pewności", {"n": 1}), ("Zaloguj się", {})):
                for _ in range(2):
                    ours = context.call(template_gettext, message, **variables)
                    assert ours == context.call(reference, message, **variables), (language, message, variables)
                    assert type(ours) is type(context.call(reference, message, **variables))
            named = "Spróbuj ponownie za %(minutes)s min."
            for minutes in ("<5>", "7"):
                assert context.call(template_gettext, named, minutes=minutes) == context.call(
                    reference, named, minutes=minutes)
            with pytest.raises(KeyError):
                context.call(template_gettext, named)


def _babel_dates(locale, value, seconds=False):
    """What konto.i18n's four date functions gave before they were kept (Babel on each call)."""
    from babel import dates  # noqa: PLC0415
    from markupsafe import Markup  # noqa: PLC0415

    def warsaw(moment):
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(i18n.WARSAW)

    def day_of(v):
        if isinstance(v, str):
            try:
                return date.fromisoformat(v)
            except ValueError:
                return None
        return warsaw(v).date() if isinstance(v, datetime) else v

    def tag(machine, text):
        return Markup('<time datetime="{}">{}</time>').format(machine, text)

    day = day_of(value)
    day_text = value if day is None else dates.format_date(day, "long", locale=locale)
    results = {"date_text": day_text, "date_filter": value if day is None else tag(day.isoformat(), day_text)}
    if isinstance(value, datetime):
        moment = warsaw(value)
        time = dates.format_time(moment, "medium" if seconds else "short", tzinfo=i18n.WARSAW, locale=locale)
        text = locale.datetime_formats["medium"].format(time, dates.format_date(moment.date(), "long", locale=locale))
        results["datetime_text"] = text
        results["datetime_filter"] = tag(moment.isoformat(timespec="seconds"), text)
    return results


def test_kept_dates_and_times_are_babels_for_every_kind_of_value_and_language(app):
    """The four date functions, kept per (locale, value), give what Babel gives on each call:
    dates, naive (UTC) and aware moments (the same instant in two zones; summer and winter), the
    registry's days and other text; asked twice, in each language in turn (force_locale too)."""
    from zoneinfo import ZoneInfo  # noqa: PLC0415

    from babel import Locale  # noqa: PLC0415

    instant = datetime(2026, 7, 1, 22, 30, 5)
    values = [
        date(2026, 12, 24), date(2026, 7, 1), instant, datetime(2026, 1, 15, 23, 30),
        instant.replace(tzinfo=UTC), instant.replace(tzinfo=UTC).astimezone(ZoneInfo("Asia/Tokyo")),
        datetime(2026, 10, 25, 0, 30), datetime(2026, 10, 25, 1, 30),  # the night summer time ends
        "2012-03-01", "od 2012 r.", "<b>", datetime(2026, 12, 24), date(2026, 12, 24),
    ]
    compared = 0
    for language in ("pl", "en", "pl"):
        with app.test_request_context("/", headers={"Accept-Language": language}):
            for outer in (None, "en" if language == "pl" else "pl"):
                with force_locale(outer) if outer else app.app_context():
                    locale = Locale.parse(outer or language)
                    for value in values * 2:
                        for seconds in (False, True):
                            expected = _babel_dates(locale, value, seconds)
                            got = {"date_text": i18n.date_text(value), "date_filter": i18n.date_filter(value)}
                            if isinstance(value, datetime):
                                got["datetime_text"] = i18n.datetime_text(value, seconds)
                                got["datetime_filter"] = i18n.datetime_filter(value, seconds)
                            assert got == expected, (language, outer, value, seconds)
                            assert {k: type(v) for k, v in got.items()} == {k: type(v) for k, v in expected.items()}
                            compared += 1
    assert compared > 100


def test_kept_lazy_strings_are_flask_babels_for_every_message_in_every_language(app):
    """konto's lazy_gettext (its text kept per catalogue) reads as Flask-Babel's lazy_gettext:
    every message of both catalogues, twice, in each language in turn, under force_locale, as
    str and as HTML; with variables; outside an app context."""
    from babel.messages.pofile import read_po  # noqa: PLC0415 - only this test reads the .po files
    from flask_babel import lazy_gettext as flask_babel_lazy  # noqa: PLC0415 - the reference

    from konto.i18n_cache import lazy_gettext  # noqa: PLC0415

    root = app.root_path + "/translations"
    messages = set()
    for language in ("pl", "en"):
        with open(f"{root}/{language}/LC_MESSAGES/messages.po", "rb") as po:
            messages |= {m.id for m in read_po(po) if m.id and isinstance(m.id, str) and "%(" not in m.id}
    ours = {message: lazy_gettext(message) for message in messages}
    theirs = {message: flask_babel_lazy(message) for message in messages}
    compared = 0
    for language in ("en", "pl", "en"):
        with app.test_request_context("/", headers={"Accept-Language": language}):
            for other in (None, "pl" if language == "en" else "en"):
                with force_locale(other) if other else app.app_context():
                    for message in sorted(messages) * 2:
                        assert str(ours[message]) == str(theirs[message]), (language, other, message)
                        assert ours[message].__html__() == theirs[message].__html__()
                        compared += 1
            named = "Spróbuj ponownie za %(minutes)s min."
            assert str(lazy_gettext(named, minutes=5)) == str(flask_babel_lazy(named, minutes=5))
    assert compared > 2000
    assert str(lazy_gettext("Panel")) == str(flask_babel_lazy("Panel")) == "Panel"  # no app context


def test_the_kept_catalogue_is_flask_babels_for_every_language_and_app(app, tmp_path):
    """konto.i18n_cache._translations() (the catalogue kept on the app per Locale) is the object
    Flask-Babel's get_translations() gives: in each language in turn, under force_locale, outside
    a request, and for a second app of the same process."""
    from flask_babel import get_translations  # noqa: PLC0415 - the reference

    from konto.i18n_cache import _translations  # noqa: PLC0415

    other = create_app(make_config(tmp_path / "other"))
    for application in (app, other, app):
        for language in ("pl", "en", "pl", "en"):
            with application.test_request_context("/", headers={"Accept-Language": language}):
                assert _translations() is get_translations()
                assert _translations().ugettext("Strona główna") == get_translations().ugettext("Strona główna")
                with force_locale("en" if language == "pl" else "pl"):
                    assert _translations() is get_translations()
                assert _translations() is get_translations()
        with application.app_context():
            assert _translations() is get_translations()


def test_the_browsers_language_kept_per_header_is_werkzeugs_best_match(app):
    """konto.i18n._browser_language (kept per Accept-Language text) gives what the request's
    accept_languages.best_match(LANGUAGES) gives, or Polish, for every kind of header, twice."""
    headers = [None, "", "en", "EN", "en-GB,en;q=0.9", "pl;q=0.9,en;q=0.8", "en;q=0.9,pl;q=0.8", "de", "de,en;q=0.1",
               "*", "en;q=0", "pl-PL", "fr-CA,fr;q=0.9,en-US;q=0.5", ";;;q=x", "en;q=1.5,pl", " en , pl "]
    for header in headers * 2:
        environ = {} if header is None else {"HTTP_ACCEPT_LANGUAGE": header}
        with app.test_request_context("/", environ_base=environ):
            expected = request.accept_languages.best_match(i18n.LANGUAGES) or i18n.DEFAULT
            assert i18n._browser_language(request.environ.get("HTTP_ACCEPT_LANGUAGE")) == expected, header
            assert i18n.select_locale() == expected, header
