"""KONTO_REGISTRY=gus through konto.registry.lookup, against the BIR 1.1 stand-in over HTTP."""

import threading
import time

import pytest
import requests
from flask import current_app

from konto import create_app
from konto import registry
from konto.db import database
from konto.registry.base import CompanyData
from konto.registry.gus import build_envelope
from konto.registry.gus import parse_result
from konto.taxid import parse
from tests.registry.helpers import all_calls
from tests.registry.helpers import app_config
from tests.registry.helpers import cached_numbers
from tests.registry.helpers import look
from tests.standins import data
from tests.standins import start_gus_standin

FOUND_DEMO = sorted(
    vatin for vatin, entity in data.polish_entities().items() if "data" in entity and not entity.get("behaviour")
)
TEN_NIPS = [vatin[2:] for vatin in FOUND_DEMO] + ["1130010003"]  # found ones and one not found

FAULT_MODES = ["slow", "error500", "maintenance", "malformed_xml", "malformed_mtom", "empty_body", "reject_415"]


def gus_provider():
    return registry.provider().gus


@pytest.mark.parametrize("vatin", FOUND_DEMO)
def test_gus_backed_lookup_shows_the_demo_company(ctx, vatin):
    result = look(vatin)

    assert (result.status, result.source, result.from_cache) == ("found", "gus", False)
    expected = CompanyData.from_dict(data.all_entities()[vatin]["data"]).to_dict()
    got = result.company.to_dict()
    expected.pop("extra")
    got.pop("extra")
    assert got == expected


def test_ten_lookups_of_different_nips_cost_one_login(ctx, gus):
    assert len(set(TEN_NIPS)) >= 10
    statuses = [look(nip).status for nip in TEN_NIPS]

    assert statuses == ["found"] * (len(TEN_NIPS) - 1) + ["not_found"]
    assert gus.calls["Zaloguj"] == 1
    assert gus.calls["DaneSzukajPodmioty"] == len(TEN_NIPS)
    assert gus.calls["GetValue"] == 0  # no empty results, so nothing to ask


def test_a_repeated_lookup_costs_no_call(ctx, gus, mf, vies):
    first = look("5250001003")
    calls_after_first = all_calls(gus, mf, vies)

    second = look("PL 525-000-10-03")

    assert calls_after_first > 0
    assert all_calls(gus, mf, vies) == calls_after_first
    assert second.from_cache and not first.from_cache
    assert second.company == first.company


def test_refresh_skips_the_cache_but_not_the_session(ctx, gus):
    look("5250001003")
    searches = gus.calls["DaneSzukajPodmioty"]

    result = look("5250001003", refresh=True)

    assert result.status == "found" and not result.from_cache
    assert gus.calls["DaneSzukajPodmioty"] == searches + 1
    assert gus.calls["Zaloguj"] == 1


def test_an_expired_session_is_renewed_once_and_the_lookup_retried(ctx, gus):
    look("5250001003")
    gus.expire_sessions()

    result = look("9720005007")

    assert result.status == "found" and result.company.name == "DEMO LOGISTYKA SPÓŁKA AKCYJNA"
    assert gus.calls["Zaloguj"] == 2
    asked = [r for r in gus.requests if r["operation"] == "GetValue"]
    assert len(asked) == 1 and b"StatusSesji" in asked[0]["body"]
    sids = {r["headers"].get("sid") for r in gus.requests if r["operation"] == "DaneSzukajPodmioty"}
    assert len(sids) == 2


def test_a_session_lost_with_error_code_7_is_renewed(ctx, gus):
    look("5250001003")
    gus.expire_sessions()
    gus.mode = "error7"

    assert look("9720005007").status == "found"
    assert gus.calls["Zaloguj"] == 2


def test_a_service_that_drops_every_session_is_unavailable_after_two_logins(ctx, gus, mf):
    gus.session_ttl = -1  # every session is gone by its next use
    mf.mode = "error500"

    result = look("5250001003")

    assert result.status == "unavailable"
    assert gus.calls["Zaloguj"] == 2  # one retry, no login loop
    assert cached_numbers() == set()


