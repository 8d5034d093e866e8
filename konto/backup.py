"""`flask --app wsgi db backup PATH`: a consistent copy of the SQLite database, while the app runs.

SQLite's online backup API (sqlite3.Connection.backup) copies the database page by page
inside one read transaction, so the copy is the database as it was at one instant: every
transaction in it is whole, whatever the app was writing at the time. The copy goes to a
temporary file next to PATH, is checked (PRAGMA integrity_check), then renamed into place,
so PATH is never a half-written file.

Restore (see docs/operations.md): stop the app, remove the database's -wal and -shm files,
copy the backup over the database file, start the app.
"""

import os
import sqlite3
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext


def sqlite_path(url):
    if not url.startswith("sqlite:///"):
        raise click.ClickException("db backup działa tylko z SQLite (DATABASE_URL=sqlite:///…); "
                                   "dla PostgreSQL użyj pg_dump.")
    return Path(url[len("sqlite:///"):])


def backup(source, target):
    """Copy the SQLite database at `source` to `target` consistently; return the tables' row counts."""
    source, target = Path(source), Path(target)
    if not source.exists():
        raise click.ClickException(f"Nie ma bazy danych {source}.")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(partial)
    try:
        # pages=-1: the whole database in one step, so in one read transaction (one snapshot).
        src.backup(dst, pages=-1)
        dst.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
        (verdict,) = dst.execute("PRAGMA integrity_check").fetchone()
        if verdict != "ok":
            raise click.ClickException(f"Kopia jest uszkodzona: {verdict}")
        tables = [row[0] for row in dst.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        counts = {name: dst.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0] for name in tables}
    finally:
        dst.close()
        src.close()
    os.replace(partial, target)
    return counts


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False))
@with_appcontext
def backup_command(path):
    """A consistent copy of the (running) SQLite database to PATH."""
    counts = backup(sqlite_path(current_app.config["DATABASE_URL"]), path)
    click.echo(f"Kopia zapisana: {path}")
    for name, rows in counts.items():
        click.echo(f"  {name}: {rows}")
