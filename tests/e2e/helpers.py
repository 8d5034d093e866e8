"""Helpers of the browser tests: a `Person` (one browser context walking the app, checking
every page with axe-core and its console for errors and CSP violations), accounts made
straight in the database, and the steps of the company wizard."""

import re

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from konto import documents
from konto import passwords
from konto.db import database
from konto.flows import licences as licence_flow
from konto.flows import staff as staff_flow
from konto.models import Company
from konto.models import Consent
from konto.models import Membership
from konto.models import User
from konto.models import utcnow
from tests.helpers import PASSWORD
from tests.helpers import give_app
from tests.helpers import next_app_code

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
TIMEOUT_MS = 15_000

# Console errors that are not JavaScript errors: the browser noting an HTTP error status the
# app sends on purpose (422 for a form with errors, 503 when the registry is down), and
# htmx's own log line for such a response (its responseHandling swaps it in as an error).
EXPECTED_CONSOLE_ERRORS = re.compile(
    r"^(Failed to load resource: the server responded with a status of (422|503)\b"
    r"|htmx:responseError$)"
)
ERROR_STATUS_LINE = re.compile(r"^Failed to load resource: the server responded with a status of (\d{3})\b")
# htmx's two log lines for a request the browser aborted (a form submitted while an inline
# field check was still in flight; the page then changes and the check no longer matters).
# Accepted only as many times as inline field checks (/sprawdz/...) were really aborted.
HTMX_ABORT_LOG = re.compile(r"^htmx:(afterRequest|sendAbort), ")

_axe = Axe()


def _htmx_action(response):
    """A response to an htmx request other than an inline field check (/sprawdz/...), which
    may still be in flight from typing when a form is submitted."""
    return response.request.headers.get("hx-request") == "true" and "/sprawdz/" not in response.url


