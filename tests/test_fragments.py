"""The layout kept rendered (konto.fragments): every page equals the plain rendering of its layout
(_layout_top.html and _layout_bottom.html included with the request's own values), and the top
bar is always the one of this request's user, session, company and language, whatever another
user or an earlier page left in the memo. Two people, one worker: after every change that alters
a top bar, the next page shows the change."""

import re
from dataclasses import replace
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from flask_babel import force_locale
from jinja2 import ChoiceLoader
from jinja2 import DictLoader
from jinja2 import meta
from jinja2 import nodes
from markupsafe import Markup

from konto import create_app
from konto.db import database
from konto.fragments import REGISTRY_TABLE_SHOWS
from konto.i18n import request_locale
from konto.models import Company
from konto.models import Membership
from konto.models import User
from konto.registry import demo
from konto.registry.base import CompanyData
from tests.helpers import Journey
from tests.helpers import make_config

BASE = (Path(__file__).resolve().parent.parent / "templates" / "base.html").read_text()
DEFINITION = "\n{#- The content block's definition: a page without one shows nothing there. -#}\n" \
             "{% if false %}{% block content %}{% endblock %}{% endif %}"

ANNA_COMPANY = "PL5250001003"
ANNA_SECOND = "PL6760003007"
BOB_COMPANY = "PL6770002009"


@pytest.fixture
def plain(app, tmp_path):
    return plain_twin(tmp_path)


def plain_twin(tmp_path, **config):
    """The app of make_config(tmp_path, **config) (database, keys) with nothing kept: base.html
    including the layout's templates as they are (anew on every page, with the request's own CSRF
    token and path), the content block rendered in place (not as one string), kept() and
    registry_table() rendering their templates every time."""
    assert BASE.count("{{ layout_top() }}") == 1 and BASE.count("{{ layout_bottom() }}") == 1
    assert BASE.count("{{ self.content() }}") == 1 and BASE.count(DEFINITION) == 1
    source = (BASE.replace("{{ layout_top() }}", '{% include "_layout_top.html" %}')
              .replace("{{ layout_bottom() }}", '{% include "_layout_bottom.html" %}')
              .replace("{{ self.content() }}", "{% block content %}{% endblock %}")
              .replace(DEFINITION, ""))
    twin = create_app(make_config(tmp_path, **config))  # the same database
    twin.jinja_env.loader = ChoiceLoader([DictLoader({"base.html": source}), twin.jinja_env.loader])
    environment = twin.jinja_env

    def kept(template, /, **values):  # the template with these values, rendered every time
        return Markup(environment.get_template(template).render(values))

    def registry_table(company, tax_id_display):
        return Markup(environment.get_template("companies/_company_data.html").render(
            company=company, tax_id_display=tax_id_display))

    environment.globals.update(kept=kept, registry_table=registry_table)
    return twin


def same_as_plain(plain, client, method, path, **options):
    """The page `client` gets (kept layout); then the same request again through the plain twin and
    through the app, with the client's cookies (one session, one token; the first answer took the
    flashes): those two byte for byte equal."""
    response = getattr(client, method)(path, **options)
    twin = type(client)(plain)
    twin._cookies = client._cookies  # one browser, one cookie jar (Werkzeug 3, pinned)
    expected = getattr(twin, method)(path, **options)
    again = getattr(client, method)(path, **options)
    assert again.status_code == expected.status_code, (path, again.status_code)
    assert again.data.decode() == expected.data.decode(), path
    return response


def top_bar(plain, client, path="/panel", **headers):
    page = same_as_plain(plain, client, "get", path, headers=headers).data.decode()
    bar = re.search(r'<header class="topbar">.*?</header>', page, re.S).group(0)
    page_token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
    return bar, page_token


def person(app, email, first, last, company=None, client=None):
    journey = Journey(client or app.test_client())
    journey.register(email=email, first_name=first, last_name=last)
    journey.activate(email=email)
    assert journey.login(email=email).status_code == 303
    if company:
        assert journey.add_company(company, contact_email=email).status_code == 303
    return journey


def name_of(tax_id):
    with database.connection_context():
        return Company.get(Company.tax_id == tax_id).name


