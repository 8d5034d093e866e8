#!/usr/bin/env python3
"""A stand-in for the vendor's desktop program: it connects to Konto and registers a licence.

It talks to Konto the way a real program would, over HTTP only, and imports nothing from the
`konto` package (only `requests` and `cryptography`):

* `login`: the OAuth 2.0 device flow (RFC 8628). It prints the address and the code, then polls
  the token endpoint, keeping the interval (and raising it on `slow_down`) until the person
  approves (or denies, or the code expires). It pins Konto's licence-file key at the same time.
* `companies`: the companies the person let it use.
* `register`: registers a licence number on this machine; the registration waits for the
  vendor's back office.
* `wait`: polls the registration until it is accepted or rejected; an accepted one comes with a
  signed licence file, which it checks with the pinned key and keeps.
* `verify`: checks the kept licence file again, offline (no network at all).
* `release`: frees the station; `logout`: revokes the tokens (RFC 7009).
* `demo`: all of it in order, as the README's demo shows.

Tokens are kept in a state file (mode 0600) and refreshed when the access token runs out;
every refresh returns a new refresh token (the old one must never be used again).

    python examples/konto_program.py --server http://127.0.0.1:5000 demo --licence SPDEM-HAQJQ-D6E20
"""

import argparse
import base64
import hashlib
import json
import os
import socket
import sys
import time
import uuid
from datetime import UTC
from datetime import datetime
from pathlib import Path

import requests
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

CLIENT_ID = "demo-program"
SCOPE = "companies:read licences:read licences:register"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
LICENCE_FORMAT = "konto-licence/1"
TIMEOUT = 15  # seconds for one HTTP call

EXIT_OK, EXIT_ERROR, EXIT_DENIED, EXIT_EXPIRED, EXIT_REJECTED = 0, 1, 2, 3, 4


class ProgramError(Exception):
    """Something the person at the program must be told; exit_code says how it ended."""

    def __init__(self, message, exit_code=EXIT_ERROR):
        super().__init__(message)
        self.exit_code = exit_code


def say(text=""):
    print(text, flush=True)


# --- the licence file: checked offline, with the key pinned at login ---------------------------


def _unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class InvalidLicenceFile(Exception):
    pass


def key_id(public_key_b64):
    return hashlib.sha256(_unb64(public_key_b64)).hexdigest()[:16]


def verify_licence_file(document, public_key_b64, installation_id=None, now=None):
    """The payload of a licence file, if Konto's key signed it, it has not expired and it is for
    this installation; InvalidLicenceFile otherwise. No network."""
    if not isinstance(document, dict) or document.get("format") != LICENCE_FORMAT:
        raise InvalidLicenceFile("to nie jest plik licencji Konta")
    if document.get("key_id") != key_id(public_key_b64):
        raise InvalidLicenceFile("plik podpisano innym kluczem niż klucz Konta zapisany w programie")
    payload, signature = document.get("payload"), document.get("signature")
    if not isinstance(payload, str) or not isinstance(signature, str):
        raise InvalidLicenceFile("plik jest niekompletny")
    try:
        Ed25519PublicKey.from_public_bytes(_unb64(public_key_b64)).verify(_unb64(signature), payload.encode("ascii"))
    except (InvalidSignature, ValueError, UnicodeEncodeError):
        raise InvalidLicenceFile("podpis się nie zgadza: plik zmieniono albo nie pochodzi z Konta") from None
    content = json.loads(_unb64(payload))
    expires = datetime.fromisoformat(content["expires_at"].replace("Z", "+00:00"))
    if expires <= (now or datetime.now(UTC)):
        raise InvalidLicenceFile(f"plik wygasł {expires:%Y-%m-%d %H:%M} UTC: połącz się z Kontem, by pobrać nowy")
    if installation_id is not None and content["installation"]["installation_id"] != installation_id:
        raise InvalidLicenceFile("plik jest dla innej instalacji")
    return content


# --- state kept between runs ------------------------------------------------------------------------


