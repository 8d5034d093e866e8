"""Parsing of responses shaped as the services' recorded ones (tests/fixtures/registry)."""

import pytest
from flask import Flask
from lxml import etree

from konto.registry import gus
from konto.registry.gus import GusError
from konto.registry.gus import GusRegistry
from konto.registry.vies import ViesRegistry
from konto.registry.whitelist import WhiteListRegistry
from konto.registry.whitelist import parse_address
from konto.taxid import parse
from tests.standins.replay import ReplayStandIn
from tests.standins.replay import load_response


def result_of(name, operation):
    _status, headers, body = load_response(name)
    return gus.parse_result(dict(headers)["Content-Type"], body, operation)


def rows_of(name, operation="DanePobierzPelnyRaport"):
    return gus.parse_rows(result_of(name, operation))


@pytest.fixture
def replay_app():
    """A bare app with the registry settings: the providers read only these."""
    app = Flask(__name__)
    app.config.update(
        GUS_API_KEY="abcde12345abcde12345",
        REGISTRY_CONNECT_TIMEOUT=2.0,
        REGISTRY_READ_TIMEOUT=5.0,
    )
    return app


def replay(app, script, setting):
    standin = ReplayStandIn(script)
    app.config[setting] = standin.url
    return standin


# -- GUS: envelopes, MTOM, the inner documents


def test_login_answer_gives_the_session_id():
    assert result_of("gus/zaloguj.http", "Zaloguj") == "c47xb5n78ppgc9hks85f"


def test_login_answer_with_lf_line_ends_and_indented_part_headers():
    assert result_of("gus/zaloguj_lf_indented.http", "Zaloguj").strip() == "c47xb5n78ppgc9hks85f"


def test_a_bad_key_gives_an_empty_login_result():
    assert result_of("gus/zaloguj_bad_key.http", "Zaloguj") == ""


def test_an_empty_search_result():
    assert result_of("gus/search_empty.http", "DaneSzukajPodmioty") == ""


def test_get_value_is_read_from_its_own_namespace():
    assert result_of("gus/getvalue_status_sesji.http", "GetValue") == "1"
    with pytest.raises(GusError):
        result_of("gus/getvalue_status_sesji.http", "Zaloguj")


def test_the_inner_document_keeps_crlf_and_is_parsed_a_second_time():
    document = result_of("gus/search_legal_person.http", "DaneSzukajPodmioty")
    assert document.startswith("<root>\r\n  <dane>\r\n    <Regon>000331501</Regon>")

    (row,) = gus.parse_rows(document)
    assert row["Nazwa"] == "GŁÓWNY URZĄD STATYSTYCZNY"
    assert (row["Ulica"], row["KodPocztowy"], row["Typ"], row["SilosID"]) == ("ul. Test-Krucza", "00-925", "P", "6")
    assert row["StatusNip"] == ""


def test_not_found_is_error_code_4():
    rows = rows_of("gus/search_not_found.http", "DaneSzukajPodmioty")
    assert gus.error_code(rows) == "4"
    assert rows[0]["Nip"] == "7183649047"


def test_a_wrong_report_is_error_code_4_and_an_unknown_one_5():
    assert gus.error_code(rows_of("gus/report_wrong_type.http")) == "4"
    assert rows_of("gus/report_wrong_type.http")[0]["Typ_podmiotu"] == "F"
    assert gus.error_code(rows_of("gus/report_bad_name.http")) == "5"


def test_legal_person_report():
    company = gus.company_from_legal_person(rows_of("gus/report_legal_person.http")[0])

    assert company.name == "POWSZECHNY ZAKŁAD UBEZPIECZEŃ SPÓŁKA AKCYJNA"
    assert (company.nip, company.regon, company.krs) == ("5260251049", "010001345", "0000009831")
    assert (company.street, company.building, company.unit) == ("Rondo Ignacego Daszyńskiego", "4", None)
    assert (company.postal_code, company.city) == ("00-843", "Warszawa")
    assert (company.gmina, company.powiat, company.wojewodztwo) == ("Wola", "Warszawa", "MAZOWIECKIE")
    assert (company.kind, company.legal_form) == ("legal_person", "spółka akcyjna")
    assert (company.status, company.start_date, company.end_date) == ("active", "1992-01-15", None)


