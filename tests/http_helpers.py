"""A browser-like client over real HTTP (requests), for the live-server and subprocess tests."""

import re

import requests

from konto.db import database
from konto.models import Email
from tests.helpers import PASSWORD

_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def last_mail_text(email):
    with database.connection_context():
        message = Email.select().where(Email.recipient == email).order_by(Email.id.desc()).first()
    return message.text_body


class Browser:
    """One person's browser: a cookie jar, and forms posted with the page's CSRF token."""

    def __init__(self, base_url, ip=None):
        self.base = base_url
        self.session = requests.Session()

    def get(self, path):
        return self.session.get(self.base + path, allow_redirects=False, timeout=60)

    def token(self, path):
        page = self.get(path)
        assert page.status_code == 200, (path, page.status_code)
        return _TOKEN.search(page.text).group(1)

    def post(self, path, data, token_from=None):
        data = dict(data)
        data["csrf_token"] = self.token(token_from or path)
        return self.post_prepared(path, data)

    def post_prepared(self, path, data):
        return self.session.post(self.base + path, data=data, allow_redirects=False, timeout=60)

    def registration(self, email):
        return {
            "first_name": "Anna",
            "last_name": "Nowak",
            "email": email,
            "password": PASSWORD,
            "password_repeat": PASSWORD,
            "accept_terms": "y",
            "accept_privacy": "y",
        }

    def sign_up(self, email, last_mail=None):
        """Register, and activate (the link read from the database) with the password: logged in."""
        assert self.post("/rejestracja", self.registration(email)).status_code == 303
        text = (last_mail or last_mail_text)(email)
        path = re.search(r"https?://[^\s/]+(/aktywacja/\S+)", text).group(1)
        activated = self.post(path, {"password": PASSWORD})
        assert activated.status_code == 303 and activated.headers["Location"] == "/panel", activated.text
        return self

    def company_draft(self, number):
        """Step 1 of "Dodaj firmę": the path of the final step for this number."""
        response = self.post("/firmy/dodaj", {"number": number})
        assert response.status_code == 303, response.text
        return response.headers["Location"].replace("/dane", "/oswiadczenie")

    def final_step_data(self, statement_path, email):
        return {
            "csrf_token": self.token(statement_path),
            "statement": "y",
            "by_email": "y",
            "contact_email": email,
        }
