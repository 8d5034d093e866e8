"""A stand-in for GUS BIR 1.1 (UslugaBIRzewnPubl), built from the recorded traffic.

SOAP 1.2 in, MTOM out, dispatch on wsa:Action; the session id only from the HTTP header
`sid`; the inner documents with CRLF line ends, two-space indentation and `<X />` for
empty elements, escaped into the Result element; the same element names, order, error
documents and GetValue answers as the service (see docs/registry.md). Sessions expire
after `session_ttl` seconds of inactivity, or all at once with `expire_sessions()`.

Fault modes (`.mode`): "ok"; "slow" (answers after `.slow_seconds`); "error500" (IIS error
page); "maintenance" (HTML page with status 200); "malformed_xml" (MTOM with a truncated
envelope); "malformed_mtom" (multipart without the envelope); "empty_body"; "reject_415"
(every request refused as if sent as text/xml); "empty_not_found" (not-found answered by an
empty result and KomunikatKod 4); "error7" (a lost session answered by the ErrorCode 7
document instead of an empty result).
"""

import secrets
import string
import threading
import time
import uuid
from datetime import date
from xml.sax.saxutils import escape

from lxml import etree

from tests.standins import data
from tests.standins.base import MODE_SLOW
from tests.standins.base import Handler
from tests.standins.base import StandIn

TEST_KEY = "abcde12345abcde12345"  # the public key of the real test environment

NS_SOAP = "http://www.w3.org/2003/05/soap-envelope"
NS_WSA = "http://www.w3.org/2005/08/addressing"
NS_PUBL = "http://CIS/BIR/PUBL/2014/07"
NS_BIR = "http://CIS/BIR/2014/07"
NS_DATA = "http://CIS/BIR/PUBL/2014/07/DataContract"
ACTION_PUBL = NS_PUBL + "/IUslugaBIRzewnPubl/"
ACTIONS = {ACTION_PUBL + op: op for op in ("Zaloguj", "Wyloguj", "DaneSzukajPodmioty", "DanePobierzPelnyRaport")}
ACTIONS[NS_BIR + "/IUslugaBIR/GetValue"] = "GetValue"

WCF_415 = (
    "Cannot process the message because the content type 'text/xml; charset=utf-8' was not the expected "
    "type 'multipart/related; type=\"application/xop+xml\"'."
)
IIS_500 = (
    "<!DOCTYPE html><html><head><title>500 - Internal server error.</title></head><body>"
    "<h2>500 - Internal server error.</h2></body></html>"
)
MAINTENANCE_PAGE = (
    "<!DOCTYPE html><html lang=\"pl\"><head><meta charset=\"utf-8\"><title>Przerwa techniczna</title></head>"
    "<body><h1>Trwają prace serwisowe</h1><p>Usługa BIR jest chwilowo niedostępna.</p></body></html>"
)

SEARCH_FIELDS = (
    "Regon", "Nip", "StatusNip", "Nazwa", "Wojewodztwo", "Powiat", "Gmina", "Miejscowosc", "KodPocztowy",
    "Ulica", "NrNieruchomosci", "NrLokalu", "Typ", "SilosID", "DataZakonczeniaDzialalnosci", "MiejscowoscPoczty",
)  # fmt: skip
SEARCH_PARAMS = ("Krs", "Krsy", "Nip", "Nipy", "Regon", "Regony14zn", "Regony9zn")
MAX_IDENTIFIERS = 20

NOT_FOUND_PL = "Nie znaleziono podmiotu dla podanych kryteriów wyszukiwania."
NOT_FOUND_EN = "No data found for the specified search criteria."
NOT_FOUND_MESSAGE = "Nie znaleziono podmiotów."
REPORT_NOT_FOUND_PL = "Nie znaleziono wpisu dla podanych kryteriów wyszukiwania."
BAD_REPORT_PL = "Nieprawidłowa lub pusta nazwa raportu."
BAD_REPORT_EN = "Invalid or empty report name."
TOO_MANY_PL = "Do metody DaneSzukaj przekazano zbyt wiele identyfikatorów."
NO_SESSION_PL = "Brak sesji. Sesja wygasła lub przekazano nieprawidłową wartość identyfikatora sesji."
NO_SESSION_EN = "No session. Session has expired or an invalid session identifier was passed."

