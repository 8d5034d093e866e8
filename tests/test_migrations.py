"""Schema versions: a fresh database is stamped, an older one is upgraded and keeps its data."""

import logging
import sqlite3
from datetime import datetime
from pathlib import Path

import pytest
from playhouse.migrate import SchemaMigrator
from playhouse.migrate import migrate

from konto import create_app
from konto import migrations
from konto.db import database
from konto.models import ALL_MODELS
from konto.models import AdminClaim
from konto.models import AuditEvent
from konto.models import Company
from konto.models import Email
from konto.models import Membership
from konto.models import User
from tests.helpers import make_config

V1_DUMP = Path(__file__).parent / "data" / "schema-v1.sql"


def _columns_match_models():
    """Every model's columns are in the database (a column added without a migration fails here)."""
    missing = {}
    for model in ALL_MODELS:
        have = migrations._columns(model._meta.table_name)
        want = {field.column_name for field in model._meta.sorted_fields}
        if want - have:
            missing[model._meta.table_name] = sorted(want - have)
    return missing


def test_a_fresh_database_gets_the_newest_schema_and_version(app):
    with database.connection_context():
        assert migrations.current_version() == migrations.LATEST
        assert _columns_match_models() == {}
        assert migrations.upgrade() == []  # nothing pending: nothing done


@pytest.mark.sqlite_only
def test_a_database_from_before_migrations_is_upgraded_and_keeps_its_data(tmp_path):
    """tests/data/schema-v1.sql: the schema and a user of the version before migrations existed."""
    with sqlite3.connect(tmp_path / "konto.sqlite3") as connection:
        connection.executescript(V1_DUMP.read_text())
    create_app(make_config(tmp_path))
    with database.connection_context():
        assert migrations.current_version() == migrations.LATEST
        assert _columns_match_models() == {}, "a model column has no migration: add one to konto/migrations.py"
        user = User.get(User.email == "stary@example.pl")
        assert user.active_company.name == "Stara Firma Sp. z o.o."
        membership = Membership.get(Membership.user == user)
        assert (membership.role, membership.contact_email) == ("admin", "stary@example.pl")
        # The new columns are there and usable.
        AuditEvent.create(user=user, event="login", request_id="abc")
        assert AuditEvent.get(AuditEvent.request_id == "abc").user_id == user.id
    database.close()


def test_an_older_shape_is_upgraded_in_place(tmp_path):
    """On either database: drop what migration 2 adds, forget the version, upgrade, data intact."""
    create_app(make_config(tmp_path))
    with database.connection_context():
        company = Company.create(tax_id="PL5250001003", country="PL", name="Firma", source="demo")
        user = User.create(email="a@example.pl", first_name="A", last_name="B", password_hash="x",
                           active_company=company)
        Email.create(recipient="a@example.pl", subject="s", text_body="t", html_body="h", message_id="<1@x>")
        AuditEvent.create(user=user, event="register")
        migrator = SchemaMigrator.from_database(database.obj)
        migrate(migrator.drop_column("email", "next_attempt_at"), migrator.drop_column("auditevent", "request_id"))
        database.execute_sql(f"DROP TABLE {migrations.VERSION_TABLE}")
        assert migrations.current_version() == 1
    database.close()

    app = create_app(make_config(tmp_path))  # the factory upgrades
    with database.connection_context():
        assert migrations.current_version() == migrations.LATEST
        assert _columns_match_models() == {}
        assert User.get(User.email == "a@example.pl").active_company.name == "Firma"
        assert Email.get(Email.message_id == "<1@x>").next_attempt_at is None
        assert AuditEvent.get(AuditEvent.event == "register").request_id is None
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert f"Wersja schematu: {migrations.LATEST}" in result.output
    result = app.test_cli_runner().invoke(args=["db", "version"])
    assert result.output.startswith(str(migrations.LATEST))
    database.close()


def test_a_database_newer_than_the_code_is_refused(tmp_path):
    create_app(make_config(tmp_path))
    with database.connection_context():
        database.execute_sql(f"UPDATE {migrations.VERSION_TABLE} SET version = {migrations.LATEST + 1}")
    database.close()
    with pytest.raises(RuntimeError, match="newer than this code"):
        create_app(make_config(tmp_path))
    database.close()


def test_a_table_added_to_the_models_is_created_in_a_database_at_the_newest_version(tmp_path):
    """A new table needs no migration: a database already at LATEST gets it when the app starts."""
    create_app(make_config(tmp_path))
    with database.connection_context():
        database.drop_tables([AdminClaim])
        assert migrations.current_version() == migrations.LATEST
    create_app(make_config(tmp_path))
    with database.connection_context():
        assert "adminclaim" in migrations._tables()
        assert migrations.upgrade() == []
    database.close()


def test_stored_addresses_get_one_form_and_duplicates_are_resolved(app, caplog):
    """Issue 10, item 10: addresses stored as the old code kept them (trimmed, lower case) are
    brought to one form; when two rows turn out to be one mailbox, an account never activated
    gives way, and two activated ones are left for a person to merge (reported by id)."""
    caplog.set_level(logging.WARNING)
    with database.connection_context():
        # The version before the addresses' migration (later migrations run after it too).
        migrations._stamp(1 + migrations.MIGRATIONS.index(migrations._5_one_form_of_each_address))

        def person(email, activated=True, last_login=None):
            when = datetime(2024, 1, 1)
            return User.insert(email=email, first_name="A", last_name="B", password_hash="x",
                               activated_at=when if activated else None, last_login_at=last_login,
                               created_at=when).execute()

        anna = person("anna@xn--bcher-kva.de")
        person("anna@bücher.de", activated=False)  # the same mailbox, never activated
        turtle = person("z\u0307o\u0301\u0142w@example.com")  # decomposed
        jan = person("jan@münchen.de", last_login=datetime(2024, 5, 1))
        jan_again = person("jan@xn--mnchen-3ya.de", last_login=datetime(2025, 5, 1))
        migrations.upgrade()
        stored = {u.id: u.email for u in User.select()}
    assert stored == {
        anna: "anna@bücher.de",
        turtle: "\u017c\u00f3\u0142w@example.com",
        jan: "jan@münchen.de",
        jan_again: "jan@xn--mnchen-3ya.de",  # left as it was: a person merges the two
    }
    assert any(str(jan_again) in record.getMessage() and "jan@" not in record.getMessage() for record in caplog.records)
