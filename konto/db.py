"""The database: one peewee proxy, bound by the app factory from DATABASE_URL."""

import click
from peewee import DatabaseProxy
from peewee import SqliteDatabase
from playhouse.db_url import connect

database = DatabaseProxy()

# WAL lets readers go on while one writer writes; the busy timeout (never 0) makes a
# second writer wait for the lock instead of failing with "database is locked".
SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "synchronous": "normal",
    "cache_size": -16000,
}
BUSY_TIMEOUT_SECONDS = 10


def open_database(url):
    """A peewee database for a URL (sqlite:///path or postgresql://…)."""
    if url.startswith("sqlite"):
        return connect(url, pragmas=SQLITE_PRAGMAS, timeout=BUSY_TIMEOUT_SECONDS)
    return connect(url)


def write_transaction():
    """A transaction that reads then writes.

    On SQLite it takes the write lock at BEGIN (IMMEDIATE): a deferred transaction that
    upgrades from read to write fails with "database is locked" under concurrency, whatever
    the busy timeout. Other databases lock rows as they go.
    """
    if isinstance(database.obj, SqliteDatabase):
        return database.atomic("IMMEDIATE")
    return database.atomic()


def create_schema():
    """Create the tables that do not exist yet."""
    from konto import models

    with database.connection_context():
        database.create_tables(models.ALL_MODELS, safe=True)


def init_app(app):
    """Bind the database to the app: connection per request, schema command."""
    db = open_database(app.config["DATABASE_URL"])
    database.initialize(db)
    if app.config["DATABASE_URL"].startswith("sqlite:///"):
        from pathlib import Path

        Path(app.config["DATABASE_URL"][len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
    create_schema()

    @app.before_request
    def _connect():
        from flask import request

        if request.endpoint != "static":
            database.connect(reuse_if_open=True)

    @app.teardown_request
    def _close(exc):
        if not database.is_closed():
            database.close()

    @app.cli.command("init-db")
    def init_db_command():
        """Create the database tables (safe to run again)."""
        create_schema()
        click.echo("Schemat bazy danych gotowy.")
