"""Helpers of the test suite: the test configuration, and functions that walk the journey.

Fixtures and hooks live in conftest.py; everything a test module imports comes from here
(or from tests/http_helpers.py, tests/e2e/helpers.py, tests/registry/helpers.py).
"""

import hashlib
import os
import re
import threading

import psycopg2
from werkzeug.serving import make_server

from konto import factors
from konto.db import database
from konto.db import release_connections
from konto.flows import twostep
from konto.models import Email
from konto.models import TotpCredential
from konto.models import User
from konto.models import utcnow

PASSWORD = "zielone-jabłko-na-wiosnę"

# Encrypts the test suite's TOTP secrets (a Fernet key made for the tests).
TWO_STEP_KEY = "VzZqbepNui97tg2jupDdLK8JQOTg2J1qzQrwrIISDYA="

# argon2id still, but cheap: the suite hashes hundreds of passwords.
FAST_HASH = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}

# The suite runs on SQLite by default; KONTO_TEST_DATABASE=postgresql://user@host:port/db runs it
# on PostgreSQL, each test in a schema of its own (`make test` does both, see scripts/with-postgres).
TEST_DATABASE = os.environ.get("KONTO_TEST_DATABASE", "sqlite")
ON_POSTGRES = TEST_DATABASE.startswith("postgres")

# The PostgreSQL schemas made in this session (conftest drops them at the end).
POSTGRES_SCHEMAS = set()


def _postgres_url(tmp_path):
    """A fresh schema per test folder (the same folder gets the same schema, like a file would)."""
    schema = "t_" + hashlib.sha1(str(tmp_path).encode()).hexdigest()[:20]
    with psycopg2.connect(TEST_DATABASE) as conn, conn.cursor() as cur:
        cur.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    conn.close()
    POSTGRES_SCHEMAS.add(schema)
    separator = "&" if "?" in TEST_DATABASE else "?"
    return f"{TEST_DATABASE}{separator}options=-csearch_path%3D{schema}"


def drop_postgres_schemas():
    """Drop the schemas this session made."""
    if not POSTGRES_SCHEMAS:
        return
    release_connections()
    conn = psycopg2.connect(TEST_DATABASE)
    conn.autocommit = True  # one schema per transaction: all at once runs out of lock slots
    with conn.cursor() as cur:
        for schema in sorted(POSTGRES_SCHEMAS):
            cur.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    conn.close()


def database_url(tmp_path):
    """The test database of a test folder: a SQLite file in it, or a PostgreSQL schema of its own."""
    if ON_POSTGRES:
        return _postgres_url(tmp_path)
    return "sqlite:///" + str(tmp_path / "konto.sqlite3")


def make_config(tmp_path, **overrides):
    """The test configuration (create_app's test_config), with overrides."""
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "DATABASE_URL": database_url(tmp_path),
        "WTF_CSRF_ENABLED": False,
        "PASSWORD_HASH_PARAMS": FAST_HASH,
        "KONTO_BASE_URL": "http://konto.test",
        "KONTO_TWO_STEP_KEY": TWO_STEP_KEY,
        # The demo's mailbox, unless a test sends real mail (both at once are refused).
        "KONTO_DEMO": not overrides.get("MAIL_SERVER"),
    }
    config.update(overrides)
    return config


def mails_to(address):
    """The messages sent to an address, newest first."""
    with database.connection_context():
        return list(Email.select().where(Email.recipient == address).order_by(Email.id.desc()))


def link_in(message, path_prefix):
    """The first link in a message's text part whose path starts with path_prefix."""
    match = re.search(r"https?://[^\s/]+(" + re.escape(path_prefix) + r"[^\s]*)", message.text_body)
    assert match, f"no {path_prefix} link in: {message.text_body}"
    return match.group(1)


