"""GUS BIR 1.1 (service UslugaBIRzewnPubl): Polish entities by NIP, from the REGON register.

Hand-built SOAP 1.2 envelopes over requests, answers parsed with lxml; no WSDL is fetched.
The wire format follows the recorded traffic described in docs/registry.md:

* requests: `application/soap+xml`, WS-Addressing `wsa:To`/`wsa:Action` in the SOAP header,
  the session id in the HTTP header `sid` (never in the envelope);
* answers: MTOM (`multipart/related`, one application/xop+xml part holding the envelope);
  the `…Result` element holds an escaped XML document (CRLF line ends) parsed a second time;
* a bad key gives an empty `ZalogujResult`; a missing or expired session gives an empty
  search result, told from "not found" with GetValue.

Every fault of the service becomes `LookupResult.unavailable("gus", message)`.
"""

import logging
import re
import threading

import requests
from flask import current_app
from lxml import etree

from konto.registry.base import ACTIVE
from konto.registry.base import CIVIL_PARTNERSHIP
from konto.registry.base import ENDED
from konto.registry.base import LEGAL_PERSON
from konto.registry.base import OTHER
from konto.registry.base import SOLE_PROPRIETOR
from konto.registry.base import SUSPENDED
from konto.registry.base import CompanyData
from konto.registry.base import LookupResult

log = logging.getLogger(__name__)

SOURCE = "gus"

NS_SOAP = "http://www.w3.org/2003/05/soap-envelope"
NS_WSA = "http://www.w3.org/2005/08/addressing"
NS_PUBL = "http://CIS/BIR/PUBL/2014/07"
NS_BIR = "http://CIS/BIR/2014/07"  # GetValue only
NS_DATA = "http://CIS/BIR/PUBL/2014/07/DataContract"  # search parameters

ACTION_PUBL = NS_PUBL + "/IUslugaBIRzewnPubl/"
ACTION_GET_VALUE = NS_BIR + "/IUslugaBIR/GetValue"

CONTENT_TYPE = "application/soap+xml; charset=utf-8"
ACCEPT = 'multipart/related; type="application/xop+xml", application/soap+xml'

# Error codes of the inner documents and of GetValue KomunikatKod.
CODE_NOT_FOUND = "4"
CODE_BAD_REPORT_NAME = "5"
CODE_NO_SESSION = "7"

# Report names: BIR 1.2 names first (GUS, December 2024); a service that does not know them
# answers ErrorCode 5 and the client falls back to the BIR 1.1 names once for good.
REPORT_VERSIONS = ("BIR12", "BIR11")
REPORT_LEGAL_PERSON = "OsPrawna"
REPORT_PERSON_GENERAL = "OsFizycznaDaneOgolne"
# SilosID of a natural person's activity → its report. Silos 4 (deleted before 2014-11-08)
# only ever had a BIR11 name.
REPORT_PERSON_ACTIVITY = {
    "1": "OsFizycznaDzialalnoscCeidg",
    "2": "OsFizycznaDzialalnoscRolnicza",
    "3": "OsFizycznaDzialalnoscPozostala",
    "4": "OsFizycznaDzialalnoscSkreslonaDo20141108",
}
REPORTS_WITHOUT_BIR12 = {"OsFizycznaDzialalnoscSkreslonaDo20141108"}

# Rows of one NIP: the legal entity before a person's activity before local units, and for a
# person the CEIDG business before the others (farming, other, deleted).
_TYPE_RANK = {"P": 0, "F": 1, "LP": 2, "LF": 3}
_SILOS_RANK = {"6": 0, "1": 0, "3": 1, "2": 2, "4": 3}

# GUS names legal forms in the plural ("SPÓŁKI AKCYJNE"); the portal shows the singular.
_LEGAL_FORMS = {
    "SPÓŁKI AKCYJNE": "spółka akcyjna",
    "PROSTE SPÓŁKI AKCYJNE": "prosta spółka akcyjna",
    "SPÓŁKI Z OGRANICZONĄ ODPOWIEDZIALNOŚCIĄ": "spółka z ograniczoną odpowiedzialnością",
    "SPÓŁKI JAWNE": "spółka jawna",
    "SPÓŁKI KOMANDYTOWE": "spółka komandytowa",
    "SPÓŁKI KOMANDYTOWO-AKCYJNE": "spółka komandytowo-akcyjna",
    "SPÓŁKI PARTNERSKIE": "spółka partnerska",
    "FUNDACJE": "fundacja",
    "STOWARZYSZENIA": "stowarzyszenie",
    "SPÓŁDZIELNIE": "spółdzielnia",
    "UCZELNIE": "uczelnia",
}
CIVIL_PARTNERSHIP_SYMBOL = "019"
SOLE_PROPRIETOR_FORM = "osoba fizyczna prowadząca działalność gospodarczą"
KRS_REGISTER_SYMBOL = "138"  # REJESTR PRZEDSIĘBIORCÓW

