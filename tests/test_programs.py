"""Desktop programs connect to the account: the device flow (RFC 8628), the code page, tokens,
rotation and revocation, "Połączone programy", and what ends a connection."""

import logging

import pytest
from authlib.oauth2.rfc8414 import AuthorizationServerMetadata

from konto import create_app
from konto.db import database
from konto.flows import members
from konto.flows import programs as flow
from konto.models import AuditEvent
from konto.models import Company
from konto.models import DeviceAuthorization
from konto.models import Membership
from konto.models import ProgramClient
from konto.models import ProgramConnection
from konto.models import ProgramConnectionCompany
from konto.models import ProgramToken
from konto.models import User
from tests.helpers import PASSWORD
from tests.helpers import Journey
from tests.helpers import link_in
from tests.helpers import mails_to
from tests.helpers import make_config
from tests.helpers import run_together
from tests.program_helpers import PROGRAM_IP
from tests.program_helpers import Program
from tests.program_helpers import admin_with_company
from tests.program_helpers import after
from tests.program_helpers import approve
from tests.program_helpers import company_id
from tests.program_helpers import connected
from tests.program_helpers import decide
from tests.program_helpers import enter_code
from tests.program_helpers import offered_companies

ALPHABET = set("BCDFGHJKLMNPQRSTVWXZ")


@pytest.fixture
def anna(app):
    return admin_with_company(app)


def events(email):
    with database.connection_context():
        user = User.get(User.email == email)
        return [e.event for e in AuditEvent.select().where(AuditEvent.user == user.id).order_by(AuditEvent.id)]


def test_a_program_connects_with_a_code_the_person_types_and_approves(app, anna):
    program = Program(app)
    asked = program.ask(machine="KASA-1")
    assert asked.status_code == 200 and asked.headers["Cache-Control"] == "no-store"
    device = asked.json
    assert set(device) == {"device_code", "user_code", "verification_uri", "expires_in", "interval"}
    assert "verification_uri_complete" not in device  # no link carries a code: the person types it
    code = device["user_code"]
    assert len(code) == 9 and code[4] == "-" and set(code.replace("-", "")) <= ALPHABET
    assert device["verification_uri"] == "http://konto.test/polacz"
    assert device["expires_in"] == 900 and device["interval"] == 5
    assert program.poll().json == {"error": "authorization_pending"}

    # Typed any way: lower case, spaces for the dash.
    assert enter_code(anna, code.lower().replace("-", " ")).headers["Location"] == "/polacz/potwierdz"
    page = anna.client.get("/polacz/potwierdz").data.decode()
    for shown in ["Program demonstracyjny", "KASA-1", "niesprawdzona", code, PROGRAM_IP,
                  "inny niż adres tej przeglądarki", "Nikt — ani Obsługa", "kliknij „Odrzuć”",
                  "rejestrować licencje", "PRZYKŁADOWA SPÓŁKA HANDLOWA"]:
        assert shown in page, shown

    assert decide(anna, "polacz", [company_id()]).headers["Location"] == "/polacz/gotowe"
    assert "Program połączony" in anna.client.get("/polacz/gotowe").data.decode()
    after(6)
    tokens = program.poll()
    assert tokens.status_code == 200 and tokens.headers["Cache-Control"] == "no-store"
    body = tokens.json
    assert body["token_type"] == "Bearer" and body["expires_in"] == 900
    assert body["access_token"].startswith("kpa_") and body["refresh_token"].startswith("kpr_")
    assert body["scope"] == "companies:read licences:read licences:register"
    assert program.get("/companies").json["companies"][0]["role"] == "admin"

    assert mails_to("anna@example.com")[0].subject == "Nowy program połączony z Twoim kontem"
    assert "KASA-1" in mails_to("anna@example.com")[0].text_body
    assert {"program_approved", "program_connected"} <= set(events("anna@example.com"))


def test_secrets_are_stored_only_as_hashes(app, anna):
    program = connected(app, anna)
    secrets = [program.device["device_code"], program.device["user_code"].replace("-", ""),
               program.tokens["access_token"], program.tokens["refresh_token"]]
    with database.connection_context():
        stored = " ".join(
            str(row.__data__) for model in (DeviceAuthorization, ProgramConnection, ProgramToken)
            for row in model.select()
        )
    for secret in secrets:
        assert secret not in stored
    assert flow.secret_hash(program.tokens["access_token"]) in stored


