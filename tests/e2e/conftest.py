"""End-to-end in a real browser: Debian's chromium driven by Playwright, JavaScript on and off.

One browser for the whole session, a new context (cookies, JS setting) per test. Every test
runs twice through the `js` fixture. A `Person` is one browser context walking the app:
it checks every page it sees with axe-core (WCAG 2.1 A/AA) and, when the test ends, that
the console showed no JavaScript error and no Content-Security-Policy violation.

These tests never skip: without /usr/bin/chromium they fail.
"""

import os

import pytest
from playwright.sync_api import sync_playwright

from tests.e2e.helpers import CHROMIUM
from tests.e2e.helpers import CHROMIUM_ARGS
from tests.e2e.helpers import Person


@pytest.fixture(scope="package")
def browser():
    """One browser for all the e2e tests; closed when they are done, before the rest of the
    suite runs (Playwright's sync API keeps an event loop of its own while it is open)."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(params=[True, False], ids=["js", "nojs"])
def js(request):
    """Every journey twice: JavaScript on, and off (the context gets java_script_enabled=False)."""
    return request.param


@pytest.fixture(scope="session")
def a11y_checked():
    """Pages already checked with axe in this session, by (JS mode, kind of page)."""
    return set()


@pytest.fixture
def people(browser, live_server, js, a11y_checked):
    """Make Persons in this test's JS mode; their consoles are checked at the end."""
    made = []

    def make():
        person = Person(browser, live_server, js, a11y_checked)
        made.append(person)
        return person

    yield make
    try:
        for person in made:
            person.assert_clean_console()
    finally:
        for person in made:
            person.close()


@pytest.fixture
def person(people):
    return people()
