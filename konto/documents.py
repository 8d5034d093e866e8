"""Versions of the documents a user accepts. A new version means a new consent record."""

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