# The report for each type of entity (name without the BIR11/BIR12 prefix).
REPORTS = {
    "OsPrawna": "P",
    "OsFizycznaDaneOgolne": "F",
    "OsFizycznaDzialalnoscCeidg": "F",
    "OsFizycznaDzialalnoscRolnicza": "F",
    "OsFizycznaDzialalnoscPozostala": "F",
    "OsFizycznaDzialalnoscSkreslonaDo20141108": "F",
    "OsFizycznaPkd": "F",
    "OsPrawnaPkd": "P",
    "OsPrawnaListaJednLokalnych": "P",
    "OsFizycznaListaJednLokalnych": "F",
    "OsPrawnaSpCywilnaWspolnicy": "P",
    "TypPodmiotu": "*",
}
SILOS_REPORTS = {
    "1": "OsFizycznaDzialalnoscCeidg",
    "2": "OsFizycznaDzialalnoscRolnicza",
    "3": "OsFizycznaDzialalnoscPozostala",
    "4": "OsFizycznaDzialalnoscSkreslonaDo20141108",
}


# ---------------------------------------------------------------------------------------------
# Serialisation as the service does it.


def inner_document(rows):
    """`<root>` with `<dane>` rows: CRLF, two-space indentation, `<X />` for empty values,
    quotes left as they are (only <, > and & escaped)."""
    lines = ["<root>"]
    for row in rows:
        lines.append("  <dane>")
        for name, value in row.items():
            value = "" if value is None else str(value)
            lines.append(f"    <{name}>{escape(value)}</{name}>" if value else f"    <{name} />")
        lines.append("  </dane>")
    lines.append("</root>")
    return "\r\n".join(lines)


def error_document(code, message_pl, message_en, **echo):
    row = {"ErrorCode": str(code), "ErrorMessagePl": message_pl, "ErrorMessageEn": message_en}
    row.update(echo)
    return inner_document([row])


def response_envelope(operation, result, message_id=None):
    """The response envelope as WCF writes it: `s:`/`a:` prefixes, default-namespace body."""
    ns = NS_BIR if operation == "GetValue" else NS_PUBL
    action = (NS_BIR + "/IUslugaBIR/GetValue" if operation == "GetValue" else ACTION_PUBL + operation) + "Response"
    relates = f"<a:RelatesTo>{escape(message_id)}</a:RelatesTo>" if message_id else ""
    if result:
        # The service writes CR as a character reference and leaves LF as it is.
        text = escape(result).replace("\r", "&#xD;")
        result_element = f"<{operation}Result>{text}</{operation}Result>"
    else:
        result_element = f"<{operation}Result/>"
    return (
        f'<s:Envelope xmlns:s="{NS_SOAP}" xmlns:a="{NS_WSA}"><s:Header>'
        f'<a:Action s:mustUnderstand="1">{action}</a:Action>{relates}</s:Header>'
        f'<s:Body><{operation}Response xmlns="{ns}">{result_element}</{operation}Response></s:Body></s:Envelope>'
    )


def fault_envelope(code, subcode, reason):
    return (
        f'<s:Envelope xmlns:s="{NS_SOAP}" xmlns:a="{NS_WSA}"><s:Header>'
        '<a:Action s:mustUnderstand="1">http://www.w3.org/2005/08/addressing/soap/fault</a:Action></s:Header>'
        f'<s:Body><s:Fault><s:Code><s:Value>s:{code}</s:Value><s:Subcode><s:Value xmlns:a="{NS_WSA}">a:{subcode}'
        f'</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang="en-US">{escape(reason)}</s:Text></s:Reason>'
        "</s:Fault></s:Body></s:Envelope>"
    )


class Mtom:
    """MTOM framing with the service's boundary: a GUID fixed per process, a growing counter."""

    def __init__(self):
        self._guid = str(uuid.uuid4())
        self._counter = 8000
        self._lock = threading.Lock()

    def frame(self, envelope):
        with self._lock:
            self._counter += 1
            boundary = f"uuid:{self._guid}+id={self._counter}"
        content_type = (
            f'multipart/related; type="application/xop+xml";start="<http://tempuri.org/0>";'
            f'boundary="{boundary}";start-info="application/soap+xml"'
        )
        body = (
            f"\r\n--{boundary}\r\n"
            "Content-ID: <http://tempuri.org/0>\r\n"
            "Content-Transfer-Encoding: 8bit\r\n"
            'Content-Type: application/xop+xml;charset=utf-8;type="application/soap+xml"\r\n'
            "\r\n"
        ).encode() + envelope.encode("utf-8") + f"\r\n--{boundary}--\r\n".encode()
        return content_type, body


