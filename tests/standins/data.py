"""What the stand-ins know: the demo registry's fictional entities, plus a few more.

The stand-ins answer for the numbers of konto/registry/demo_data.json, so a GUS-backed
wizard pointed at them shows the same companies as the demo. GUS-specific facts the demo
data lacks (legal-form codes, register, SilosID) are derived here.
"""

import json

from konto.registry.demo import DATA_FILE

# Entities that only the stand-ins know: a person with two activities (two <dane> rows:
# farming first, CEIDG second) in a village without streets (empty Ulica).
EXTRA_ENTITIES = [
    {
        "tax_id": "PL7190000017",
        "try": "rolnik i przedsiębiorca (dwa wiersze <dane>)",
        "data": {
            "country": "PL",
            "nip": "7190000017",
            "name": "MAREK ZIELIŃSKI PRACOWNIA STOLARSKA",
            "regon": "281000019",
            "street": None,
            "building": "8",
            "postal_code": "82-200",
            "city": "Grobelki",
            "gmina": "Malbork",
            "powiat": "malborski",
            "wojewodztwo": "POMORSKIE",
            "kind": "sole_proprietor",
            "legal_form": "osoba fizyczna prowadząca działalność gospodarczą",
            "status": "active",
            "start_date": "2019-03-04",
            "vat_status": "czynny",
        },
        "gus_extra_rows": [
            # The farm, listed first by the service: the client must prefer the CEIDG row.
            {"SilosID": "2", "Nazwa": "MAREK ZIELIŃSKI", "start_date": "2005-01-01"},
        ],
    },
]

# The demo's legal forms → (basic form symbol, name, special form symbol, name) in GUS terms.
LEGAL_FORMS = {
    "spółka z ograniczoną odpowiedzialnością": (
        "1",
        "OSOBA PRAWNA",
        "117",
        "SPÓŁKI Z OGRANICZONĄ ODPOWIEDZIALNOŚCIĄ",
    ),
    "spółka akcyjna": ("1", "OSOBA PRAWNA", "116", "SPÓŁKI AKCYJNE"),
    "spółka jawna": ("2", "JEDNOSTKA ORGANIZACYJNA NIEMAJĄCA OSOBOWOŚCI PRAWNEJ", "118", "SPÓŁKI JAWNE"),
    "spółka cywilna": (
        "2",
        "JEDNOSTKA ORGANIZACYJNA NIEMAJĄCA OSOBOWOŚCI PRAWNEJ",
        "019",
        "SPÓŁKI CYWILNE PROWADZĄCE DZIAŁALNOŚĆ NA PODSTAWIE UMOWY ZAWARTEJ NA MOCY KODEKSU CYWILNEGO",
    ),
    "fundacja": ("1", "OSOBA PRAWNA", "048", "FUNDACJE"),
    "osoba fizyczna prowadząca działalność gospodarczą": (
        "9",
        "OSOBA FIZYCZNA PROWADZĄCA DZIAŁALNOŚĆ GOSPODARCZĄ",
        "099",
        "BEZ SZCZEGÓLNEJ FORMY PRAWNEJ",
    ),
}

REGISTER_BUSINESSES = ("138", "REJESTR PRZEDSIĘBIORCÓW")
REGISTER_ASSOCIATIONS = (
    "139",
    "REJESTR STOWARZYSZEŃ, INNYCH ORGANIZACJI SPOŁECZNYCH I ZAWODOWYCH, FUNDACJI ORAZ SAMODZIELNYCH "
    "PUBLICZNYCH ZAKŁADÓW OPIEKI ZDROWOTNEJ",
)
KRS_COURT = (
    "071010050",
    "SĄD REJONOWY DLA M.ST.WARSZAWY W WARSZAWIE,XIII WYDZIAŁ GOSPODARCZY KRAJOWEGO REJESTRU SĄDOWEGO",
)
FINANCING = "JEDNOSTKA SAMOFINANSUJĄCA NIE BĘDĄCA JEDNOSTKĄ BUDŻETOWĄ LUB SAMORZĄDOWYM ZAKŁADEM BUDŻETOWYM"
CEIDG_REGISTER = ("151", "CENTRALNA EWIDENCJA I INFORMACJA O DZIAŁALNOŚCI GOSPODARCZEJ")
CEIDG_BODY = ("000000001", "MINISTER ROZWOJU")


def demo_entities():
    """The demo registry's entities as the demo data file lists them."""
    return json.loads(DATA_FILE.read_text(encoding="utf-8"))["entities"]


def all_entities():
    """Demo entities and the stand-ins' own, by canonical VATIN."""
    return {entity["tax_id"]: entity for entity in demo_entities() + EXTRA_ENTITIES}


def polish_entities():
    return {k: v for k, v in all_entities().items() if k.startswith("PL")}


def foreign_entities():
    return {k: v for k, v in all_entities().items() if not k.startswith("PL")}
