"""A stand-in for EU VIES (REST): POST {base}/check-vat-number, GET {base}/check-status.

Answers as the service's contract (vies-php openapi.yml): a CheckVatResponse with "---" for
data a member state withholds, and `{"actionSucceed": false, "errorWrappers": [...]}` for
errors.

Fault modes (`.mode`): "ok"; "slow"; "ms_unavailable" (MS_UNAVAILABLE, status 200, as seen
from some clients); "ms_max_concurrent" (MS_MAX_CONCURRENT_REQ, 500);
"global_max_concurrent" (GLOBAL_MAX_CONCURRENT_REQ, 500); "error500" (an HTML error page);
"malformed" (truncated JSON).
"""

import json
from datetime import UTC
from datetime import datetime

from tests.standins import data
from tests.standins.base import MODE_SLOW
from tests.standins.base import Handler
from tests.standins.base import StandIn

NO_DATA = "---"
ERROR_MODES = {
    "ms_unavailable": (200, "MS_UNAVAILABLE"),
    "ms_max_concurrent": (500, "MS_MAX_CONCURRENT_REQ"),
    "global_max_concurrent": (500, "GLOBAL_MAX_CONCURRENT_REQ"),
}


class ViesStandIn(StandIn):
    """VIES on 127.0.0.1, with the stand-in's foreign entities."""

    path = "/taxation_customs/vies/rest-api"

    def __init__(self):
        self.traders = {}
        self.failing = set()
        for vatin, entity in data.foreign_entities().items():
            if entity.get("behaviour") == "unavailable":
                self.failing.add(vatin)
            elif "data" in entity and not entity.get("behaviour"):
                d = entity["data"]
                # VIES writes addresses over several lines.
                address = (d.get("address_text") or NO_DATA).replace(", ", "\n")
                self.traders[vatin] = {"name": d.get("name") or NO_DATA, "address": address}
        super().__init__()


class ViesHandler(Handler):
    server_version = "Apache"

    def do_GET(self):
        vies = self.standin
        if self.path == vies.path + "/check-status":
            vies.count("check-status")
            body = {"vow": {"available": True}, "countries": [{"countryCode": "DE", "availability": "Available"}]}
            return self.answer(200, json.dumps(body), "application/json")
        self.answer(404, "<html><body>Not Found</body></html>", "text/html")

    def do_POST(self):
        try:
            self._post()
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _errors(self, status, *codes):
        body = {"actionSucceed": False, "errorWrappers": [{"error": code, "message": None} for code in codes]}
        self.answer(status, json.dumps(body), "application/json")

    def _post(self):
        vies = self.standin
        raw = self.read_body()
        if self.path != vies.path + "/check-vat-number":
            vies.count("?")
            return self.answer(404, "<html><body>Not Found</body></html>", "text/html")
        vies.count("check-vat-number", {"body": raw, "headers": dict(self.headers.items())})
        if vies.mode == MODE_SLOW:
            vies.be_slow()
        elif vies.mode in ERROR_MODES:
            return self._errors(*ERROR_MODES[vies.mode])
        elif vies.mode == "error500":
            return self.answer(500, "<html><body><h1>500 Internal Server Error</h1></body></html>", "text/html")
        elif vies.mode == "malformed":
            return self.answer(200, '{"countryCode":"DE","valid":tr', "application/json")
        try:
            request = json.loads(raw)
            country, number = request["countryCode"], request["vatNumber"]
        except (ValueError, KeyError, TypeError):
            return self._errors(400, "INVALID_INPUT")
        if not (isinstance(country, str) and isinstance(number, str) and len(country) == 2 and number):
            return self._errors(400, "INVALID_INPUT")
        vatin = country + number
        if vatin in vies.failing:
            return self._errors(200, "MS_UNAVAILABLE")
        trader = vies.traders.get(vatin)
        body = {
            "countryCode": country,
            "vatNumber": number,
            "requestDate": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
            "valid": trader is not None,
            "requestIdentifier": "",
            "name": trader["name"] if trader else NO_DATA,
            "address": trader["address"] if trader else NO_DATA,
            "traderName": "",
            "traderStreet": "",
            "traderPostalCode": "",
            "traderCity": "",
            "traderCompanyType": "",
            "traderNameMatch": "NOT_PROCESSED",
            "traderStreetMatch": "NOT_PROCESSED",
            "traderPostalCodeMatch": "NOT_PROCESSED",
            "traderCityMatch": "NOT_PROCESSED",
            "traderCompanyTypeMatch": "NOT_PROCESSED",
        }
        self.answer(200, json.dumps(body, ensure_ascii=False), "application/json")


ViesStandIn.handler_class = ViesHandler