def test_polling_answers_exactly_as_rfc_8628_says(app, anna):
    program = Program(app)
    program.ask()
    assert program.poll().json == {"error": "authorization_pending"}
    # Too soon: slow_down, and the interval grows by 5 seconds for this and every later poll.
    slow = program.poll()
    assert slow.status_code == 400 and slow.json == {"error": "slow_down", "interval": 10}
    after(6)  # 6 s later: more than the old 5, less than the new 10
    assert program.poll().json == {"error": "slow_down", "interval": 15}
    after(6 + 16)
    assert program.poll().json == {"error": "authorization_pending"}

    # Denied: access_denied, and again while the code lives.
    assert enter_code(anna, program.device["user_code"]).status_code == 303
    assert decide(anna, "odrzuc").headers["Location"] == "/polacz/gotowe"
    assert "Prośba odrzucona" in anna.client.get("/polacz/gotowe").data.decode()
    after(6 + 16 + 20)
    assert program.poll().json["error"] == "access_denied"
    after(6 + 16 + 40)
    assert program.poll().json["error"] == "access_denied"

    # Expired: expired_token.
    late = Program(app)
    late.ask()
    after(6 + 16 + 40 + 901)
    assert late.poll().json == {"error": "expired_token"}

    # Unknown device code, or another program's: invalid_grant.
    assert program.poll(device_code="nie-ma-takiego").json["error"] == "invalid_grant"
    with database.connection_context():
        flow.add_client("inny-program", "Inny program")
    other = Program(app, client_id="inny-program")
    assert other.poll(device_code=late.device["device_code"]).json["error"] == "invalid_grant"
    assert other.http.post("/oauth/token", data={"grant_type": "refresh_token", "refresh_token": "x",
                                                 "client_id": "nie-ma"}).json["error"] == "invalid_client"


def test_a_device_code_works_once(app, anna):
    program = Program(app)
    program.ask()
    approve(anna, program)
    assert program.poll().status_code == 200
    again = program.poll()
    assert again.status_code == 400 and again.json["error"] == "invalid_grant"
    with database.connection_context():
        assert ProgramConnection.select().count() == 1


def test_two_polls_at_once_after_approval_make_one_connection(app, anna):
    program = Program(app)
    program.ask()
    approve(anna, program)
    twins = [Program(app) for _ in range(4)]
    for twin in twins:
        twin.device = program.device
    results = run_together([twin.poll for twin in twins])
    assert sorted(r.status_code for r in results) == [200, 400, 400, 400]
    with database.connection_context():
        assert ProgramConnection.select().count() == 1 and ProgramToken.select().count() == 1


def test_a_used_denied_or_expired_code_cannot_be_typed_again(app, anna):
    used, denied, expired = Program(app), Program(app), Program(app)
    for program in (used, denied, expired):
        program.ask()
    approve(anna, used)
    assert enter_code(anna, denied.device["user_code"]).status_code == 303
    decide(anna, "odrzuc")
    after(901)
    for program in (used, denied, expired):
        response = enter_code(anna, program.device["user_code"])
        assert response.status_code == 422
        assert "Nie ma takiego kodu albo już wygasł" in response.data.decode()
    # The decision page with nothing pending (after the decision, or a replayed POST) decides nothing.
    response = decide(anna, "polacz", [company_id()])
    assert response.status_code == 303 and response.headers["Location"] == "/polacz"
    with database.connection_context():
        assert [d.status for d in DeviceAuthorization.select().order_by(DeviceAuthorization.id)] == [
            "approved", "denied", "pending"]


def test_a_code_expiring_while_the_person_reads_the_page_is_not_approved(app, anna):
    program = Program(app)
    program.ask()
    assert enter_code(anna, program.device["user_code"]).status_code == 303
    after(901)
    response = decide(anna, "polacz", [company_id()])
    assert response.status_code == 303 and response.headers["Location"] == "/polacz"
    assert "wygasł" in anna.client.get("/polacz").data.decode()
    assert program.poll().json == {"error": "expired_token"}


def test_the_code_page_needs_a_logged_in_account(client):
    response = client.get("/polacz")
    assert response.status_code == 302 and "/logowanie?next=/polacz" in response.headers["Location"]
    assert client.post("/polacz", data={"code": "BCDF-GHJK"}).status_code == 302
    assert client.get("/konto/programy").status_code == 302


