"""VIES and the white list through konto.registry.lookup, against their stand-ins over HTTP."""

import pytest
from flask import current_app

from konto import registry
from konto.registry.whitelist import warsaw_today
from konto.taxid import parse
from tests.registry.helpers import all_calls
from tests.registry.helpers import cached_numbers
from tests.registry.helpers import look


def test_foreign_numbers_go_to_vies_only(ctx, gus, mf, vies):
    result = look("CZ25123891")

    assert (result.status, result.source) == ("found", "vies")
    assert result.company.name == "UKÁZKOVÁ FIRMA S.R.O."
    assert result.company.address_text == "Václavské náměstí 1, 110 00 Praha 1"
    assert gus.total_calls() == 0 and mf.total_calls() == 0
    assert b'"countryCode": "CZ"' in vies.requests[0]["body"] and b'"vatNumber": "25123891"' in vies.requests[0]["body"]


def test_vies_without_name_or_address(ctx):
    company = look("DE123456788").company

    assert company.name is None and company.address_text is None and company.needs_manual_name


def test_vies_invalid_is_not_found_and_cached(ctx, vies):
    assert look("IT00743110157").status == "not_found"
    calls = vies.total_calls()

    assert look("IT00743110157").from_cache
    assert vies.total_calls() == calls


VIES_FAULTS = ["slow", "ms_unavailable", "ms_max_concurrent", "global_max_concurrent", "error500", "malformed"]


@pytest.mark.parametrize("mode", VIES_FAULTS)
def test_vies_faults_are_unavailable_and_not_cached(ctx, vies, mode):
    current_app.config["REGISTRY_READ_TIMEOUT"] = 0.5
    vies.mode = mode

    result = look("FR40303265045")

    assert (result.status, result.source) == ("unavailable", "vies")
    assert cached_numbers() == set()


def test_vies_repeated_lookup_costs_no_call(ctx, gus, mf, vies):
    look("FR40303265045")
    calls = all_calls(gus, mf, vies)

    assert look("FR40303265045").from_cache
    assert all_calls(gus, mf, vies) == calls == 1


def whitelist_lookup(number):
    return registry.provider().whitelist.lookup(parse(number))


def test_white_list_found(ctx, mf):
    result = whitelist_lookup("5250001003")
    company = result.company

    assert (result.status, result.source) == ("found", "mf")
    assert (company.name, company.regon, company.krs) == (
        "PRZYKŁADOWA SPÓŁKA HANDLOWA SPÓŁKA Z OGRANICZONĄ ODPOWIEDZIALNOŚCIĄ",
        "140000000",
        "0000123456",
    )
    assert (company.street, company.building, company.unit) == ("MARSZAŁKOWSKA", "100", "12")
    assert (company.postal_code, company.city, company.vat_status) == ("00-026", "WARSZAWA", "czynny")
    assert company.extra["wl_request_id"]


def test_white_list_sends_todays_date_which_the_service_checks(ctx, mf):
    whitelist_lookup("7390004008")

    assert mf.requests[0]["path"] == f"/api/search/nip/7390004008?date={warsaw_today().isoformat()}"


@pytest.mark.parametrize("vatin, status", [("PL7390004008", "zwolniony"), ("PL5830006000", "niezarejestrowany")])
def test_white_list_vat_statuses(ctx, vatin, status):
    assert whitelist_lookup(vatin).company.vat_status == status


def test_white_list_not_found(ctx):
    assert whitelist_lookup("1130010003").status == "not_found"


@pytest.mark.parametrize("mode", ["slow", "error500", "unavailable503", "limit", "malformed"])
def test_white_list_faults_are_unavailable(ctx, mf, mode):
    current_app.config["REGISTRY_READ_TIMEOUT"] = 0.5
    mf.mode = mode

    result = whitelist_lookup("5250001003")

    assert (result.status, result.source) == ("unavailable", "mf")
    assert result.message


def test_gus_found_keeps_its_data_when_the_white_list_fails(ctx, mf):
    mf.mode = "limit"

    result = look("5250001003")

    assert (result.status, result.source) == ("found", "gus")
    assert result.company.vat_status is None
    assert result.company.street == "ul. Marszałkowska"  # GUS's data, not the list's