def company_id(tax_id):
    with database.connection_context():
        return Company.get(Company.tax_id == tax_id).id


def test_two_people_each_get_their_own_top_bar(app, plain):
    anna = person(app, "anna@example.com", "Anna", "Nowak", ANNA_COMPANY)
    bob = person(app, "bob@example.com", "Bartosz", "Zieliński", BOB_COMPANY)
    for _ in range(3):  # turn by turn, the memo full of both
        for journey, mine, theirs in ((anna, ("Anna Nowak", name_of(ANNA_COMPANY)), ("Bartosz Zieliński",)),
                                      (bob, ("Bartosz Zieliński", name_of(BOB_COMPANY)), ("Anna Nowak",))):
            for path in ("/panel", "/konto", f"/firmy/{company_id(ANNA_COMPANY if journey is anna else BOB_COMPANY)}"):
                bar, page_token = top_bar(plain, journey.client, path)
                assert all(text in bar for text in mine), (path, bar)
                assert not any(text in bar for text in theirs), (path, bar)
                # The log-out form carries this session's own token, the page's.
                assert f'name="csrf_token" value="{page_token}"' in bar
    assert name_of(ANNA_COMPANY) != name_of(BOB_COMPANY)


def test_the_same_person_in_two_browsers_gets_each_browsers_token(app, plain):
    first = person(app, "anna@example.com", "Anna", "Nowak", ANNA_COMPANY)
    second = Journey(app.test_client())
    assert second.login().status_code == 303
    bar_one, token_one = top_bar(plain, first.client)
    bar_two, token_two = top_bar(plain, second.client)
    assert token_one != token_two
    assert token_one in bar_one and token_two not in bar_one
    assert token_two in bar_two and token_one not in bar_two


def test_a_company_renamed_shows_its_new_name_on_the_next_page(app, plain):
    anna = person(app, "anna@example.com", "Anna", "Nowak", ANNA_COMPANY)
    old = name_of(ANNA_COMPANY)
    assert old in top_bar(plain, anna.client)[0]
    with database.connection_context():  # as a refresh from the registry would
        Company.update(name="Nowa Nazwa Handlowa Sp. z o.o.").where(Company.tax_id == ANNA_COMPANY).execute()
    bar, _ = top_bar(plain, anna.client)
    assert "Nowa Nazwa Handlowa Sp. z o.o." in bar and old not in bar


def test_switching_companies_shows_the_chosen_one(app, plain):
    anna = person(app, "anna@example.com", "Anna", "Nowak", ANNA_COMPANY)
    assert anna.add_company(ANNA_SECOND, contact_email="anna@example.com").status_code == 303
    first, second = name_of(ANNA_COMPANY), name_of(ANNA_SECOND)
    for chosen, other in ((first, second), (second, first), (first, second)):
        response = anna.client.post("/firmy/zmien", data={"company_id": company_id(
            ANNA_COMPANY if chosen == first else ANNA_SECOND)})
        assert response.status_code == 303
        bar, _ = top_bar(plain, anna.client)
        assert chosen in bar and other not in bar
        items = re.findall(r"<li>.*?</li>", anna.client.get("/panel").data.decode(), re.S)
        assert [("badge chosen" in item) for item in items if chosen in item] == [True]
        assert [("badge chosen" in item) for item in items if other in item] == [False]


def test_a_new_name_shows_on_the_next_page(app, plain):
    anna = person(app, "anna@example.com", "Anna", "Nowak", ANNA_COMPANY)
    assert "Anna Nowak" in top_bar(plain, anna.client)[0]
    response = anna.client.post("/konto/imie-i-nazwisko", data={"first_name": "Anita", "last_name": "Nowak"})
    assert response.status_code == 303
    bar, _ = top_bar(plain, anna.client)
    assert "Anita Nowak" in bar and "Anna Nowak" not in bar