# No DTD, no entities, no network: the answers come from outside.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
_ENVELOPE_RE = re.compile(rb"<([A-Za-z_][\w.-]*:)?Envelope\b.*</([A-Za-z_][\w.-]*:)?Envelope\s*>", re.S)


class GusError(Exception):
    """A fault of the service or of its answer: the lookup is "unavailable"."""


class SessionExpired(Exception):
    """The service no longer knows our session id."""


# ---------------------------------------------------------------------------------------------
# Wire format: envelopes out, MTOM and envelopes in, the inner documents.


def build_envelope(operation, url, params=None, search=None):
    """A SOAP 1.2 request envelope for one operation, as bytes.

    `params` are the operation's own children (name → text); `search` the DataContract
    children of pParametryWyszukiwania (DaneSzukajPodmioty).
    """
    ns = NS_BIR if operation == "GetValue" else NS_PUBL
    action = ACTION_GET_VALUE if operation == "GetValue" else ACTION_PUBL + operation
    nsmap = {"soap": NS_SOAP, "ns": ns}
    if search is not None:
        nsmap["dat"] = NS_DATA
    envelope = etree.Element(f"{{{NS_SOAP}}}Envelope", nsmap=nsmap)
    header = etree.SubElement(envelope, f"{{{NS_SOAP}}}Header", nsmap={"wsa": NS_WSA})
    etree.SubElement(header, f"{{{NS_WSA}}}To").text = url
    etree.SubElement(header, f"{{{NS_WSA}}}Action").text = action
    body = etree.SubElement(envelope, f"{{{NS_SOAP}}}Body")
    call = etree.SubElement(body, f"{{{ns}}}{operation}")
    for name, value in (params or {}).items():
        etree.SubElement(call, f"{{{ns}}}{name}").text = value
    if search is not None:
        criteria = etree.SubElement(call, f"{{{ns}}}pParametryWyszukiwania")
        for name, value in search.items():
            etree.SubElement(criteria, f"{{{NS_DATA}}}{name}").text = value
    return etree.tostring(envelope, encoding="utf-8", xml_declaration=True)


def _content_type_params(content_type):
    """The media type and its parameters (quoted values unquoted), lower-case names."""
    parts = content_type.split(";")
    params = {}
    for part in parts[1:]:
        name, _, value = part.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        params[name.strip().lower()] = value
    return parts[0].strip().lower(), params


def _mtom_root_part(body, boundary):
    """The first part of a multipart/related body (its content, without part headers)."""
    delimiter = b"--" + boundary.encode("latin-1")
    chunks = body.split(delimiter)
    # chunks[0] is the preamble (a CRLF in the recordings); the last one starts with "--".
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):
            break
        headers, separator, content = chunk.partition(b"\r\n\r\n")
        if not separator:
            headers, separator, content = chunk.partition(b"\n\n")
        if separator:
            return content.rstrip(b"\r\n")
    return None


def extract_envelope(content_type, body):
    """The SOAP envelope bytes of an answer: from the MTOM root part, or the body itself.

    :raise GusError: for an HTML page, an empty body or an answer holding no envelope.
    """
    if not body or not body.strip():
        raise GusError("pusta odpowiedź usługi")
    media_type, params = _content_type_params(content_type or "")
    if media_type == "text/html":
        raise GusError("usługa zwróciła stronę HTML (przerwa techniczna?)")
    if media_type.startswith("multipart/"):
        boundary = params.get("boundary")
        part = _mtom_root_part(body, boundary) if boundary else None
        if part is not None and _ENVELOPE_RE.search(part):
            return _ENVELOPE_RE.search(part).group(0)
    # A damaged framing, or a plain SOAP answer: the envelope itself is what matters
    # (the approach of GusApi's MultipartResponseDecoder).
    match = _ENVELOPE_RE.search(body)
    if match is None:
        raise GusError(f"odpowiedź bez koperty SOAP ({media_type or 'brak Content-Type'})")
    return match.group(0)


