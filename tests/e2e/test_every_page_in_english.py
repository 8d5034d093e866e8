"""Every page of the walk (tests/e2e/test_every_page.py: the same pages, people and world) in
English, JavaScript on: each page is in English (`lang="en"`), has no Polish left on it (the
detector of tests/test_english_pages.py: Polish letters and common Polish words, data allowed)
and passes axe. The people log in as in the walk, then switch their browser to English (the
cookie the footer's switch sets), so every page is seen as an English-speaking person sees it.
The forms' error states are not submitted here (their labels are the walk's, in Polish): the
test client walk in tests/test_english_pages.py and the English journey cover those messages."""

import re

import pytest
from playwright.sync_api import Error as PlaywrightError

from konto.db import database
from konto.models import Company
from konto.models import Edition
from konto.models import Email
from konto.models import Installation
from konto.models import Licence
from konto.models import LicenceEvent
from konto.models import Product
from konto.models import Service
from konto.models import User
from konto.registry import demo
from tests.e2e.test_every_page import WALK
from tests.e2e.test_every_page import Walker
from tests.e2e.test_every_page import world  # noqa: F401 - the walk's world, a fixture
from tests.test_english_pages import NOT_DATA
from tests.test_english_pages import polish_in
from tests.test_english_pages import text_of

pytestmark = pytest.mark.browser


class EnglishWalker(Walker):
    def page(self, who):
        fresh = who not in self.pages
        page = super().page(who)
        if fresh:
            page.context.add_cookies([{"name": "konto_lang", "value": "en", "url": self.server.url}])
        return page


def _data(server):
    """What is shown as it is: people's and companies' details, registry data, product names,
    what the back office typed, and the e-mails (each in its recipient's language: the demo
    mailbox shows a Polish account's message as it is)."""
    values = {value for entity in demo.entities().values() for key, value in entity.get("data", {}).items()
              if isinstance(value, str) and len(value) > 2 and key not in NOT_DATA}
    with server.app.app_context(), database.connection_context():
        for model in (Company, User):
            for row in model.select().dicts():
                values |= {v for k, v in row.items() if isinstance(v, str) and len(v) > 2 and k not in NOT_DATA}
        for model in (Product, Edition, Service):
            values |= {row.name for row in model.select(model.name)}
        values |= {row.subject for row in Email.select(Email.subject)}
        # What the back office typed (a licence's reason, shown to the customer as written).
        for model in (Licence, Installation):
            values |= {row.reason for row in model.select(model.reason) if row.reason}
        values |= {row.detail for row in LicenceEvent.select(LicenceEvent.detail) if row.detail}
    return values


def test_every_page_in_english(browser, world):  # noqa: F811
    server, values = world
    data = _data(server)
    walker = EnglishWalker(browser, server, True, values["staff_password"])
    seen, problems = set(), []
    try:
        for visit in WALK:
            if visit.submit or (visit.who, visit.path) in seen:
                continue
            seen.add((visit.who, visit.path))
            page = walker.page(visit.who)
            try:
                page.goto(visit.path.format(**values))
                where = f"{page.url} as {visit.who}"
                if page.locator("html").get_attribute("lang") != "en":
                    problems.append(f"{where}: not in English")
                shown = re.sub(r'<pre class="mail-text">.*?</pre>', " ", page.content(), flags=re.S)
                found = polish_in(text_of(shown), data)
                if found:
                    problems.append(f"{where}: Polish {sorted(found)}")
                walker._axe(page, 1366, 900, where)
            except (AssertionError, PlaywrightError) as error:
                problems.append(f"{visit.path} as {visit.who}: " + " / ".join(str(error).splitlines()[:3]))
    finally:
        walker.close()
    problems += walker.problems
    assert len(seen) > 50
    assert not problems, "\n".join(problems)