class Person:
    """One browser context: a person at their own computer."""

    def __init__(self, browser, server, js, checked):
        self.browser = browser
        self.server = server
        self.js = js
        self.checked = checked
        self.context = browser.new_context(
            base_url=server.url, java_script_enabled=js, locale="pl-PL", viewport={"width": 1100, "height": 900}
        )
        self.context.set_default_timeout(TIMEOUT_MS)
        self.problems = []
        self.error_pages = set()  # HTTP statuses of the pages this test opens on purpose (allows_status)
        self.abort_logs = []
        self.aborted_field_checks = 0
        self.context.on("console", self._console)
        self.context.on("requestfailed", self._request_failed)
        self.context.on("weberror", lambda error: self.problems.append(f"page error: {error.error}"))
        self.page = self.context.new_page()
        self._axe_context = None

    # -- what the console says ---------------------------------------------------------
    def _console(self, message):
        text = message.text
        if "Refused to" in text or "Content Security Policy" in text or "Content-Security-Policy" in text:
            self.problems.append(f"CSP violation on {message.page.url if message.page else '?'}: {text}")
        elif message.type == "error" and HTMX_ABORT_LOG.match(text):
            self.abort_logs.append(f"console error on {message.page.url if message.page else '?'}: {text}")
        elif message.type == "error" and self._an_error_page_we_opened(text):
            pass
        elif message.type == "error" and not EXPECTED_CONSOLE_ERRORS.match(text):
            self.problems.append(f"console error on {message.page.url if message.page else '?'}: {text}")

    def allows_status(self, *statuses):
        """The test opens pages answered with these statuses on purpose (an expired link: 410):
        the browser's console line about them is not a problem."""
        self.error_pages.update(statuses)

    def _an_error_page_we_opened(self, text):
        found = ERROR_STATUS_LINE.match(text)
        return bool(found) and int(found.group(1)) in self.error_pages

    def _request_failed(self, request):
        if "/sprawdz/" in request.url:
            self.aborted_field_checks += 1

    def assert_clean_console(self):
        problems = list(self.problems)
        if len(self.abort_logs) > 2 * self.aborted_field_checks:
            problems += ["htmx aborted a request other than an inline field check:", *self.abort_logs]
        assert not problems, "Console problems:\n" + "\n".join(problems)

    def close(self):
        if self._axe_context is not None:
            self._axe_context.close()
        self.context.close()

    # -- moving around --------------------------------------------------------------
    @property
    def main(self):
        return self.page.locator("#main")

    def goto(self, path):
        response = self.page.goto(path)
        self.a11y()
        return response

    def _settle(self):
        if self.js:
            self.page.wait_for_function(
                "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')"
            )

    def follow(self, locator):
        """A plain link or form: a whole new page, with JS or without."""
        with self.page.expect_navigation():
            locator.click()
        self.a11y()

    def swap(self, locator, push_url=None):
        """An htmx form or link: with JS it is swapped in place (no page load; URL pushed if
        push_url is given); without JS the same URL answers with a whole page."""
        if not self.js:
            with self.page.expect_navigation():
                locator.click()
            if push_url:
                expect(self.page).to_have_url(push_url)
            self.a11y()
            return None
        self.page.evaluate("window.__marker = 1")
        with self.page.expect_response(_htmx_action) as info:
            locator.click()
        response = info.value
        assert response.headers.get("hx-redirect") is None, "expected an in-place swap, got HX-Redirect"
        self._settle()
        assert self.page.evaluate("window.__marker") == 1, "the page was reloaded instead of swapped"
        if push_url:
            expect(self.page).to_have_url(push_url)
        self.a11y()
        return response

    def submit_redirect(self, locator):
        """A form whose success reloads the whole page: a 303 without JS; with JS, htmx
        posts and the server answers HX-Redirect (the session and CSRF token changed)."""
        if not self.js:
            self.follow(locator)
            return
        self.page.evaluate("window.__marker = 1")
        with self.page.expect_navigation():
            with self.page.expect_response(_htmx_action) as info:
                locator.click()
        assert info.value.headers.get("hx-redirect"), "expected HX-Redirect from the htmx request"
        self.page.wait_for_load_state()
        assert self.page.evaluate("window.__marker") is None, "HX-Redirect should load a whole page"
        self.a11y()

    def fill(self, label, value):
        self.main.get_by_label(label, exact=True).fill(value)

    def button(self, name):
        return self.main.get_by_role("button", name=name, exact=True)

    def link(self, name):
        return self.main.get_by_role("link", name=name, exact=True)

    # -- the demo mailbox --------------------------------------------------------------
    def open_mail(self, recipient, subject):
        """Open the newest message to recipient with that subject in the demo mailbox."""
        self.goto("/poczta/")
        row = self.main.locator("tbody tr").filter(has_text=recipient).filter(has_text=subject).first
        self.follow(row.get_by_role("link"))
        expect(self.main.locator("h1")).to_contain_text(subject)

    def follow_mail_link(self, path_prefix):
        """Click the link in the message's text part (the <pre>) that leads to path_prefix."""
        link = self.main.locator(f'pre.mail-text a[href*="{path_prefix}"]').first
        self.follow(link)

    # -- accounts ------------------------------------------------------------------
    def log_in(self, email, password=PASSWORD, lands_on=r"/panel$"):
        self.goto("/logowanie")
        self.fill("Adres e-mail", email)
        self.fill("Hasło", password)
        self.submit_redirect(self.button("Zaloguj się"))
        expect(self.page).to_have_url(re.compile(lands_on))

    def log_out(self):
        with self.page.expect_navigation():
            self.page.locator(".topbar").get_by_role("button", name="Wyloguj").click()
        self.a11y()

    # -- accessibility -------------------------------------------------------------
    def _page_kind(self):
        """What makes this page different from others for axe: its path without ids and
        tokens, heading, and which notices, errors and invalid fields it shows."""
        path = re.sub(r"/[A-Za-z0-9_-]{16,}", "/T", self.page.url.split("?")[0].replace(self.server.url, ""))
        path = re.sub(r"\d+", "N", path)
        heading, shape = self.page.evaluate(
            """() => [
                document.querySelector('h1') ? document.querySelector('h1').textContent.trim() : '',
                ['.error-summary', '.notice', '.flash', '[aria-invalid]', 'form', 'iframe', '.badge', 'table']
                    .map(s => s + ':' + document.querySelectorAll(s).length).join('|')
            ]"""
        )
        return (self.js, path, re.sub(r"\d+", "N", heading), shape)

    def a11y(self, force=False):
        """axe-core on the page as it is now; each kind of page once per JS mode."""
        kind = self._page_kind()
        if kind in self.checked and not force:
            return
        self.checked.add(kind)
        page = self.page if self.js else self._replay_with_scripts()
        options = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
        results = _axe.run(page, options=options)
        violations = results.response["violations"]
        assert not violations, f"axe: WCAG 2.1 A/AA violations on {self.page.url} ({kind}):\n" + _describe(violations)

    def _replay_with_scripts(self):
        """axe needs JavaScript (timers), which this context has off: show the very same
        document in a JS-enabled context (same cookies, the page's own scripts blocked) and
        check it there."""
        if self._axe_context is None:
            self._axe_context = self.browser.new_context(base_url=self.server.url, locale="pl-PL",
                                                         viewport={"width": 1100, "height": 900})
            self._axe_page = self._axe_context.new_page()
            self._axe_page.route("**/*.js", lambda route: route.abort())
        self._axe_context.clear_cookies()
        self._axe_context.add_cookies(self.context.cookies())
        url = self.page.url
        html = self.page.content()
        def this_page(u):
            return u == url

        self._axe_page.route(this_page, lambda route: route.fulfill(
            status=200, content_type="text/html; charset=utf-8", body=html))
        self._axe_page.goto(url)
        self._axe_page.unroute(this_page)
        return self._axe_page