def parse_result(content_type, body, operation):
    """The text of `<operation>Result` in an answer ("" when empty).

    :raise GusError: malformed answer, SOAP fault, or a result element missing.
    """
    envelope_bytes = extract_envelope(content_type, body)
    try:
        envelope = etree.fromstring(envelope_bytes, _PARSER)
    except etree.XMLSyntaxError as error:
        raise GusError(f"niepoprawny XML odpowiedzi: {error}") from None
    if envelope.tag != f"{{{NS_SOAP}}}Envelope":
        raise GusError(f"to nie jest koperta SOAP 1.2: {envelope.tag}")
    fault = envelope.find(f"{{{NS_SOAP}}}Body/{{{NS_SOAP}}}Fault")
    if fault is not None:
        reason = " ".join(t.strip() for t in fault.itertext() if t.strip())
        raise GusError(f"błąd SOAP: {reason[:300]}")
    ns = NS_BIR if operation == "GetValue" else NS_PUBL
    result = envelope.find(f"{{{NS_SOAP}}}Body/{{{ns}}}{operation}Response/{{{ns}}}{operation}Result")
    if result is None:
        raise GusError(f"odpowiedź bez elementu {operation}Result")
    return result.text or ""


def parse_rows(document):
    """The `<dane>` rows of an inner result document, as dicts of stripped texts.

    Values are stripped (some fields carry trailing spaces) and empty ones are "".
    :raise GusError: when the document is not XML.
    """
    try:
        root = etree.fromstring(document.encode("utf-8"), _PARSER)
    except (etree.XMLSyntaxError, ValueError) as error:
        raise GusError(f"niepoprawny dokument wyniku: {error}") from None
    rows = []
    for dane in root.iter("dane"):
        rows.append({etree.QName(child).localname: (child.text or "").strip() for child in dane})
    return rows


def error_code(rows):
    """The ErrorCode of an error document, or None for data rows."""
    if rows and "ErrorCode" in rows[0]:
        return rows[0]["ErrorCode"]
    return None


# ---------------------------------------------------------------------------------------------
# From report rows to CompanyData.


def _none(value):
    return value or None


def _postal_code(value):
    """Reports give 00843; the portal writes 00-843."""
    if value and len(value) == 5 and value.isdigit():
        return f"{value[:2]}-{value[2:]}"
    return _none(value)


def _status(end, suspended, resumed):
    """Active, suspended (suspension not followed by resumption) or ended."""
    if end:
        return ENDED
    if suspended and (not resumed or resumed < suspended):
        return SUSPENDED
    return ACTIVE


def _address(row, prefix):
    """The seat address block of a report (`praw_adSiedz…`, `fiz_adSiedz…`)."""
    get = lambda name: row.get(f"{prefix}_adSiedz{name}", "")  # noqa: E731
    return {
        "street": _none(get("Ulica_Nazwa")),
        "building": _none(get("NumerNieruchomosci")),
        "unit": _none(get("NumerLokalu")),
        "postal_code": _postal_code(get("KodPocztowy")),
        "city": _none(get("Miejscowosc_Nazwa")),
        "gmina": _none(get("Gmina_Nazwa")),
        "powiat": _none(get("Powiat_Nazwa")),
        "wojewodztwo": _none(get("Wojewodztwo_Nazwa")),
    }


def _legal_form(name):
    if not name:
        return None
    return _LEGAL_FORMS.get(name.upper(), name.lower())


