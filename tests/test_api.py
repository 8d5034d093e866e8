"""The program API: companies, licences, registering a licence from a program through the back
office's queue to a signed licence file, releasing it; access on every call; problem details."""

import base64
import json
from datetime import UTC
from datetime import datetime
from datetime import timedelta

import pytest
from cryptography.fernet import Fernet

from examples.konto_program import InvalidLicenceFile
from examples.konto_program import verify_licence_file
from konto import clock
from konto import config
from konto import create_app
from konto.db import database
from konto.flows import licences as licence_flow
from konto.models import Company
from konto.models import Installation
from konto.models import Membership
from konto.models import User
from tests.helpers import make_config
from tests.licence_helpers import in_request
from tests.licence_helpers import issue
from tests.licence_helpers import make_staff
from tests.program_helpers import Program
from tests.program_helpers import admin_with_company
from tests.program_helpers import approve
from tests.program_helpers import company_id
from tests.program_helpers import connected

NUMBER = "SPDEM-HAQJQ-D6E20"


@pytest.fixture
def anna(app):
    return admin_with_company(app)


@pytest.fixture
def world(app, anna):
    """Anna's company with a licence of 2 stations, a back office, and a program connected to it."""
    make_staff(app)
    licence = issue(app, stations=2, number=NUMBER, abonament_until=clock.today() + timedelta(days=200))
    program = connected(app, anna)
    return {"app": app, "anna": anna, "program": program, "licence": licence, "company": company_id()}


def decide(app, registration_id, accept, reason=""):
    with in_request(app):
        staff = User.get(User.email == "obsluga@example.com")
        return licence_flow.decide_registration(staff, registration_id, accept, reason)


def register(program, company, installation="inst-1", machine="KASA-1", number=NUMBER):
    return program.post(f"/companies/{company}/registrations",
                        json={"licence_number": number, "installation_id": installation, "machine_name": machine})


def public_key(program):
    return program.get("/licence-files/key").json["public_key"]


def test_companies_and_licences_with_roles_and_states(world):
    program, company = world["program"], world["company"]
    companies = program.get("/companies")
    assert companies.status_code == 200 and companies.mimetype == "application/json"
    assert companies.json == {"companies": [{
        "id": company, "name": "PRZYKŁADOWA SPÓŁKA HANDLOWA SPÓŁKA Z OGRANICZONĄ ODPOWIEDZIALNOŚCIĄ",
        "tax_id": "PL5250001003", "nip": "5250001003", "role": "admin", "can_register_licences": True}]}
    licences = program.get(f"/companies/{company}/licences").json["licences"]
    assert len(licences) == 1
    licence = licences[0]
    assert licence["number_masked"].endswith("6E20") and NUMBER.replace("-", "") not in json.dumps(licences)
    assert licence["status"] == {"code": "active", "label": "aktywna"}
    assert licence["stations"] == 2 and licence["active_installations"] == 0
    assert licence["product"]["code"] == "sprzedaz" and licence["edition"]["code"] == "pro"
    me = program.get("/me").json
    assert me["user"]["email"] == "anna@example.com" and me["machine_name"] == "KASA-1"
    assert me["program"]["client_id"] == "demo-program"