class State:
    """What the program remembers: tokens, the pinned key, its installation id, the registration."""

    def __init__(self, path, server):
        self.path = Path(path)
        self.data = json.loads(self.path.read_text()) if self.path.exists() else {}
        if self.data.get("server") not in (None, server):
            self.data = {}  # another server: start afresh
        self.data["server"] = server
        self.data.setdefault("installation_id", str(uuid.uuid4()))
        self.data.setdefault("machine_name", socket.gethostname()[:100] or "komputer")

    def __getitem__(self, key):
        return self.data.get(key)

    def __setitem__(self, key, value):
        self.data[key] = value
        self.save()

    def save(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # tokens: owner only
        with os.fdopen(fd, "w") as out:
            json.dump(self.data, out, indent=2, ensure_ascii=False)


# --- talking to Konto ------------------------------------------------------------------------


class Konto:
    def __init__(self, state, session=None):
        self.state = state
        self.server = state["server"].rstrip("/")
        self.http = session or requests.Session()
        self.http.headers["User-Agent"] = "konto-program-demo/1.0"
        self._metadata = None

    # OAuth -----------------------------------------------------------------------------
    def metadata(self):
        if self._metadata is None:
            response = self.http.get(self.server + "/.well-known/oauth-authorization-server", timeout=TIMEOUT)
            response.raise_for_status()
            self._metadata = response.json()
        return self._metadata

    def _form(self, url, data):
        response = self.http.post(url, data=data, timeout=TIMEOUT)
        try:
            body = response.json()
        except ValueError:
            body = {}
        return response.status_code, body

    def login(self):
        """The device flow: the code for the person, then polling until they decide."""
        meta = self.metadata()
        status, body = self._form(
            meta["device_authorization_endpoint"],
            {"client_id": CLIENT_ID, "scope": SCOPE, "machine_name": self.state["machine_name"]},
        )
        if status != 200:
            raise ProgramError(f"Konto nie przyjęło prośby o połączenie: {body.get('error', status)}")
        say("Aby połączyć program z Kontem:")
        say(f"  1. otwórz w przeglądarce: {body['verification_uri']}")
        say(f"  2. zaloguj się i wpisz kod: {body['user_code']}")
        say("Nie wpisuj tego kodu na prośbę kogokolwiek innego.")
        self.pin_key()
        interval = body.get("interval", 5)
        deadline = time.monotonic() + body["expires_in"]
        while time.monotonic() < deadline:
            time.sleep(interval)
            status, reply = self._form(
                meta["token_endpoint"],
                {"grant_type": DEVICE_GRANT, "device_code": body["device_code"], "client_id": CLIENT_ID},
            )
            error = reply.get("error")
            if status == 200:
                self._keep_tokens(reply)
                say("Połączono z Kontem.")
                return
            if error == "authorization_pending":
                continue
            if error == "slow_down":  # RFC 8628 §3.5: 5 seconds more, from now on
                interval = reply.get("interval", interval + 5)
                continue
            if error == "access_denied":
                raise ProgramError("Połączenie odrzucone w Koncie.", EXIT_DENIED)
            if error == "expired_token":
                raise ProgramError("Kod wygasł. Uruchom łączenie jeszcze raz.", EXIT_EXPIRED)
            raise ProgramError(f"Błąd logowania: {error or status}")
        raise ProgramError("Kod wygasł. Uruchom łączenie jeszcze raz.", EXIT_EXPIRED)

    def pin_key(self):
        """Konto's licence-file key, kept with the program (a real program carries it built in)."""
        response = self.http.get(self.metadata()["konto_licence_key"], timeout=TIMEOUT)
        response.raise_for_status()
        key = response.json()
        if key.get("algorithm") != "Ed25519" or key_id(key["public_key"]) != key["key_id"]:
            raise ProgramError("Klucz licencji Konta ma nieoczekiwaną postać.")
        self.state["licence_key"] = key["public_key"]

    def _keep_tokens(self, reply):
        self.state["tokens"] = {
            "access_token": reply["access_token"],
            "refresh_token": reply["refresh_token"],
            "expires_at": time.time() + reply.get("expires_in", 60) - 10,
        }

    def refresh(self):
        tokens = self.state["tokens"]
        if not tokens:
            raise ProgramError("Program nie jest połączony z Kontem: uruchom `login`.")
        status, reply = self._form(
            self.metadata()["token_endpoint"],
            {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "client_id": CLIENT_ID},
        )
        if status != 200:
            self.state["tokens"] = None
            raise ProgramError("Połączenie z Kontem wygasło albo zostało zakończone: uruchom `login`.")
        self._keep_tokens(reply)

    def logout(self):
        tokens = self.state["tokens"]
        if tokens:
            self._form(
                self.metadata()["revocation_endpoint"],
                {"token": tokens["refresh_token"], "token_type_hint": "refresh_token", "client_id": CLIENT_ID},
            )
        self.state["tokens"] = None
        say("Wylogowano program z Konta.")

    # the API ---------------------------------------------------------------------------
    def api(self, method, path, body=None, allowed=(200, 201)):
        tokens = self.state["tokens"]
        if not tokens:
            raise ProgramError("Program nie jest połączony z Kontem: uruchom `login`.")
        if time.time() >= tokens["expires_at"]:
            self.refresh()
        for attempt in (1, 2):
            headers = {"Authorization": "Bearer " + self.state["tokens"]["access_token"]}
            response = self.http.request(method, self.server + path, json=body, headers=headers, timeout=TIMEOUT)
            if response.status_code == 401 and attempt == 1:
                self.refresh()  # the access token ran out early, or was revoked: one fresh try
                continue
            if response.status_code == 429:
                time.sleep(min(60, int(response.headers.get("Retry-After", "5"))))
                continue
            break
        if response.status_code not in allowed:
            problem = response.json() if response.headers.get("Content-Type", "").startswith("application/") else {}
            raise ProgramError(
                f"Konto odmówiło ({problem.get('code', response.status_code)}): {problem.get('detail', '')}".strip()
            )
        return response.json()


# --- what the person does -------------------------------------------------------------------------


def show_companies(konto):
    companies = konto.api("GET", "/api/v1/companies")["companies"]
    if not companies:
        say("Program nie ma dostępu do żadnej firmy.")
    for company in companies:
        role = "administrator" if company["role"] == "admin" else "użytkownik"
        say(f"  [{company['id']}] {company['name']} (NIP/VAT {company['tax_id']}) — {role}")
    return companies


def pick_company(companies, wanted):
    for company in companies:
        if wanted in (str(company["id"]), company["tax_id"], company["nip"]):
            return company
    if wanted is None:
        for company in companies:
            if company["can_register_licences"]:
                return company
    raise ProgramError("Nie ma takiej firmy wśród firm, do których program ma dostęp.")


def register(konto, companies, wanted_company, number):
    company = pick_company(companies, wanted_company)
    registration = konto.api(
        "POST",
        f"/api/v1/companies/{company['id']}/registrations",
        {"licence_number": number, "installation_id": konto.state["installation_id"],
         "machine_name": konto.state["machine_name"]},
    )
    konto.state["registration"] = {"company_id": company["id"], "id": registration["id"]}
    say(f"Rejestracja licencji {registration['licence']['number_masked']} dla {company['name']}: "
        f"{registration['status']}")
    return registration


def wait(konto, poll, timeout):
    """Poll the registration until the vendor decides; keep and check the licence file."""
    kept = konto.state["registration"]
    if not kept:
        raise ProgramError("Najpierw zarejestruj licencję (`register`).")
    path = f"/api/v1/companies/{kept['company_id']}/registrations/{kept['id']}"
    deadline = time.monotonic() + timeout
    said = None
    while True:
        registration = konto.api("GET", path)
        if registration["status"] != said:
            said = registration["status"]
            say(f"Stan rejestracji: {said}")
        if registration["status"] == "rejected":
            raise ProgramError(f"Rejestracja odrzucona: {registration['reason'] or ''}".strip(), EXIT_REJECTED)
        if registration["status"] == "released":
            raise ProgramError("Ta instalacja została zwolniona.", EXIT_REJECTED)
        if registration["status"] == "active":
            break
        if time.monotonic() > deadline:
            raise ProgramError("Rejestracja wciąż czeka na akceptację. Sprawdź później (`wait`).")
        time.sleep(poll)
    document = konto.api("GET", path + "/licence-file")
    konto.state["licence_file"] = document
    content = verify(konto.state)
    say(f"Licencja przyjęta i potwierdzona podpisem: {content['licence']['product_name']} "
        f"{content['licence']['edition_name']}, ważna offline do {content['expires_at']}.")
    return content


def verify(state):
    """Offline: the kept licence file against the pinned key."""
    document, key = state["licence_file"], state["licence_key"]
    if not document or not key:
        raise ProgramError("Program nie ma pliku licencji albo klucza Konta.")
    try:
        content = verify_licence_file(document, key, state["installation_id"])
    except InvalidLicenceFile as error:
        raise ProgramError(f"Plik licencji jest nieważny: {error}.") from None
    say(f"Plik licencji jest ważny (podpis Konta, klucz {state['licence_file']['key_id']}), "
        f"licencja {content['licence']['number']} na komputerze {content['installation']['machine_name']}.")
    return content


def release(konto):
    kept = konto.state["registration"]
    if not kept:
        raise ProgramError("Ta instalacja nie jest zarejestrowana.")
    konto.api("POST", f"/api/v1/companies/{kept['company_id']}/registrations/{kept['id']}/release")
    konto.state["registration"] = None
    konto.state["licence_file"] = None
    say("Stanowisko zwolnione.")


def main(argv=None):
    parser = argparse.ArgumentParser(description="Program demonstracyjny: łączy się z Kontem i rejestruje licencję.")
    parser.add_argument("--server", default=os.environ.get("KONTO_SERVER", "http://127.0.0.1:5000"))
    parser.add_argument("--state", default=os.environ.get("KONTO_PROGRAM_STATE", "konto-program.json"),
                        help="gdzie program trzyma tokeny i plik licencji (plik tylko dla właściciela)")
    parser.add_argument("--machine", help="nazwa komputera, jaką program poda Kontu")
    parser.add_argument("--poll", type=float, default=5, help="co ile sekund pytać o stan rejestracji")
    parser.add_argument("--timeout", type=float, default=600, help="jak długo czekać na akceptację (sekundy)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("login")
    commands.add_parser("companies")
    reg = commands.add_parser("register")
    reg.add_argument("--licence", required=True)
    reg.add_argument("--company", help="id, NIP albo VAT firmy (domyślnie pierwsza, w której jesteś administratorem)")
    commands.add_parser("wait")
    commands.add_parser("verify")
    commands.add_parser("release")
    commands.add_parser("logout")
    demo = commands.add_parser("demo")
    demo.add_argument("--licence", required=True)
    demo.add_argument("--company")
    demo.add_argument("--logout", action="store_true", help="na koniec wyloguj program z Konta")
    args = parser.parse_args(argv)

    state = State(args.state, args.server)
    if args.machine:
        state["machine_name"] = args.machine[:100]
    konto = Konto(state)
    try:
        if args.command == "login":
            konto.login()
        elif args.command == "companies":
            show_companies(konto)
        elif args.command == "register":
            register(konto, konto.api("GET", "/api/v1/companies")["companies"], args.company, args.licence)
        elif args.command == "wait":
            wait(konto, args.poll, args.timeout)
        elif args.command == "verify":
            verify(state)
        elif args.command == "release":
            release(konto)
        elif args.command == "logout":
            konto.logout()
        elif args.command == "demo":
            if not state["tokens"]:
                konto.login()
            say("Firmy, do których program ma dostęp:")
            companies = show_companies(konto)
            register(konto, companies, args.company, args.licence)
            wait(konto, args.poll, args.timeout)
            release(konto)
            if args.logout:
                konto.logout()
    except ProgramError as error:
        say(str(error))
        return error.exit_code
    except requests.RequestException as error:
        say(f"Brak połączenia z Kontem ({type(error).__name__}).")
        return EXIT_ERROR
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
