"""E-mail addresses in one form, so that one mailbox is one account (no Flask here).

An address is kept as email-validator normalises it, in lower case: the local part in Unicode
NFC (composed and decomposed letters are one address), the domain in Unicode (an
internationalised domain typed in punycode or in capitals is one domain). For SMTP the domain
goes out in punycode (`for_smtp`); only a local part that is not ASCII needs a server that speaks
SMTPUTF8.
"""

import unicodedata
from functools import lru_cache

# email-validator is imported on first use (`validator()`): its regular expressions are compiled
# at import, ~20 ms of a worker's start that the pages (which check no address) do not need.


def validator():
    """(validate_email, EmailNotValidError), imported on first use."""
    from email_validator import EmailNotValidError  # noqa: PLC0415 - start-up time, see above
    from email_validator import validate_email  # noqa: PLC0415

    return validate_email, EmailNotValidError


def canonical(value):
    """The one form of an address; an address that is not valid only trimmed and lower-cased
    (whoever checks it then says what is wrong)."""
    if not isinstance(value, str):
        return ""
    return _canonical(value)


# A pure function of the text (email-validator without DNS: ~200 calls an address), and the
# company page fills its contact form with the member's address on every visit: kept per
# process, bounded. tests/test_auth.py compares it with the function unkept.
@lru_cache(maxsize=4096)
def _canonical(value):
    value = value.strip()
    validate_email, EmailNotValidError = validator()
    try:
        checked = validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return value.lower()
    return unicodedata.normalize("NFC", checked.local_part.lower()) + "@" + checked.domain


def for_smtp(address):
    """(the address as SMTP is given it: its domain in punycode, whether it needs SMTPUTF8)."""
    local, _, domain = address.rpartition("@")
    validate_email, EmailNotValidError = validator()
    try:
        ascii_domain = validate_email(address, check_deliverability=False).ascii_domain
    except EmailNotValidError:
        ascii_domain = domain
    return f"{local}@{ascii_domain}", not local.isascii()
