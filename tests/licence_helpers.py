"""Helpers for the licence, service, claim and back-office tests."""

from contextlib import contextmanager

from konto import clock
from konto.db import database
from konto.flows import licences as flow
from konto.flows import staff
from konto.licences import numbers
from konto.models import AdminClaim
from konto.models import Company
from konto.models import Edition
from konto.models import Installation
from konto.models import Licence
from konto.models import LicenceExtension
from konto.models import Product
from konto.models import User
from tests.helpers import PASSWORD
from tests.helpers import Journey
from tests.helpers import give_app
from tests.helpers import next_app_code

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


def make_staff(app, clock=None, email="obsluga@example.com", confirm=True):
    """A signed-up account with the staff role and, as staff always need, an authenticator app;
    logged in with it and (optionally) past the back office's confirmation. With the test's TOTP
    `clock`, `journey.next_code()` gives the app's codes; without, they follow real time
    (`next_app_code`: enough for a journey that only needs the account)."""
    journey = Journey(app.test_client())
    journey.signed_up(email=email)
    with app.app_context(), database.connection_context():
        staff.grant(email)
    if clock is not None:
        journey.turn_on_app(clock)
    else:
        give_app(app, email)  # ends the session the password alone opened: sign in again with a code
        assert journey.login(email=email).status_code == 303
        assert journey.second_step(next_app_code(app, email)).status_code == 303
    if confirm:
        confirm_staff(journey, code=None if clock is not None else next_app_code(app, email))
    return journey


def confirm_staff(journey, password=PASSWORD, code=None):
    """The back office's confirmation: the password and the app's code (by default the next one
    of the journey's app, after `turn_on_app`)."""
    code = code or journey.next_code()
    response = journey.client.post("/obsluga/potwierdz", data={"password": password, "code": code})
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


def licence_objects(company_id, staff_email=None):
    """One of everything with an id in the licence routes, for the access walks (rows made directly)."""
    with database.connection_context():
        target = Company.get_by_id(company_id)
        product = Product.get(Product.code == "sprzedaz")
        lic = Licence.create(
            number=numbers.generate("SP"),
            tax_id=target.tax_id,
            product=product,
            edition=Edition.get((Edition.product == product) & (Edition.code == "pro")),
            stations=5,
        )
        extension = LicenceExtension.create(licence=lic, product=Product.get(Product.code == "plus-zloty"))
        installation = Installation.create(licence=lic, installation_id="walk-1", machine_name="PC", status="active")
        pending = Installation.create(licence=lic, installation_id="walk-2", machine_name="PC2")
        claimant = User.create(
            email=f"claimant{company_id}@example.com",
            first_name="C",
            last_name="L",
            password_hash="x",
            activated_at=clock.now(),
        )
        claim = AdminClaim.create(
            company=target,
            claimant=claimant,
            licence=lic,
            stored_name="A" * 32 + ".pdf",
            original_name="o.pdf",
            size=1,
            sha256="0" * 64,
            object_until=clock.now(),
        )
        return {
            "company_id": company_id,
            "licence_id": lic.id,
            "extension_id": extension.id,
            "installation_id": installation.id,
            "pending_id": pending.id,
            "claim_id": claim.id,
            "tax_id": target.tax_id,
            "user_id": claimant.id,
            "code": "ksef",
        }


def licence_routes(ids, draft_key):
    """Every licence and back-office route that takes an id, with a call to each (method, path)."""
    c, lic = ids["company_id"], ids["licence_id"]
    return {
        "/firmy/<int:company_id>/licencje": [("get", f"/firmy/{c}/licencje")],
        "/firmy/<int:company_id>/licencje/<int:licence_id>/proba": [("post", f"/firmy/{c}/licencje/{lic}/proba")],
        "/firmy/<int:company_id>/licencje/<int:licence_id>/stanowiska/<int:installation_id>/zwolnij": [
            ("post", f"/firmy/{c}/licencje/{lic}/stanowiska/{ids['installation_id']}/zwolnij")
        ],
        "/firmy/<int:company_id>/uslugi": [("get", f"/firmy/{c}/uslugi")],
        "/firmy/<int:company_id>/uslugi/<code>": [("post", f"/firmy/{c}/uslugi/ksef")],
        "/firmy/<int:company_id>/odzyskaj": [("get", f"/firmy/{c}/odzyskaj"), ("post", f"/firmy/{c}/odzyskaj")],
        "/firmy/<int:company_id>/wnioski": [("get", f"/firmy/{c}/wnioski")],
        "/firmy/<int:company_id>/wnioski/<int:claim_id>/sprzeciw": [
            ("post", f"/firmy/{c}/wnioski/{ids['claim_id']}/sprzeciw")
        ],
        "/firmy/dodaj/<key>/odzyskaj": [
            ("get", f"/firmy/dodaj/{draft_key}/odzyskaj"),
            ("post", f"/firmy/dodaj/{draft_key}/odzyskaj"),
        ],
        **staff_routes(ids),
    }


def staff_routes(ids):
    lic = ids["licence_id"]
    return {
        "/obsluga/konta/<int:user_id>": [("get", f"/obsluga/konta/{ids['user_id']}")],
        "/obsluga/podmioty/<tax_id>": [("get", f"/obsluga/podmioty/{ids['tax_id']}")],
        "/obsluga/licencje/<int:licence_id>": [("get", f"/obsluga/licencje/{lic}")],
        "/obsluga/licencje/<int:licence_id>/stan": [("post", f"/obsluga/licencje/{lic}/stan")],
        "/obsluga/licencje/<int:licence_id>/abonament": [("post", f"/obsluga/licencje/{lic}/abonament")],
        "/obsluga/licencje/<int:licence_id>/rozszerzenia": [("post", f"/obsluga/licencje/{lic}/rozszerzenia")],
        "/obsluga/licencje/<int:licence_id>/rozszerzenia/<int:extension_id>/zakoncz": [
            ("post", f"/obsluga/licencje/{lic}/rozszerzenia/{ids['extension_id']}/zakoncz")
        ],
        "/obsluga/instalacje/<int:installation_id>/zwolnij": [
            ("post", f"/obsluga/instalacje/{ids['installation_id']}/zwolnij")
        ],
        "/obsluga/rejestracje/<int:installation_id>": [("post", f"/obsluga/rejestracje/{ids['pending_id']}")],
        "/obsluga/wnioski/<int:claim_id>": [
            ("get", f"/obsluga/wnioski/{ids['claim_id']}"),
            ("post", f"/obsluga/wnioski/{ids['claim_id']}"),
        ],
        "/obsluga/wnioski/<int:claim_id>/oswiadczenie.pdf": [
            ("get", f"/obsluga/wnioski/{ids['claim_id']}/oswiadczenie.pdf")
        ],
    }
