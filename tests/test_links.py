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