def test_a_member_removed_no_longer_sees_the_company(app, plain):
    anna = person(app, "anna@example.com", "Anna", "Nowak", ANNA_COMPANY)
    bob = person(app, "bob@example.com", "Bartosz", "Zieliński")
    company = company_id(ANNA_COMPANY)
    with database.connection_context():
        bob_id = User.get(User.email == "bob@example.com").id
        membership = Membership.create(user=bob_id, company=company, role="member")
        User.update(active_company=company).where(User.id == bob_id).execute()
    assert name_of(ANNA_COMPANY) in top_bar(plain, bob.client)[0]
    response = anna.client.post(f"/firmy/{company}/uzytkownicy/{membership.id}/usun")
    assert response.status_code in (200, 303), response.data.decode()[:300]
    with database.connection_context():
        assert not Membership.select().where(Membership.id == membership.id).exists()
    bar, _ = top_bar(plain, bob.client)
    assert name_of(ANNA_COMPANY) not in bar and "Bartosz Zieliński" in bar
    assert name_of(ANNA_COMPANY) in top_bar(plain, anna.client)[0]  # still hers


def test_a_language_switch_shows_the_top_bar_in_that_language(app, plain):
    anna = person(app, "anna@example.com", "Anna", "Nowak", ANNA_COMPANY)
    bob = person(app, "bob@example.com", "Bartosz", "Zieliński", BOB_COMPANY)
    assert "Wyloguj" in top_bar(plain, anna.client)[0]
    assert anna.client.post("/jezyk", data={"lang": "en", "next": "/panel"}).status_code == 303
    english, _ = top_bar(plain, anna.client)
    assert "Log out" in english and "Wyloguj" not in english and "Selected company:" in english
    polish, _ = top_bar(plain, bob.client)  # Bob still reads Polish
    assert "Wyloguj" in polish and "Log out" not in polish
    assert anna.client.post("/jezyk", data={"lang": "pl", "next": "/panel"}).status_code == 303
    assert "Wyloguj" in top_bar(plain, anna.client)[0]


def test_after_log_out_the_top_bar_is_a_visitors(app, plain):
    anna = person(app, "anna@example.com", "Anna", "Nowak", ANNA_COMPANY)
    assert "Anna Nowak" in top_bar(plain, anna.client)[0]
    assert anna.logout().status_code == 303
    bar, _ = top_bar(plain, anna.client, "/logowanie")
    assert "Anna Nowak" not in bar and name_of(ANNA_COMPANY) not in bar
    assert "Zaloguj się" in bar and "Wyloguj" not in bar
    # Logged in again: her bar, with the new session's token.
    assert anna.login().status_code == 303
    bar, page_token = top_bar(plain, anna.client)
    assert "Anna Nowak" in bar and page_token in bar


def test_a_visitors_top_bar_never_carries_a_users(app, plain):
    anna = person(app, "anna@example.com", "Anna", "Nowak", ANNA_COMPANY)
    top_bar(plain, anna.client)
    visitor = app.test_client()
    for path in ("/logowanie", "/rejestracja", "/"):
        bar, _ = top_bar(plain, visitor, path)
        assert "Anna Nowak" not in bar and "csrf_token" not in bar


def client_at(app, base_url):
    """A browser on another host or under a URL prefix (every request made there)."""

    class There(FlaskClient):
        def open(self, *args, **kwargs):
            kwargs.setdefault("base_url", base_url)
            return super().open(*args, **kwargs)

    return There(app, use_cookies=True)