def company_from_legal_person(row, search_row=None):
    """CompanyData from a BIR1xOsPrawna row (legal persons, partnerships, civil partnerships)."""
    special = row.get("praw_szczegolnaFormaPrawna_Symbol", "")
    special_name = row.get("praw_szczegolnaFormaPrawna_Nazwa", "")
    if special == CIVIL_PARTNERSHIP_SYMBOL or "SPÓŁKI CYWILNE" in special_name.upper():
        kind, legal_form = CIVIL_PARTNERSHIP, "spółka cywilna"
    else:
        # The wizard's "legal person" is a commercial company; foundations, associations,
        # universities and the like are "other" (as in the demo data).
        kind = LEGAL_PERSON if "SPÓŁK" in special_name.upper() else OTHER
        legal_form = _legal_form(special_name) or _legal_form(row.get("praw_podstawowaFormaPrawna_Nazwa"))
    register_number = row.get("praw_numerWRejestrzeEwidencji", "")
    register_symbol = row.get("praw_rodzajRejestruEwidencji_Symbol", "")
    register_name = row.get("praw_rodzajRejestruEwidencji_Nazwa", "").upper()
    # KRS has a register of businesses (symbol 138) and one of associations and foundations.
    in_krs = register_symbol == KRS_REGISTER_SYMBOL or "REJESTR STOWARZYSZEŃ" in register_name
    krs = register_number if in_krs and register_number.isdigit() else None
    end = row.get("praw_dataZakonczeniaDzialalnosci") or row.get("praw_dataSkresleniaZRegon")
    suspended = row.get("praw_dataZawieszeniaDzialalnosci", "")
    resumed = row.get("praw_dataWznowieniaDzialalnosci", "")
    name = row.get("praw_nazwa") or (search_row or {}).get("Nazwa", "")
    return CompanyData(
        country="PL",
        name=_none(name),
        nip=_none(row.get("praw_nip")),
        regon=_none(row.get("praw_regon9")),
        krs=krs,
        kind=kind,
        legal_form=legal_form,
        status=_status(end, suspended, resumed),
        start_date=_none(row.get("praw_dataRozpoczeciaDzialalnosci") or row.get("praw_dataPowstania")),
        suspended_date=_none(suspended),
        resumed_date=_none(resumed),
        end_date=_none(end),
        extra=_extra(
            short_name=row.get("praw_nazwaSkrocona"),
            email=row.get("praw_adresEmail"),
            phone=row.get("praw_numerTelefonu"),
            website=row.get("praw_adresStronyinternetowej"),
            register=row.get("praw_rodzajRejestruEwidencji_Nazwa"),
            registering_body=row.get("praw_organRejestrowy_Nazwa"),
            register_number=None if krs else register_number,
        ),
        **_address(row, "praw"),
    )


def company_from_person(general, activity, search_row=None):
    """CompanyData from a natural person's general report and the report of one activity."""
    search_row = search_row or {}
    person = " ".join(p for p in (general.get("fiz_imie1"), general.get("fiz_nazwisko")) if p)
    name = activity.get("fiz_nazwa") or search_row.get("Nazwa") or person
    end = activity.get("fiz_dataZakonczeniaDzialalnosci") or activity.get("fiz_dataSkresleniaDzialalnosciZRegon")
    suspended = activity.get("fiz_dataZawieszeniaDzialalnosci", "")
    resumed = activity.get("fiz_dataWznowieniaDzialalnosci", "")
    return CompanyData(
        country="PL",
        name=_none(name),
        nip=_none(general.get("fiz_nip")) or _none(search_row.get("Nip")),
        regon=_none(general.get("fiz_regon9") or activity.get("fiz_regon9")),
        kind=SOLE_PROPRIETOR,
        legal_form=SOLE_PROPRIETOR_FORM,
        status=_status(end, suspended, resumed),
        start_date=_none(activity.get("fiz_dataRozpoczeciaDzialalnosci") or activity.get("fiz_dataPowstania")),
        suspended_date=_none(suspended),
        resumed_date=_none(resumed),
        end_date=_none(end),
        extra=_extra(
            person=person,
            short_name=activity.get("fiz_nazwaSkrocona"),
            email=activity.get("fiz_adresEmail"),
            phone=activity.get("fiz_numerTelefonu"),
            website=activity.get("fiz_adresStronyinternetowej"),
            register=activity.get("fizC_RodzajRejestru_Nazwa"),
            registering_body=activity.get("fizC_OrganRejestrowy_Nazwa"),
            register_number=activity.get("fizC_numerWRejestrzeEwidencji"),
        ),
        **_address(activity, "fiz"),
    )