def test_it_never_approves_by_itself_even_for_a_program_connected_before(app, anna):
    connected(app, anna)
    again = Program(app)
    again.ask()
    assert enter_code(anna, again.device["user_code"]).status_code == 303
    assert "Czy to Twój program?" in anna.client.get("/polacz/potwierdz").data.decode()
    assert again.poll().json == {"error": "authorization_pending"}


def test_connecting_needs_a_company_and_only_the_persons_own(app, anna):
    bob = admin_with_company(app, "bob@example.com", "PL6770002009")
    program = Program(app)
    program.ask()
    assert enter_code(anna, program.device["user_code"]).status_code == 303
    assert offered_companies(anna) == [company_id()]
    nothing = decide(anna, "polacz", [])
    assert nothing.status_code == 422 and "Wybierz co najmniej jedną firmę" in nothing.data.decode()
    forged = decide(anna, "polacz", [company_id("PL6770002009")])  # bob's company
    assert forged.status_code == 422
    garbage = anna.client.post("/polacz/potwierdz", data={"decyzja": "polacz", "companies": ["abc"]})
    assert garbage.status_code == 422
    neither = anna.client.post("/polacz/potwierdz", data={"companies": [company_id()]})
    assert neither.status_code == 422 and "Połącz albo Odrzuć" in neither.data.decode()
    with database.connection_context():
        assert DeviceAuthorization.get().status == "pending"
    assert decide(anna, "polacz", [company_id()]).status_code == 303
    program.poll()
    assert [c["tax_id"] for c in program.get("/companies").json["companies"]] == ["PL5250001003"]
    assert bob.client.get("/konto/programy").data.decode().count("Rozłącz<") == 0


def test_a_person_without_companies_can_only_refuse(app):
    journey = Journey(app.test_client())
    journey.signed_up()
    program = Program(app)
    program.ask()
    enter_code(journey, program.device["user_code"])
    page = journey.client.get("/polacz/potwierdz").data.decode()
    assert "Nie masz jeszcze żadnej firmy" in page and 'value="polacz"' not in page
    assert decide(journey, "polacz", []).status_code == 422
    assert decide(journey, "odrzuc").status_code == 303


def test_the_decision_needs_the_csrf_token(app, anna):
    program = Program(app)
    program.ask()
    assert enter_code(anna, program.device["user_code"]).status_code == 303
    app.config["WTF_CSRF_ENABLED"] = True
    response = anna.client.post("/polacz/potwierdz", data={"decyzja": "polacz", "companies": [company_id()]})
    assert response.status_code == 400
    with database.connection_context():
        assert DeviceAuthorization.get().status == "pending"


def test_refresh_tokens_rotate_and_a_reused_one_ends_the_family(app, anna):
    program = connected(app, anna)
    first = dict(program.tokens)
    fresh = program.refresh()
    assert fresh.status_code == 200
    second = fresh.json
    assert second["refresh_token"] != first["refresh_token"] and second["access_token"] != first["access_token"]
    assert program.get("/me", token=second["access_token"]).status_code == 200

    # The first refresh token again: someone has a copy. The whole connection ends.
    stolen = program.refresh(first["refresh_token"])
    assert stolen.status_code == 400 and stolen.json["error"] == "invalid_grant"
    assert program.get("/me", token=second["access_token"]).status_code == 401
    assert program.refresh(second["refresh_token"]).json["error"] == "invalid_grant"
    assert "program_token_reused" in events("anna@example.com")
    assert "Program demonstracyjny" not in anna.client.get("/konto/programy").data.decode()


def test_two_refreshes_at_once_with_one_token_one_wins_and_the_family_stays_whole(app, anna):
    program = connected(app, anna)
    racers = [Program(app) for _ in range(3)]
    token = program.tokens["refresh_token"]
    results = run_together([lambda r=racer: r.refresh(token) for racer in racers])
    winners = [r for r in results if r.status_code == 200]
    assert len(winners) == 1, [r.json for r in results]
    assert all(r.json["error"] == "invalid_grant" for r in results if r.status_code != 200)
    winner = winners[0].json
    with database.connection_context():
        assert ProgramConnection.get().revoked_at is None  # no theft: the same program twice at once
        assert ProgramToken.select().where(ProgramToken.refresh_used_at.is_null()).count() == 1  # no split
    assert program.get("/me", token=winner["access_token"]).status_code == 200
    assert program.refresh(winner["refresh_token"]).status_code == 200