@pytest.mark.parametrize("base_url", ["http://localhost/", "http://localhost/prefiks/", "https://inny.example/"])
def test_every_kind_of_page_equals_the_plain_rendering(tmp_path, base_url):
    """A visitor, someone without a company, someone with one (the company page too), both
    languages, at the root, under a prefix and on another host: 200s, a 404, 422s (the title's
    "Błąd:"), a query string with HTML in it, htmx partials; each page equal to the plain
    rendering of its layout."""
    app = create_app(make_config(tmp_path, RATELIMIT_ENABLED=False))  # 18 failed log-ins
    plain = plain_twin(tmp_path, RATELIMIT_ENABLED=False)
    host = "/".join(base_url.split("/")[:3]) + "/"
    visitor = client_at(app, base_url)
    anna, bob = client_at(app, base_url), client_at(app, base_url)
    # Signed up on the host (the journey follows its redirects' paths), then browsing at base_url.
    anna._cookies = person(app, "anna@example.com", "Anna", "Nowak", ANNA_COMPANY, client_at(app, host)).client._cookies
    bob._cookies = person(app, "bob@example.com", "Bartosz <b>Zieliński</b>", "O'Brien & Syn",
                          client=client_at(app, host)).client._cookies
    pages = {
        visitor: ["/", "/logowanie", "/pomoc?x=<b>&y=%221%22&z", "/nie-ma-takiej"],
        anna: ["/panel", "/konto", f"/firmy/{company_id(ANNA_COMPANY)}", f"/firmy/{company_id(ANNA_COMPANY)}/licencje",
               "/panel?"],
        bob: ["/panel", "/konto", "/firmy/dodaj"],
    }
    posts = {visitor: ("/logowanie", {"email": "x"}), anna: ("/konto/imie-i-nazwisko", {"first_name": ""}),
             bob: ("/firmy/dodaj", {"number": "123"})}
    for language in ("pl", "en", "pl"):
        for client, paths in pages.items():
            client.post("/jezyk", data={"lang": language, "next": "/"})
            for path in paths:
                page = same_as_plain(plain, client, "get", path).data.decode()
                assert f'<html lang="{language}">' in page
                assert "<b>" not in page
                same_as_plain(plain, client, "get", path, headers={"HX-Request": "true"})
            path, data = posts[client]
            page = same_as_plain(plain, client, "post", path, data=data).data.decode()
            assert "<title>" + ("Błąd:" if language == "pl" else "Error:") in page
            assert f'name="next" value="{path}"' in page  # a route with a GET: this page
            same_as_plain(plain, client, "post", path, data=data, headers={"HX-Request": "true"})
    page = same_as_plain(plain, bob, "get", "/panel").data.decode()
    assert "Bartosz &lt;b&gt;Zieliński&lt;/b&gt; O&#39;Brien &amp; Syn" in page


def test_one_worker_serves_the_root_a_prefix_and_another_host(tmp_path):
    """The same person and pages on one app, at the root, under a prefix, on another host (and
    over https): each time the links of that place, equal to the plain rendering."""
    app = create_app(make_config(tmp_path, RATELIMIT_ENABLED=False))
    plain = plain_twin(tmp_path, RATELIMIT_ENABLED=False)
    anna = person(app, "anna@example.com", "Anna", "Nowak", ANNA_COMPANY, client_at(app, "http://localhost/"))
    elsewhere = Journey(client_at(app, "https://inny.example/"))
    assert elsewhere.login().status_code == 303
    places = [(client_at(app, "http://localhost/"), 'href="/konto"'),
              (client_at(app, "http://localhost/prefiks/"), 'href="/prefiks/konto"'),
              (client_at(app, "https://localhost/"), 'href="/konto"'),
              (elsewhere.client, 'href="/konto"')]
    for client, _ in places[:3]:
        client._cookies = anna.client._cookies
    for _ in range(2):
        for client, link in places:
            for path in ("/panel", "/konto", "/pomoc"):
                page = same_as_plain(plain, client, "get", path).data.decode()
                assert link in page
                assert ('href="/prefiks/' in page) == (link == 'href="/prefiks/konto"')


def test_flashes_and_the_content_equal_the_plain_rendering(app, plain):
    """A page with flashes (HTML in them), a page and its htmx partial: the same as the content
    block rendered in place, flashes and all."""
    anna = person(app, "anna@example.com", "Anna", "Nowak", ANNA_COMPANY)
    anna.client.get("/panel")  # the session's CSRF value made, kept in the cookie for both
    for path in ("/panel", "/konto", "/firmy/dodaj", f"/firmy/{company_id(ANNA_COMPANY)}"):
        for headers in ({}, {"HX-Request": "true"}):
            with anna.client.session_transaction() as session:
                session["_flashes"] = [("message", "Zapisano <b>zmiany</b> & więcej"), ("message", "Drugi")]
            jar = dict(anna.client._cookies)
            twin = FlaskClient(plain)
            twin._cookies = anna.client._cookies
            expected = twin.get(path, headers=headers).data.decode()
            anna.client._cookies.clear()
            anna.client._cookies.update(jar)  # the flashes again, for the kept layout
            page = anna.client.get(path, headers=headers).data.decode()
            assert page == expected, (path, headers)
            assert ('<div class="flashes" role="status">\n  <p class="flash">Zapisano &lt;b&gt;zmiany&lt;/b&gt; &amp; '
                    'więcej</p><p class="flash">Drugi</p>\n</div>') in page
            assert "<main" in page or headers