def company_from_search_row(row):
    """CompanyData from a search row alone (local units, whose reports the wizard does not need)."""
    end = row.get("DataZakonczeniaDzialalnosci", "")
    return CompanyData(
        country="PL",
        name=_none(row.get("Nazwa")),
        nip=_none(row.get("Nip")),
        regon=_none(row.get("Regon")),
        street=_none(row.get("Ulica")),
        building=_none(row.get("NrNieruchomosci")),
        unit=_none(row.get("NrLokalu")),
        postal_code=_none(row.get("KodPocztowy")),
        city=_none(row.get("Miejscowosc")),
        gmina=_none(row.get("Gmina")),
        powiat=_none(row.get("Powiat")),
        wojewodztwo=_none(row.get("Wojewodztwo")),
        kind=SOLE_PROPRIETOR if row.get("Typ") in ("F", "LF") else OTHER,
        status=ENDED if end else ACTIVE,
        end_date=_none(end),
        extra=_extra(unit_type=row.get("Typ")),
    )


def _extra(**values):
    return {key: value for key, value in values.items() if value}


def choose_row(rows):
    """The row that stands for the NIP: live before ended, entity before local unit."""

    def rank(row):
        ended = bool(row.get("DataZakonczeniaDzialalnosci"))
        return (ended, _TYPE_RANK.get(row.get("Typ"), 9), _SILOS_RANK.get(row.get("SilosID"), 9))

    return min(rows, key=rank)


# ---------------------------------------------------------------------------------------------
# The client: one session per instance, shared by threads.