# ---------------------------------------------------------------------------------------------
# The register: search rows and reports built from the stand-in data.


def _digits(postal_code):
    return (postal_code or "").replace("-", "")


def _address_block(prefix, d):
    """The seat address fields of a report, in the service's order (symbols, then contacts, then names)."""
    symbols = [
        ("adSiedzKraj_Symbol", "PL"),
        ("adSiedzWojewodztwo_Symbol", "14"),
        ("adSiedzPowiat_Symbol", "65"),
        ("adSiedzGmina_Symbol", "011"),
        ("adSiedzKodPocztowy", _digits(d.get("postal_code"))),
        ("adSiedzMiejscowoscPoczty_Symbol", "0918123"),
        ("adSiedzMiejscowosc_Symbol", "0918123"),
        ("adSiedzUlica_Symbol", "10188" if d.get("street") else ""),
        # Trailing spaces as the service sometimes sends them: the client must strip.
        ("adSiedzNumerNieruchomosci", (d.get("building") or "") + "  "),
        ("adSiedzNumerLokalu", d.get("unit") or ""),
        ("adSiedzNietypoweMiejsceLokalizacji", ""),
        ("numerTelefonu", ""),
        ("numerWewnetrznyTelefonu", ""),
        ("numerFaksu", ""),
        ("adresEmail", ""),
        ("adresStronyinternetowej", ""),
        ("adSiedzKraj_Nazwa", "POLSKA"),
        ("adSiedzWojewodztwo_Nazwa", d.get("wojewodztwo") or ""),
        ("adSiedzPowiat_Nazwa", d.get("powiat") or ""),
        ("adSiedzGmina_Nazwa", d.get("gmina") or ""),
        ("adSiedzMiejscowosc_Nazwa", d.get("city") or ""),
        ("adSiedzMiejscowoscPoczty_Nazwa", d.get("city") or ""),
        ("adSiedzUlica_Nazwa", d.get("street") or ""),
    ]
    return {f"{prefix}_{name}": value for name, value in symbols}


def search_row(d, typ, silos, name=None):
    return dict(
        zip(
            SEARCH_FIELDS,
            (
                d["regon"], d["nip"], "", name or d["name"], d.get("wojewodztwo") or "", d.get("powiat") or "",
                d.get("gmina") or "", d.get("city") or "", d.get("postal_code") or "", d.get("street") or "",
                d.get("building") or "", d.get("unit") or "", typ, silos, d.get("end_date") or "",
                d.get("city") or "",
            ),
            strict=True,
        )
    )  # fmt: skip


def legal_person_report(d):
    """BIR1xOsPrawna, in the field order of the production recording."""
    basic_symbol, basic_name, special_symbol, special_name = data.LEGAL_FORMS[d["legal_form"]]
    if d.get("krs"):
        register = data.REGISTER_ASSOCIATIONS if d["kind"] == "other" else data.REGISTER_BUSINESSES
        court = data.KRS_COURT
    else:
        register, court = ("", ""), ("", "")
    start = d.get("start_date") or ""
    end = d.get("end_date") or ""
    row = {
        "praw_regon9": d["regon"],
        "praw_nip": d["nip"],
        "praw_statusNip": "",
        "praw_nazwa": d["name"],
        "praw_nazwaSkrocona": "",
        "praw_numerWRejestrzeEwidencji": d.get("krs") or "",
        "praw_dataWpisuDoRejestruEwidencji": start if d.get("krs") else "",
        "praw_dataPowstania": start,
        "praw_dataRozpoczeciaDzialalnosci": start,
        "praw_dataWpisuDoRegon": start,
        "praw_dataZawieszeniaDzialalnosci": d.get("suspended_date") or "",
        "praw_dataWznowieniaDzialalnosci": d.get("resumed_date") or "",
        "praw_dataZaistnieniaZmiany": end or start,
        "praw_dataZakonczeniaDzialalnosci": end,
        "praw_dataSkresleniaZRegon": end,
        "praw_dataOrzeczeniaOUpadlosci": "",
        "praw_dataZakonczeniaPostepowaniaUpadlosciowego": "",
    }
    row.update(_address_block("praw", d))
    row.update(
        {
            "praw_podstawowaFormaPrawna_Symbol": basic_symbol,
            "praw_szczegolnaFormaPrawna_Symbol": special_symbol,
            "praw_formaFinansowania_Symbol": "1",
            "praw_formaWlasnosci_Symbol": "214",
            "praw_organZalozycielski_Symbol": "",
            "praw_organRejestrowy_Symbol": court[0],
            "praw_rodzajRejestruEwidencji_Symbol": register[0],
            "praw_podstawowaFormaPrawna_Nazwa": basic_name,
            "praw_szczegolnaFormaPrawna_Nazwa": special_name,
            "praw_formaFinansowania_Nazwa": data.FINANCING,
            "praw_formaWlasnosci_Nazwa": "WŁASNOŚĆ KRAJOWYCH OSÓB FIZYCZNYCH",
            "praw_organZalozycielski_Nazwa": "",
            "praw_organRejestrowy_Nazwa": court[1],
            "praw_rodzajRejestruEwidencji_Nazwa": register[1],
            "praw_liczbaJednLokalnych": "0",
        }
    )
    return row