def test_a_licence_registered_from_the_program_is_accepted_in_the_back_office_and_signed(world):
    app, program, company = world["app"], world["program"], world["company"]
    key = public_key(program)
    created = register(program, company, number=NUMBER.lower().replace("-", ""))
    assert created.status_code == 201, created.json
    registration = created.json
    assert created.headers["Location"] == f"/api/v1/companies/{company}/registrations/{registration['id']}"
    assert registration["status"] == "pending" and registration["machine_name"] == "KASA-1"
    assert "licence_file" not in registration["links"]
    again = register(program, company)  # the program asks again (a retry): the same registration
    assert again.status_code == 200 and again.json["id"] == registration["id"]
    path = f"/companies/{company}/registrations/{registration['id']}"
    assert program.get(path).json["status"] == "pending"
    assert program.get(path + "/licence-file").json["code"] == "REGISTRATION_NOT_ACTIVE"
    with database.connection_context():
        assert Installation.get_by_id(registration["id"]).source == "demo-program"  # in the staff's queue

    decide(app, registration["id"], accept=True)
    accepted = program.get(path).json
    assert accepted["status"] == "active" and accepted["decided_at"]
    assert accepted["links"]["licence_file"] == f"/api/v1{path}/licence-file"
    document = program.get(path + "/licence-file").json
    content = verify_licence_file(document, key, installation_id="inst-1")
    assert content["licence"]["number"] == NUMBER.replace("-", "")
    assert content["company"] == {"tax_id": "PL5250001003",
                                  "name": "PRZYKŁADOWA SPÓŁKA HANDLOWA SPÓŁKA Z OGRANICZONĄ ODPOWIEDZIALNOŚCIĄ"}
    assert content["installation"]["machine_name"] == "KASA-1" and content["licence"]["stations"] == 2
    issued = datetime.fromisoformat(content["issued_at"])
    assert datetime.fromisoformat(content["expires_at"]) - issued == timedelta(days=30)
    assert content["iss"] == "http://konto.test"

    # Offline checks: a changed byte, another key, another installation, a date past the expiry.
    tampered = dict(document, payload=document["payload"][:-2] + ("AA" if document["payload"][-2:] != "AA" else "BB"))
    with pytest.raises(InvalidLicenceFile, match="podpis"):
        verify_licence_file(tampered, key)
    other_key = base64.urlsafe_b64encode(bytes(32)).rstrip(b"=").decode()
    with pytest.raises(InvalidLicenceFile, match="innym kluczem"):
        verify_licence_file(document, other_key)
    with pytest.raises(InvalidLicenceFile, match="innej instalacji"):
        verify_licence_file(document, key, installation_id="inst-2")
    with pytest.raises(InvalidLicenceFile, match="wygasł"):
        verify_licence_file(document, key, now=datetime.now(UTC) + timedelta(days=31))

    released = program.post(path + "/release")
    assert released.status_code == 200 and released.json["status"] == "released"
    assert program.get(path + "/licence-file").status_code == 409
    twice = program.post(path + "/release")
    assert twice.status_code == 409 and twice.json["code"] == "WRONG_STATE"


def test_a_rejected_registration_says_why(world):
    app, program, company = world["app"], world["program"], world["company"]
    registration = register(program, company).json
    decide(app, registration["id"], accept=False, reason="Numer z innej umowy.")
    rejected = program.get(f"/companies/{company}/registrations/{registration['id']}").json
    assert rejected["status"] == "rejected" and rejected["reason"] == "Numer z innej umowy."


def test_never_more_active_installations_than_stations(world):
    app, program, company = world["app"], world["program"], world["company"]
    for n in (1, 2):
        decide(app, register(program, company, f"inst-{n}", f"PC-{n}").json["id"], accept=True)
    full = register(program, company, "inst-3", "PC-3")
    assert full.status_code == 409 and full.mimetype == "application/problem+json"
    assert full.json["code"] == "TOO_MANY_INSTALLATIONS"
    assert full.json["type"] == "http://konto.test/api/v1/problems#too-many-installations"
    assert full.json["status"] == 409 and full.json["title"] == "Wszystkie stanowiska zajęte"
    assert "Zwolnij jedno" in full.json["detail"]
    assert program.get(f"/companies/{company}/licences").json["licences"][0]["active_installations"] == 2


def test_refusals_of_the_licence_rules_carry_their_codes(world):
    app, program, company = world["app"], world["program"], world["company"]
    assert register(program, company, number="SPDEM-HAQJQ-D6E21").json["code"] == "INVALID_NUMBER"
    assert register(program, company, installation="a b").json["code"] == "INVALID_INSTALLATION_ID"
    unknown = issue(app, tax_id="PL6770002009")  # a real licence of another taxpayer
    assert register(program, company, number=unknown.number).json["code"] == "LICENCE_NOT_FOUND"
    with in_request(app):
        licence_flow.change_status(User.get(User.email == "obsluga@example.com"), world["licence"].id,
                                   "suspend", "Zaległa płatność")
    suspended = register(program, company)
    assert suspended.status_code == 409 and suspended.json["code"] == "LICENCE_SUSPENDED"


def test_a_plain_member_cannot_register_or_release(app, world):
    bob = admin_with_company(app, "bob@example.com", "PL6770002009")
    with database.connection_context():
        Membership.create(user=User.get(User.email == "bob@example.com"), company=world["company"], role="member")
    program = connected(app, bob, companies=[world["company"]])
    assert program.get("/companies").json["companies"][0]["can_register_licences"] is False
    assert program.get(f"/companies/{world['company']}/licences").status_code == 200
    refused = register(program, world["company"])
    assert refused.status_code == 403 and refused.json["code"] == "FORBIDDEN"


