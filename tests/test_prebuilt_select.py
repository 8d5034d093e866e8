"""Every PrebuiltSelect returns what its plain peewee query returns: the same rows in the same
order, the same field values, the same joined models (on SQLite, and on PostgreSQL under
scripts/with-postgres)."""

import importlib
import pkgutil
from datetime import date
from datetime import timedelta

import pytest
from peewee import Model

import konto
from konto.db import PrebuiltSelect
from konto.db import database
from konto.models import AccessRequest
from konto.models import AdminClaim
from konto.models import Company
from konto.models import CompanyDraft
from konto.models import Edition
from konto.models import Installation
from konto.models import Invitation
from konto.models import Licence
from konto.models import LicenceEvent
from konto.models import LicenceExtension
from konto.models import Membership
from konto.models import MembershipEvent
from konto.models import Product
from konto.models import TrialUse
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
        # The company's history: one event by an account, one by nobody (a deleted account).
        for event, actor in (("company_added", anna), ("invited", anna), ("removed", None), ("left", cecylia)):
            MembershipEvent.create(company=spolka, event=event, actor=actor, subject="bartek@example.com",
                                   detail="x" if actor else None)
        MembershipEvent.create(company=biuro, event="company_added", actor=cecylia)
        # Licences: Spółka has two (one revoked) with modules, installations, events and a trial used.
        program = Product.create(code="t-prog", kind="program", name="Sprzedaż", prefix="SP")
        module = Product.create(code="t-kadry", kind="module", name="Kadry", seats=1, trial_days=30,
                                applies_to=["t-prog"])
        Product.create(code="t-stary", kind="module", name="Stary", trial_days=30, offered=False)
        Product.create(code="t-plus", kind="plus", name="PLUS", level=1)
        edition = Edition.create(product=program, code="pro", name="Pro", stations=3)
        active = Licence.create(number="TP0000000001", tax_id="PL5250001003", product=program, edition=edition,
                                stations=3, valid_until=date(2030, 1, 31), abonament_until=date(2027, 1, 1),
                                issued_by=anna)
        revoked = Licence.create(number="TP0000000002", tax_id="PL5250001003", product=program, edition=edition,
                                 stations=1, status="revoked", reason="Zwrot")
        Licence.create(number="TP0000000003", tax_id="DE123456788", product=program, edition=edition, stations=1)
        LicenceExtension.create(licence=active, product=module, quantity=2, trial_until=date(2027, 2, 1))
        LicenceExtension.create(licence=active, product=module, ended_at=now)
        Installation.create(licence=active, installation_id="i1", machine_name="KASA-1", status="active")
        Installation.create(licence=active, installation_id="i2", machine_name="KASA-2")
        Installation.create(licence=revoked, installation_id="i3", machine_name="BIURO", status="released",
                            released_at=now)
        LicenceEvent.create(tax_id="PL5250001003", licence=active, event="issued", actor=anna)
        LicenceEvent.create(tax_id="PL5250001003", licence=revoked, event="revoked", detail="Zwrot", by_staff=True)
        LicenceEvent.create(tax_id="PL5250001003", licence=None, event="note")
        TrialUse.create(licence=active, product=module, started_by=anna)
        for name, claimant, status in (("a", bartek, "pending"), ("b", cecylia, "pending"), ("c", anna, "rejected")):
            AdminClaim.create(company=spolka, claimant=claimant, stored_name=name * 64, original_name="o.pdf", size=1,
                              sha256="0" * 64, status=status, object_until=now + timedelta(days=7))
        yield {"spolka": spolka.id, "biuro": biuro.id, "anna": anna.id, "bartek": bartek.id, "cecylia": cecylia.id,
               "now": now, "spolka_tax_id": spolka.tax_id, "biuro_tax_id": biuro.tax_id}