def plain_table(app, company, tax_id_display):
    return app.jinja_env.from_string(
        '{% include "companies/_company_data.html" %}').render(company=company, tax_id_display=tax_id_display)


def registry_records():
    """Every demo registry record, and each with one shown value changed or taken away."""
    records = []
    for entity in demo.entities().values():
        if entity.get("data"):
            base = CompanyData.from_dict(entity["data"])
            records.append((base, entity["tax_id"]))
            for name in REGISTRY_TABLE_SHOWS:
                for value in (None, "", "ended", "suspended", "2019-05-01", "czynny", "legal_person",
                              "Nowa <b>wartość</b> & \"cudzysłów\""):
                    records.append((replace(base, **{name: value}), entity["tax_id"]))
            records.append((base, None))
            records.append((base, "DE136695976"))
    return records


def test_the_registry_table_kept_equals_the_plain_table(app):
    """Every record, each with any one shown value changed (the kept table of the record before
    it in the memo), a company from the database too, in one language then the other and back,
    each twice: the same as the template included plainly."""
    records = registry_records()
    assert len(records) > 1000
    table = app.jinja_env.globals["registry_table"]
    with app.test_request_context("/"), database.connection_context():
        anna = Company.create(tax_id="PL5250001003", country="PL", nip="5250001003", name="Anna <i>i</i> Syn",
                              city="Kraków", postal_code="30-001", street="Długa", building="1", source="demo",
                              start_date="2001-01-02", vat_status="zwolniony", legal_form="spółka cywilna")
        records.append((anna, anna.tax_id))
        for language in ("pl", "en", "pl"):
            with force_locale(language):
                assert request_locale().language == language
                for _ in range(2):
                    for company, tax_id_display in records:
                        assert table(company, tax_id_display) == plain_table(app, company, tax_id_display)
        with force_locale("en"):
            assert "Business status" in table(anna, anna.tax_id)


def test_the_registry_table_reads_only_what_its_key_holds(app):
    """companies/_company_data.html may read of `company` only REGISTRY_TABLE_SHOWS (legal_form:
    the filter reads legal_form and kind), and no variable but company and tax_id_display: what it
    showed of anything else would be kept for every page with the same values."""
    source = app.jinja_env.loader.get_source(app.jinja_env, "companies/_company_data.html")[0]
    tree = app.jinja_env.parse(source)
    assert meta.find_undeclared_variables(tree) <= {"company", "tax_id_display", "_"}
    read = {node.attr for node in tree.find_all(nodes.Getattr) if getattr(node.node, "name", None) == "company"}
    assert read and read <= set(REGISTRY_TABLE_SHOWS), read - set(REGISTRY_TABLE_SHOWS)
    on_company = {node.name for node in tree.find_all(nodes.Filter) if getattr(node.node, "name", None) == "company"}
    assert on_company == {"legal_form"} and {"legal_form", "kind"} <= set(REGISTRY_TABLE_SHOWS)
    assert not list(tree.find_all(nodes.Include)) and not list(tree.find_all(nodes.Import))


def test_a_refreshed_company_shows_its_new_data(app, plain):
    """The company page after the record changed (a registry refresh): the new values, at once."""
    anna = person(app, "anna@example.com", "Anna", "Nowak", ANNA_COMPANY)
    path = f"/firmy/{company_id(ANNA_COMPANY)}"
    assert "Rejestrowa 1" not in top_bar(plain, anna.client, path)[0]
    for changes in ({"street": "Rejestrowa", "building": "1"}, {"status": "suspended", "suspended_date": "2026-01-02"},
                    {"vat_status": "zwolniony"}, {"name": "Po <zmianie> & Co"}):
        with database.connection_context():
            Company.update(**changes).where(Company.tax_id == ANNA_COMPANY).execute()
        page = same_as_plain(plain, anna.client, "get", path).data.decode()
        assert "Rejestrowa" in page
    assert "Po &lt;zmianie&gt; &amp; Co" in page and "działalność zawieszona" in page and "zwolniony" in page