def test_rozlacz_ends_the_connection_at_once(app, anna):
    program = connected(app, anna, machine="BIURO-ANNA")
    program.get("/companies")
    page = anna.client.get("/konto/programy").data.decode()
    for shown in ["Program demonstracyjny", "BIURO-ANNA", "PRZYKŁADOWA SPÓŁKA HANDLOWA", PROGRAM_IP, "Rozłącz"]:
        assert shown in page, shown
    with database.connection_context():
        connection_id = ProgramConnection.get().id
    response = anna.client.post(f"/konto/programy/{connection_id}/rozlacz")
    assert response.status_code == 303 and response.headers["Location"] == "/konto/programy"
    refused = program.get("/companies")
    assert refused.status_code == 401 and refused.mimetype == "application/problem+json"
    assert refused.json["code"] == "UNAUTHENTICATED"
    assert program.refresh().json["error"] == "invalid_grant"
    assert "BIURO-ANNA" not in anna.client.get("/konto/programy").data.decode()
    assert "program_disconnected" in events("anna@example.com")
    # Again (a double click): nothing more to end, no error page.
    assert anna.client.post(f"/konto/programy/{connection_id}/rozlacz").status_code == 303


def test_a_password_reset_ends_every_connection(app, anna):
    programs = [connected(app, anna, machine=f"PC-{n}") for n in range(2)]
    anna.client.post("/haslo/nie-pamietam", data={"email": "anna@example.com"})
    reset = link_in(mails_to("anna@example.com")[0], "/haslo/nowe/")
    new_password = "zupelnie-nowe-haslo-2026"
    assert anna.client.post(reset, data={"password": new_password, "password_repeat": new_password}).status_code == 303
    for program in programs:
        assert program.get("/me").status_code == 401
        assert program.refresh().json["error"] == "invalid_grant"
    assert "programs_disconnected" in events("anna@example.com")


def test_to_nie_ja_ends_every_connection(app, anna):
    """Whoever moved the address knew the password and may have connected a program while logged
    in: "to nie ja" is a lost account, like a reset (issue 10, item 2)."""
    program = connected(app, anna)
    anna.client.post("/konto/potwierdz", data={"password": PASSWORD})
    assert anna.client.post("/konto/email", data={"email": "evil@example.com"}).status_code == 200
    assert anna.client.post(link_in(mails_to("evil@example.com")[0], "/konto/email/potwierdz/")).status_code == 303
    owner = app.test_client()
    assert owner.post(link_in(mails_to("anna@example.com")[0], "/konto/email/cofnij/")).status_code == 200
    assert program.get("/me").status_code == 401
    assert program.refresh().json["error"] == "invalid_grant"
    assert "programs_disconnected" in events("anna@example.com")


def test_deleting_the_account_ends_every_connection(app, anna):
    program = connected(app, anna)
    anna.client.post("/konto/potwierdz", data={"password": PASSWORD})
    assert anna.client.post("/konto/usun", data={"confirm": "y"}).status_code == 303
    assert program.get("/me").status_code == 401
    with database.connection_context():
        assert ProgramConnection.select().count() == 0 and ProgramToken.select().count() == 0


def test_removal_from_a_company_takes_it_out_of_the_api_on_the_next_call(app, anna):
    """Through the one place a membership ends (konto.flows.members.end_membership): removed by
    an administrator, or leaving; either way the program loses that company on its next call."""
    bob = admin_with_company(app, email="bob@example.com", tax_id="PL6760003007")
    anna.add_company("PL6770002009")
    first, second = company_id(), company_id("PL6770002009")
    with database.connection_context():
        bob_user = User.get(User.email == "bob@example.com")
        for company in (first, second):
            members.join(bob_user, Company.get_by_id(company), "member")
    program = connected(app, bob)
    assert len(program.get("/companies").json["companies"]) == 3
    assert program.get(f"/companies/{first}/licences").status_code == 200

    with database.connection_context():
        bob_in_first = Membership.get((Membership.user == bob_user.id) & (Membership.company == first)).id
    assert anna.client.post(f"/firmy/{first}/uzytkownicy/{bob_in_first}/usun").status_code == 303  # Usuń z firmy
    gone = program.get(f"/companies/{first}/licences")
    assert gone.status_code == 404 and gone.json["code"] == "COMPANY_NOT_FOUND"
    assert bob.client.post(f"/firmy/{second}/opusc").status_code == 303  # Opuść firmę
    assert program.get(f"/companies/{second}/licences").status_code == 404
    assert [c["tax_id"] for c in program.get("/companies").json["companies"]] == ["PL6760003007"]
    with database.connection_context():
        assert ProgramConnectionCompany.select().count() == 1  # the rows went with the memberships
        members.join(bob_user, Company.get_by_id(first), "admin")  # back in the company later:
    assert program.get(f"/companies/{first}/licences").status_code == 404  # the old connection stays out


