"""Every page of the app on two phones and a desktop, JavaScript on and off (issue 15's bar).

WALK lists the pages: each is visited once per JavaScript mode, as a visitor or as one of the
people of the world below (an administrator whose chosen company has a very long name, a plain
member, someone with no company, someone who has not accepted new terms), then checked at
320×640, 390×844 and 1366×900. A page fails when:

- it scrolls sideways, or something sticks out of the top bar, a card or the footer (a table
  spilling out of its card, a name running out of the blue bar), in the page or in a frame;
- axe-core finds a WCAG 2.1 A/AA violation;
- an input marked invalid has the border colour of a valid one.

A visit with `submit` presses that button (after `fill`) to reach the page's error state; with
`errors=True` it must then also have "Błąd:" at the start of the title, focus on the error
summary, and the summary's links in the order of the fields on the page.

Adding a page: add a Visit to WALK (and what it needs to the world in `world()`).
test_every_get_route_is_walked fails for a GET route that is in neither WALK nor EXEMPT.
See docs/frontend.md, "How to build a page".
"""

import os
import re
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from hashlib import sha256

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from konto import create_app
from konto import documents
from konto import factors
from konto import tokens
from konto.db import database
from konto.flows import programs as programs_flow
from konto.flows import twostep as twostep_flow
from konto.licences import demo as demo_licences
from konto.mail import send_email
from konto.models import AccessRequest
from konto.models import AdminClaim
from konto.models import Company
from konto.models import CompanyDraft
from konto.models import Consent
from konto.models import DeviceAuthorization
from konto.models import EmailChange
from konto.models import Invitation
from konto.models import Licence
from konto.models import Membership
from konto.models import User
from konto.models import utcnow
from konto.registry import demo
from tests.e2e.helpers import EXPECTED_CONSOLE_ERRORS
from tests.e2e.helpers import TIMEOUT_MS
from tests.e2e.helpers import WCAG_TAGS
from tests.e2e.helpers import _axe
from tests.e2e.helpers import _describe
from tests.e2e.helpers import create_user
from tests.helpers import PASSWORD
from tests.helpers import LiveServer
from tests.helpers import make_config

VIEWPORTS = [(320, 640), (390, 844), (1366, 900)]
# The browser notes the error statuses of pages the walk visits on purpose (a dead link, 404, 503).
WALK_STATUSES = re.compile(r"^Failed to load resource: the server responded with a status of (400|403|404|410|503)\b")

# A company name as long as registries have them, with a 32-letter word in it.
LONG_NAME = ("PRZEDSIĘBIORSTWO PRODUKCYJNO-HANDLOWO-USŁUGOWE „KONSTANTYNOPOLITAŃCZYKOWIANECZKA” "
             "SPÓŁKA Z OGRANICZONĄ ODPOWIEDZIALNOŚCIĄ SPÓŁKA KOMANDYTOWA")

# Whose browser a page is visited in.
VISITOR = "visitor"
ADMIN = "anna@example.com"  # administrator of the long-named company (chosen) and of a second one
MEMBER = "bartek@example.com"  # a plain member of the long-named company
NEWCOMER = "celina@example.com"  # no company yet; asked for access to the long-named one
OUTDATED = "dorota@example.com"  # has not accepted the current terms
INACTIVE = "ewa@example.com"  # registered, never activated (her activation link)
TWO_STEP = "filip@example.com"  # two-step sign-in on (an app and recovery codes); logs in with a recovery code
HALFWAY = "gosia@example.com"  # two-step sign-in on; typed her password, the second step is next
STAFF = demo_licences.STAFF_EMAIL  # the back office (Obsługa)


@dataclass(frozen=True)
class Visit:
    endpoint: str | None  # the route serving the page (None: an error page no route serves)
    path: str  # where to go; {names} come from the world
    who: str = VISITOR
    heading: str | None = None  # the page's h1 starts with this: the walk is where it means to be
    fill: tuple = ()  # (label, value) typed before pressing `submit`
    submit: str | None = None  # then press this button, e.g. to see the form's errors
    errors: bool = False  # the result is a form with errors (title, focus, summary order checked)
    uncheck: tuple = ()  # checkbox labels to untick before pressing `submit`
    check: tuple = ()  # checkboxes to tick before pressing `submit`: a part of each one's label