def person_general_report(d, silos_list):
    first, _, rest = d["name"].partition(" ")
    surname = rest.split(" ")[0]
    basic_symbol, basic_name, special_symbol, special_name = data.LEGAL_FORMS[
        "osoba fizyczna prowadząca działalność gospodarczą"
    ]
    return {
        "fiz_regon9": d["regon"],
        "fiz_nip": d["nip"],
        "fiz_statusNip": "",
        "fiz_nazwisko": surname,
        "fiz_imie1": first,
        "fiz_imie2": "",
        "fiz_dataWpisuPodmiotuDoRegon": d.get("start_date") or "",
        "fiz_dataZaistnieniaZmiany": d.get("start_date") or "",
        "fiz_dataSkresleniaPodmiotuZRegon": "",
        "fiz_podstawowaFormaPrawna_Symbol": basic_symbol,
        "fiz_szczegolnaFormaPrawna_Symbol": special_symbol,
        "fiz_formaFinansowania_Symbol": "1",
        "fiz_formaWlasnosci_Symbol": "214",
        "fiz_podstawowaFormaPrawna_Nazwa": basic_name,
        "fiz_szczegolnaFormaPrawna_Nazwa": special_name,
        "fiz_formaFinansowania_Nazwa": data.FINANCING,
        "fiz_formaWlasnosci_Nazwa": "WŁASNOŚĆ KRAJOWYCH OSÓB FIZYCZNYCH",
        "fiz_dzialalnoscCeidg": "1" if "1" in silos_list else "0",
        "fiz_dzialalnoscRolnicza": "1" if "2" in silos_list else "0",
        "fiz_dzialalnoscPozostala": "1" if "3" in silos_list else "0",
        "fiz_dzialalnoscSkreslonaDo20141108": "1" if "4" in silos_list else "0",
        "fiz_liczbaJednLokalnych": "0",
    }


def person_activity_report(d, silos, name=None, start=None):
    """BIR1xOsFizycznaDzialalnosc…: the CEIDG field set (the other silos' fizC_ block is left out)."""
    start = start or d.get("start_date") or ""
    row = {
        "fiz_regon9": d["regon"],
        "fiz_nazwa": name or d["name"],
        "fiz_nazwaSkrocona": "",
        "fiz_dataPowstania": start,
        "fiz_dataRozpoczeciaDzialalnosci": start,
        "fiz_dataWpisuDzialalnosciDoRegon": start,
        "fiz_dataZawieszeniaDzialalnosci": d.get("suspended_date") or "",
        "fiz_dataWznowieniaDzialalnosci": d.get("resumed_date") or "",
        "fiz_dataZaistnieniaZmianyDzialalnosci": d.get("suspended_date") or start,
        "fiz_dataZakonczeniaDzialalnosci": d.get("end_date") or "",
        "fiz_dataSkresleniaDzialalnosciZRegon": "",
        "fiz_dataOrzeczeniaOUpadlosci": "",
        "fiz_dataZakonczeniaPostepowaniaUpadlosciowego": "",
    }
    row.update(_address_block("fiz", d))
    if silos == "1":
        row.update(
            {
                "fizC_dataWpisuDoRejestruEwidencji": start,
                "fizC_dataSkresleniaZRejestruEwidencji": "",
                "fizC_numerWRejestrzeEwidencji": f"{d['regon'][:6]}/{start[:4]}",
                "fizC_OrganRejestrowy_Symbol": data.CEIDG_BODY[0],
                "fizC_OrganRejestrowy_Nazwa": data.CEIDG_BODY[1],
                "fizC_RodzajRejestru_Symbol": data.CEIDG_REGISTER[0],
                "fizC_RodzajRejestru_Nazwa": data.CEIDG_REGISTER[1],
                "fizC_NiePodjetoDzialalnosci": "false",
            }
        )
    return row


