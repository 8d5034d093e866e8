"""Every PrebuiltSelect returns what its plain peewee query returns: the same rows in the same
order, the same field values, the same joined models (on SQLite, and on PostgreSQL under
scripts/with-postgres)."""

import importlib
import pkgutil
from datetime import timedelta

import pytest
from peewee import Model

import konto
from konto.db import PrebuiltSelect
from konto.db import database
from konto.models import AccessRequest
from konto.models import Company
from konto.models import CompanyDraft
from konto.models import Invitation
from konto.models import Membership
from konto.models import User
from konto.models import UserSession
from konto.models import utcnow


def prebuilt_selects():
    """Every PrebuiltSelect in the konto package, by the module that defines it and its name."""
    found = {}
    for module_info in pkgutil.walk_packages(konto.__path__, "konto."):
        module = importlib.import_module(module_info.name)
        for name, value in vars(module).items():
            if isinstance(value, PrebuiltSelect) and value.build.__module__ == module.__name__:
                found[f"{module.__name__}.{name}"] = value
    return found


@pytest.fixture
def rows(app):
    """Two companies, three people (one with no active company), their sessions, memberships,
    a wizard draft, access requests in two states and invitations."""
    now = utcnow()
    with app.app_context(), database.connection_context():
        spolka = Company.create(
            tax_id="PL5250001003", country="PL", nip="5250001003", name="Spółka Handlowa", regon="000000001",
            street="Prosta", building="1", postal_code="00-001", city="Warszawa", kind="legal_person",
            source="demo", fetched_at=now - timedelta(hours=1),
        )
        biuro = Company.create(tax_id="DE123456788", country="DE", name="Büro GmbH", source="vies", verified=False)
        anna = User.create(email="anna@example.com", first_name="Anna", last_name="Nowak", password_hash="x",
                           activated_at=now, active_company=spolka)
        bartek = User.create(email="bartek@example.com", first_name="Bartosz", last_name="Zieliński",
                             password_hash="x", activated_at=now)
        cecylia = User.create(email="cecylia@example.com", first_name="Cecylia", last_name="Wójcik",
                              password_hash="x", activated_at=now, active_company=biuro)
        for user, key_hash in ((anna, "a" * 64), (bartek, "b" * 64), (cecylia, "c" * 64)):
            UserSession.create(user=user, key_hash=key_hash, ip="192.0.2.1", user_agent="Firefox")
        Membership.create(user=anna, company=spolka, role="admin", contact_email="anna@example.com",
                          statement_version="2026-11-01", statement_accepted_at=now)
        Membership.create(user=anna, company=biuro, contact_phone="+48500100200", contact_sms=True)
        Membership.create(user=cecylia, company=biuro, role="admin")
        CompanyDraft.create(key="k" * 32, user=anna, tax_id="PL6770002009", data={"name": "Kowalski"},
                            source="demo", fetched_at=now)
        AccessRequest.create(user=bartek, company=spolka)
        AccessRequest.create(user=cecylia, company=spolka)
        AccessRequest.create(user=bartek, company=biuro, status="declined", decided_at=now, decided_by=cecylia)
        # Invitations of Bartek: pending into both companies (one from an account since deleted), one expired.
        Invitation.create(company=spolka, email="bartek@example.com", role="admin", token_hash="1" * 64,
                          pending_email="bartek@example.com", invited_by=anna, expires_at=now + timedelta(days=7))
        Invitation.create(company=biuro, email="bartek@example.com", token_hash="2" * 64,
                          pending_email="bartek@example.com", invited_by=None, expires_at=now + timedelta(days=1))
        Invitation.create(company=spolka, email="dawid@example.com", token_hash="3" * 64,
                          pending_email="dawid@example.com", invited_by=cecylia, expires_at=now - timedelta(days=1))
        yield {"spolka": spolka.id, "biuro": biuro.id, "anna": anna.id, "bartek": bartek.id, "cecylia": cecylia.id,
               "now": now}