def test_a_token_without_the_scope_gets_403(app, anna):
    program = Program(app)
    program.ask(scope="companies:read")
    approve(anna, program)
    program.poll()
    assert program.get("/companies").status_code == 200
    refused = program.get(f"/companies/{company_id()}/licences")
    assert refused.status_code == 403 and refused.json["code"] == "INSUFFICIENT_SCOPE"
    assert refused.headers["WWW-Authenticate"] == (
        'Bearer realm="konto", error="insufficient_scope", scope="licences:read"'
    )


def test_without_a_valid_token_every_route_is_401(app, world):
    program = world["program"]
    routes = [("get", "/me"), ("get", "/companies"), ("get", f"/companies/{world['company']}/licences"),
              ("post", f"/companies/{world['company']}/registrations"),
              ("get", f"/companies/{world['company']}/registrations/1"),
              ("get", f"/companies/{world['company']}/registrations/1/licence-file"),
              ("post", f"/companies/{world['company']}/registrations/1/release")]
    for method, path in routes:
        for token in (None, "kpa_nie-ma-takiego", program.tokens["refresh_token"]):
            response = program.http.open("/api/v1" + path, method=method.upper(),
                                         headers={"Authorization": f"Bearer {token}"} if token else {})
            assert response.status_code == 401, (path, token)
            assert response.mimetype == "application/problem+json" and response.json["code"] == "UNAUTHENTICATED"
            expected = 'Bearer realm="konto"' + ("" if token is None else ', error="invalid_token"')
            assert response.headers["WWW-Authenticate"] == expected
    clock.travel(timedelta(seconds=901))  # the access token's lifetime
    assert program.get("/me").status_code == 401
    assert program.refresh().status_code == 200 and program.get("/me").status_code == 200


def test_a_token_for_one_company_cannot_reach_another(app, world):
    """The IDOR walk over the API: another account's company, a company of the same account not
    given to this program, and ids that do not exist; every route with an id answers 404."""
    anna, program = world["anna"], world["program"]
    anna.add_company("PL6770002009")  # anna's, but not given to this program
    own_other = company_id("PL6770002009")
    admin_with_company(app, "bob@example.com", "PL6760003007")
    bobs = company_id("PL6760003007")
    registration = register(program, world["company"]).json["id"]
    other_program = connected(app, anna, companies=[own_other])
    for company in (own_other, bobs, 999_999, 2**31, 2**40):
        for method, path in [("get", f"/companies/{company}/licences"),
                             ("post", f"/companies/{company}/registrations"),
                             ("get", f"/companies/{company}/registrations/{registration}"),
                             ("get", f"/companies/{company}/registrations/{registration}/licence-file"),
                             ("post", f"/companies/{company}/registrations/{registration}/release")]:
            response = getattr(program, method)(path, **({"json": {}} if method == "post" else {}))
            assert response.status_code == 404, (path, response.json)
            # An id past what the column holds matches no route at all (konto.web.IdConverter).
            assert response.json["code"] == ("COMPANY_NOT_FOUND" if company < 2**31 else "NOT_FOUND")
    # A program connected to the other company only: anna's first company's registration is not its.
    for method, path in [("get", f"/companies/{own_other}/registrations/{registration}"),
                         ("get", f"/companies/{own_other}/registrations/{registration}/licence-file"),
                         ("post", f"/companies/{own_other}/registrations/{registration}/release")]:
        response = getattr(other_program, method)(path)
        assert response.status_code == 404 and response.json["code"] == "REGISTRATION_NOT_FOUND"
    response = other_program.get(f"/companies/{world['company']}/licences")
    assert response.status_code == 404


def test_errors_are_problem_details_and_never_leak_internals(app, world, monkeypatch):
    program = world["program"]
    not_found = program.get("/nie-ma-takiego")
    assert not_found.status_code == 404 and not_found.mimetype == "application/problem+json"
    assert not_found.json["code"] == "NOT_FOUND" and not_found.headers["Content-Language"] == "pl"
    wrong_method = program.http.delete("/api/v1/companies", headers=program._auth(None))
    assert wrong_method.status_code == 405 and wrong_method.json["code"] == "METHOD_NOT_ALLOWED"
    not_json = program.http.post(f"/api/v1/companies/{world['company']}/registrations", data="licence_number=1",
                                 headers=program._auth(None))
    assert not_json.status_code == 422 and not_json.json["code"] == "INVALID_REQUEST"
    missing = program.post(f"/companies/{world['company']}/registrations", json={"licence_number": NUMBER})
    assert missing.status_code == 422 and missing.json["field"] == "installation_id"
    too_big = program.post(f"/companies/{world['company']}/registrations", json={"x": "y" * 100_000})
    assert too_big.status_code == 413 and too_big.json["code"] == "PAYLOAD_TOO_LARGE"

    def explode(*args, **kwargs):
        raise RuntimeError("SELECT secret FROM internals -- /work/konto/api/views.py line 42")

    monkeypatch.setattr(licence_flow, "stations_total", explode)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    crashed = program.get(f"/companies/{world['company']}/licences")
    assert crashed.status_code == 500 and crashed.mimetype == "application/problem+json"
    assert crashed.json["code"] == "SERVER_ERROR"
    for leak in ("SELECT", "internals", "views.py", "Traceback", "RuntimeError"):
        assert leak not in crashed.data.decode()