def test_not_found_is_error_code_4_and_is_cached(ctx, gus, mf):
    result = look("1130010003")

    assert (result.status, result.source) == ("not_found", "gus")
    assert mf.total_calls() == 0  # the register's "not found" is final
    calls = gus.total_calls()
    assert look("1130010003").from_cache
    assert gus.total_calls() == calls


def test_not_found_as_an_empty_result_is_told_by_komunikat_kod(ctx, gus):
    gus.mode = "empty_not_found"

    result = look("1130010003")

    assert result.status == "not_found"
    assert gus.calls["Zaloguj"] == 1
    asked = [r["body"] for r in gus.requests if r["operation"] == "GetValue"]
    assert len(asked) == 2 and b"StatusSesji" in asked[0] and b"KomunikatKod" in asked[1]


def test_a_wrong_key_is_unavailable_and_the_white_list_answers(ctx, gus, mf):
    current_app.config["GUS_API_KEY"] = "zly-klucz-0000000000"

    result = look("5250001003")

    assert (result.status, result.source) == ("found", "mf")
    assert result.company.name == "PRZYKŁADOWA SPÓŁKA HANDLOWA SPÓŁKA Z OGRANICZONĄ ODPOWIEDZIALNOŚCIĄ"
    assert result.company.vat_status == "czynny"
    assert gus.calls["Zaloguj"] == 1 and gus.calls["DaneSzukajPodmioty"] == 0
    gus_only = gus_provider().lookup(parse("5250001003"))
    assert gus_only.status == "unavailable" and "klucz" in gus_only.message


@pytest.mark.parametrize("mode", FAULT_MODES)
def test_every_fault_is_unavailable_never_an_exception(ctx, gus, mode):
    current_app.config["REGISTRY_READ_TIMEOUT"] = 0.5
    gus.slow_seconds = 3.0
    gus.mode = mode

    started = time.monotonic()
    result = gus_provider().lookup(parse("5250001003"))

    assert (result.status, result.source) == ("unavailable", "gus")
    assert result.message
    assert time.monotonic() - started < gus.slow_seconds  # the read timeout cut the wait short


@pytest.mark.parametrize("mode", FAULT_MODES)
def test_when_gus_fails_the_white_list_answers(ctx, gus, mf, mode):
    current_app.config["REGISTRY_READ_TIMEOUT"] = 0.5
    gus.mode = mode

    result = look("6770002009")

    assert (result.status, result.source) == ("found", "mf")
    assert result.company.nip == "6770002009" and result.company.vat_status == "czynny"
    assert mf.calls["search/nip"] == 1


@pytest.mark.parametrize("mode", FAULT_MODES)
def test_when_both_fail_the_lookup_is_unavailable_and_not_cached(ctx, gus, mf, mode):
    current_app.config["REGISTRY_READ_TIMEOUT"] = 0.5
    gus.mode = mode
    mf.mode = "unavailable503"

    result = look("6770002009")

    assert (result.status, result.source) == ("unavailable", "gus")
    assert cached_numbers() == set()


def test_the_demo_outage_number_is_unavailable_from_both_sources(ctx, gus, mf):
    result = look("7010011003")

    assert result.status == "unavailable"
    assert "HTTP 500" in result.message and "503" in result.message
    assert cached_numbers() == set()


def test_connection_refused_is_unavailable(ctx, gus, mf):
    gus.stop()
    mf.stop()

    result = look("5250001003")

    assert result.status == "unavailable"
    assert "brak połączenia" in result.message


def test_the_session_survives_a_fault(ctx, gus):
    look("5250001003")
    gus.mode = "error500"
    assert gus_provider().lookup(parse("9720005007")).status == "unavailable"
    gus.mode = "ok"

    assert look("9720005007").status == "found"
    assert gus.calls["Zaloguj"] == 1


def test_concurrent_lookups_share_one_login_and_one_renewal(registry_app, gus):
    nips = [vatin[2:] for vatin in FOUND_DEMO]
    results = {}
    start = threading.Barrier(len(nips))

    def worker(nip):
        with registry_app.app_context():
            start.wait()
            results[nip] = registry.provider().gus.lookup(parse(nip)).status

    def run_all():
        threads = [threading.Thread(target=worker, args=(nip,)) for nip in nips]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)

    run_all()
    assert set(results.values()) == {"found"} and len(results) == len(nips)
    assert gus.calls["Zaloguj"] == 1

    gus.expire_sessions()
    results.clear()
    run_all()
    assert set(results.values()) == {"found"}
    assert gus.calls["Zaloguj"] == 2