def test_the_program_revokes_its_tokens_rfc_7009(app, anna):
    program = connected(app, anna)
    access = program.tokens["access_token"]
    response = program.revoke(access, "access_token")
    assert response.status_code == 200 and response.json == {}
    assert program.get("/me", token=access).status_code == 401
    assert program.refresh().status_code == 200  # the access token only
    assert program.revoke("nie-ma-takiego-tokenu").status_code == 200  # unknown: 200 all the same
    with database.connection_context():
        flow.add_client("inny-program", "Inny program")
    stranger = Program(app, client_id="inny-program")
    assert stranger.revoke(program.tokens["refresh_token"], "refresh_token").status_code == 200
    assert program.get("/me").status_code == 200  # another program cannot revoke this one's tokens
    assert program.revoke(program.tokens["refresh_token"], "refresh_token").status_code == 200
    assert program.get("/me").status_code == 401  # a refresh token ends the whole connection
    assert program.http.post("/oauth/revoke", data={"client_id": "demo-program"}).json["error"] == "invalid_request"


def test_server_metadata_rfc_8414(tmp_path):
    app = create_app(make_config(tmp_path, KONTO_BASE_URL="https://konto.example.pl"))
    response = app.test_client().get("/.well-known/oauth-authorization-server")
    metadata = AuthorizationServerMetadata(response.json)
    # Every member as RFC 8414 wants it; response_types_supported is there but empty, as there
    # is no authorization endpoint (only the device flow), which Authlib's check reads as missing.
    assert metadata["response_types_supported"] == []
    for name in dir(metadata):
        if name.startswith("validate_") and name != "validate_response_types_supported":
            getattr(metadata, name)()
    assert metadata["issuer"] == "https://konto.example.pl"
    assert metadata["device_authorization_endpoint"] == "https://konto.example.pl/oauth/device"
    assert metadata["token_endpoint"] == "https://konto.example.pl/oauth/token"
    assert metadata["revocation_endpoint"] == "https://konto.example.pl/oauth/revoke"
    assert metadata["grant_types_supported"] == [flow.DEVICE_CODE_GRANT, "refresh_token"]
    assert metadata["token_endpoint_auth_methods_supported"] == ["none"]
    assert metadata["scopes_supported"] == ["companies:read", "licences:read", "licences:register"]


def test_unknown_scopes_and_clients_are_refused(app):
    program = Program(app)
    assert program.ask(scope="companies:read admin").json["error"] == "invalid_scope"
    assert Program(app, client_id="nie-ma").ask().json["error"] == "invalid_client"
    narrow = Program(app)
    assert narrow.ask(scope="companies:read").status_code == 200
    with database.connection_context():
        assert DeviceAuthorization.select().count() == 1 and DeviceAuthorization.get().scope == "companies:read"


def test_secrets_travel_in_the_body_never_in_the_url(app, anna):
    program = Program(app)
    program.ask()
    in_url = program.http.post(f"/oauth/token?device_code={program.device['device_code']}",
                               data={"grant_type": "urn:ietf:params:oauth:grant-type:device_code",
                                     "client_id": "demo-program"})
    assert in_url.status_code == 400 and in_url.json["error"] == "invalid_request"
    approve(anna, program)
    program.poll()
    assert program.http.get(f"/api/v1/me?access_token={program.tokens['access_token']}").status_code == 401


def test_no_token_or_code_reaches_a_log(app, anna, capfd, caplog):
    caplog.set_level(logging.DEBUG)  # even at DEBUG: Authlib logs issued tokens there
    program = connected(app, anna)
    program.get("/companies")
    program.refresh()
    program.revoke(program.tokens["refresh_token"], "refresh_token")
    captured = capfd.readouterr()
    logs = captured.out + captured.err + "\n".join(r.getMessage() + str(r.__dict__) for r in caplog.records)
    assert "/oauth/token" in logs and "/api/v1/companies" in logs
    secrets = [program.device["device_code"], program.device["user_code"], program.tokens["access_token"],
               program.tokens["refresh_token"]]
    for secret in secrets:
        assert secret not in logs, f"{secret[:8]}… found in the logs"
    assert "kpa_" not in logs and "kpr_" not in logs


