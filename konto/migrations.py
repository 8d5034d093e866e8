"""Schema migrations, numbered, with the applied version kept in the `schema_version` table.

How the schema changes:
* a new table needs nothing here: `upgrade()` creates missing tables from the models;
* a change to an existing table (a column, an index) needs a migration: append a function
  to MIGRATIONS that makes the change with playhouse.migrate, and skips what is already there
  (a fresh database gets the tables from the models, already in the newest shape, and is
  stamped with the newest version without running any migration).

Version 1 is the schema the portal had before migrations existed; a database with tables but
no `schema_version` table is taken to be at version 1.

`flask --app wsgi db upgrade` applies what is pending (on an empty database it creates the
schema: creating is upgrading from version 0), `flask --app wsgi db version` shows where a
database is. The app factory upgrades too (`create_schema`), so a deploy needs no separate
step; the upgrade takes a lock (BEGIN IMMEDIATE on SQLite, an advisory lock on PostgreSQL), so workers
starting at once do not trip over each other.
"""

import logging
from collections import defaultdict
from datetime import datetime

import click
from flask.cli import with_appcontext
from peewee import BooleanField
from peewee import CharField
from peewee import DateTimeField
from peewee import ForeignKeyField
from peewee import PostgresqlDatabase

from konto.addresses import canonical
from konto.db import database
from konto.db import is_sqlite
from konto.db import release_connections
from konto.db import write_transaction
from konto.models import ALL_MODELS
from konto.models import Company
from konto.models import User

VERSION_TABLE = "schema_version"
# Any number; two processes upgrading the same PostgreSQL database wait for each other on it.
_PG_LOCK_KEY = 748_196_115

log = logging.getLogger(__name__)


def _tables():
    """The tables in the database (on PostgreSQL: in the current schema, search_path aware)."""
    if isinstance(database.obj, PostgresqlDatabase):
        cursor = database.execute_sql(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        )
        return {row[0] for row in cursor.fetchall()}
    return set(database.get_tables())


def _columns(table):
    if isinstance(database.obj, PostgresqlDatabase):
        cursor = database.execute_sql(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = %s",
            (table,),
        )
        return {row[0] for row in cursor.fetchall()}
    return {column.name for column in database.get_columns(table)}


def add_column_if_missing(table, name, field):
    """Add a column to an existing table, unless the table is missing (created later from
    the models) or already has it."""
    if table in _tables() and name not in _columns(table):
        # Imported here: a start with the schema up to date (every start but a deploy's) never needs it.
        from playhouse.migrate import SchemaMigrator  # noqa: PLC0415 - start-up time, see above
        from playhouse.migrate import migrate  # noqa: PLC0415

        migrate(SchemaMigrator.from_database(database.obj).add_column(table, name, field))


# --- the migrations: MIGRATIONS[n - 2] takes a database from version n - 1 to n ---------


def _2_retries_and_request_ids():
    """E-mail retry backoff (Email.next_attempt_at); the request id of each audit event."""
    add_column_if_missing("email", "next_attempt_at", DateTimeField(null=True))
    add_column_if_missing("auditevent", "request_id", CharField(max_length=64, null=True))


def _3_finished_drafts():
    """A finished wizard draft remembers its company (CompanyDraft.company)."""
    add_column_if_missing("companydraft", "company_id", ForeignKeyField(Company, field=Company.id, null=True))


def _4_two_step():
    """Two-step sign-in: when a user turned it on (User.two_step_at); a company requiring it."""
    add_column_if_missing("user", "two_step_at", DateTimeField(null=True))
    add_column_if_missing("company", "require_two_step", BooleanField(null=True, default=False))


def _5_one_form_of_each_address():
    """Delivery given up on for good (Email.failed_at); every account's address in one form
    (konto.addresses), with two rows of one mailbox resolved (see `_merge_duplicate_addresses`)."""
    add_column_if_missing("email", "failed_at", DateTimeField(null=True))
    _merge_duplicate_addresses()


