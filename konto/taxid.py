"""NIP and EU VAT numbers: what the user typed → a checked, canonical number.

Checks are python-stdnum's (format and checksum for each member state); nothing here asks
a registry. Pure functions, no Flask: a message for the user is marked for translation with
`N_` and translated where it is shown (`konto.forms.TaxIdForm`).
"""

import re
from dataclasses import dataclass
from functools import lru_cache

from stdnum.eu import vat
from stdnum.exceptions import ValidationError
from stdnum.pl import nip as pl_nip

MAX_INPUT_LENGTH = 40

# VIES uses EL for Greece; python-stdnum accepts both EL and GR. XI is Northern Ireland.
_MEMBER_STATES = {code.upper() for code in vat.MEMBER_STATES} - {"GR"} | {"EL"}


def N_(message):
    """Mark a message for translation (extracted with `-k N_`) without translating it here."""
    return message


EU_VAT_LABEL = N_("numer VAT UE %(vatin)s")


class InvalidTaxId(ValueError):
    """The input is not a valid NIP or EU VAT number.

    `message` % `params` is the message for the user: translate `message` first (it is marked
    with N_), then fill it in. str() is the message untranslated (Polish).
    """

    def __init__(self, message, **params):
        super().__init__(message % params if params else message)
        self.message = message
        self.params = params


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

    def display(self, label=True, translate=N_):
        """As every page writes it: "NIP 5261040828" or "numer VAT UE DE136695976" (the way the
        registries, KSeF and VIES write them: no dashes, no spaces); label=False: the number alone.
        `translate` translates the label (gettext where it is shown; Polish by default)."""
        if self.is_polish:
            return f"NIP {self.number}" if label else self.number
        return translate(EU_VAT_LABEL) % {"vatin": self.vatin} if label else self.vatin


def display(value, label=True, translate=N_):
    """A stored or typed number (PL5261040828, 5261040828, DE136695976, a TaxId) written as
    TaxId.display() writes it; a value that is no valid number comes back as it is."""
    if isinstance(value, TaxId):
        return value.display(label, translate)
    parsed = _parsed(value) if isinstance(value, str) else None
    return parsed.display(label, translate) if parsed is not None else (value or "")


@lru_cache(maxsize=4096)
def _parsed(text):
    """parse(text), or None for a number that is not valid: pages write the same few numbers over
    and over (the checksums are pure functions of the text)."""
    try:
        return parse(text)
    except InvalidTaxId:
        return None


def parse(text):
    """Parse a NIP (10 digits, dashes/spaces, optional PL) or an EU VAT number.

    :raise InvalidTaxId: with a message for the user.
    """
    if not isinstance(text, str) or not text.strip():
        raise InvalidTaxId(N_("Podaj NIP lub numer VAT UE."))
    if len(text) > MAX_INPUT_LENGTH:
        raise InvalidTaxId(N_("Numer jest za długi. NIP ma 10 cyfr, numer VAT UE to kod kraju i numer."))
    compact = re.sub(r"[\s\-./]", "", text).upper()
    if compact.isdigit():
        compact = "PL" + compact
    country, number = compact[:2], compact[2:]
    if not country.isalpha():
        raise InvalidTaxId(N_("Numer może zawierać tylko cyfry, a numer VAT UE zaczyna się od kodu kraju."))
    if country not in _MEMBER_STATES:
        raise InvalidTaxId(
            N_("„%(country)s” nie jest kodem kraju Unii Europejskiej. Podaj NIP albo numer VAT UE z kodem kraju."),
            country=country,
        )
    if country == "PL":
        if len(number) != 10 or not number.isdigit():
            raise InvalidTaxId(N_("NIP ma 10 cyfr."))
        if not pl_nip.is_valid(number):
            raise InvalidTaxId(N_("To nie jest poprawny NIP: nie zgadza się cyfra kontrolna."))
        return TaxId("PL", number)
    try:
        canonical = vat.validate(country + number)
    except ValidationError:
        raise InvalidTaxId(
            N_("To nie jest poprawny numer VAT dla kraju %(country)s: sprawdź liczbę cyfr i cyfrę kontrolną."),
            country=country,
        ) from None
    return TaxId(canonical[:2].replace("GR", "EL"), canonical[2:])
