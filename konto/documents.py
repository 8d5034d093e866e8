"""Versions of the documents a user accepts. A new version means a new consent record."""

from konto.client import client_agent
from konto.client import client_ip
from konto.models import Consent

TERMS = "terms"
PRIVACY = "privacy"
MARKETING = "marketing"
STATEMENT = "statement"

VERSIONS = {
    TERMS: "2026-11-01",
    PRIVACY: "2026-11-01",
    MARKETING: "2026-11-01",
    STATEMENT: "2026-11-01",
}


def accept(user, document):
    """Record that the user accepts the current version of a document, from this request's client."""
    return Consent.create(
        user=getattr(user, "id", user),
        document=document,
        version=VERSIONS[document],
        ip=client_ip(),
        user_agent=client_agent(),
    )
