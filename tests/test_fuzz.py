"""Property-based: anything posted to any POST route — never a 5xx, and a refusal writes nothing.

Every POST rule of the app's url_map is a target (a route added later is fuzzed too), as an
outsider, as a logged-in user with a company, its users and invitations, a draft and an access
request, and as a browser halfway through a two-step sign-in (the password typed, the code not
yet). Bodies are
arbitrary: unknown and known field names, any text, huge values, repeated and missing fields,
JSON, raw bytes under any content type; CSRF tokens valid, missing or forged; with and
without htmx. CSRF protection is on, as in production; rate limits are off (they would only
answer 429 sooner).
"""

import io
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict
from werkzeug.routing import IntegerConverter

from konto import create_app
from konto.db import database
from konto.flows import staff
from konto.models import ALL_MODELS
from konto.models import AccessRequest
from konto.models import Company
from konto.models import CompanyDraft
from konto.models import Invitation
from konto.models import Membership
from konto.models import UserSession
from tests.helpers import PASSWORD
from tests.helpers import Clock
from tests.helpers import Journey
from tests.helpers import make_config
from tests.licence_helpers import licence_objects

pytestmark = pytest.mark.slow  # hypothesis walks every POST route

FIELDS = [
    "email", "password", "password_repeat", "first_name", "last_name", "accept_terms", "accept_privacy",
    "accept_marketing", "remember", "next", "number", "statement", "by_email", "by_phone", "by_sms",
    "contact_email", "phone", "name", "street", "building", "unit", "postal_code", "city", "company_id",
    "decyzja", "current_password", "new_password", "new_email", "csrf_token", "rola", "admin", "member_id",
    "akcja", "reason", "produkt", "product", "quantity", "valid_until", "until", "tax_id", "program", "stations",
    "abonament_until", "pending", "accept", "version", "statement", "code", "credential", "challenge", "cel",
    "require",
]  # fmt: skip
# Status codes that mean "refused": nothing may have been written.
REFUSED = {400, 401, 403, 404, 405, 413, 415, 422}
# Rows a refusal may legitimately add: the audit log records failed logins.
LOGS = {"auditevent"}

_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')

# Integers no id column can hold (PostgreSQL's integer, SQLite's 64 bits), and negative ones.
OUT_OF_RANGE = [2**31, 2**63, 2**64, 10**30, -1, -(2**63) - 1]

texts = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=300),
    st.sampled_from(["", " ", "0", "-1", "99999999999999999999", "y", "on", "accept", "decline",
                     "anna@example.com", PASSWORD, "PL5250001003", "5250001003", "DE123456788",
                     "<script>alert(1)</script>", "' OR 1=1 --", "\x00", "a\r\nBcc: x@evil", "../../etc/passwd",
                     "%00", "{{7*7}}", "javascript:alert(1)", "//evil.example", "123456", "abcd-efgh-jkmn-pqrs",
                     "register", "second_step", "sign_in", "reauth", '{"id": "x", "response": {}}',
                     "admin", "member", "1", "2", "/panel/żółw", "x" * 100]),
    st.sampled_from([str(n) for n in OUT_OF_RANGE]),
    st.integers(min_value=10_000, max_value=70_000).map(lambda n: "x" * n),  # around MAX_CONTENT_LENGTH
)
field_names = st.one_of(st.sampled_from(FIELDS), st.text(max_size=20))
form_bodies = st.lists(st.tuples(field_names, texts), max_size=12)  # repeats allowed
# A part sent as a file (multipart) where a text field is expected.
file_parts = st.tuples(st.binary(max_size=200), st.sampled_from(["a.txt", "", "ż.pdf", "../x"]))
tokens = st.sampled_from(["valid", "missing", "forged", "other-session"])
encodings = st.sampled_from(["form", "multipart", "files", "json", "raw", "file"])
# Uploads: what a claim's statement might be (a real PDF, a renamed executable, nothing), under any name.
file_bodies = st.one_of(st.binary(max_size=3000), st.just(b"%PDF-1.4\n%%EOF\n"), st.just(b"MZ\x90\x00" * 50))
file_names = st.one_of(st.text(max_size=40), st.sampled_from(["o.pdf", "../../etc/passwd.pdf", "a\\b.pdf", ".pdf", ""]))
raw_types = st.sampled_from(["text/plain", "application/xml", "application/octet-stream",
                             "application/x-www-form-urlencoded; charset=latin-1", "multipart/form-data",
                             "", "application/json"])


def post_rules(app):
    return sorted(
        (rule for rule in app.url_map.iter_rules() if "POST" in rule.methods and rule.endpoint != "static"),
        key=lambda rule: rule.rule,
    )


