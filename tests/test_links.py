"""Links in e-mails come from the configured address only, never from a request (issue 10, item 1).

An attacker who sends `Host: evil.example` (or `X-Forwarded-Host` behind a proxy) with a form
that mails someone must not get that someone a link to their own host.
"""

import re
from pathlib import Path

from konto import create_app
from konto.db import database
from konto.models import CompanyDraft
from konto.models import Email
from konto.models import Membership
from konto.models import User
from tests.helpers import PASSWORD
from tests.helpers import Journey
from tests.helpers import link_in
from tests.helpers import mails_to
from tests.helpers import make_config

ROOT = Path(__file__).resolve().parent.parent
EVIL = "evil.example"
URL = re.compile(r"https?://[^\s\"'<>]+")


def from_evil_host(app):
    client = app.test_client()
    client.environ_base.update(HTTP_HOST=EVIL, HTTP_X_FORWARDED_HOST=EVIL, HTTP_X_FORWARDED_PROTO="https")
    return Journey(client)


def test_every_e_mail_links_to_the_configured_address_whatever_host_the_request_names(tmp_path):
    # The demo with no KONTO_BASE_URL of its own (its address is used), behind a proxy whose
    # X-Forwarded-Host is trusted: the request's host is the attacker's every time.
    app = create_app(make_config(tmp_path, KONTO_BASE_URL=None, KONTO_PROXY_FIX=1, RATELIMIT_LOGIN_ACCOUNT="2/hour"))
    anna, bob, stranger = from_evil_host(app), from_evil_host(app), from_evil_host(app)
    anna.register()
    anna.register()  # not active yet: the activation link again
    bob.register(email="bob@example.com")
    bob.client.post("/aktywacja/ponow", data={"email": "bob@example.com"})
    anna.activate()
    bob.activate(email="bob@example.com")
    stranger.register()  # "someone tried to register your address"
    stranger.client.post("/haslo/nie-pamietam", data={"email": "anna@example.com"})
    anna.add_company("PL5250001003")  # "you are the administrator"
    step1 = bob.client.post("/firmy/dodaj", data={"number": "PL5250001003"})
    bob.client.post(step1.headers["Location"].replace("/dane", "/dostep"))  # access requested
    with database.connection_context():
        company_id = CompanyDraft.get(CompanyDraft.company.is_null(False)).company_id
    anna.client.post(f"/firmy/{company_id}/prosby/1", data={"decyzja": "accept"})  # access decided
    anna.client.post(f"/firmy/{company_id}/uzytkownicy/dodaj", data={"email": "nowy@example.com"})  # invitation
    with database.connection_context():
        bobs = Membership.get(Membership.user == User.get(User.email == "bob@example.com").id).id
    anna.client.post(f"/firmy/{company_id}/uzytkownicy/{bobs}/rola", data={"rola": "admin"})  # a new role
    anna.client.post(f"/firmy/{company_id}/uzytkownicy/{bobs}/usun")  # removed from the company
    anna.client.post("/konto/potwierdz", data={"password": PASSWORD})
    anna.client.post("/konto/email", data={"email": "bob@example.com"})  # taken: a notice to bob
    anna.client.post("/konto/email", data={"email": "anna.nowa@example.com"})
    anna.client.post(link_in(mails_to("anna.nowa@example.com")[0], "/konto/email/potwierdz/"))
    stranger.client.post(link_in(mails_to("anna@example.com")[0], "/konto/email/cofnij/"))  # "to nie ja"
    reset = link_in(mails_to("anna@example.com")[0], "/haslo/nowe/")
    new_password = "nowe-haslo-do-konta-2026"
    anna.client.post(reset, data={"password": new_password, "password_repeat": new_password})
    for _ in range(3):
        stranger.login(password="zle-haslo-calkiem-inne")  # the lockout notice

    with database.connection_context():
        messages = list(Email.select())
    subjects = {m.subject for m in messages}
    assert len(subjects) >= 14, sorted(subjects)  # every kind of e-mail above was sent
    for message in messages:
        for body in (message.text_body, message.html_body):
            assert EVIL not in body, message.subject
            links = URL.findall(body)
            assert links and all(link.startswith("http://127.0.0.1:5000/") for link in links), (message.subject, links)