def _describe(violations):
    lines = []
    for v in violations:
        criteria = ", ".join(t for t in v["tags"] if t.startswith("wcag"))
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']} [{criteria}]")
        for node in v["nodes"][:5]:
            lines.append(f"    {node['target']}: {node.get('failureSummary', '').replace(chr(10), ' / ')}")
            lines.append(f"      {node['html'][:200]}")
    return "\n".join(lines)


def create_user(server, email, first_name="Anna", last_name="Nowak", password=PASSWORD):
    """An activated account straight in the database (for journeys that start logged in),
    with the terms and privacy notice accepted as at registration."""
    with server.app.app_context(), database.connection_context():
        user = User.create(
            email=email,
            first_name=first_name,
            last_name=last_name,
            password_hash=passwords.hash_password(password),
            activated_at=utcnow(),
        )
        for document in (documents.TERMS, documents.PRIVACY):
            Consent.create(user=user, document=document, version=documents.VERSIONS[document])
        return user


# -- the company wizard (steps shared by the wizard's browser tests) ----------------------
PREVIEW_URL = re.compile(r"/firmy/dodaj/[\w-]+/dane$")
STATEMENT_URL = re.compile(r"/firmy/dodaj/[\w-]+/oswiadczenie$")
COMPANY_URL = re.compile(r"/firmy/\d+$")


def signed_in(person, email, first_name="Anna", last_name="Nowak"):
    """An activated account made in the database, and this person logged in to it."""
    create_user(person.server, email, first_name, last_name)
    person.log_in(email)


def look_up(person, number):
    """Step 1: type the number and press Zatwierdź; returns the htmx response (JS) or None."""
    expect(person.main.locator("h1")).to_have_text("Dodaj firmę")
    person.fill("NIP lub numer VAT UE", number)
    return person.swap(person.button("Zatwierdź"))


def confirm(person):
    """Step 2 → 3 → done, keeping the e-mail contact."""
    person.swap(person.link("Przejdź dalej"), push_url=STATEMENT_URL)
    expect(person.main.locator("h1")).to_have_text("Oświadczenie i formy kontaktu")
    person.main.get_by_label("Oświadczam, że jestem uprawniony", exact=False).check()
    expect(person.main.get_by_label("E-mail", exact=True)).to_be_checked()
    person.swap(person.button("Dodaj firmę"), push_url=COMPANY_URL)
    expect(person.main).to_contain_text("została dodana.")


# -- licences and the back office (steps shared by the licence and program browser tests) -----
NIP = "PL5250001003"
NAME = "PRZYKŁADOWA SPÓŁKA HANDLOWA SPÓŁKA Z OGRANICZONĄ ODPOWIEDZIALNOŚCIĄ"


def company_with(server, **people_roles):
    """The demo company in the portal, with these accounts in it (email → role)."""
    with server.app.app_context(), database.connection_context():
        company = Company.create(tax_id=NIP, country="PL", nip=NIP[2:], name=NAME, source="demo")
        for email, role in people_roles.items():
            Membership.create(user=User.get(User.email == email), company=company, role=role, contact_email=email)
        return company.id


def staff_account(server, email="ola@example.com"):
    """A staff account, with the authenticator app staff always need."""
    create_user(server, email, "Ola", "Obsługowa")
    with server.app.app_context(), database.connection_context():
        staff_flow.grant(email)
    give_app(server.app, email)


def issued(server, **kw):
    """A licence issued by the flow the back office uses (for journeys that start with one)."""
    with server.app.test_request_context("/"), database.connection_context():
        issuer = User.get(User.email == "ola@example.com")
        return licence_flow.issue(issuer, NIP, "sprzedaz", "pro", 5, **kw)


def into_back_office(person, email="ola@example.com"):
    """The password and the app's code to sign in; the back office asks for both again."""
    person.log_in(email, lands_on=r"/logowanie/weryfikacja$")
    person.fill("Kod z aplikacji", next_app_code(person.server.app, email))
    person.submit_redirect(person.button("Potwierdź"))
    person.goto("/obsluga/")
    expect(person.main.locator("h1")).to_have_text("Obsługa: potwierdź, że to Ty")
    person.fill("Hasło", PASSWORD)
    person.fill("Kod z aplikacji lub kod zapasowy", next_app_code(person.server.app, email))
    person.submit_redirect(person.button("Potwierdź"))
    expect(person.main.locator("h1")).to_have_text("Obsługa")
