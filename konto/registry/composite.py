"""KONTO_REGISTRY=gus: the real registries behind one provider.

Polish NIP → GUS BIR 1.1, with the VAT status from the MF white list; when GUS is
unavailable, the white list alone (source "mf"). Other EU numbers → VIES.
"""

import logging

from konto.registry.base import FOUND
from konto.registry.base import UNAVAILABLE
from konto.registry.base import LookupResult
from konto.registry.gus import GusRegistry
from konto.registry.vies import ViesRegistry
from konto.registry.whitelist import WhiteListRegistry

log = logging.getLogger(__name__)


class RealRegistries:
    """GUS, the white list and VIES; one object per app, so one GUS session per process."""

    name = "gus"

    def __init__(self):
        self.gus = GusRegistry()
        self.whitelist = WhiteListRegistry()
        self.vies = ViesRegistry()

    def lookup(self, tax_id):
        if not tax_id.is_polish:
            return self.vies.lookup(tax_id)
        result = self.gus.lookup(tax_id)
        if result.status == FOUND:
            # Best effort: the company is found either way, the VAT status is a bonus.
            vat = self.whitelist.lookup(tax_id)
            if vat.status == FOUND:
                result.company.vat_status = vat.company.vat_status
            return result
        if result.status != UNAVAILABLE:
            return result  # GUS's "not found" is the register's word; the list is not asked
        fallback = self.whitelist.lookup(tax_id)
        if fallback.status == UNAVAILABLE:
            return LookupResult.unavailable(self.name, f"{result.message}; {fallback.message}")
        return fallback