def test_a_program_turned_off_stops_at_once(app, anna):
    program = connected(app, anna)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["programs", "disable", "demo-program"]).exit_code == 0
    assert program.get("/me").status_code == 401
    assert program.refresh().json["error"] == "invalid_client"
    assert Program(app).ask().json["error"] == "invalid_client"
    assert runner.invoke(args=["programs", "enable", "demo-program"]).exit_code == 0
    assert program.get("/me").status_code == 200


def test_programs_are_data_managed_from_the_command_line(app):
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["programs", "list"])
    assert "demo-program\ton\tcompanies:read licences:read licences:register" in listed.output
    added = runner.invoke(args=["programs", "add", "sprzedaz-2026", "Sprzedaż 2026", "--scope", "companies:read"])
    assert added.exit_code == 0, added.output
    assert runner.invoke(args=["programs", "add", "sprzedaz-2026", "X"]).exit_code != 0
    assert runner.invoke(args=["programs", "add", "Zła Nazwa!", "X"]).exit_code != 0
    assert runner.invoke(args=["programs", "add", "ok-id", "X", "--scope", "root"]).exit_code != 0
    assert runner.invoke(args=["programs", "disable", "nie-ma"]).exit_code != 0
    with database.connection_context():
        assert ProgramClient.get(ProgramClient.client_id == "sprzedaz-2026").scope == "companies:read"


def test_demo_program_exists_in_every_database(app, tmp_path):
    with database.connection_context():
        assert ProgramClient.get(ProgramClient.client_id == "demo-program").active
    again = create_app(make_config(tmp_path))  # a second start does not add it twice
    with again.app_context(), database.connection_context():
        assert ProgramClient.select().where(ProgramClient.client_id == "demo-program").count() == 1


def test_guessing_codes_stops_after_the_limit_and_the_owner_of_a_real_code_is_unaffected(tmp_path):
    app = create_app(make_config(tmp_path))  # the default limits
    owner = admin_with_company(app)
    mallory = Journey(app.test_client())
    mallory.signed_up(email="mallory@example.com")
    mallory.client.environ_base["REMOTE_ADDR"] = "198.51.100.66"
    program = Program(app)
    program.ask()
    real = program.device["user_code"]
    guesses = [f"BCDF{x}GHJ" for x in "KLMNPQRSTV"]
    statuses = [enter_code(mallory, guess).status_code for guess in guesses[:7]]
    assert statuses == [422] * 5 + [429, 429]
    assert enter_code(mallory, real).status_code == 429  # even the right code: the guesser is stopped
    with database.connection_context():
        assert DeviceAuthorization.get().status == "pending"
    assert enter_code(owner, real).status_code == 303  # its owner, from their own account and address
    assert decide(owner, "polacz", [company_id()]).status_code == 303
    assert program.poll().status_code == 200


def test_the_companies_offered_are_named_with_their_number_written_as_every_page_writes_it(app, anna):
    preview = anna.client.post("/firmy/dodaj", data={"number": "de 123 456 788"}).headers["Location"]
    typed = anna.client.post(preview, data={"name": "Beispiel GmbH", "street": "Hauptstr.", "building": "5",
                                            "postal_code": "10115", "city": "Berlin"})
    done = anna.client.post(typed.headers["Location"],
                            data={"statement": "y", "by_email": "y", "contact_email": "anna@example.com"})
    assert done.status_code == 303
    program = Program(app)
    program.ask()
    assert enter_code(anna, program.device["user_code"]).status_code == 303
    page = anna.client.get("/polacz/potwierdz").data.decode()
    assert "(NIP 5250001003) — administrator" in page
    assert "(numer VAT UE DE123456788) — administrator" in page
    assert "NIP/VAT" not in page and "PL5250001003" not in page
    assert anna.client.post("/jezyk", data={"lang": "en"}).status_code in (302, 303)
    english = anna.client.get("/polacz/potwierdz").data.decode()
    assert "(EU VAT number DE123456788)" in english and "(NIP 5250001003)" in english