def _merge_duplicate_addresses():
    """Bring every stored address to its one form. When several rows are one mailbox, one keeps
    the address: an activated account before one never activated, then the row that has the form
    already, then the one used last. A row never activated gives way (deleted: it never proved
    the mailbox, which the other did or may). Two activated rows are left for a person to merge:
    the other keeps its stored spelling, and a warning names both by id (never by address)."""
    rows = User.select(User.id, User.email, User.activated_at, User.last_login_at, User.created_at)
    by_address = defaultdict(list)
    for row in rows:
        by_address[canonical(row.email)].append(row)
    for address, group in by_address.items():
        keeper = max(group, key=lambda r: (r.activated_at is not None, r.email == address,
                                           r.last_login_at or datetime.min, r.created_at or datetime.min, -r.id))
        for row in group:
            if row is keeper:
                continue
            if row.activated_at is None:
                User.delete().where(User.id == row.id).execute()
            else:
                log.warning("accounts %s and %s are one mailbox: %s keeps the address, %s its old "
                            "spelling; merge them by hand", keeper.id, row.id, keeper.id, row.id)
        if keeper.email != address:
            User.update(email=address).where(User.id == keeper.id).execute()


def _6_language():
    """The language an account chose for its pages and e-mails (User.language)."""
    add_column_if_missing("user", "language", CharField(max_length=8, null=True))


def _7_claim_files():
    """When a decided claim's statement (PDF) was deleted (AdminClaim.file_deleted_at)."""
    add_column_if_missing("adminclaim", "file_deleted_at", DateTimeField(null=True))


MIGRATIONS = [_2_retries_and_request_ids, _3_finished_drafts, _4_two_step, _5_one_form_of_each_address, _6_language,
              _7_claim_files]
LATEST = 1 + len(MIGRATIONS)


def _lock():
    """Serialise upgrades between processes; returns a transaction context."""
    if is_sqlite():
        return write_transaction()  # BEGIN IMMEDIATE: one writer at a time
    transaction = database.atomic()
    if isinstance(database.obj, PostgresqlDatabase):

        class _Locked:
            def __enter__(self):
                transaction.__enter__()
                database.execute_sql("SELECT pg_advisory_xact_lock(%s)", (_PG_LOCK_KEY,))

            def __exit__(self, *exc):
                return transaction.__exit__(*exc)

        return _Locked()
    return transaction


def current_version():
    """The schema version of the database: 0 empty, 1 made before migrations, else stamped."""
    tables = _tables()
    if VERSION_TABLE not in tables:
        return 1 if any(model._meta.table_name in tables for model in ALL_MODELS) else 0
    row = database.execute_sql(f"SELECT version FROM {VERSION_TABLE}").fetchone()
    return row[0] if row else 1


def _stamp(version):
    database.execute_sql(f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} (version INTEGER NOT NULL)")
    database.execute_sql(f"DELETE FROM {VERSION_TABLE}")
    param = database.obj.param
    database.execute_sql(f"INSERT INTO {VERSION_TABLE} (version) VALUES ({param})", (version,))


def _has_every_table(tables):
    return all(model._meta.table_name in tables for model in ALL_MODELS)


def upgrade():
    """Create or upgrade the schema; returns the migrations applied (their names)."""
    # The common case, a database already at the newest version with every table, costs two
    # queries and no lock. A table added to the models since is created below (no migration).
    tables = _tables()
    if VERSION_TABLE in tables and current_version() == LATEST and _has_every_table(tables):
        return []
    applied = []
    with _lock():
        version = current_version()
        if version > LATEST:
            raise RuntimeError(
                f"The database schema is at version {version}, newer than this code ({LATEST})."
            )
        if version == 0:
            database.create_tables(ALL_MODELS, safe=True)
        else:
            for number in range(version + 1, LATEST + 1):
                step = MIGRATIONS[number - 2]
                step()
                applied.append(step.__name__)
            # Tables added since the database was made come straight from the models.
            database.create_tables(ALL_MODELS, safe=True)
        _stamp(LATEST)
    return applied


def create_schema():
    """Bring the schema up to date when the app starts (create it on an empty database)."""
    with database.connection_context():
        upgrade()
    # Nothing the factory opened may be inherited by forked gunicorn workers.
    release_connections()


@click.command("upgrade")
@with_appcontext
def upgrade_command():
    """Create the schema on an empty database, or apply pending migrations (safe to run again)."""
    with database.connection_context():
        applied = upgrade()
    for name in applied:
        click.echo(f"zastosowano {name}")
    click.echo(f"Wersja schematu: {LATEST}.")


@click.command("version")
@with_appcontext
def version_command():
    """Print the database's schema version and the newest one this code knows."""
    with database.connection_context():
        click.echo(f"{current_version()} (najnowsza: {LATEST})")