def test_no_link_is_built_from_the_request_anywhere():
    """Every absolute link goes through konto.links.external_url: no `_external=True`, and e-mail
    templates build no URL themselves (their links come from the flow that sends them)."""
    code = [p for p in (ROOT / "konto").rglob("*.py") if p.name != "links.py"]
    assert not [str(p) for p in code if "_external" in p.read_text()]
    templates = list((ROOT / "templates" / "email").glob("*"))
    assert templates and not [str(p) for p in templates if "url_for(" in p.read_text()]


# -- the templates' url_for, memoised (konto.links.memoised_url_for) -------------------------

TEMPLATE_CALL = re.compile(r"url_for\(\s*['\"]([\w.]+)['\"]([^)]*)\)")
KEYWORD = re.compile(r"(\w+)\s*=")


def template_calls():
    """(endpoint, keyword names) of every url_for call in the templates."""
    calls = set()
    for path in (ROOT / "templates").rglob("*.html"):
        for endpoint, rest in TEMPLATE_CALL.findall(path.read_text()):
            calls.add((endpoint, tuple(sorted(set(KEYWORD.findall(rest))))))
    return sorted(calls)


def sample_values(app, endpoint, names, variant):
    """Values for a call: the rule's arguments of their type, anything else a query argument."""
    rule = next(rule for rule in app.url_map.iter_rules(endpoint))
    values = {}
    for name in names:
        if name == "_anchor":
            values[name] = f"sekcja-{variant}"
        elif name in rule.arguments:
            converter = type(rule._converters[name]).__name__
            values[name] = variant + 1 if "Integer" in converter or "Id" in converter else f"k{variant}ż"
        else:
            values[name] = f"/strona?x={variant} ż"
    for name in rule.arguments - set(values):  # an argument the template passes by position
        values[name] = variant + 1
    return values


def test_the_templates_url_for_is_flasks_for_every_endpoint_they_use(app):
    calls = template_calls()
    assert len(calls) > 60 and ("static", ("filename",)) in calls
    assert any("_anchor" in names for _, names in calls)
    memoised = app.jinja_env.globals["url_for"]
    assert memoised is not app.url_for
    requests = [
        {},  # served at the root
        {"base_url": "http://localhost/konto/"},  # behind a proxy, under a prefix (SCRIPT_NAME)
        {"base_url": "https://portal.example:8443/"},  # another host, scheme and port
        {"method": "POST"},  # a rule for the request's method comes first
        {},  # the root again, after the others filled the memo
    ]
    compared = 0
    for variant, options in enumerate(requests * 2):
        with app.test_request_context("/", **options):
            for endpoint, names in calls:
                values = sample_values(app, endpoint, names, variant % 3)
                expected = app.url_for(endpoint, **values)
                assert memoised(endpoint, **values) == expected, (endpoint, values, options)
                external = app.url_for(endpoint, _external=True, **values)
                assert memoised(endpoint, _external=True, **values) == external
                compared += 2
    assert compared > 1000


def test_a_page_under_a_prefix_links_under_it_after_a_page_at_the_root(app):
    """The memo never hands one request's URLs to a request with another root or host."""
    client = app.test_client()
    at_root = client.get("/logowanie").data.decode()
    assert 'href="/rejestracja"' in at_root
    prefixed = client.get("/logowanie", base_url="http://localhost/konto/").data.decode()
    assert 'href="/konto/rejestracja"' in prefixed and 'href="/rejestracja"' not in prefixed
    assert 'href="/konto/static/konto.css"' in prefixed


def test_outside_a_request_it_is_flasks_url_for(app):
    memoised = app.jinja_env.globals["url_for"]
    app.config["SERVER_NAME"] = "konto.example"
    with app.app_context():
        assert memoised("pages.index") == app.url_for("pages.index") == "http://konto.example/"
