"""Helpers for the tests of desktop programs: a program talking to the app, the code page's steps."""

import re
from datetime import timedelta

from konto import clock
from konto.db import database
from konto.models import Company
from tests.helpers import Journey

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
CLIENT_ID = "demo-program"
PROGRAM_IP = "203.0.113.7"
_CHECKBOX = re.compile(r'name="companies" type="checkbox" value="(\d+)"')


class Program:
    """A desktop program: no cookies, its own address, form posts to /oauth and Bearer calls to /api."""

    def __init__(self, app, client_id=CLIENT_ID, ip=PROGRAM_IP):
        self.app = app
        self.client_id = client_id
        self.http = app.test_client(use_cookies=False)
        self.http.environ_base["REMOTE_ADDR"] = ip
        self.device = None
        self.tokens = None

    def ask(self, machine="KASA-1", scope=None, **extra):
        data = {"client_id": self.client_id, "machine_name": machine, **extra}
        if scope is not None:
            data["scope"] = scope
        response = self.http.post("/oauth/device", data=data)
        if response.status_code == 200:
            self.device = response.json
        return response

    def poll(self, device_code=None):
        response = self.http.post(
            "/oauth/token",
            data={"grant_type": DEVICE_GRANT, "device_code": device_code or self.device["device_code"],
                  "client_id": self.client_id},
        )
        if response.status_code == 200:
            self.tokens = response.json
        return response

    def refresh(self, refresh_token=None):
        response = self.http.post(
            "/oauth/token",
            data={"grant_type": "refresh_token", "refresh_token": refresh_token or self.tokens["refresh_token"],
                  "client_id": self.client_id},
        )
        if response.status_code == 200:
            self.tokens = response.json
        return response

    def revoke(self, token, hint=None):
        data = {"token": token, "client_id": self.client_id}
        if hint:
            data["token_type_hint"] = hint
        return self.http.post("/oauth/revoke", data=data)

    def _auth(self, token):
        token = token or (self.tokens or {}).get("access_token")
        return {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path, token=None):
        return self.http.get("/api/v1" + path, headers=self._auth(token))

    def post(self, path, json=None, token=None):
        return self.http.post("/api/v1" + path, json=json, headers=self._auth(token))


def company_id(tax_id="PL5250001003"):
    with database.connection_context():
        return Company.get(Company.tax_id == tax_id).id


def enter_code(journey, code):
    return journey.client.post("/polacz", data={"code": code})


def decide(journey, decision="polacz", companies=()):
    return journey.client.post("/polacz/potwierdz", data={"decyzja": decision, "companies": list(companies)})


def offered_companies(journey):
    """The company ids the code page's decision offers (as checkboxes)."""
    return [int(i) for i in _CHECKBOX.findall(journey.client.get("/polacz/potwierdz").data.decode())]


def approve(journey, program, companies=None):
    """The person types the program's code and presses Połącz (with these companies, or all offered)."""
    assert enter_code(journey, program.device["user_code"]).status_code == 303
    chosen = offered_companies(journey) if companies is None else companies
    response = decide(journey, "polacz", chosen)
    assert response.status_code == 303, response.data.decode()
    return response


def connected(app, journey, companies=None, machine="KASA-1", **kw):
    """A program connected to the journey's account: asked, approved, tokens collected."""
    program = Program(app, **kw)
    assert program.ask(machine=machine).status_code == 200
    approve(journey, program, companies)
    assert program.poll().status_code == 200
    return program


def admin_with_company(app, email="anna@example.com", tax_id="PL5250001003"):
    journey = Journey(app.test_client())
    journey.signed_up(email=email)
    journey.add_company(tax_id)
    return journey


def after(seconds):
    """Move the app's clock this many seconds past real time (the live server's thread too)."""
    clock.travel(timedelta(seconds=seconds))


def program_routes(connection_id, company, registration):
    """Every route of the code page, Połączone programy and the program API that takes an id,
    with a call to each: (method, path, by_program). A stranger's browser calls the first kind,
    a stranger's program (its own token) the second; both get 404."""
    api = "/api/v1/companies/<int:company_id>"
    base = f"/api/v1/companies/{company}"
    return {
        "/konto/programy/<int:connection_id>/rozlacz": [("post", f"/konto/programy/{connection_id}/rozlacz", False)],
        f"{api}/licences": [("get", f"{base}/licences", True)],
        f"{api}/registrations": [("post", f"{base}/registrations", True)],
        f"{api}/registrations/<int:registration_id>": [("get", f"{base}/registrations/{registration}", True)],
        f"{api}/registrations/<int:registration_id>/licence-file": [
            ("get", f"{base}/registrations/{registration}/licence-file", True)],
        f"{api}/registrations/<int:registration_id>/release": [
            ("post", f"{base}/registrations/{registration}/release", True)],
    }