def test_a_company_requiring_two_step_sign_in_stops_the_programs_of_those_without_it(world, clock):
    """The portal opens nothing but the two-step pages to such a person (konto.twostep): their
    programs get nothing either, until they turn it on (a fallback path keeps the rule)."""
    anna, program = world["anna"], world["program"]
    with database.connection_context():
        Company.update(require_two_step=True).where(Company.id == world["company"]).execute()
    for path in ("/me", "/companies", f"/companies/{world['company']}/licences"):
        refused = program.get(path)
        assert refused.status_code == 403 and refused.json["code"] == "TWO_STEP_REQUIRED", path
        assert refused.headers["Content-Type"].startswith("application/problem+json")
    refused = register(program, world["company"])
    assert refused.status_code == 403 and refused.json["code"] == "TWO_STEP_REQUIRED"
    anna.turn_on_app(clock)
    assert [c["id"] for c in program.get("/companies").json["companies"]] == [world["company"]]


def test_the_api_reads_no_cookie_sets_none_and_has_no_cors(app, world):
    anna = world["anna"]
    with_session_only = anna.client.get("/api/v1/companies")  # logged in to the portal, no Bearer token
    assert with_session_only.status_code == 401
    response = world["program"].http.get("/api/v1/companies", headers={**world["program"]._auth(None),
                                                                        "Origin": "https://evil.example"})
    assert response.status_code == 200 and "Set-Cookie" not in response.headers
    assert not any(name.lower().startswith("access-control-") for name, _value in response.headers)
    options = world["program"].http.options("/api/v1/companies", headers={"Origin": "https://evil.example",
                                                                           "Access-Control-Request-Method": "GET"})
    assert "Access-Control-Allow-Origin" not in options.headers


def test_the_public_key_and_the_signing_key_setting(tmp_path):
    with pytest.raises(config.ConfigError, match="LICENCE_SIGNING_KEY is not set"):
        config.load(str(tmp_path), environ={
            "MAIL_SERVER": "smtp.example.pl", "SECRET_KEY": "s" * 40, "KONTO_BASE_URL": "https://konto.example.pl",
            "KONTO_TWO_STEP_KEY": Fernet.generate_key().decode(),
        })
    with pytest.raises(config.ConfigError, match=r"^LICENCE_SIGNING_KEY='abc' .+\.$"):
        config.load(str(tmp_path), environ={"LICENCE_SIGNING_KEY": "abc"})
    demo = config.load(str(tmp_path), environ={"KONTO_DEMO": "1"})  # the demo: a key made once, kept under instance/
    assert demo["LICENCE_SIGNING_KEY"] == (tmp_path / "licence_signing_key").read_text()
    assert config.load(str(tmp_path), environ={"KONTO_DEMO": "1"})["LICENCE_SIGNING_KEY"] == demo["LICENCE_SIGNING_KEY"]
    key = base64.urlsafe_b64encode(bytes(range(32))).rstrip(b"=").decode()
    app = create_app(make_config(tmp_path, LICENCE_SIGNING_KEY=key))
    served = app.test_client().get("/api/v1/licence-files/key").json
    assert served["algorithm"] == "Ed25519" and len(served["key_id"]) == 16
    assert served["public_key_pem"].startswith("-----BEGIN PUBLIC KEY-----")
    assert "PRIVATE" not in json.dumps(served) and key not in json.dumps(served)


def test_a_licence_file_never_outlives_the_licence(world):
    app, program, company = world["app"], world["program"], world["company"]
    ending = issue(app, stations=1, valid_until=clock.today() + timedelta(days=3))
    registration = register(program, company, number=ending.number).json
    decide(app, registration["id"], accept=True)
    document = program.get(f"/companies/{company}/registrations/{registration['id']}/licence-file").json
    content = verify_licence_file(document, public_key(program))
    expires = datetime.fromisoformat(content["expires_at"])
    assert expires.date() <= clock.today() + timedelta(days=4)
    assert content["licence"]["valid_until"] == (clock.today() + timedelta(days=3)).isoformat()