# For each PrebuiltSelect: the argument lists to call it with (some match rows, some none).
EXAMPLES = {
    "konto.sessions._session_by_key_hash": lambda ids: [("a" * 64,), ("b" * 64,), ("c" * 64,), ("d" * 64,)],
    "konto.account.settings.memberships_of": lambda ids: [(ids["anna"],), (ids["cecylia"],), (ids["bartek"],)],
    "konto.permissions._membership": lambda ids: [
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
    "konto.flows.members._members": lambda ids: [(ids["spolka"],), (ids["biuro"],), (0,)],
    "konto.flows.members._history": lambda ids: [(ids["spolka"], 100), (ids["spolka"], 2), (ids["biuro"], 5)],
    "konto.flows.invitations._of_company": lambda ids: [(ids["spolka"], 100), (ids["spolka"], 1), (ids["biuro"], 5)],
    "konto.licences.cards._licences_of": lambda ids: [(ids["spolka_tax_id"],), (ids["biuro_tax_id"],), ("PL0",)],
    "konto.licences.cards._extensions_of": lambda ids: [(ids["spolka_tax_id"],), (ids["biuro_tax_id"],)],
    "konto.licences.cards._installations_of": lambda ids: [(ids["spolka_tax_id"],), (ids["biuro_tax_id"],)],
    "konto.licences.views._pending_claims_count": lambda ids: [(ids["spolka"],), (ids["biuro"],)],
    "konto.licences.views._events_of": lambda ids: [(ids["spolka_tax_id"],), (ids["biuro_tax_id"],)],
    "konto.licences.views._trials_used": lambda ids: [(ids["spolka_tax_id"],), (ids["biuro_tax_id"],)],
    "konto.licences.views._trial_modules": lambda ids: [()],
    "konto.flows.invitations._pending_for": lambda ids: [
        ("bartek@example.com", ids["now"]), ("dawid@example.com", ids["now"]), ("anna@example.com", ids["now"]),
        ("dawid@example.com", ids["now"] - timedelta(days=2)),
    ],
}


def snapshot(value):
    """A model instance as plain data: its class, field values (each with its type: True is not
    1), the models joined to it, its other attributes (a query's aliases) and its dirty marks."""
    if isinstance(value, tuple):  # a .tuples() row, or a light named tuple: each value with its type
        return (type(value).__name__, [snapshot(item) for item in value])
    if not isinstance(value, Model):
        return (type(value).__name__, value)
    joined = {name: snapshot(other) for name, other in value.__rel__.items()}
    joined.update({name: snapshot(other) for name, other in vars(value).items()
                   if name not in ("__data__", "__rel__", "_dirty")})
    data = {name: (type(field_value).__name__, field_value) for name, field_value in value.__data__.items()}
    return (type(value).__name__, data, joined, sorted(value._dirty))


def plain(prebuilt, args):
    """What the plain query gives (its tuples handed to `make`, for a query that has one)."""
    found = list(prebuilt.build(*args))
    return [prebuilt.make(row) for row in found] if prebuilt.make is not None else found


def test_the_comparison_sees_a_value_of_another_type_in_a_tuple():
    assert snapshot((1, "a")) != snapshot((True, "a"))
    assert snapshot(((1,), "a")) != snapshot(((True,), "a"))


def test_the_dashboards_light_rows_read_as_the_model_rows(app, rows):
    """What the dashboard's template reads of each membership (role; company id, name, number,
    verified) is what the model query of the memberships with their companies gives, in order."""
    from konto.account.settings import memberships_of  # noqa: PLC0415 - the app's blueprints first

    def read(row):
        company = row.company
        return (row.role, type(company.id), company.id, company.name, company.tax_id, type(company.verified),
                company.verified)

    seen = 0
    with app.app_context(), database.connection_context():
        for user_id in (rows["anna"], rows["bartek"], rows["cecylia"]):
            models = (
                Membership.select(Membership, Company).join(Company)
                .where(Membership.user == user_id).order_by(Company.name)
            )
            assert [read(row) for row in memberships_of(user_id)] == [read(row) for row in models]
            seen += len(models)
    assert seen == 3


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
            expected = plain(prebuilt, args)
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
    fresh = PrebuiltSelect(original.build, original._arity, original.make)
    with app.app_context(), database.connection_context():
        for args in list(reversed(EXAMPLES[name](rows))) * 2:
            got = fresh(*args)
            expected = plain(fresh, args)
            assert [snapshot(row) for row in got] == [snapshot(row) for row in expected], args
            models = [row for row in got if isinstance(row, Model)]
            assert all(not row._dirty for row in models)
            assert all(not joined._dirty for row in models for joined in row.__rel__.values() if joined is not None)


def test_the_licencje_pages_reads_equal_the_plain_ones(app, rows):
    """The Licencje page's cards from its prebuilt reads (by the company's number) are the cards
    licence_rows() builds from the plain query; its claims count is the plain count."""
    from konto.licences import views  # noqa: PLC0415 - the app's blueprints are imported by then
    from konto.licences.cards import company_licence_rows  # noqa: PLC0415
    from konto.licences.cards import licence_rows  # noqa: PLC0415

    def deep(value):
        if isinstance(value, Model):
            return snapshot(value)
        if isinstance(value, (list, tuple)):
            return [deep(item) for item in value]
        if isinstance(value, dict):
            return {key: deep(item) for key, item in value.items()}
        return repr(value)

    def cards(found):
        return deep(found)

    today = rows["now"].date()
    with app.app_context(), database.connection_context():
        for tax_id in (rows["spolka_tax_id"], rows["biuro_tax_id"], "PL0"):
            plain = licence_rows(
                Licence.select().where(Licence.tax_id == tax_id).order_by(Licence.status == "revoked", Licence.id),
                today,
            )
            assert cards(company_licence_rows(tax_id, today)) == cards(plain)
        assert len(company_licence_rows(rows["spolka_tax_id"], today)) == 2
        for company_id in (rows["spolka"], rows["biuro"]):
            plain_count = AdminClaim.select().where(
                (AdminClaim.company == company_id) & (AdminClaim.status == "pending")).count()
            assert views._pending_claims(company_id) == plain_count
        assert views._pending_claims(rows["spolka"]) == 2