class Register:
    """Search rows by NIP/REGON/KRS and reports by (REGON, report), from the stand-in data."""

    def __init__(self):
        self.rows_by_nip = {}
        self.reports = {}  # (regon, report name without prefix) → row
        self.types = {}  # regon → Typ
        self.failing_nips = set()  # demo "unavailable": HTTP 500 for these
        for entity in data.polish_entities().values():
            nip = entity["tax_id"][2:]
            behaviour = entity.get("behaviour")
            if behaviour == "unavailable":
                self.failing_nips.add(nip)
            if behaviour or "data" not in entity:
                continue
            self._add(entity)

    def _add(self, entity):
        d = entity["data"]
        regon = d["regon"]
        if d["kind"] == "sole_proprietor":
            rows = []
            silos_list = []
            for extra in entity.get("gus_extra_rows", []):
                silos = extra["SilosID"]
                silos_list.append(silos)
                rows.append(search_row(d, "F", silos, extra.get("Nazwa")))
                self.reports[(regon, SILOS_REPORTS[silos])] = person_activity_report(
                    d, silos, extra.get("Nazwa"), extra.get("start_date")
                )
            silos_list.append("1")
            rows.append(search_row(d, "F", "1"))
            self.reports[(regon, SILOS_REPORTS["1"])] = person_activity_report(d, "1")
            self.reports[(regon, "OsFizycznaDaneOgolne")] = person_general_report(d, silos_list)
            self.types[regon] = "F"
        else:
            rows = [search_row(d, "P", "6")]
            self.reports[(regon, "OsPrawna")] = legal_person_report(d)
            self.types[regon] = "P"
        self.rows_by_nip[d["nip"]] = rows

    def search(self, parameter, value):
        """Rows for one search parameter (comma-separated for the plural ones)."""
        identifiers = [v.strip() for v in value.split(",") if v.strip()]
        found = []
        for rows in self.rows_by_nip.values():
            for row in rows:
                for identifier in identifiers:
                    if parameter in ("Nip", "Nipy") and row["Nip"] == identifier:
                        found.append(row)
                    elif parameter in ("Regon", "Regony9zn") and row["Regon"] == identifier:
                        found.append(row)
                    elif parameter in ("Krs", "Krsy") and self._krs(row["Regon"]) == identifier:
                        found.append(row)
        return found

    def _krs(self, regon):
        return self.reports.get((regon, "OsPrawna"), {}).get("praw_numerWRejestrzeEwidencji")


# ---------------------------------------------------------------------------------------------
# The server.


class GusStandIn(StandIn):
    """BIR 1.1 on 127.0.0.1. Knobs: `.key`, `.session_ttl`, `.report_versions`, `.mode`."""

    path = "/wsBIR/UslugaBIRzewnPubl.svc"

    def __init__(self, key=TEST_KEY, session_ttl=3600.0, report_versions=("BIR11", "BIR12")):
        self.key = key
        self.session_ttl = session_ttl
        self.report_versions = set(report_versions)
        self.register = Register()
        self.sessions = {}  # sid → {"last": monotonic time, "code": KomunikatKod, "text": KomunikatTresc}
        self.mtom = Mtom()
        super().__init__()

    def expire_sessions(self):
        """Forget every session, as the nightly purge does."""
        with self._lock:
            self.sessions.clear()

    def new_session(self):
        sid = "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(20))
        with self._lock:
            self.sessions[sid] = {"last": time.monotonic(), "code": "0", "text": ""}
        return sid

    def session(self, sid):
        """The live session of a sid (touching it), or None."""
        if not sid:
            return None
        with self._lock:
            state = self.sessions.get(sid)
            if state is None:
                return None
            now = time.monotonic()
            if now - state["last"] > self.session_ttl:
                del self.sessions[sid]
                return None
            state["last"] = now
            return state

    def end_session(self, sid):
        with self._lock:
            return self.sessions.pop(sid, None) is not None