def test_ended_partnership_report_with_quotes_and_trailing_spaces():
    company = gus.company_from_legal_person(rows_of("gus/report_ended.http")[0])

    assert company.name == '"PRZYKŁADOWA HURTOWNIA" SPÓŁKA JAWNA'
    assert (company.building, company.unit) == ("14", "2")
    assert (company.status, company.end_date) == ("ended", "2016-04-16")
    assert (company.kind, company.legal_form, company.krs) == ("legal_person", "spółka jawna", "0000012345")


def test_sole_trader_rows_prefer_the_ceidg_activity():
    rows = rows_of("gus/search_sole_trader_rows.http", "DaneSzukajPodmioty")

    assert [row["SilosID"] for row in rows] == ["2", "1"]
    assert gus.choose_row(rows)["SilosID"] == "1"
    assert rows[0]["Ulica"] == "" and rows[0]["MiejscowoscPoczty"] == ""


def test_sole_trader_reports_with_a_resumed_activity():
    general = rows_of("gus/report_person_general.http")[0]
    activity = rows_of("gus/report_person_ceidg.http")[0]

    company = gus.company_from_person(general, activity)

    assert company.name == 'JAN PRZYKŁADOWY USŁUGI "REMONT"'
    assert (company.nip, company.regon, company.kind) == ("5790004488", "810528352", "sole_proprietor")
    assert (company.street, company.building, company.postal_code, company.city) == (None, "8", "82-200", "Grobelno")
    assert (company.status, company.suspended_date, company.resumed_date) == ("active", "2024-02-01", "2024-08-01")
    assert company.extra["register_number"] == "001465897/2019"
    assert company.extra["person"] == "JAN PRZYKŁADOWY"


def test_status_from_dates():
    assert gus._status("", "2024-02-01", "") == "suspended"
    assert gus._status("", "2024-02-01", "2023-01-01") == "suspended"
    assert gus._status("", "2024-02-01", "2024-08-01") == "active"
    assert gus._status("2025-01-01", "", "") == "ended"


