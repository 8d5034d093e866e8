"""The demo registry: fictional entities from demo_data.json, no network."""

import json
from functools import lru_cache
from pathlib import Path

from konto.registry.base import CompanyData
from konto.registry.base import LookupResult

DATA_FILE = Path(__file__).with_name("demo_data.json")


@lru_cache(maxsize=1)
def entities():
    """The demo entities by canonical VATIN."""
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    return {entity["tax_id"]: entity for entity in data["entities"]}


def numbers_to_try(language="pl"):
    """(number, what it shows) pairs for the wizard's demo hint, in the language ("try_en")."""
    return [(entity["tax_id"], entity.get(f"try_{language}", entity["try"])) for entity in entities().values()]


class DemoRegistry:
    """Answers from the demo data; a number it does not list is "not found"."""

    name = "demo"

    def lookup(self, tax_id):
        entity = entities().get(tax_id.vatin)
        if entity is None or entity.get("behaviour") == "not_found":
            return LookupResult.not_found(self.name)
        if entity.get("behaviour") == "unavailable":
            return LookupResult.unavailable(self.name, "symulowana awaria rejestru (dane demonstracyjne)")
        return LookupResult.found(self.name, CompanyData.from_dict(entity["data"]))
