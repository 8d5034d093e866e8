"""The registry interface: look a company up by NIP or VATIN.

Every provider implements `lookup(tax_id) -> LookupResult` and never raises for a fault of
the registry: timeouts, refused connections, error pages and malformed answers come back as
`LookupResult.unavailable(...)`. The views know nothing else about registries.
"""

from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import field
from dataclasses import fields
from datetime import datetime

from konto.i18n_cache import lazy_gettext as _l

FOUND = "found"
NOT_FOUND = "not_found"
UNAVAILABLE = "unavailable"

# Kinds of entity, as the wizard names them.
LEGAL_PERSON = "legal_person"
SOLE_PROPRIETOR = "sole_proprietor"
CIVIL_PARTNERSHIP = "civil_partnership"
OTHER = "other"

# Status of the entity in the registry.
ACTIVE = "active"
SUSPENDED = "suspended"
ENDED = "ended"

# Where data came from, as stored in Company.source and shown in the preview.
SOURCE_LABELS = {
    "gus": "GUS (BIR 1.1)",
    "vies": "VIES",
    "mf": _l("Biała lista podatników VAT (Ministerstwo Finansów)"),
    "demo": _l("dane demonstracyjne"),
    "manual": _l("wpisane ręcznie"),
}


@dataclass
class CompanyData:
    """A company's registry record, in the fields the portal stores."""

    country: str
    name: str | None  # None: the registry gives no name (VIES "---"); the user types it
    nip: str | None = None
    vat_number: str | None = None  # national part of a foreign VATIN
    regon: str | None = None
    krs: str | None = None
    street: str | None = None
    building: str | None = None
    unit: str | None = None
    postal_code: str | None = None
    city: str | None = None
    gmina: str | None = None
    powiat: str | None = None
    wojewodztwo: str | None = None
    address_text: str | None = None  # a one-line address (VIES) when not split up
    kind: str = OTHER
    legal_form: str | None = None
    status: str = ACTIVE
    start_date: str | None = None  # ISO dates, as the registries give them
    suspended_date: str | None = None
    resumed_date: str | None = None
    end_date: str | None = None
    vat_status: str | None = None  # czynny | zwolniony | niezarejestrowany (white list)
    extra: dict = field(default_factory=dict)

    def to_dict(self):
        return asdict(self)

    @classmethod
    def from_dict(cls, data):
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    @property
    def needs_manual_name(self):
        return not self.name

    @property
    def has_ended(self):
        return self.status == ENDED or bool(self.end_date)


@dataclass
class LookupResult:
    """The answer to one lookup."""

    status: str  # FOUND | NOT_FOUND | UNAVAILABLE
    source: str  # gus | vies | mf | demo
    company: CompanyData | None = None
    message: str | None = None  # for UNAVAILABLE: what went wrong, for logs and support
    from_cache: bool = False
    fetched_at: datetime | None = None

    @classmethod
    def found(cls, source, company):
        return cls(FOUND, source, company)

    @classmethod
    def not_found(cls, source):
        return cls(NOT_FOUND, source)

    @classmethod
    def unavailable(cls, source, message):
        return cls(UNAVAILABLE, source, message=message)