def counts():
    with database.connection_context():
        return {model._meta.table_name: model.select().count() for model in ALL_MODELS
                if model._meta.table_name not in LOGS}


class World:
    """A user with a company (and another member in it), a draft, a pending access request from
    another user, an invitation she sent and one sent to her into another company; licences, a
    claim and the back office (staff@example.com) with one of everything to act on; a user with
    two-step sign-in on (carol@example.com)."""

    def __init__(self, app, clock):
        self.app = app
        anna = Journey(app.test_client())
        anna.signed_up(email="anna@example.com")
        anna.add_company("PL5250001003")
        bob = Journey(app.test_client())
        bob.signed_up(email="bob@example.com")
        response = bob.client.post("/firmy/dodaj", data={"number": "PL5250001003"})
        bob.client.post(response.headers["Location"].replace("/dane", "/dostep"))
        bob.client.post("/firmy/dodaj", data={"number": "PL6770002009"})
        carol = Journey(app.test_client())
        carol.signed_up(email="carol@example.com")
        carol.turn_on_app(clock)
        dora = Journey(app.test_client())
        dora.signed_up(email="dora@example.com")
        dora.add_company("PL6770002009", contact_email="dora@example.com")
        with database.connection_context():
            anna_company = Company.get(Company.tax_id == "PL5250001003").id
            dora_company = Company.get(Company.tax_id == "PL6770002009").id
        anna.client.post(f"/firmy/{anna_company}/uzytkownicy/dodaj", data={"email": "dora@example.com"})
        with database.connection_context():
            invitation_id = Invitation.get().id
        dora.client.post(f"/zaproszenia/{invitation_id}", data={"decyzja": "accept"})
        anna.client.post(f"/firmy/{anna_company}/uzytkownicy/dodaj", data={"email": "dave@example.com"})
        dora.client.post(f"/firmy/{dora_company}/uzytkownicy/dodaj", data={"email": "anna@example.com"})
        with database.connection_context():
            self.values = {
                "company_id": anna_company,
                "request_id": AccessRequest.get().id,
                "session_id": UserSession.select().first().id,
                "key": CompanyDraft.select().first().key,
                "token": "eyJ1IjoxLCJmIjoiMTIzIn0.awVJnA.FRwDGTeSZFLdURp_YbUeND2101g",
                "member_id": Membership.get(Membership.company == anna_company, Membership.role == "member").id,
                "invitation_id": Invitation.get(Invitation.email == "dave@example.com").id,
            }
            assert Invitation.select().where(Invitation.status == "pending").count() == 2
        self.values.update(licence_objects(self.values["company_id"]))
        # Staff always have two-step sign-in: the app's code at sign-in and in the back office.
        self.staff = Journey(app.test_client())
        self.staff.signed_up(email="staff@example.com")
        with app.app_context(), database.connection_context():
            staff.grant("staff@example.com")
        self.staff.turn_on_app(clock)
        self.clients = []  # test_file_parts_and_out_of_range_integers' three, logged in once


def post_with_token(client, path, data):
    token = _TOKEN.search(client.get(path).data.decode()).group(1)
    return client.post(path, data={**data, "csrf_token": token})


def login(world, client, email):
    response = post_with_token(client, "/logowanie", {"email": email, "password": PASSWORD})
    assert response.status_code == 303
    if email.startswith(("carol@", "staff@")):  # two-step sign-in on: the browser holds a half-session now
        assert response.headers["Location"] == "/logowanie/weryfikacja"
    if email.startswith("staff@"):
        response = post_with_token(client, "/logowanie/weryfikacja", {"code": world.staff.next_code()})
        assert response.status_code == 303
        response = post_with_token(client, "/obsluga/potwierdz", {"password": PASSWORD,
                                                                  "code": world.staff.next_code()})
        assert response.status_code == 303


# Who posts: an outsider, a logged-in user with a company, staff (past the back office's checks),
# and a browser halfway through a two-step sign-in (the password typed, the code not yet).
ROLES = {"outsider": False, "user": True, "staff": "staff", "half-session": "half-session"}


@pytest.fixture(scope="module")
def clock():
    """The TOTP clock, for the module's worlds (the conftest's is per test)."""
    with pytest.MonkeyPatch.context() as patch:
        moved = Clock()
        patch.setattr("konto.factors._now", moved)
        yield moved


@pytest.fixture(scope="module")
def world(role, tmp_path_factory, clock):
    """One world per role, built once and walked route after route, as one walk over every route
    did before it was split into a test per route. It is built with CSRF off (quicker), then CSRF
    is switched on for the fuzzing (not for the plain posts, which must reach the views)."""
    app = create_app(make_config(tmp_path_factory.mktemp(f"fuzz-{role}"), RATELIMIT_ENABLED=False))
    built = World(app, clock)
    app.config["WTF_CSRF_ENABLED"] = role in ROLES
    yield built
    database.close()