WALK = [
    # Anyone.
    Visit("pages.index", "/", heading="Twoje firmy, licencje i usługi"),
    Visit("pages.help", "/pomoc", heading="Pomoc"),
    Visit("pages.terms", "/regulamin", heading="Regulamin"),
    Visit("pages.privacy", "/polityka-prywatnosci", heading="Polityka prywatności"),
    Visit(None, "/nie-ma-takiej-strony", heading="Nie znaleziono strony"),
    Visit("auth.login", "/logowanie", heading="Zaloguj się"),
    Visit("auth.login", "/logowanie", submit="Zaloguj się", errors=True),
    Visit("auth.login", "/logowanie", fill=(("Adres e-mail", ADMIN), ("Hasło", "to-nie-jest-to-haslo")),
          submit="Zaloguj się", errors=True),
    Visit("auth.register", "/rejestracja", heading="Załóż konto"),
    Visit("auth.register", "/rejestracja", submit="Załóż konto", errors=True),
    Visit("auth.check_email", "/rejestracja/sprawdz-poczte", heading="Sprawdź pocztę"),
    Visit("auth.resend_activation", "/aktywacja/ponow", submit="Wyślij link", errors=True),
    Visit("auth.activate", "/aktywacja/{activation_token}", heading="Aktywuj konto"),
    Visit("auth.activate", "/aktywacja/to-nie-jest-link", heading="Link aktywacyjny jest nieprawidłowy"),
    Visit("auth.forgot_password", "/haslo/nie-pamietam", submit="Wyślij link", errors=True),
    Visit("auth.forgot_sent", "/haslo/wyslano", heading="Sprawdź pocztę"),
    Visit("auth.reset_password", "/haslo/nowe/{reset_token}", submit="Zmień hasło", errors=True),
    Visit("account.confirm_email", "/konto/email/potwierdz/{confirm_token}", heading="Potwierdź nowy adres"),
    Visit("account.revert_email", "/konto/email/cofnij/{revert_token}", heading="To nie Ty"),
    Visit("account.revert_email", "/konto/email/cofnij/zly", heading="Link jest nieprawidłowy"),
    Visit("mailbox.index", "/poczta/", heading="Poczta demonstracyjna"),
    Visit("mailbox.show", "/poczta/{message_id}", heading="Aktywuj swoje Konto"),
    # The administrator of the long-named company.
    Visit("account.dashboard", "/panel", ADMIN, heading="Twój panel"),
    Visit("companies.show", "/firmy/{company_id}", ADMIN, heading="PRZEDSIĘBIORSTWO"),
    Visit("companies.show", "/firmy/{company_id}", ADMIN, uncheck=("E-mail",), submit="Zapisz formy kontaktu",
          errors=True),
    Visit("companies.switch", "/firmy/zmien", ADMIN, heading="Zmień firmę"),
    # A company's users: the list, inviting, removing, leaving, handing over; invitations.
    Visit("companies.users", "/firmy/{company_id}/uzytkownicy", ADMIN, heading="Użytkownicy firmy"),
    Visit("companies.invite", "/firmy/{company_id}/uzytkownicy/dodaj", ADMIN, heading="Dodaj użytkownika"),
    Visit("companies.invite", "/firmy/{company_id}/uzytkownicy/dodaj", ADMIN, submit="Wyślij zaproszenie",
          errors=True),
    Visit("companies.remove", "/firmy/{company_id}/uzytkownicy/{member_membership_id}/usun", ADMIN,
          heading="Usuń z firmy"),
    Visit("companies.leave", "/firmy/{company_id}/opusc", ADMIN, heading="Opuść firmę"),
    Visit("companies.hand_over", "/firmy/{company_id}/przekaz", ADMIN, heading="Przekaż administrację"),
    Visit("companies.users", "/firmy/{company_id}/uzytkownicy", MEMBER, heading="Użytkownicy firmy"),
    Visit("companies.leave", "/firmy/{company_id}/opusc", MEMBER, heading="Opuść firmę"),
    Visit("invitations.show", "/zaproszenie/{invitation_token}", heading="Zaproszenie do firmy"),
    Visit("invitations.show", "/zaproszenie/{invitation_token}", MEMBER, heading="Zaproszenie do firmy"),
    Visit("invitations.show", "/zaproszenie/{expired_invitation_token}", heading="Zaproszenie wygasło"),
    Visit("invitations.show", "/zaproszenie/to-nie-jest-zaden-link-do-zaproszenia", heading="Ten link nie działa"),
    Visit("invitations.respond", "/zaproszenia/{invitation_id}", NEWCOMER, heading="Zaproszenie do firmy"),
    Visit("companies.new", "/firmy/dodaj", ADMIN, heading="Dodaj firmę"),
    Visit("companies.new", "/firmy/dodaj", ADMIN, submit="Zatwierdź", errors=True),
    Visit("companies.new", "/firmy/dodaj", ADMIN, fill=(("NIP lub numer VAT UE", "PL7010011003"),),
          submit="Zatwierdź"),
    Visit("companies.manual", "/firmy/dodaj/{draft_manual}/reczne", ADMIN, submit="Przejdź dalej",
          errors=True),
    Visit("companies.preview", "/firmy/dodaj/{draft}/dane", ADMIN, heading="Sprawdź dane firmy"),
    Visit("companies.preview", "/firmy/dodaj/{draft_nameless}/dane", ADMIN, submit="Przejdź dalej", errors=True),
    Visit("companies.preview", "/firmy/dodaj/{draft_ended}/dane", ADMIN, heading="Sprawdź dane firmy"),
    Visit("companies.statement", "/firmy/dodaj/{draft}/oswiadczenie", ADMIN, heading="Oświadczenie"),
    Visit("companies.statement", "/firmy/dodaj/{draft}/oswiadczenie", ADMIN, uncheck=("E-mail",),
          submit="Dodaj firmę", errors=True),
    Visit("account.settings", "/konto", ADMIN, heading="Moje konto"),
    Visit("account.change_name", "/konto/imie-i-nazwisko", ADMIN, heading="Imię i nazwisko"),
    Visit("account.change_name", "/konto/imie-i-nazwisko", ADMIN, fill=(("Imię", ""), ("Nazwisko", "")),
          submit="Zapisz", errors=True),
    Visit("account.activity", "/konto/aktywnosc", ADMIN, heading="Aktywność konta"),
    Visit("account.active_sessions", "/konto/sesje", ADMIN, heading="Aktywne sesje"),
    Visit("account.consents", "/konto/zgody", ADMIN, heading="Zgody"),
    Visit("account.reauthenticate", "/konto/potwierdz?next=/konto/eksport", ADMIN,
          fill=(("Hasło", "to-nie-jest-to-haslo"),), submit="Potwierdź", errors=True),
    Visit("account.change_password", "/konto/haslo", ADMIN, submit="Zmień hasło", errors=True),
    Visit("account.change_email", "/konto/email", ADMIN, submit="Wyślij link potwierdzający", errors=True),
    Visit("account.change_email", "/konto/email", ADMIN, fill=(("Adres e-mail", "anna.nowa@example.com"),),
          submit="Wyślij link potwierdzający"),
    Visit("account.export", "/konto/eksport", ADMIN, heading="Pobierz kopię"),
    Visit("account.delete", "/konto/usun", ADMIN, submit="Usuń konto na zawsze", errors=True),
    # Two-step sign-in: turning it on (the administrator), using and turning it off (Filip).
    Visit("twostep.overview", "/konto/weryfikacja-dwuetapowa", ADMIN, heading="Weryfikacja dwuetapowa"),
    Visit("twostep.app_new", "/konto/weryfikacja-dwuetapowa/aplikacja/nowa", ADMIN,
          heading="Dodaj aplikację uwierzytelniającą"),
    Visit("twostep.app_new", "/konto/weryfikacja-dwuetapowa/aplikacja/nowa", ADMIN, submit="Pokaż kod QR",
          heading="Zeskanuj kod QR"),
    Visit("twostep.app_setup", "/konto/weryfikacja-dwuetapowa/aplikacja", ADMIN, submit="Potwierdź", errors=True),
    Visit("twostep.passkeys", "/konto/weryfikacja-dwuetapowa/klucze", ADMIN, heading="Klucze dostępu"),
    Visit("twostep.overview", "/konto/weryfikacja-dwuetapowa", TWO_STEP, heading="Weryfikacja dwuetapowa"),
    Visit("account.reauthenticate", "/konto/potwierdz?next=/konto/eksport", TWO_STEP,
          fill=(("Hasło", "to-nie-jest-to-haslo"),), submit="Potwierdź", errors=True),
    Visit("twostep.turn_off", "/konto/weryfikacja-dwuetapowa/wylacz", TWO_STEP,
          submit="Wyłącz weryfikację dwuetapową", errors=True),
    Visit("twostep.recovery_codes", "/konto/weryfikacja-dwuetapowa/kody", TWO_STEP, heading="Kody zapasowe"),
    Visit("twostep.recovery_codes", "/konto/weryfikacja-dwuetapowa/kody", TWO_STEP, submit="Wygeneruj nowe kody",
          heading="Zapisz kody zapasowe"),
    Visit("twostep.second_step", "/logowanie/weryfikacja", HALFWAY, heading="Weryfikacja dwuetapowa"),
    Visit("twostep.second_step", "/logowanie/weryfikacja", HALFWAY, submit="Potwierdź", errors=True),
    Visit("twostep.second_step_recovery", "/logowanie/weryfikacja/kod-zapasowy", HALFWAY, submit="Potwierdź",
          errors=True),
    # A plain member of the long-named company; someone with none yet; new terms to accept.
    Visit("companies.show", "/firmy/{company_id}", MEMBER, heading="PRZEDSIĘBIORSTWO"),
    Visit("account.dashboard", "/panel", NEWCOMER, heading="Twój panel"),
    Visit("companies.preview", "/firmy/dodaj/{draft_taken}/dane", NEWCOMER, submit="Poproś o dostęp",
          heading="Prośba o dostęp wysłana"),
    Visit("account.accept_documents", "/konto/nowe-dokumenty", OUTDATED, submit="Akceptuję i przechodzę dalej",
          errors=True),
    # Licences and services of the long-named company (the demo's licences), claims to admin rights.
    Visit("licences.index", "/firmy/{company_id}/licencje", ADMIN),
    Visit("licences.services", "/firmy/{company_id}/uslugi", ADMIN),
    Visit("licences.claims", "/firmy/{company_id}/wnioski", ADMIN),
    Visit("licences.index", "/firmy/{company_id}/licencje", MEMBER),
    Visit("licences.claim_member", "/firmy/{company_id}/odzyskaj", MEMBER),
    Visit("licences.claim_member", "/firmy/{company_id}/odzyskaj", MEMBER, submit="Wyślij wniosek", errors=True),
    Visit("licences.claim_draft", "/firmy/dodaj/{draft_taken}/odzyskaj", NEWCOMER),
    Visit("licences.service_terms", "/uslugi/ksef/regulamin"),
    # The back office.
    Visit("staff.reauthenticate", "/obsluga/potwierdz", STAFF, fill=(("Hasło", "to-nie-jest-to-haslo"),),
          submit="Potwierdź", errors=True),
    Visit("staff.index", "/obsluga/", STAFF),
    Visit("staff.index", "/obsluga/?q=Nowak", STAFF),
    Visit("staff.account", "/obsluga/konta/{admin_id}", STAFF),
    Visit("staff.taxpayer", "/obsluga/podmioty/PL5250001003", STAFF),
    Visit("staff.licence", "/obsluga/licencje/{licence_id}", STAFF),
    Visit("staff.issue", "/obsluga/licencje/nowa", STAFF),
    Visit("staff.issue", "/obsluga/licencje/nowa", STAFF, submit="Wystaw licencję", errors=True),
    Visit("staff.registrations", "/obsluga/rejestracje", STAFF),
    Visit("staff.claims", "/obsluga/wnioski", STAFF),
    Visit("staff.claim", "/obsluga/wnioski/{claim_id}", STAFF),
    Visit("staff.claim", "/obsluga/wnioski/{old_claim_id}", STAFF),  # decided long ago: its file deleted
    Visit("staff.log", "/obsluga/dziennik", STAFF),
    Visit("staff.catalogue_page", "/obsluga/katalog", STAFF),
    # Desktop programs: the code page, the decision (a program waits with {user_code}), Połączone
    # programy; the API's list of errors. Nothing is decided here: both walks see the code pending.
    Visit("programs.code", "/polacz", ADMIN, heading="Połącz program z Kontem"),
    Visit("programs.code", "/polacz", ADMIN, submit="Dalej", errors=True),
    Visit("programs.code", "/polacz", ADMIN, fill=(("Kod z programu", "{user_code}"),), submit="Dalej",
          heading="Czy to Twój program?"),
    Visit("programs.confirm", "/polacz/potwierdz", ADMIN, submit="Połącz", errors=True),
    Visit("programs.done", "/polacz/gotowe", ADMIN, heading="Połącz program z Kontem"),  # nothing decided yet
    # The done page's two states: a program's new code ({new_program_code}: one per visit) typed,
    # then connected to the long-named company; another one's refused.
    Visit("programs.code", "/polacz", ADMIN, fill=(("Kod z programu", "{new_program_code}"),), submit="Dalej",
          heading="Czy to Twój program?"),
    Visit("programs.done", "/polacz/potwierdz", ADMIN, check=("KONSTANTYNOPOLITAŃCZYKOWIANECZKA",), submit="Połącz",
          heading="Program połączony"),
    Visit("programs.code", "/polacz", ADMIN, fill=(("Kod z programu", "{new_program_code}"),), submit="Dalej",
          heading="Czy to Twój program?"),
    Visit("programs.done", "/polacz/potwierdz", ADMIN, submit="Odrzuć", heading="Prośba odrzucona"),
    Visit("programs.connections", "/konto/programy", ADMIN, heading="Połączone programy"),
    Visit("programs.connections", "/konto/programy", MEMBER, heading="Połączone programy"),
    Visit("api.problem_types", "/api/v1/problems", heading="API dla programów: błędy"),
]