@pytest.mark.parametrize(
    "content_type, body",
    [
        ("text/html; charset=utf-8", load_response("gus/maintenance.http")[2]),
        ('multipart/related; boundary="x"', b""),
        ('multipart/related; boundary="x"', b"\r\n--x\r\nContent-Type: text/plain\r\n\r\nhello\r\n--x--\r\n"),
        ("application/soap+xml", b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>'),
        ("application/soap+xml", b"<Envelope><Body/></Envelope>"),
        ("application/soap+xml", b'<!DOCTYPE x [<!ENTITY a "b">]><s:Envelope xmlns:s="x"/>'),
    ],
)
def test_answers_that_are_not_a_soap_envelope_are_errors(content_type, body):
    with pytest.raises(GusError):
        gus.parse_result(content_type, body, "DaneSzukajPodmioty")


def test_request_envelope_shape():
    envelope = etree.fromstring(gus.build_envelope("DaneSzukajPodmioty", "https://x/svc", search={"Nip": "5261040828"}))
    ns = {"soap": gus.NS_SOAP, "wsa": gus.NS_WSA, "p": gus.NS_PUBL, "d": gus.NS_DATA}
    assert envelope.findtext("soap:Header/wsa:To", namespaces=ns) == "https://x/svc"
    assert envelope.findtext("soap:Header/wsa:Action", namespaces=ns) == gus.ACTION_PUBL + "DaneSzukajPodmioty"
    assert envelope.findtext("soap:Body/p:DaneSzukajPodmioty/p:pParametryWyszukiwania/d:Nip", namespaces=ns) == (
        "5261040828"
    )
    get_value = etree.fromstring(gus.build_envelope("GetValue", "u", params={"pNazwaParametru": "StatusSesji"}))
    assert get_value.find(f"{{{gus.NS_SOAP}}}Body/{{{gus.NS_BIR}}}GetValue/{{{gus.NS_BIR}}}pNazwaParametru") is not None
    assert get_value.findtext(f"{{{gus.NS_SOAP}}}Header/{{{gus.NS_WSA}}}Action") == gus.ACTION_GET_VALUE


# -- whole GUS lookups on the recorded-shape answers, over HTTP


def test_gus_lookup_of_a_legal_person_from_recorded_answers(replay_app):
    script = {
        "Zaloguj": "gus/zaloguj.http",
        "DaneSzukajPodmioty": "gus/search_legal_person.http",
        "DanePobierzPelnyRaport": "gus/report_legal_person.http",
    }
    with replay(replay_app, script, "GUS_API_URL") as standin, replay_app.app_context():
        result = GusRegistry().lookup(parse("5261040828"))
    assert result.status == "found"
    assert result.company.krs == "0000009831"
    assert standin.requests[1]["headers"]["sid"] == "c47xb5n78ppgc9hks85f"
    assert b"BIR12OsPrawna" in standin.requests[2]["body"]


def test_gus_lookup_of_a_sole_trader_from_recorded_answers(replay_app):
    script = {
        "Zaloguj": "gus/zaloguj_lf_indented.http",
        "DaneSzukajPodmioty": "gus/search_sole_trader_rows.http",
        "DanePobierzPelnyRaport:BIR12OsFizycznaDaneOgolne": "gus/report_person_general.http",
        "DanePobierzPelnyRaport:BIR12OsFizycznaDzialalnoscCeidg": "gus/report_person_ceidg.http",
    }
    with replay(replay_app, script, "GUS_API_URL") as standin, replay_app.app_context():
        result = GusRegistry().lookup(parse("5790004488"))
    assert result.status == "found"
    assert result.company.name == 'JAN PRZYKŁADOWY USŁUGI "REMONT"'
    assert standin.calls["DanePobierzPelnyRaport"] == 2


def test_gus_lookup_not_found_from_recorded_answers(replay_app):
    script = {"Zaloguj": "gus/zaloguj.http", "DaneSzukajPodmioty": "gus/search_not_found.http"}
    with replay(replay_app, script, "GUS_API_URL"), replay_app.app_context():
        assert GusRegistry().lookup(parse("7183649047")).status == "not_found"


@pytest.mark.parametrize("login", ["gus/zaloguj_bad_key.http", "gus/maintenance.http", "gus/content_type_415.http"])
def test_gus_lookup_unavailable_from_recorded_answers(replay_app, login):
    with replay(replay_app, {"Zaloguj": login}, "GUS_API_URL") as standin, replay_app.app_context():
        result = GusRegistry().lookup(parse("5261040828"))
    assert result.status == "unavailable"
    assert standin.calls["DaneSzukajPodmioty"] == 0


# -- the white list


def test_white_list_legal_person(replay_app):
    with replay(replay_app, {"GET": "mf/search_found.json.http"}, "MF_API_URL") as standin, replay_app.app_context():
        result = WhiteListRegistry().lookup(parse("7740001454"))
    company = result.company
    assert (result.status, result.source) == ("found", "mf")
    assert (company.name, company.regon, company.krs) == ("ORLEN SPÓŁKA AKCYJNA", "610188201", "0000028860")
    assert (company.street, company.building) == ("CHEMIKÓW", "7")
    assert (company.postal_code, company.city) == ("09-411", "PŁOCK")
    assert (company.vat_status, company.kind) == ("czynny", "legal_person")
    assert company.extra["wl_request_id"] == "MVRqg-98jk3i1"
    assert standin.requests[0]["path"].startswith("/api/search/nip/7740001454?date=")


def test_white_list_sole_trader_in_a_village(replay_app):
    with replay(replay_app, {"GET": "mf/search_found_person.json.http"}, "MF_API_URL"), replay_app.app_context():
        company = WhiteListRegistry().lookup(parse("5790004488")).company
    assert (company.street, company.building, company.city) == (None, "8", "GROBELNO")
    assert (company.vat_status, company.kind) == ("zwolniony", "sole_proprietor")


def test_white_list_unregistered(replay_app):
    with replay(replay_app, {"GET": "mf/search_found_unregistered.json.http"}, "MF_API_URL"), replay_app.app_context():
        company = WhiteListRegistry().lookup(parse("5260251049")).company
    assert company.vat_status == "niezarejestrowany"
    assert company.street == "RONDO IGNACEGO DASZYŃSKIEGO"


@pytest.mark.parametrize(
    "fixture, status",
    [
        ("mf/search_not_found.json.http", "not_found"),
        ("mf/error_wl103.json.http", "unavailable"),
        ("mf/error_wl191.json.http", "unavailable"),
        ("mf/error_503.json.http", "unavailable"),
        ("gus/maintenance.http", "unavailable"),
    ],
)
def test_white_list_other_answers(replay_app, fixture, status):
    with replay(replay_app, {"GET": fixture}, "MF_API_URL"), replay_app.app_context():
        assert WhiteListRegistry().lookup(parse("7740001454")).status == status


@pytest.mark.parametrize(
    "text, expected",
    [
        ("CHEMIKÓW 7, 09-411 PŁOCK", ("CHEMIKÓW", "7", None, "09-411", "PŁOCK")),
        ("UL. LEGNICKA 51/7, 53-674 WROCŁAW", ("UL. LEGNICKA", "51", "7", "53-674", "WROCŁAW")),
        ("AL. JANA PAWŁA II 12A, 00-001 WARSZAWA", ("AL. JANA PAWŁA II", "12A", None, "00-001", "WARSZAWA")),
        ("ZALESIE 17, 11-015 ZALESIE", (None, "17", None, "11-015", "ZALESIE")),
        ("11 LISTOPADA 5, 00-002 WARSZAWA", ("11 LISTOPADA", "5", None, "00-002", "WARSZAWA")),
        ("GDZIEŚ BEZ NUMERU", ("GDZIEŚ BEZ NUMERU", None, None, None, None)),
        (None, (None, None, None, None, None)),
    ],
)
def test_white_list_address_parsing(text, expected):
    parsed = parse_address(text)
    assert tuple(parsed[k] for k in ("street", "building", "unit", "postal_code", "city")) == expected


# -- VIES


def test_vies_valid_with_name_and_address_lines(replay_app):
    with replay(replay_app, {"POST": "vies/valid.json.http"}, "VIES_API_URL") as standin, replay_app.app_context():
        result = ViesRegistry().lookup(parse("CZ25123891"))
    assert (result.status, result.source) == ("found", "vies")
    assert result.company.name == "UKÁZKOVÁ FIRMA S.R.O."
    assert result.company.address_text == "Václavské náměstí 1, 110 00 Praha 1"
    assert (result.company.country, result.company.vat_number) == ("CZ", "25123891")
    assert standin.requests[0]["path"].endswith("/check-vat-number")


def test_vies_valid_without_data(replay_app):
    with replay(replay_app, {"POST": "vies/valid_no_data.json.http"}, "VIES_API_URL"), replay_app.app_context():
        company = ViesRegistry().lookup(parse("DE123456788")).company
    assert (company.name, company.address_text, company.needs_manual_name) == (None, None, True)


@pytest.mark.parametrize(
    "fixture, status",
    [
        ("vies/invalid.json.http", "not_found"),
        ("vies/invalid_input.json.http", "not_found"),
        ("vies/ms_unavailable.json.http", "unavailable"),
        ("vies/ms_max_concurrent.json.http", "unavailable"),
        ("gus/maintenance.http", "unavailable"),
    ],
)
def test_vies_other_answers(replay_app, fixture, status):
    with replay(replay_app, {"POST": fixture}, "VIES_API_URL"), replay_app.app_context():
        assert ViesRegistry().lookup(parse("IT00743110157")).status == status
