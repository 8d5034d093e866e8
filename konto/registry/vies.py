"""EU VIES (REST): is a foreign VAT number valid, and under which name and address.

`POST {VIES_API_URL}/check-vat-number` with `{"countryCode", "vatNumber"}` answers
`{"valid": true|false, "name", "address", …}`; "---" means the member state gives no data.
Errors come as `{"actionSucceed": false, "errorWrappers": [{"error": "MS_UNAVAILABLE", …}]}`,
with status 200, 400 or 500. Only INVALID_INPUT says something about the number; every other
error (member state down, MS_MAX_CONCURRENT_REQ, …) is "unavailable", never "invalid".
"""

import logging

import requests
from flask import current_app

from konto.registry.base import ACTIVE
from konto.registry.base import OTHER
from konto.registry.base import CompanyData
from konto.registry.base import LookupResult

log = logging.getLogger(__name__)

SOURCE = "vies"

NO_DATA = "---"
INVALID_NUMBER_ERRORS = {"INVALID_INPUT"}


def _text(value):
    """A name or address; None for VIES's "---" and blanks. Line breaks become ", "."""
    if not isinstance(value, str):
        return None
    lines = [line.strip() for line in value.replace("\r", "\n").split("\n") if line.strip()]
    text = ", ".join(lines)
    return None if not text or text == NO_DATA else text


class ViesRegistry:
    """Lookups of EU VAT numbers (other than Polish) in VIES."""

    name = SOURCE

    def lookup(self, tax_id):
        """Found (valid), not found (invalid) or unavailable; never raises."""
        try:
            return self._lookup(tax_id)
        except Exception as error:  # a fault of VIES must not become a 500 page
            log.exception("VIES: unexpected error for %s", tax_id.vatin)
            return LookupResult.unavailable(self.name, f"nieoczekiwana odpowiedź VIES: {type(error).__name__}")

    def _lookup(self, tax_id):
        config = current_app.config
        url = f"{config['VIES_API_URL'].rstrip('/')}/check-vat-number"
        timeout = (float(config["REGISTRY_CONNECT_TIMEOUT"]), float(config["REGISTRY_READ_TIMEOUT"]))
        try:
            response = requests.post(
                url,
                json={"countryCode": tax_id.country, "vatNumber": tax_id.number},
                headers={"Accept": "application/json"},
                timeout=timeout,
            )
        except requests.Timeout:
            return self._unavailable(tax_id, "przekroczony czas oczekiwania na VIES")
        except requests.RequestException as error:
            return self._unavailable(tax_id, f"brak połączenia z VIES: {type(error).__name__}")
        try:
            body = response.json()
        except ValueError:
            return self._unavailable(tax_id, f"VIES: HTTP {response.status_code}, odpowiedź nie jest JSON-em")
        if not isinstance(body, dict):
            return self._unavailable(tax_id, "VIES: nieoczekiwany kształt odpowiedzi")
        errors = [w.get("error") for w in body.get("errorWrappers") or [] if isinstance(w, dict)]
        if body.get("actionSucceed") is False or errors:
            if errors and set(errors) <= INVALID_NUMBER_ERRORS:
                return LookupResult.not_found(self.name)
            return self._unavailable(tax_id, f"VIES: HTTP {response.status_code} {', '.join(map(str, errors))}".strip())
        # The GET /ms/… form reports a temporary error as isValid=false plus a userError.
        user_error = body.get("userError")
        if user_error not in (None, "VALID", "INVALID"):
            return self._unavailable(tax_id, f"VIES: {user_error}")
        if response.status_code != 200:
            return self._unavailable(tax_id, f"VIES: HTTP {response.status_code}")
        valid = body.get("valid", body.get("isValid"))
        if valid is False:
            return LookupResult.not_found(self.name)
        if valid is not True:
            return self._unavailable(tax_id, "VIES: odpowiedź bez pola valid")
        company = CompanyData(
            country=tax_id.country,
            name=_text(body.get("name")),
            vat_number=tax_id.number,
            address_text=_text(body.get("address")),
            kind=OTHER,
            status=ACTIVE,
            extra={k: v for k, v in {"vies_request_identifier": body.get("requestIdentifier")}.items() if v},
        )
        return LookupResult.found(self.name, company)

    def _unavailable(self, tax_id, message):
        log.warning("VIES unavailable for %s: %s", tax_id.vatin, message)
        return LookupResult.unavailable(self.name, message)