class _Http500(Exception):
    """An entity the stand-in fails on (the demo's simulated outage)."""


class GusHandler(Handler):
    def do_GET(self):
        # The real service shows a help page on GET; clients must not rely on it.
        self.answer(200, "<html><body>UslugaBIRzewnPubl Service</body></html>", "text/html; charset=UTF-8")

    def do_POST(self):
        try:
            self._post()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout): nothing to answer

    def _post(self):
        gus = self.standin
        body = self.read_body()
        if self.path.split("?")[0] != gus.path:
            self.answer(404, "<html><body>404 - File or directory not found.</body></html>", "text/html")
            return
        envelope, operation = self._parse(body)
        gus.count(
            operation or "?",
            {
                "operation": operation,
                "headers": dict(self.headers.items()),
                "body": body,
                "to": _text(envelope, f"{{{NS_SOAP}}}Header/{{{NS_WSA}}}To"),
            },
        )
        if gus.mode == "reject_415" or not self._content_type_ok():
            self.answer(415, WCF_415, "text/html; charset=utf-8")
            return
        if gus.mode == MODE_SLOW:
            gus.be_slow()
        elif gus.mode == "error500":
            self.answer(500, IIS_500, "text/html")
            return
        elif gus.mode == "maintenance":
            self.answer(200, MAINTENANCE_PAGE, "text/html; charset=utf-8")
            return
        elif gus.mode == "empty_body":
            self.answer(200, b"", 'multipart/related; type="application/xop+xml"')
            return
        if envelope is None:
            self._fault("Sender", "InvalidMessage", "The message could not be parsed as a SOAP 1.2 envelope.", 400)
            return
        if _text(envelope, f"{{{NS_SOAP}}}Header/{{{NS_WSA}}}Action") is None:
            self._fault("Sender", "MessageAddressingHeaderRequired", "A required header 'Action' was not present.")
            return
        if _text(envelope, f"{{{NS_SOAP}}}Header/{{{NS_WSA}}}To") is None:
            self._fault("Sender", "MessageAddressingHeaderRequired", "A required header 'To' was not present.")
            return
        if operation is None:
            self._fault("Sender", "ActionNotSupported", "The message with Action cannot be processed at the receiver.")
            return
        ns = NS_BIR if operation == "GetValue" else NS_PUBL
        call = envelope.find(f"{{{NS_SOAP}}}Body/{{{ns}}}{operation}")
        if call is None:
            self._fault("Receiver", "DeserializationFailed", f"The body does not hold {{{ns}}}{operation}.")
            return
        sid = self.headers.get("sid")  # only the HTTP header counts, never the SOAP header
        try:
            result = getattr(self, "_op_" + operation)(call, ns, sid)
        except _Http500:
            self.answer(500, IIS_500, "text/html")
            return
        message_id = _text(envelope, f"{{{NS_SOAP}}}Header/{{{NS_WSA}}}MessageID")
        self._reply(operation, result, message_id)

    def _content_type_ok(self):
        content_type = (self.headers.get("Content-Type") or "").lower()
        return content_type.startswith("application/soap+xml") or content_type.startswith("multipart/related")

    def _parse(self, body):
        """The envelope and the operation its wsa:Action names (None for what is not understood)."""
        try:
            envelope = etree.fromstring(body, etree.XMLParser(resolve_entities=False, no_network=True))
        except etree.XMLSyntaxError:
            return None, None
        if envelope.tag != f"{{{NS_SOAP}}}Envelope":
            return None, None
        action = _text(envelope, f"{{{NS_SOAP}}}Header/{{{NS_WSA}}}Action")
        return envelope, ACTIONS.get((action or "").strip())

    def _reply(self, operation, result, message_id):
        gus = self.standin
        envelope = response_envelope(operation, result, message_id)
        if gus.mode == "malformed_xml":
            envelope = envelope[: len(envelope) // 2]
        content_type, body = gus.mtom.frame(envelope)
        if gus.mode == "malformed_mtom":
            body = b"\r\n--garbage\r\nContent-Type: text/plain\r\n\r\nnot an envelope\r\n"
        headers = {"MIME-Version": "1.0", "X-Powered-By": "ASP.NET", "Cache-Control": "private"}
        self.answer(200, body, content_type, headers)

    def _fault(self, code, subcode, reason, status=500):
        content_type, body = self.standin.mtom.frame(fault_envelope(code, subcode, reason))
        self.answer(status, body, content_type)

    # -- operations: each returns the Result text ("" for an empty result)

    def _op_Zaloguj(self, call, ns, sid):
        key = _text(call, f"{{{ns}}}pKluczUzytkownika")
        if key != self.standin.key:
            return ""
        return self.standin.new_session()

    def _op_Wyloguj(self, call, ns, sid):
        target = _text(call, f"{{{ns}}}pIdentyfikatorSesji")
        return "true" if self.standin.end_session(target) else "false"

    def _op_GetValue(self, call, ns, sid):
        gus = self.standin
        name = _text(call, f"{{{ns}}}pNazwaParametru")
        if name == "StatusUslugi":
            return "1"
        if name == "KomunikatUslugi":
            return "Usluga dostepna"
        state = gus.session(sid)
        if state is None:
            # Without a session: "" for everything; a sid the service no longer knows: status 0.
            return "0" if (sid and name == "StatusSesji") else ""
        if name == "StatusSesji":
            return "1"
        if name == "KomunikatKod":
            return state["code"]
        if name == "KomunikatTresc":
            return state["text"]
        if name == "StanDanych":
            return date.today().strftime("%d-%m-%Y")
        return ""

    def _no_session(self):
        if self.standin.mode == "error7":
            return error_document(7, NO_SESSION_PL, NO_SESSION_EN)
        return ""

    def _op_DaneSzukajPodmioty(self, call, ns, sid):
        gus = self.standin
        state = gus.session(sid)
        if state is None:
            return self._no_session()
        criteria = call.find(f"{{{ns}}}pParametryWyszukiwania")
        given = []
        if criteria is not None:
            # Children in another namespace are ignored, as WCF's DataContract reader does.
            for name in SEARCH_PARAMS:
                value = _text(criteria, f"{{{NS_DATA}}}{name}")
                if value:
                    given.append((name, value))
        if len(given) != 1:
            state.update(code="4", text=NOT_FOUND_MESSAGE)
            return error_document(4, NOT_FOUND_PL, NOT_FOUND_EN)
        parameter, value = given[0]
        if len([v for v in value.split(",") if v.strip()]) > MAX_IDENTIFIERS:
            state.update(code="2", text=TOO_MANY_PL)
            return error_document(2, TOO_MANY_PL, "Too many identifiers.", **{parameter: value})
        if parameter in ("Nip", "Nipy") and value in gus.register.failing_nips:
            raise _Http500()
        rows = gus.register.search(parameter, value)
        if not rows:
            state.update(code="4", text=NOT_FOUND_MESSAGE)
            if gus.mode == "empty_not_found":
                return ""
            return error_document(4, NOT_FOUND_PL, NOT_FOUND_EN, **{parameter: value})
        state.update(code="0", text="")
        return inner_document(rows)

    def _op_DanePobierzPelnyRaport(self, call, ns, sid):
        gus = self.standin
        state = gus.session(sid)
        if state is None:
            return self._no_session()
        regon = _text(call, f"{{{ns}}}pRegon") or ""
        name = _text(call, f"{{{ns}}}pNazwaRaportu") or ""
        version, report = name[:5], name[5:]
        typ = gus.register.types.get(regon, "")
        if version not in gus.report_versions or report not in REPORTS:
            state.update(code="5", text=BAD_REPORT_PL)
            return error_document(5, BAD_REPORT_PL, BAD_REPORT_EN, pRegon=regon, Typ_podmiotu=typ, Raport=name)
        row = gus.register.reports.get((regon, report))
        if row is None:
            state.update(code="4", text=NOT_FOUND_MESSAGE)
            return error_document(4, REPORT_NOT_FOUND_PL, NOT_FOUND_EN, pRegon=regon, Typ_podmiotu=typ, Raport=name)
        state.update(code="0", text="")
        return inner_document([row])


GusStandIn.handler_class = GusHandler


def _text(element, path):
    if element is None:
        return None
    found = element.find(path)
    return None if found is None else (found.text or "")