# GET routes the walk does not visit, and why.
EXEMPT = {
    "static": "files, not pages",
    "pages.favicon": "a redirect to static/favicon.svg",
    "healthz": "JSON for the load balancer",
    "mailbox.html_part": "the e-mail's HTML part: checked as the frame of mailbox.show",
    "staff.claim_statement": "the claim's PDF, a download",
    "oauth.metadata": "JSON for programs: the server metadata (RFC 8414)",
    **{endpoint: "JSON for programs: the program API (tests/test_api_schema.py checks it)" for endpoint in (
        "api.me", "api.companies", "api.licences", "api.registration", "api.licence_file", "api.licence_key",
        "api.openapi_document")},
}


def test_every_get_route_is_walked(app):
    """A new page must join the walk (or say here why not)."""
    gets = {rule.endpoint for rule in app.url_map.iter_rules() if "GET" in rule.methods}
    walked = {visit.endpoint for visit in WALK if visit.endpoint}
    assert gets - walked - set(EXEMPT) == set(), "GET routes neither in WALK nor in EXEMPT"
    assert (walked | set(EXEMPT)) - gets == set(), "WALK or EXEMPT names routes the app does not have"


# -- the world the walk sees ----------------------------------------------------------------------

class NewProgramCode:
    """A program asking for a code, each time the walk writes "{new_program_code}" (a code can
    be decided once, and each walk decides its own)."""

    def __init__(self, server):
        self.server = server

    def __format__(self, spec):
        with self.server.app.test_request_context(), database.connection_context():
            program = programs_flow.client_by_id("demo-program")
            _device, user_code, _asked = programs_flow.start(program, program.scope, "KASA-2", "203.0.113.7", "walk")
        return format(user_code, spec)


