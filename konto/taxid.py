"""NIP and EU VAT numbers: what the user typed → a checked, canonical number.

Checks are python-stdnum's (format and checksum for each member state); nothing here asks
a registry. Pure functions, no Flask.
"""

import re
from dataclasses import dataclass

from stdnum.eu import vat
from stdnum.exceptions import ValidationError
from stdnum.pl import nip as pl_nip

MAX_INPUT_LENGTH = 40

# VIES uses EL for Greece; python-stdnum accepts both EL and GR. XI is Northern Ireland.
_MEMBER_STATES = {code.upper() for code in vat.MEMBER_STATES} - {"GR"} | {"EL"}


class InvalidTaxId(ValueError):
    """The input is not a valid NIP or EU VAT number; str() is the message for the user."""


@dataclass(frozen=True)
class TaxId:
    country: str  # "PL", "DE", "EL", …
    number: str  # national part, compact: "5261040828"

    @property
    def vatin(self):
        """The canonical key: country code and number, e.g. PL5261040828."""
        return f"{self.country}{self.number}"

    @property
    def is_polish(self):
        return self.country == "PL"

    @property
    def nip(self):
        return self.number if self.is_polish else None

    def display(self):
        """As people write it: NIP 526-104-08-28, or DE136695976."""
        if self.is_polish:
            return pl_nip.format(self.number)
        return self.vatin


def parse(text):
    """Parse a NIP (10 digits, dashes/spaces, optional PL) or an EU VAT number.

    :raise InvalidTaxId: with a message for the user.
    """
    if not isinstance(text, str) or not text.strip():
        raise InvalidTaxId("Podaj NIP lub numer VAT UE (VATIN).")
    if len(text) > MAX_INPUT_LENGTH:
        raise InvalidTaxId("Numer jest za długi. NIP ma 10 cyfr, VATIN to kod kraju i numer.")
    compact = re.sub(r"[\s\-./]", "", text).upper()
    if compact.isdigit():
        compact = "PL" + compact
    country, number = compact[:2], compact[2:]
    if not country.isalpha():
        raise InvalidTaxId("Numer może zawierać tylko cyfry, a VATIN zaczyna się od kodu kraju.")
    if country not in _MEMBER_STATES:
        raise InvalidTaxId(
            f"„{country}” nie jest kodem kraju Unii Europejskiej. Podaj NIP albo VATIN z kodem kraju UE."
        )
    if country == "PL":
        if len(number) != 10 or not number.isdigit():
            raise InvalidTaxId("NIP ma 10 cyfr.")
        if not pl_nip.is_valid(number):
            raise InvalidTaxId("To nie jest poprawny NIP: nie zgadza się cyfra kontrolna.")
        return TaxId("PL", number)
    try:
        canonical = vat.validate(country + number)
    except ValidationError:
        raise InvalidTaxId(
            f"To nie jest poprawny numer VAT dla kraju {country}: sprawdź liczbę cyfr i cyfrę kontrolną."
        ) from None
    return TaxId(canonical[:2].replace("GR", "EL"), canonical[2:])