def _post_routes_at_collection():
    """The POST routes (rule, endpoint) of an app configured as the worlds are: the tests are made
    from them, so a route added later gets its own tests without anyone listing it."""
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(make_config(Path(folder), DATABASE_URL=f"sqlite:///{folder}/routes.sqlite3",
                                     RATELIMIT_ENABLED=False))
        database.close()
        return [(rule.rule, rule.endpoint) for rule in post_rules(app)]


POST_ROUTES = _post_routes_at_collection()
EVERY_RULE = [rule for rule, _ in POST_ROUTES]
# A program's endpoints (the OAuth ones, the API): a Bearer token, never the browser's session; they
# read no cookie, so who is logged in changes nothing: the outsider's walk has them.
PROGRAM_ENDPOINTS = ("oauth.", "api.")
BROWSER_RULES = [rule for rule, endpoint in POST_ROUTES if not endpoint.startswith(PROGRAM_ENDPOINTS)]


def rule_id(rule):
    return f"POST {rule}"


def url_for_rule(app, rule, values, arguments):
    filled = {}
    for name in rule.arguments:
        choice = arguments.get(name)
        filled[name] = values.get(name, 1) if choice is None else choice
    adapter = app.url_map.bind("localhost")
    return adapter.build(rule.endpoint, filled, method="POST")


def path_values(rule):
    values = {}
    for name in rule.arguments:
        if isinstance(rule._converters[name], IntegerConverter):
            values[name] = st.one_of(
                st.none(), st.integers(min_value=0, max_value=2**62), st.sampled_from(OUT_OF_RANGE))
        else:
            values[name] = st.one_of(st.none(), st.text(min_size=1, max_size=60))
    return st.fixed_dictionaries(values)


def file_part(data):
    content, filename = data.draw(file_parts, label="file")
    return (io.BytesIO(content), filename)


def check(world, logged_in, rule, data):
    app = world.app
    arguments = data.draw(path_values(rule), label="path")
    body = data.draw(form_bodies, label="body")
    token = data.draw(tokens, label="csrf")
    encoding = data.draw(encodings, label="encoding")
    htmx = data.draw(st.booleans(), label="htmx")

    client = app.test_client()
    if logged_in:
        login(world, client, {"staff": "staff@example.com", "half-session": "carol@example.com"}.get(
            logged_in, "anna@example.com"))
    page = {False: "/logowanie", "half-session": "/logowanie/weryfikacja"}.get(logged_in, "/firmy/dodaj")
    page_token = _TOKEN.search(client.get(page).data.decode())
    csrf = {
        "valid": page_token.group(1) if page_token else None,
        "missing": None,
        "forged": "ImZvcmdlZCI.forged.signature",
        "other-session": "IjAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAi.awVKsg.S-DjVg9sOJFPiREgj141hTdLLUM",
    }[token]
    if csrf is not None:
        body = [("csrf_token", csrf)] + body
    try:
        url = url_for_rule(app, rule, world.values, arguments)
    except Exception:  # noqa: BLE001 - a value the URL cannot carry: the route cannot be reached
        return
    headers = {"HX-Request": "true"} if htmx else {}
    if csrf is not None and htmx:
        headers["X-CSRFToken"] = csrf
    before = counts()
    if encoding == "form":
        response = client.post(url, data=MultiDict(body), headers=headers)
    elif encoding == "multipart":
        response = client.post(url, data=MultiDict(body), headers=headers, content_type="multipart/form-data")
    elif encoding == "files":
        as_files = data.draw(st.lists(st.booleans(), min_size=len(body), max_size=len(body)), label="as files")
        parts = [(name, file_part(data) if as_file and name != "csrf_token" else value)
                 for (name, value), as_file in zip(body, as_files, strict=True)]
        response = client.post(url, data=MultiDict(parts), headers=headers, content_type="multipart/form-data")
    elif encoding == "json":
        response = client.post(url, json=dict(body), headers=headers)
    elif encoding == "file":
        files = MultiDict(body)
        files.add(data.draw(st.sampled_from(["statement", "plik", "number"]), label="file field"),
                  (io.BytesIO(data.draw(file_bodies, label="file")), data.draw(file_names, label="file name")))
        response = client.post(url, data=files, headers=headers, content_type="multipart/form-data")
    else:
        raw = data.draw(st.binary(max_size=2000), label="raw")
        response = client.post(url, data=raw, headers=headers, content_type=data.draw(raw_types, label="type"))
    after = counts()
    assert response.status_code < 500, (rule.rule, response.status_code, response.data[:500])
    if response.status_code in REFUSED:
        assert after == before, (rule.rule, response.status_code, before, after)
    return rule.endpoint