class GusRegistry:
    """GUS BIR 1.1 lookups by NIP, over one session renewed only when it has expired."""

    name = SOURCE

    def __init__(self):
        self._lock = threading.Lock()
        self._sid = None
        self._report_version = REPORT_VERSIONS[0]

    # -- configuration, read per call so one provider object follows its app's config

    def _settings(self):
        config = current_app.config
        key = config.get("GUS_API_KEY")
        if not key:
            raise GusError("brak klucza GUS_API_KEY")
        timeout = (float(config["REGISTRY_CONNECT_TIMEOUT"]), float(config["REGISTRY_READ_TIMEOUT"]))
        return config["GUS_API_URL"], key, timeout

    # -- one operation

    def call(self, operation, sid=None, params=None, search=None):
        """Send one operation; the text of its Result element ("" when empty)."""
        url, _key, timeout = self._settings()
        headers = {"Content-Type": CONTENT_TYPE, "Accept": ACCEPT}
        if sid:
            headers["sid"] = sid
        envelope = build_envelope(operation, url, params=params, search=search)
        try:
            response = requests.post(url, data=envelope, headers=headers, timeout=timeout)
        except requests.Timeout:
            raise GusError(f"przekroczony czas oczekiwania na GUS ({operation})") from None
        except requests.RequestException as error:
            raise GusError(f"brak połączenia z GUS ({operation}): {type(error).__name__}") from None
        if response.status_code != 200:
            raise GusError(f"GUS odpowiedział HTTP {response.status_code} ({operation})")
        return parse_result(response.headers.get("Content-Type", ""), response.content, operation)

    def get_value(self, sid, parameter):
        return self.call("GetValue", sid=sid, params={"pNazwaParametru": parameter}).strip()

    # -- the session

    def _session(self):
        """The current session id, logging in only when there is none."""
        with self._lock:
            if self._sid is None:
                self._sid = self._login()
            return self._sid

    def _renew(self, stale_sid):
        """A new session in place of an expired one; threads that saw the same stale id
        share the one new login."""
        with self._lock:
            if self._sid == stale_sid or self._sid is None:
                self._sid = self._login()
            return self._sid

    def _login(self):
        _url, key, _timeout = self._settings()
        sid = self.call("Zaloguj", params={"pKluczUzytkownika": key}).strip()
        if not sid:
            # The service's way of saying "unknown key": an empty ZalogujResult.
            raise GusError("GUS odrzucił klucz API (pusty wynik Zaloguj)")
        log.info("GUS: new session")
        return sid

    def logout(self):
        """End the session (Wyloguj); a failure only means the service ends it itself later."""
        with self._lock:
            sid, self._sid = self._sid, None
        if sid:
            try:
                self.call("Wyloguj", sid=sid, params={"pIdentyfikatorSesji": sid})
            except GusError as error:
                log.info("GUS: Wyloguj failed: %s", error)

    def _with_session(self, request):
        """Run `request(sid)`; once more on a fresh session if the service lost ours."""
        sid = self._session()
        try:
            return request(sid)
        except SessionExpired:
            log.info("GUS: session expired, logging in again")
            sid = self._renew(sid)
        try:
            return request(sid)
        except SessionExpired:
            raise GusError("GUS nie przyjmuje nowej sesji") from None

    # -- the lookup

    def lookup(self, tax_id):
        """Look a Polish NIP up: found, not found, or unavailable; never raises."""
        if not tax_id.is_polish:
            return LookupResult.not_found(self.name)
        try:
            company = self._with_session(lambda sid: self._fetch(sid, tax_id.nip))
        except GusError as error:
            log.warning("GUS unavailable for %s: %s", tax_id.vatin, error)
            return LookupResult.unavailable(self.name, str(error))
        except Exception as error:  # an answer this code did not foresee must not become a 500 page
            log.exception("GUS: unexpected error for %s", tax_id.vatin)
            return LookupResult.unavailable(self.name, f"nieoczekiwana odpowiedź GUS: {type(error).__name__}")
        if company is None:
            return LookupResult.not_found(self.name)
        return LookupResult.found(self.name, company)

    def _check_empty(self, sid):
        """An empty result: an expired session (raise SessionExpired), or "not found" (None).

        :raise GusError: when the service reports some other problem.
        """
        if self.get_value(sid, "StatusSesji") != "1":
            raise SessionExpired()
        code = self.get_value(sid, "KomunikatKod")
        if code == CODE_NOT_FOUND:
            return None
        if code in ("", CODE_NO_SESSION):
            raise SessionExpired()
        message = self.get_value(sid, "KomunikatTresc")
        raise GusError(f"GUS: pusty wynik, KomunikatKod {code}: {message}")

    def _rows(self, sid, document):
        """Rows of a result, None for "not found"; SessionExpired or GusError otherwise."""
        if not document.strip():
            return self._check_empty(sid)
        rows = parse_rows(document)
        code = error_code(rows)
        if code == CODE_NOT_FOUND:
            return None
        if code == CODE_NO_SESSION:
            raise SessionExpired()
        if code is not None:
            raise GusError(f"GUS: ErrorCode {code}: {rows[0].get('ErrorMessagePl', '')}")
        if not rows:
            raise GusError("GUS: wynik bez danych")
        return rows

    def _fetch(self, sid, nip):
        """Search the NIP and read the full report(s) of the entity; None when not found."""
        rows = self._rows(sid, self.call("DaneSzukajPodmioty", sid=sid, search={"Nip": nip}))
        if rows is None:
            return None
        row = choose_row(rows)
        kind = row.get("Typ")
        regon = row.get("Regon", "")
        if kind == "P":
            report = self._report(sid, regon, REPORT_LEGAL_PERSON)
            return company_from_legal_person(report, row)
        if kind == "F":
            general = self._report(sid, regon, REPORT_PERSON_GENERAL)
            activity_report = REPORT_PERSON_ACTIVITY.get(row.get("SilosID"))
            activity = self._report(sid, regon, activity_report) if activity_report else {}
            return company_from_person(general, activity, row)
        return company_from_search_row(row)

    def _report(self, sid, regon, report):
        """The first row of a full report, by the report's name without the version prefix."""
        version = self._report_version
        if report in REPORTS_WITHOUT_BIR12:
            version = "BIR11"
        rows = self._report_rows(sid, regon, version + report)
        if rows == CODE_BAD_REPORT_NAME and version != REPORT_VERSIONS[-1]:
            # A service that predates the BIR 1.2 names: use the 1.1 names from now on.
            log.info("GUS: %s%s unknown, falling back to BIR11 report names", version, report)
            self._report_version = version = REPORT_VERSIONS[-1]
            rows = self._report_rows(sid, regon, version + report)
        if rows == CODE_BAD_REPORT_NAME:
            raise GusError(f"GUS nie zna raportu {version}{report}")
        if rows is None:
            # The search found the entity but its report did not: the service is inconsistent.
            raise GusError(f"GUS: brak raportu {version}{report} dla REGON {regon}")
        return rows[0]

    def _report_rows(self, sid, regon, name):
        """Rows of a report; CODE_BAD_REPORT_NAME for an unknown name, None when not found."""
        document = self.call("DanePobierzPelnyRaport", sid=sid, params={"pRegon": regon, "pNazwaRaportu": name})
        if document.strip():
            rows = parse_rows(document)
            if error_code(rows) == CODE_BAD_REPORT_NAME:
                return CODE_BAD_REPORT_NAME
        return self._rows(sid, document)