def test_sole_proprietor_uses_the_general_and_ceidg_reports(ctx, gus):
    result = look("6770002009")

    assert result.company.kind == "sole_proprietor"
    assert result.company.extra["person"] == "JAN KOWALSKI"
    reports = [r["body"] for r in gus.requests if r["operation"] == "DanePobierzPelnyRaport"]
    assert len(reports) == 2
    assert b"BIR12OsFizycznaDaneOgolne" in reports[0] and b"BIR12OsFizycznaDzialalnoscCeidg" in reports[1]


def test_several_rows_pick_the_ceidg_activity(ctx, gus):
    result = look("7190000017")

    assert result.company.name == "MAREK ZIELIŃSKI PRACOWNIA STOLARSKA"
    assert result.company.street is None and result.company.city == "Grobelki"
    reports = b" ".join(r["body"] for r in gus.requests if r["operation"] == "DanePobierzPelnyRaport")
    assert b"DzialalnoscCeidg" in reports and b"DzialalnoscRolnicza" not in reports


def test_suspended_and_ended_entities(ctx):
    suspended = look("8990007004").company
    ended = look("5830006000").company

    assert (suspended.status, suspended.suspended_date) == ("suspended", "2025-01-15")
    assert (ended.status, ended.end_date, ended.has_ended) == ("ended", "2023-06-30", True)


def test_report_names_fall_back_to_bir11_once(tmp_path, mf, vies):
    with start_gus_standin(report_versions=("BIR11",)) as old_gus:
        app = create_app(app_config(tmp_path, old_gus, mf, vies))
        with app.app_context(), database.connection_context():
            assert look("5250001003").status == "found"
            assert old_gus.calls["DanePobierzPelnyRaport"] == 2  # BIR12 refused, then BIR11
            assert look("9720005007").status == "found"
            assert old_gus.calls["DanePobierzPelnyRaport"] == 3  # straight to BIR11
        database.close()
    names = [r["body"] for r in old_gus.requests if r["operation"] == "DanePobierzPelnyRaport"]
    assert b"BIR12OsPrawna" in names[0] and b"BIR11OsPrawna" in names[1] and b"BIR11OsPrawna" in names[2]


def test_requests_speak_soap_12_with_the_sid_in_the_http_header(ctx, gus):
    look("5250001003")
    gus.mode = "empty_not_found"
    look("1130010003")

    login, *rest = gus.requests
    assert login["operation"] == "Zaloguj" and "sid" not in {k.lower() for k in login["headers"]}
    sid = rest[0]["headers"]["sid"]
    assert len(sid) == 20
    for request in gus.requests:
        assert request["headers"]["Content-Type"].startswith("application/soap+xml")
        assert request["to"] == gus.url
        assert b"<sid" not in request["body"] and b":sid" not in request["body"]
    assert all(r["headers"]["sid"] == sid for r in rest)
    assert {r["operation"] for r in rest} == {"DaneSzukajPodmioty", "DanePobierzPelnyRaport", "GetValue"}


def test_logout_ends_the_session(ctx, gus):
    look("5250001003")
    gus_provider().logout()

    assert gus.calls["Wyloguj"] == 1 and gus.sessions == {}
    assert look("9720005007").status == "found"
    assert gus.calls["Zaloguj"] == 2


def test_the_standin_refuses_text_xml_as_the_service_does(gus):
    response = requests.post(gus.url, data=b"<x/>", headers={"Content-Type": "text/xml; charset=utf-8"}, timeout=5)

    assert response.status_code == 415
    assert "multipart/related" in response.text


def test_the_standin_answers_a_search_without_session_with_an_empty_result(gus):
    envelope = build_envelope("DaneSzukajPodmioty", gus.url, search={"Nip": "5250001003"})
    response = requests.post(gus.url, data=envelope, headers={"Content-Type": "application/soap+xml"}, timeout=5)

    assert response.headers["Content-Type"].startswith("multipart/related")
    assert parse_result(response.headers["Content-Type"], response.content, "DaneSzukajPodmioty") == ""