def _draft(user, number, **data):
    entity = demo.entities()[number]
    return CompanyDraft.create(
        key=secrets.token_urlsafe(16),
        user=user, tax_id=number, data={**entity["data"], **data}, source="demo", fetched_at=utcnow(),
    ).key


def _email_change(user, other_address, confirmed):
    """An e-mail change request of `user` (stored, like the flow's): its confirmation link while
    pending, or its "to nie ja" link once confirmed (to `other_address`, the address before)."""
    token = f"walk-{secrets.token_urlsafe(24)}"
    token_hash = sha256(token.encode()).hexdigest()
    if confirmed:
        EmailChange.create(user=user, new_email=user.email, old_email=other_address, restore_email=other_address,
                           confirm_hash=sha256(secrets.token_bytes(16)).hexdigest(), revert_hash=token_hash,
                           status="confirmed", confirmed_at=utcnow())
    else:
        EmailChange.create(user=user, new_email=other_address, old_email=user.email, confirm_hash=token_hash)
    return token


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The app over HTTP, with the people and things the pages show."""
    tmp = tmp_path_factory.mktemp("walk")
    config = make_config(tmp, WTF_CSRF_ENABLED=True, KONTO_BASE_URL=None, RATELIMIT_ENABLED=False,
                         REAUTH_WINDOW=3600, STAFF_REAUTH_WINDOW=3600, TWO_STEP_LOGIN_TIMEOUT=3600,
                         PROGRAM_CODE_LIFETIME=4 * 3600)
    server = LiveServer(create_app(config))
    with server.app.test_request_context(), database.connection_context():
        anna, bartek, celina, dorota = (create_user(server, email, first, last) for email, first, last in [
            (ADMIN, "Anna", "Nowak"), (MEMBER, "Bartosz", "Zieliński"), (NEWCOMER, "Celina", "Wiśniewska"),
            (OUTDATED, "Dorota", "Kamińska")])
        for email, first, last in [(TWO_STEP, "Filip", "Mazur"), (HALFWAY, "Małgorzata", "Wójcik")]:
            with_app = create_user(server, email, first, last)
            secret = twostep_flow.start_app_setup(with_app)
            twostep_flow.confirm_app(with_app, factors.code_at(secret, factors.current_step()))
        ewa = User.create(email=INACTIVE, first_name="Ewa", last_name="Lis", password_hash="x")
        Consent.update(version="2000-01-01").where(
            (Consent.user == dorota.id) & (Consent.document == documents.TERMS)).execute()
        long_named = Company.create(
            tax_id="PL5250001003", country="PL", nip="5250001003", name=LONG_NAME, regon="140000000",
            krs="0000123456", street="ul. Marszałkowska", building="100", unit="12", postal_code="00-026",
            city="Warszawa", gmina="Warszawa", powiat="m. st. Warszawa", wojewodztwo="MAZOWIECKIE",
            kind="legal_person", legal_form="spółka komandytowa", start_date="2012-03-01", vat_status="czynny",
            source="demo", fetched_at=utcnow())
        second = Company.create(tax_id="PL9720005007", country="PL", nip="9720005007",
                                name="DEMO LOGISTYKA SPÓŁKA AKCYJNA",
                                city="Poznań", building="216", postal_code="60-104", source="demo", verified=False)
        Membership.create(user=anna, company=long_named, role="admin", contact_email=ADMIN)
        Membership.create(user=anna, company=second, role="admin", contact_email=ADMIN)
        Membership.create(user=bartek, company=long_named, role="member", contact_email=MEMBER)
        User.update(active_company=long_named).where(User.id.in_([anna.id, bartek.id])).execute()
        AccessRequest.create(user=celina, company=long_named)
        invitation_token, expired_invitation_token = (f"walk-{secrets.token_urlsafe(24)}" for _ in range(2))
        invitation = Invitation.create(
            company=long_named, email=NEWCOMER, role="member", token_hash=sha256(invitation_token.encode()).hexdigest(),
            pending_email=NEWCOMER, invited_by=anna, expires_at=utcnow() + timedelta(days=7))
        Invitation.create(
            company=long_named, email="jan.kowalski@example.com", role="admin",
            token_hash=sha256(expired_invitation_token.encode()).hexdigest(), pending_email="jan.kowalski@example.com",
            invited_by=anna, created_at=utcnow() - timedelta(days=9), expires_at=utcnow() - timedelta(days=2))
        _created, _email, staff_password, _app_key = demo_licences.seed(str(tmp))
        licence = Licence.select().where(Licence.tax_id == long_named.tax_id).order_by(Licence.id).first()
        claim = AdminClaim.create(company=long_named, claimant=bartek, licence=licence, stored_name="A" * 32 + ".pdf",
                                  original_name="oswiadczenie.pdf", size=1, sha256="0" * 64,
                                  object_until=utcnow() + timedelta(hours=72))
        # Another person's claim, rejected long ago: its statement deleted after the retention.
        old_claim = AdminClaim.create(company=second, claimant=celina, stored_name="B" * 32 + ".pdf",
                                      original_name="skan-oswiadczenia.pdf", size=48_213, sha256="1" * 64,
                                      created_at=utcnow() - timedelta(days=120),
                                      object_until=utcnow() - timedelta(days=117), status="rejected",
                                      decided_at=utcnow() - timedelta(days=110), reason="Podpis nieczytelny",
                                      file_deleted_at=utcnow() - timedelta(days=20))
        # A program connected to the long-named company, and one waiting for its code to be typed.
        demo_program = programs_flow.client_by_id("demo-program")
        _device, code, asked = programs_flow.start(demo_program, demo_program.scope, "KSIEGOWOSC-PC-02",
                                                   "203.0.113.7", "walk")
        programs_flow.approve(anna, asked.id, code, [long_named.id])
        programs_flow.connect(DeviceAuthorization.get_by_id(asked.id))
        _device, user_code, _asked = programs_flow.start(demo_program, demo_program.scope, "KASA-1", "203.0.113.7",
                                                         "walk")
        message = send_email(INACTIVE, "Aktywuj swoje Konto", "activation", user=ewa,
                             link="http://127.0.0.1/aktywacja/" + tokens.make_token(tokens.ACTIVATE, ewa))
        values = {
            "staff_password": staff_password,
            "user_code": user_code,
            "new_program_code": NewProgramCode(server),
            "admin_id": anna.id,
            "licence_id": licence.id,
            "claim_id": claim.id,
            "old_claim_id": old_claim.id,
            "company_id": long_named.id,
            "member_membership_id": Membership.get(Membership.user == bartek.id).id,
            "invitation_id": invitation.id,
            "invitation_token": invitation_token,
            "expired_invitation_token": expired_invitation_token,
            "message_id": message.id,
            "activation_token": tokens.make_token(tokens.ACTIVATE, ewa),
            "reset_token": tokens.make_token(tokens.RESET, bartek),
            "confirm_token": _email_change(bartek, "bartek.nowy@example.com", confirmed=False),
            "revert_token": _email_change(bartek, "bartek.stary@example.com", confirmed=True),
            "draft": _draft(anna, "PL6760003007"),  # a civil partnership: its legal form once
            "draft_nameless": _draft(anna, "DE123456788"),
            "draft_ended": _draft(anna, "PL5830006000"),
            "draft_taken": _draft(celina, "PL5250001003", name=LONG_NAME),
            # Step 1 when the registry could not answer: only the number, to be typed in by hand.
            "draft_manual": CompanyDraft.create(key=secrets.token_urlsafe(16), user=anna, tax_id="PL7010011003",
                                                data={"country": "PL", "name": None, "nip": "7010011003"},
                                                source="manual",
                                                manual=True).key,
        }
    yield server, values
    server.stop()
    database.close()


# -- what is checked on every page at every size --------------------------------------------------

OVERFLOW = """() => {
  const problems = [];
  const describe = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '') +
    ' "' + (el.textContent || '').trim().slice(0, 40) + '"';
  const root = document.documentElement;
  if (root.scrollWidth > root.clientWidth + 1) {
    problems.push(`the page is ${root.scrollWidth}px wide in a ${root.clientWidth}px window`);
  }
  // Not shown, or shown only to screen readers (clipped to a pixel, like .visually-hidden).
  const hidden = el => {
    if (!el.getClientRects().length) return true;
    for (let a = el; a; a = a.parentElement) {
      const r = a.getBoundingClientRect();
      if (r.width <= 1 && r.height <= 1 && getComputedStyle(a).overflow === 'hidden') return true;
    }
    return false;
  };
  for (const box of document.querySelectorAll('.topbar, .card, .hero, .footer')) {
    if (hidden(box)) continue;
    const outer = box.getBoundingClientRect();
    for (const el of box.querySelectorAll('*')) {
      if (hidden(el)) continue;
      const r = el.getBoundingClientRect();
      if (r.width < 2 || r.height < 2) continue;
      if (r.right > outer.right + 1 || r.left < outer.left - 1) {
        const span = (a, b) => `${Math.round(a)}–${Math.round(b)}`;
        problems.push(`${describe(el)} sticks out of ${describe(box).slice(0, 30)} ` +
                      `(${span(r.left, r.right)} in ${span(outer.left, outer.right)})`);
      }
      const style = getComputedStyle(el);
      if (el.clientWidth && style.overflowX === 'visible' && el.scrollWidth > el.clientWidth + 1) {
        problems.push(`${describe(el)} holds content ${el.scrollWidth}px wide in ${el.clientWidth}px`);
      }
    }
  }
  return problems;
}"""

INVALID_BORDERS = """() => {
  const problems = [];
  const invalid = 'input[aria-invalid="true"], select[aria-invalid="true"], textarea[aria-invalid="true"]';
  for (const el of document.querySelectorAll(invalid)) {
    if (!el.getClientRects().length) continue;
    // The same control, valid, in a field without an error, where the invalid one is.
    const probe = el.cloneNode(false);
    for (const name of ['aria-invalid', 'id', 'name', 'checked']) probe.removeAttribute(name);
    const holder = document.createElement('div');
    holder.className = 'field';
    holder.appendChild(probe);
    el.closest('form, main, body').appendChild(holder);
    const valid = getComputedStyle(probe).borderTopColor;
    holder.remove();
    const invalid = getComputedStyle(el).borderTopColor;
    if (invalid === valid) problems.push(`#${el.id} has an error but the border of a valid field (${valid})`);
  }
  return problems;
}"""

SUMMARY_ORDER = """() => {
  const links = [...document.querySelectorAll('#error-summary a[href^="#"]')].map(a => a.getAttribute('href').slice(1));
  const fields = [...document.querySelectorAll('[aria-invalid="true"]')].map(el => el.id);
  return {links, fields: fields.filter(id => links.includes(id))};
}"""


class Walker:
    """The browsers of one JavaScript mode: one context per person, all on one browser."""

    def __init__(self, browser, server, js, staff_password):
        self.browser, self.server, self.js = browser, server, js
        self.staff_password = staff_password
        self.pages = {}
        self.problems = []
        self._replay = None

    def page(self, who):
        if who not in self.pages:
            context = self.browser.new_context(base_url=self.server.url, java_script_enabled=self.js, locale="pl-PL",
                                               viewport={"width": 1366, "height": 900})
            context.set_default_timeout(TIMEOUT_MS)
            context.on("console", self._console)
            context.on("weberror", lambda error: self.problems.append(f"page error: {error.error}"))
            page = context.new_page()
            if who != VISITOR:
                self._log_in(page, who)
            self.pages[who] = page
        return self.pages[who]

    def _log_in(self, page, email):
        password = self.staff_password if email == STAFF else PASSWORD
        main = page.locator("#main")
        page.goto("/logowanie")
        main.get_by_label("Adres e-mail", exact=True).fill(email)
        main.get_by_label("Hasło", exact=True).fill(password)
        main.get_by_role("button", name="Zaloguj się", exact=True).click()
        if email in (TWO_STEP, HALFWAY, STAFF):  # staff always have two-step sign-in
            page.wait_for_url(re.compile(r"/logowanie/weryfikacja$"))
            if email == HALFWAY:
                return
            codes = self._recovery_codes(email)
            page.goto("/logowanie/weryfikacja/kod-zapasowy")
            main.get_by_label("Kod zapasowy", exact=True).fill(codes.pop())
            main.get_by_role("button", name="Potwierdź", exact=True).click()
        page.wait_for_url(re.compile(r"/(panel|konto/nowe-dokumenty)"))
        # The pages behind re-authentication: the account's, and the back office.
        confirm = {ADMIN: ("/konto/potwierdz", r"/konto$"), TWO_STEP: ("/konto/potwierdz", r"/konto$"),
                   STAFF: ("/obsluga/potwierdz", r"/obsluga/$")}
        if email in confirm:
            path, done = confirm[email]
            page.goto(path)
            main.get_by_label("Hasło", exact=True).fill(password)
            if email in (TWO_STEP, STAFF):
                main.get_by_label("Kod z aplikacji lub kod zapasowy", exact=True).fill(codes.pop())
            main.get_by_role("button", name="Potwierdź", exact=True).click()
            page.wait_for_url(re.compile(done))

    def _recovery_codes(self, email):
        """New recovery codes of an account (a walk before this one may have used or replaced them)."""
        with self.server.app.test_request_context(), database.connection_context():
            return twostep_flow.regenerate_recovery_codes(User.get(User.email == email))

    def _console(self, message):
        text = message.text
        if "Content Security Policy" in text or "Content-Security-Policy" in text or "Refused to" in text:
            self.problems.append(f"CSP violation: {text}")
        elif message.type == "error" and not EXPECTED_CONSOLE_ERRORS.match(text) and not WALK_STATUSES.match(text):
            self.problems.append(f"console error: {text}")

    def close(self):
        for page in self.pages.values():
            page.context.close()
        if self._replay is not None:
            self._replay.context.close()

    # -- one visit --------------------------------------------------------------------------
    def visit(self, visit, values):
        page = self.page(visit.who)
        main = page.locator("#main")
        response = page.goto(visit.path.format(**values))
        assert response.status < 500, f"{response.status} for {page.url}"
        for label in visit.uncheck:
            main.get_by_label(label, exact=True).uncheck()
        for label in visit.check:
            main.get_by_label(label).check()
        for label, value in visit.fill:
            main.get_by_label(label, exact=True).fill(value.format(**values))
        if visit.submit:
            self._press(page, main.get_by_role("button", name=visit.submit, exact=True))
        if visit.heading:
            expect(main.locator("h1")).to_contain_text(visit.heading)
        if visit.errors:
            self._check_error_state(page)
        axe_page = page if self.js else self._replay_of(page)
        for width, height in VIEWPORTS:
            page.set_viewport_size({"width": width, "height": height})
            where = f"{page.url} ({'JS' if self.js else 'no JS'}, {width}×{height})"
            for frame in page.frames:
                for problem in frame.evaluate(OVERFLOW) if frame == page.main_frame else self._frame_overflow(frame):
                    self.problems.append(f"{where}: {problem}")
            for problem in page.evaluate(INVALID_BORDERS):
                self.problems.append(f"{where}: {problem}")
            self._axe(axe_page, width, height, where)

    def _press(self, page, button):
        if self.js:
            with page.expect_response(lambda r: r.request.method == "POST"):
                button.click()
            page.wait_for_function(
                "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')")
        else:
            with page.expect_navigation():
                button.click()

    def _check_error_state(self, page):
        summary = page.locator("#error-summary")
        expect(summary).to_be_visible()
        expect(summary).to_be_focused()
        expect(page).to_have_title(re.compile(r"^Błąd: "))
        order = page.evaluate(SUMMARY_ORDER)
        assert order["links"], f"{page.url}: the error summary links to no field"
        assert order["links"] == order["fields"], (
            f"{page.url}: summary order {order['links']} ≠ fields {order['fields']}")

    @staticmethod
    def _frame_overflow(frame):
        width = frame.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        return [f"frame {frame.url} is {width[0]}px wide in {width[1]}px"] if width[0] > width[1] + 1 else []

    # -- axe ---------------------------------------------------------------------------------
    def _axe(self, page, width, height, where):
        page.set_viewport_size({"width": width, "height": height})
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.evaluate(_axe.axe_script)
        results = page.evaluate(
            "options => axe.run(document, options)",
            {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]},
        )
        if results["violations"]:
            self.problems.append(f"{where}: axe:\n" + _describe(results["violations"]))

    def _replay_of(self, page):
        """axe needs JavaScript: the very document the no-JS page shows, in a context with
        JavaScript on and the page's own scripts blocked."""
        if self._replay is None:
            context = self.browser.new_context(base_url=self.server.url, locale="pl-PL")
            self._replay = context.new_page()
            self._replay.route("**/*.js", lambda route: route.abort())
        url, html = page.url, page.content()

        def this_page(candidate):
            return candidate == url

        self._replay.route(this_page, lambda route: route.fulfill(status=200, content_type="text/html; charset=utf-8",
                                                                  body=html))
        self._replay.goto(url)
        self._replay.unroute(this_page)
        return self._replay


@pytest.mark.browser
def test_every_page_fits_phones_and_desktops_and_passes_axe(browser, world, js):
    server, values = world
    walker = Walker(browser, server, js, values["staff_password"])
    started = time.monotonic()
    # While working on a few pages: KONTO_WALK=twostep (a regular expression) visits only the
    # pages whose endpoint or path it matches. The landing runs the whole walk.
    only = re.compile(os.environ.get("KONTO_WALK", ""))
    walk = [visit for visit in WALK if only.search(f"{visit.endpoint} {visit.path}")]
    try:
        for visit in walk:
            try:
                walker.visit(visit, values)
            except (AssertionError, PlaywrightError) as error:
                walker.problems.append(f"{visit.path} as {visit.who}: " + " / ".join(str(error).splitlines()[:3]))
    finally:
        walker.close()
    print(f"\nwalked {len(walk)} pages × {len(VIEWPORTS)} sizes, JS {'on' if js else 'off'}: "
          f"{time.monotonic() - started:.1f} s")
    assert not walker.problems, f"{len(walker.problems)} problems:\n" + "\n".join(walker.problems)
