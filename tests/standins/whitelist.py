"""A stand-in for the MF white list API (wl-api): GET /api/search/nip/{nip}?date=YYYY-MM-DD.

Answers as the recorded responses: `{"result": {"subject": …|null, "requestId",
"requestDateTime"}}`, errors `{"code": "WL-1xx", "message": …}` with 400/404/429/5xx, and
the date checks (missing, malformed, in the future) the service makes.

Fault modes (`.mode`): "ok"; "slow"; "error500" (WL-100); "unavailable503" (HTTP-503);
"limit" (429 WL-191, the daily limit); "malformed" (a truncated JSON body).
"""

import json
import re
import secrets
import string
from datetime import date
from datetime import datetime
from urllib.parse import parse_qs
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from stdnum.pl import nip as pl_nip

from tests.standins import data
from tests.standins.base import MODE_SLOW
from tests.standins.base import Handler
from tests.standins.base import StandIn

STATUS_VAT = {"czynny": "Czynny", "zwolniony": "Zwolniony", "niezarejestrowany": "Niezarejestrowany"}
ERRORS = {
    "WL-100": "Wystąpił nieoczekiwany błąd serwera.",
    "WL-101": "Pole 'data' nie może być puste.",
    "WL-102": "Pole 'data' ma nieprawidłowy format.",
    "WL-103": "Data nie może być datą przyszłą.",
    "WL-113": "Pole 'NIP' ma nieprawidłową długość. Wymagane jest 10 znaków.",
    "WL-114": "Pole 'NIP' zawiera niedozwolone znaki. Wymagane są tylko cyfry.",
    "WL-115": "Nieprawidłowy NIP.",
    "WL-190": "Niepoprawne żądanie.",
    "WL-191": "Wyczerpano dzienny limit zapytań.",
}
UNAVAILABLE_503 = json.dumps({"code": "HTTP-503", "message": "Usługa niedostępna"})
ROUTE = re.compile(r"^/api/search/nip/(?P<nip>[^/]*)$")


def warsaw_now():
    return datetime.now(ZoneInfo("Europe/Warsaw"))


def address(d):
    """One uppercase line as the list writes it: "MARSZAŁKOWSKA 100/12, 00-026 WARSZAWA"."""
    street = d.get("street") or d.get("city") or ""
    if street.lower().startswith("ul. "):
        street = street[4:]
    number = d.get("building") or ""
    if d.get("unit"):
        number += "/" + d["unit"]
    return f"{street} {number}, {d.get('postal_code') or ''} {d.get('city') or ''}".upper()


def subject(d):
    """A subject with the recorded fields, in the recorded order."""
    person = d["kind"] == "sole_proprietor"
    return {
        "name": d["name"],
        "nip": d["nip"],
        "statusVat": STATUS_VAT.get(d.get("vat_status"), "Czynny"),
        "regon": d.get("regon"),
        "pesel": None,
        "krs": d.get("krs"),
        "residenceAddress": address(d) if person else None,
        "workingAddress": None if person else address(d),
        "representatives": [],
        "authorizedClerks": [],
        "partners": [],
        "registrationLegalDate": d.get("start_date"),
        "registrationDenialBasis": None,
        "registrationDenialDate": None,
        "restorationBasis": None,
        "restorationDate": None,
        "removalBasis": "Art. 96 ust. 7ba" if d.get("vat_status") == "niezarejestrowany" else None,
        "removalDate": d.get("end_date"),
        "exemptionSmeDate": None,
        "accountNumbers": [],
        "hasVirtualAccounts": False,
    }


class WhiteListStandIn(StandIn):
    """wl-api on 127.0.0.1, with the stand-in entities."""

    def __init__(self):
        self.subjects = {}
        self.failing_nips = set()
        for vatin, entity in data.polish_entities().items():
            if entity.get("behaviour") == "unavailable":
                self.failing_nips.add(vatin[2:])
            elif "data" in entity and not entity.get("behaviour"):
                self.subjects[vatin[2:]] = subject(entity["data"])
        super().__init__()


class WhiteListHandler(Handler):
    server_version = "nginx"

    def do_GET(self):
        try:
            self._get()
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _error(self, status, code):
        self.answer(status, json.dumps({"code": code, "message": ERRORS.get(code, "")}), "application/json")

    def _get(self):
        mf = self.standin
        parts = urlsplit(self.path)
        route = ROUTE.match(parts.path)
        mf.count("search/nip" if route else "?", {"path": self.path, "headers": dict(self.headers.items())})
        if mf.mode == MODE_SLOW:
            mf.be_slow()
        elif mf.mode == "error500":
            return self._error(500, "WL-100")
        elif mf.mode == "unavailable503":
            return self.answer(503, UNAVAILABLE_503, "application/json")
        elif mf.mode == "limit":
            return self._error(429, "WL-191")
        elif mf.mode == "malformed":
            return self.answer(200, '{"result":{"subject":{"name":"PRZ', "application/json")
        if route is None:
            return self._error(404, "WL-190")
        query = parse_qs(parts.query)
        day = (query.get("date") or [""])[0]
        if not day:
            return self._error(400, "WL-101")
        try:
            asked = date.fromisoformat(day)
        except ValueError:
            return self._error(400, "WL-102")
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", day):
            return self._error(400, "WL-102")
        now = warsaw_now()
        if asked > now.date():
            return self._error(400, "WL-103")
        nip = route["nip"]
        if len(nip) != 10:
            return self._error(400, "WL-113")
        if not nip.isdigit():
            return self._error(400, "WL-114")
        if not pl_nip.is_valid(nip):
            return self._error(400, "WL-115")
        if nip in mf.failing_nips:
            return self.answer(503, UNAVAILABLE_503, "application/json")
        request_id = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(5)) + "-98jk3i1"
        body = {
            "result": {
                "subject": mf.subjects.get(nip),
                "requestId": request_id,
                "requestDateTime": now.strftime("%d-%m-%Y %H:%M:%S"),
            }
        }
        self.answer(200, json.dumps(body, ensure_ascii=False), "application/json")


WhiteListStandIn.handler_class = WhiteListHandler