class Journey:
    """The steps a person takes, through the test client."""

    def __init__(self, client):
        self.client = client

    def register(self, email="anna@example.com", password=PASSWORD, **extra):
        data = {
            "first_name": "Anna",
            "last_name": "Nowak",
            "email": email,
            "password": password,
            "password_repeat": password,
            "accept_terms": "y",
            "accept_privacy": "y",
        }
        data.update(extra)
        return self.client.post("/rejestracja", data=data)

    def activate(self, email="anna@example.com", password=PASSWORD):
        """Open the newest activation link and activate with the password (this logs in)."""
        path = link_in(mails_to(email)[0], "/aktywacja/")
        return self.client.post(path, data={"password": password})

    def login(self, email="anna@example.com", password=PASSWORD, **extra):
        return self.client.post("/logowanie", data={"email": email, "password": password, **extra})

    def logout(self):
        return self.client.post("/wyloguj")

    def signed_up(self, email="anna@example.com", password=PASSWORD):
        """Register, activate and log in."""
        self.register(email=email, password=password)
        self.activate(email=email, password=password)
        response = self.login(email=email, password=password)
        assert response.status_code == 303, response.data
        return response

    def reauth(self, password=PASSWORD, code=None):
        """Confirm it is me (password, and a code when two-step sign-in is on)."""
        data = {"password": password} if code is None else {"password": password, "code": code}
        return self.client.post("/konto/potwierdz", data=data)

    def turn_on_app(self, clock, password=PASSWORD):
        """Add an authenticator app (two-step sign-in on): returns (secret, recovery codes)."""
        assert self.reauth(password).status_code == 303
        assert self.client.post("/konto/weryfikacja-dwuetapowa/aplikacja/nowa").status_code == 303
        page = self.client.get("/konto/weryfikacja-dwuetapowa/aplikacja").data.decode()
        secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
        done = self.client.post("/konto/weryfikacja-dwuetapowa/aplikacja", data={"code": app_code(secret, clock)})
        assert done.status_code == 200, done.data.decode()
        codes = re.findall(r"<li><code>([0-9a-z-]{19})</code></li>", done.data.decode())
        assert len(codes) == 10
        clock.advance(30)  # the step just used is spent: the next code comes from the next one
        self.secret, self.clock, self.recovery_codes = secret, clock, codes
        return secret, codes

    def next_code(self):
        """The code the app shows now (after turn_on_app), and the clock moved past its step."""
        code = app_code(self.secret, self.clock)
        self.clock.advance(30)
        return code

    def second_step(self, code, **headers):
        return self.client.post("/logowanie/weryfikacja", data={"code": code}, headers=headers)

    def add_company(self, number, **contact):
        response = self.client.post("/firmy/dodaj", data={"number": number})
        assert response.status_code == 303, response.data.decode()
        statement_path = response.headers["Location"].replace("/dane", "/oswiadczenie")
        data = {"statement": "y", "by_email": "y", "contact_email": "anna@example.com", **contact}
        return self.client.post(statement_path, data=data)


class Clock:
    """The clock TOTP reads (konto.factors._now), moved by hand: `clock.advance(30)` is the next code."""

    def __init__(self, start=1_800_000_000.0):
        self.now = start

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds


def app_code(secret, clock, steps=0):
    """The code an authenticator app with this secret shows at the clock's time (+ steps of 30 s)."""
    return factors.code_at(secret, factors.current_step(clock.now) + steps)


def count(model, *where):
    """How many rows of a model (matching `where`) the database holds."""
    with database.connection_context():
        query = model.select()
        if where:
            query = query.where(*where)
        return query.count()


def activated_account(email, password_hash="-"):
    """An activated account made straight in the database (inside a connection)."""
    return User.create(email=email, first_name="Anna", last_name="Nowak", password_hash=password_hash,
                       activated_at=utcnow())


def give_app(app, email, clock=None):
    """An authenticator app added to the account through the flow the pages use (for journeys
    that start with one); returns its secret. The account's sessions end, as when a person adds one.
    With the test's `clock`, it then moves on to the app's next code; without, the app's codes
    follow real time (`next_app_code`)."""
    with app.test_request_context("/"), database.connection_context():
        account = User.get(User.email == email)
        secret = twostep.start_app_setup(account)
        if clock:
            assert twostep.confirm_app(account, app_code(secret, clock)).ok
            clock.advance(30)
        else:  # the step before now (one step of drift): the steps from now on stay free for the journey
            step = factors.current_step()
            confirmed = twostep.confirm_app(account, factors.code_at(secret, step - 1))
            assert confirmed.ok or step != factors.current_step()  # else the step ended meanwhile: again
            if not confirmed.ok:
                assert twostep.confirm_app(account, factors.code_at(secret, factors.current_step() - 1)).ok
    return secret


def next_app_code(app, email):
    """The code the account's app shows next, in real time: the current step's, or the one after
    the last step used (one step of drift is allowed), read from the database. For journeys that
    do not move the TOTP clock (after `give_app` without it); two codes within 30 seconds at the most."""
    with app.app_context(), database.connection_context():
        credential = TotpCredential.get(TotpCredential.user == User.get(User.email == email).id)
        secret = factors.decrypt(credential.secret)
    return factors.code_at(secret, max(credential.last_step + 1, factors.current_step()))


def user(email):
    """The account with this e-mail address, read from the database."""
    with database.connection_context():
        return User.get(User.email == email)


class LiveServer:
    """The app served over real HTTP on 127.0.0.1, in a thread."""

    def __init__(self, app):
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        app.config["KONTO_BASE_URL"] = self.url  # e-mail links point at this server
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.thread.join(5)


def comparable(html, *personal):
    """A page with its per-session CSRF tokens and the given personal strings blanked."""
    html = re.sub(r'"X-CSRFToken": "[^"]*"', '"X-CSRFToken": "-"', html)
    html = re.sub(r'name="csrf_token" type="hidden" value="[^"]*"', 'name="csrf_token" value="-"', html)
    html = re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token" value="-"', html)
    for text in personal:
        html = html.replace(text, "X")
    return html

def run_together(jobs):
    """Start every job at the same moment (a barrier); return their results in order."""
    barrier = threading.Barrier(len(jobs))
    results = [None] * len(jobs)

    def run(i, job):
        barrier.wait(30)
        try:
            results[i] = job()
        except Exception as error:  # noqa: BLE001 - reported as the result
            results[i] = error

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return results
