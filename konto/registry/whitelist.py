"""The Ministry of Finance white list of VAT payers (wl-api): a second source for Polish NIPs.

`GET {MF_API_URL}/api/search/nip/{nip}?date=YYYY-MM-DD` answers
`{"result": {"subject": {…} | null, "requestId", "requestDateTime"}}`; errors are
`{"code": "WL-1xx", "message": …}` with a 4xx/5xx status. No key; about 100 searches a day
per IP, so the database cache in front matters.
"""

import logging
import re
from datetime import date
from datetime import datetime
from zoneinfo import ZoneInfo
from zoneinfo import ZoneInfoNotFoundError

import requests
from flask import current_app

from konto.registry.base import LEGAL_PERSON
from konto.registry.base import OTHER
from konto.registry.base import SOLE_PROPRIETOR
from konto.registry.base import CompanyData
from konto.registry.base import LookupResult

log = logging.getLogger(__name__)

SOURCE = "mf"

VAT_STATUSES = {"czynny": "czynny", "zwolniony": "zwolniony", "niezarejestrowany": "niezarejestrowany"}

# The NIP itself is invalid: the number cannot belong to anybody.
INVALID_NIP_CODES = {"WL-112", "WL-113", "WL-114", "WL-115"}

_STREET_NUMBER_RE = re.compile(r"^(?P<street>.*?)\s+(?P<number>\d[\w]*(?:[/-]\w+)*)$")
_POSTAL_CITY_RE = re.compile(r"^(?P<postal>\d{2}-\d{3})\s+(?P<city>.+)$")


def warsaw_today():
    """Today in Poland: the service refuses a date in its future (WL-103)."""
    try:
        return datetime.now(ZoneInfo("Europe/Warsaw")).date()
    except ZoneInfoNotFoundError:
        return date.today()


def parse_address(text):
    """Split "UL. DŁUGA 5/3, 31-147 KRAKÓW" into street, building, unit, postal code and city.

    Best effort: the list gives one string. "5/3" is read as building 5, flat 3; a street
    part equal to the city (villages: "ZALESIE 17, 11-015 ZALESIE") means no street.
    """
    result = {"street": None, "building": None, "unit": None, "postal_code": None, "city": None}
    if not text:
        return result
    street_part, _, place_part = text.strip().rpartition(",")
    if not street_part:
        street_part, place_part = place_part, ""
    place = _POSTAL_CITY_RE.match(place_part.strip())
    if place:
        result["postal_code"], result["city"] = place["postal"], place["city"].strip()
    elif place_part.strip():
        result["city"] = place_part.strip()
    street = _STREET_NUMBER_RE.match(street_part.strip())
    if street:
        result["street"] = street["street"].strip() or None
        building, _, unit = street["number"].partition("/")
        result["building"] = building
        result["unit"] = unit or None
    else:
        result["street"] = street_part.strip() or None
    if result["street"] and result["city"] and result["street"].upper() == result["city"].upper():
        result["street"] = None
    return result


def company_from_subject(subject, request_id=None):
    """CompanyData from a white-list subject."""
    address_text = subject.get("workingAddress") or subject.get("residenceAddress")
    if subject.get("krs"):
        kind = LEGAL_PERSON
    elif subject.get("residenceAddress") or subject.get("pesel"):
        # Natural persons have a residence address (and a PESEL, often withheld).
        kind = SOLE_PROPRIETOR
    else:
        kind = OTHER
    status_vat = (subject.get("statusVat") or "").strip().lower()
    return CompanyData(
        country="PL",
        name=subject.get("name") or None,
        nip=subject.get("nip") or None,
        regon=subject.get("regon") or None,
        krs=subject.get("krs") or None,
        address_text=address_text or None,
        kind=kind,
        vat_status=VAT_STATUSES.get(status_vat),
        extra={key: value for key, value in {"wl_request_id": request_id}.items() if value},
        **parse_address(address_text),
    )


class WhiteListRegistry:
    """Lookups of Polish NIPs in the MF white list."""

    name = SOURCE

    def lookup(self, tax_id):
        """Found (with vat_status), not found, or unavailable; never raises."""
        if not tax_id.is_polish:
            return LookupResult.not_found(self.name)
        try:
            return self._lookup(tax_id)
        except Exception as error:  # a fault of the list must not become a 500 page
            log.exception("MF white list: unexpected error for %s", tax_id.vatin)
            return LookupResult.unavailable(self.name, f"nieoczekiwana odpowiedź MF: {type(error).__name__}")

    def _lookup(self, tax_id):
        config = current_app.config
        url = f"{config['MF_API_URL'].rstrip('/')}/api/search/nip/{tax_id.nip}"
        timeout = (float(config["REGISTRY_CONNECT_TIMEOUT"]), float(config["REGISTRY_READ_TIMEOUT"]))
        try:
            response = requests.get(
                url,
                params={"date": warsaw_today().isoformat()},
                headers={"Accept": "application/json"},
                timeout=timeout,
            )
        except requests.Timeout:
            return self._unavailable(tax_id, "przekroczony czas oczekiwania na białą listę")
        except requests.RequestException as error:
            return self._unavailable(tax_id, f"brak połączenia z białą listą: {type(error).__name__}")
        try:
            body = response.json()
        except ValueError:
            return self._unavailable(tax_id, f"biała lista: HTTP {response.status_code}, odpowiedź nie jest JSON-em")
        if not isinstance(body, dict):
            return self._unavailable(tax_id, "biała lista: nieoczekiwany kształt odpowiedzi")
        if response.status_code != 200 or "code" in body:
            code = body.get("code")
            if code in INVALID_NIP_CODES:
                return LookupResult.not_found(self.name)
            return self._unavailable(
                tax_id, f"biała lista: HTTP {response.status_code} {code or ''} {body.get('message') or ''}".strip()
            )
        result = body.get("result")
        if not isinstance(result, dict) or "subject" not in result:
            return self._unavailable(tax_id, "biała lista: odpowiedź bez result.subject")
        subject = result["subject"]
        if subject is None:
            return LookupResult.not_found(self.name)
        if not isinstance(subject, dict):
            return self._unavailable(tax_id, "biała lista: nieoczekiwany kształt podmiotu")
        return LookupResult.found(self.name, company_from_subject(subject, result.get("requestId")))

    def _unavailable(self, tax_id, message):
        log.warning("MF white list unavailable for %s: %s", tax_id.vatin, message)
        return LookupResult.unavailable(self.name, message)
