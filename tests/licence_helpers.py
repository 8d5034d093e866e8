"""Helpers for the licence, service, claim and back-office tests."""

from contextlib import contextmanager

from konto.db import database
from konto.flows import licences as flow
from konto.flows import staff
from konto.models import Company
from konto.models import Licence
from konto.models import User
from tests.conftest import PASSWORD
from tests.conftest import Journey

COMPANY = "PL5250001003"
OTHER_COMPANY = "PL6770002009"

# The smallest file PDF readers accept as a PDF (header, one page, xref, trailer, %%EOF).
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


@contextmanager
def in_request(app):
    """A request context with the database: for calling flows directly, as the API will."""
    with app.test_request_context("/"), database.connection_context():
        yield


def people(app, email):
    with database.connection_context():
        return User.get(User.email == email)


def company(tax_id=COMPANY):
    with database.connection_context():
        return Company.get(Company.tax_id == tax_id)


def make_staff(app, email="obsluga@example.com", confirm=True):
    """A signed-up account with the staff role; logged in and (optionally) past the password check."""
    journey = Journey(app.test_client())
    journey.signed_up(email=email)
    with app.app_context(), database.connection_context():
        staff.grant(email)
    if confirm:
        confirm_password(journey.client)
    return journey


def confirm_password(client, password=PASSWORD):
    response = client.post("/obsluga/potwierdz", data={"password": password})
    assert response.status_code == 303, response.data
    return response


def issue(app, tax_id=COMPANY, program="sprzedaz/pro", stations=5, staff_email="obsluga@example.com", **kw):
    """A licence issued through the flow the back office uses; returns it."""
    product, _sep, edition = program.partition("/")
    with in_request(app):
        issuer = User.get(User.email == staff_email)
        return flow.issue(issuer, tax_id, product, edition, stations, **kw)


def licence(number_or_id):
    with database.connection_context():
        if isinstance(number_or_id, int):
            return Licence.get_by_id(number_or_id)
        return Licence.get(Licence.number == number_or_id)