EXAMPLES_PER_ROUTE = 12


def the_rule(app, path):
    rule = next((rule for rule in post_rules(app) if rule.rule == path), None)
    assert rule is not None, f"{path}: no such POST route in the world's app"
    return rule


def fuzz_route(world, role, path):
    """The route's own examples, posted by one role: never a 5xx, and a refusal writes nothing."""
    rule = the_rule(world.app, path)
    reached = []

    @settings(
        max_examples=EXAMPLES_PER_ROUTE,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                               HealthCheck.data_too_large],
    )
    @given(data=st.data())
    def fuzz(data):
        reached.append(check(world, ROLES[role], rule, data))

    fuzz()
    assert any(reached), f"{path}: no example reached the route"


@pytest.mark.parametrize("rule", EVERY_RULE, ids=rule_id)
@pytest.mark.parametrize("role", ["outsider"], scope="module")
def test_anything_posted_by_an_outsider(world, role, rule):
    fuzz_route(world, role, rule)


@pytest.mark.parametrize("rule", BROWSER_RULES, ids=rule_id)
@pytest.mark.parametrize("role", ["user", "staff", "half-session"], scope="module")
def test_anything_posted_by_someone_logged_in(world, role, rule):
    """A user with a company; staff, past the back office's checks (role and recent password); a
    browser halfway through a two-step sign-in (the password typed, the code not yet)."""
    fuzz_route(world, role, rule)


def test_every_post_route_is_fuzzed(tmp_path):
    """The tests above are made from the routes at collection: the app the worlds are has exactly
    those (a route only the worlds' configuration adds would otherwise go unfuzzed)."""
    app = create_app(make_config(tmp_path, RATELIMIT_ENABLED=False))
    try:
        assert [(rule.rule, rule.endpoint) for rule in post_rules(app)] == POST_ROUTES
        assert len(EVERY_RULE) >= 29 and len(BROWSER_RULES) >= 29
    finally:
        database.close()


# Every known field as a file part; every known field as each out-of-range integer.
FILE_AND_NUMBER_BODIES = [lambda: MultiDict([(name, (io.BytesIO(b"x"), "a.txt")) for name in FIELDS])]
FILE_AND_NUMBER_BODIES += [lambda n=number: MultiDict([(name, str(n)) for name in FIELDS]) for number in OUT_OF_RANGE]


def clients_of_three(world):
    """An outsider's, a user's and staff's clients (logged in once per world), CSRF off."""
    if not world.clients:
        for who in (None, "anna@example.com", "staff@example.com"):
            client = world.app.test_client()
            if who:
                assert Journey(client).login(email=who).status_code == 303
            if who and who.startswith("staff@"):  # staff always have two-step sign-in: the app's code, twice
                assert client.post("/logowanie/weryfikacja", data={"code": world.staff.next_code()}).status_code == 303
                confirmed = client.post("/obsluga/potwierdz", data={"password": PASSWORD,
                                                                   "code": world.staff.next_code()})
                assert confirmed.status_code == 303
            world.clients.append(client)
    return world.clients


@pytest.mark.parametrize("rule", EVERY_RULE, ids=rule_id)
@pytest.mark.parametrize("role", ["plain-posts"], scope="module")
def test_file_parts_and_out_of_range_integers(world, role, rule):
    """Not left to chance: every POST route, as an outsider, a user and staff, gets every known
    field as a file part and every known field as each out-of-range integer; and each
    out-of-range integer in its path is a 404 (issue 10, item 8). CSRF is off in this world, to
    reach the views: the CSRF check is fuzzed above."""
    app = world.app
    rule = the_rule(app, rule)
    for client in clients_of_three(world):
        path = url_for_rule(app, rule, world.values, {})
        for body in FILE_AND_NUMBER_BODIES:
            before = counts()
            response = client.post(path, data=body(), content_type="multipart/form-data")
            assert response.status_code < 500, (path, response.status_code, response.data[:300])
            if response.status_code in REFUSED:
                assert counts() == before, (path, response.status_code)
        # An id no column can hold never reaches the view (nor the database): 404 (405 where
        # the path matches another route's, e.g. a GET one's).
        int_args = [name for name in rule.arguments if isinstance(rule._converters[name], IntegerConverter)]
        for name in int_args:
            for number in OUT_OF_RANGE:
                bad_path = url_for_rule(app, rule, world.values, {name: number})
                response = client.post(bad_path, data=FILE_AND_NUMBER_BODIES[0](), content_type="multipart/form-data")
                assert response.status_code in (404, 405), (bad_path, response.status_code)


def test_some_post_routes_take_integer_ids():
    """The out-of-range paths above are tried somewhere."""
    assert any("<int:" in rule for rule in EVERY_RULE)