# For each PrebuiltSelect: the argument lists to call it with (some match rows, some none).
EXAMPLES = {
    "konto.sessions._session_by_key_hash": lambda ids: [("a" * 64,), ("b" * 64,), ("c" * 64,), ("d" * 64,)],
    "konto.account.settings.memberships_of": lambda ids: [(ids["anna"],), (ids["cecylia"],), (ids["bartek"],)],
    "konto.companies.queries._membership": lambda ids: [
        (ids["anna"], ids["spolka"]),
        (ids["anna"], ids["biuro"]),
        (ids["bartek"], ids["spolka"]),
    ],
    "konto.companies.queries._draft": lambda ids: [
        ("k" * 32, ids["anna"]),
        ("k" * 32, ids["bartek"]),
        ("x" * 32, ids["anna"]),
    ],
    "konto.companies.queries._company_by_tax_id": lambda ids: [("PL5250001003",), ("DE123456788",), ("PL9999999999",)],
    "konto.companies.queries.pending_requests": lambda ids: [(ids["spolka"],), (ids["biuro"],)],
    "konto.flows.invitations._pending_for": lambda ids: [
        ("bartek@example.com", ids["now"]), ("dawid@example.com", ids["now"]), ("anna@example.com", ids["now"]),
        ("dawid@example.com", ids["now"] - timedelta(days=2)),
    ],
}


def snapshot(value):
    """A model instance as plain data: its class, field values (each with its type: True is not
    1), the models joined to it, its other attributes (a query's aliases) and its dirty marks."""
    if not isinstance(value, Model):
        return (type(value).__name__, value)
    joined = {name: snapshot(other) for name, other in value.__rel__.items()}
    joined.update({name: snapshot(other) for name, other in vars(value).items()
                   if name not in ("__data__", "__rel__", "_dirty")})
    data = {name: (type(field_value).__name__, field_value) for name, field_value in value.__data__.items()}
    return (type(value).__name__, data, joined, sorted(value._dirty))


def test_every_prebuilt_select_has_examples():
    missing = set(prebuilt_selects()) - set(EXAMPLES)
    assert not missing, f"add argument lists for these to EXAMPLES in {__name__}: {sorted(missing)}"
    stale = set(EXAMPLES) - set(prebuilt_selects())
    assert not stale, f"no such PrebuiltSelect any more, remove from EXAMPLES: {sorted(stale)}"


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_prebuilt_select_returns_what_the_plain_query_returns(app, rows, name):
    prebuilt = prebuilt_selects()[name]
    matched = 0
    with app.app_context(), database.connection_context():
        # Twice over: the first call builds the SQL, the second reuses it.
        for args in EXAMPLES[name](rows) * 2:
            got = prebuilt(*args)
            expected = list(prebuilt.build(*args))
            assert [snapshot(row) for row in got] == [snapshot(row) for row in expected], args
            matched += bool(expected)
    assert matched, "no argument list matched a row: the comparison proves nothing"


def test_the_comparison_sees_a_joined_model():
    """snapshot() tells apart two rows that differ only in a joined model."""
    one = UserSession(key_hash="a", user=User(id=1, email="x"))
    other = UserSession(key_hash="a", user=User(id=1, email="y"))
    assert snapshot(one) != snapshot(other)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_the_row_builder_kept_from_any_first_call_builds_every_later_row(app, rows, name):
    """A fresh PrebuiltSelect whose first call is the last example (often one matching nothing:
    its cursor has columns but no row) builds the rows of every later call as the query does,
    with nothing left marked dirty."""
    original = prebuilt_selects()[name]
    fresh = PrebuiltSelect(original.build, original._arity)
    with app.app_context(), database.connection_context():
        for args in list(reversed(EXAMPLES[name](rows))) * 2:
            got = fresh(*args)
            expected = list(fresh.build(*args))
            assert [snapshot(row) for row in got] == [snapshot(row) for row in expected], args
            assert all(not row._dirty for row in got)
            assert all(not joined._dirty for row in got for joined in row.__rel__.values() if joined is not None)