KEPT_MAY_READ = {"_", "gettext", "ngettext", "url_for"}


def kept_calls(parser):
    """(page template, kept template, the names it is given) for every kept() call."""
    root = Path(__file__).resolve().parent.parent / "templates"
    calls = []
    for path in sorted(root.rglob("*.html")):
        tree = parser.parse(path.read_text())
        for call in tree.find_all(nodes.Call):
            if isinstance(call.node, nodes.Name) and call.node.name == "kept":
                assert isinstance(call.args[0], nodes.Const) and len(call.args) == 1, path
                calls.append((str(path.relative_to(root)), call.args[0].value, {kw.key for kw in call.kwargs}))
    return root, calls


def test_every_kept_template_reads_only_the_values_it_is_given(app):
    """A kept template shows nothing but its values (and translations, links, filters): no other
    variable, no include or import; every page gives a template the same names."""
    parser = app.jinja_env
    root, calls = kept_calls(parser)
    assert {template for _, template, _ in calls} >= {"account/_company_item.html", "companies/_steps.html",
                                                      "companies/_tabs.html"}
    names = {}
    for page, template, given in calls:
        tree = parser.parse((root / template).read_text())
        read = meta.find_undeclared_variables(tree)
        assert read - KEPT_MAY_READ <= given, (page, template, read - KEPT_MAY_READ - given)
        assert not list(tree.find_all((nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends))), template
        assert names.setdefault(template, given) == given, (page, template)


def test_kept_takes_plain_values_only(app):
    """A model instance equals another state of its row: kept() refuses it (and anything but a
    plain value), rather than keeping a stale text under it."""
    kept = app.jinja_env.globals["kept"]
    with app.test_request_context("/"), database.connection_context():
        company = Company.create(tax_id="PL5250001003", country="PL", name="A", source="demo")
        with pytest.raises(TypeError):
            kept("companies/_steps.html", step=company)
        with pytest.raises(TypeError):
            kept("companies/_steps.html", step=[1])
        assert "aria-current" in kept("companies/_steps.html", step=2)
    with app.app_context():  # outside a request (an e-mail): rendered as it is
        assert "aria-current" in kept("companies/_steps.html", step=2)


def test_kept_items_of_one_page_follow_their_values(app, plain):
    """Two people, several companies, the dashboard's items and the company pages' tabs: after a
    rename, a role change, a verification, each page equals the plain rendering."""
    anna = person(app, "anna@example.com", "Anna", "Nowak", ANNA_COMPANY)
    assert anna.add_company(ANNA_SECOND, contact_email="anna@example.com").status_code == 303
    bob = person(app, "bob@example.com", "Bartosz", "Zieliński", BOB_COMPANY)
    first, second = company_id(ANNA_COMPANY), company_id(ANNA_SECOND)
    paths = ("/panel", f"/firmy/{first}", f"/firmy/{first}/licencje", f"/firmy/{second}/uslugi")
    changes = [
        lambda: Company.update(name="Zmieniona <nazwa>").where(Company.id == first).execute(),
        lambda: Company.update(verified=False).where(Company.id == second).execute(),
        lambda: Membership.update(role="member").where(Membership.company == second).execute(),
        lambda: Company.update(verified=True, name="Znowu & inna").where(Company.id == second).execute(),
    ]
    for change in [lambda: None, *changes]:
        with database.connection_context():
            change()
        for path in paths:
            same_as_plain(plain, anna.client, "get", path)
        same_as_plain(plain, bob.client, "get", "/panel")
    page = anna.client.get("/panel").data.decode()
    assert "Zmieniona &lt;nazwa&gt;" in page and "Znowu &amp; inna" in page
