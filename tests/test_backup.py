"""`flask --app wsgi db backup PATH` while the app writes; restore as documented; log in."""

import shutil
import sqlite3
import threading

import click
import pytest

from konto import create_app
from konto.backup import sqlite_path
from konto.db import database
from tests.helpers import PASSWORD
from tests.helpers import Journey
from tests.helpers import make_config


@pytest.mark.sqlite_only
def test_backup_while_writing_then_restore_and_log_in(tmp_path):
    live = tmp_path / "live"
    live.mkdir()
    app = create_app(make_config(live, RATELIMIT_ENABLED=False))
    Journey(app.test_client()).signed_up(email="anna@example.com")

    # Sign-ups keep coming in (each writes a user and its consents in one transaction)
    # while the backup is taken.
    stop = threading.Event()
    writing = threading.Event()  # set once the writer has registered a few people
    written = []

    def keep_registering():
        client = app.test_client()
        i = 0
        while not stop.is_set() and i < 200:
            response = Journey(client).register(email=f"osoba{i}@example.com")
            written.append(response.status_code)
            i += 1
            if i == 5:
                writing.set()

    writer = threading.Thread(target=keep_registering)
    writer.start()
    try:
        assert writing.wait(60), "the writer did not get going"
        target = tmp_path / "backups" / "konto-backup.sqlite3"
        result = app.test_cli_runner().invoke(args=["db", "backup", str(target)])
    finally:
        stop.set()
        writer.join(30)
    assert result.exit_code == 0, result.output
    assert "Kopia zapisana" in result.output
    assert set(written) == {303}

    # The copy is one instant: every user in it has all the consents written with it.
    with sqlite3.connect(target) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        users = copy.execute("SELECT COUNT(*) FROM user").fetchone()[0]
        orphans = copy.execute(
            "SELECT COUNT(*) FROM user u WHERE (SELECT COUNT(*) FROM consent c WHERE c.user_id = u.id) != 2"
        ).fetchone()[0]
        assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    assert users >= 1 and orphans == 0
    database.close()

    # Restore, as docs/operations.md says: the backup becomes the database of a fresh install.
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    shutil.copyfile(target, fresh / "konto.sqlite3")
    restored = create_app(make_config(fresh))
    client = restored.test_client()
    response = client.post("/logowanie", data={"email": "anna@example.com", "password": PASSWORD})
    assert response.status_code == 303
    assert client.get("/panel").status_code == 200
    database.close()


def test_backup_refuses_a_non_sqlite_database(tmp_path):
    with pytest.raises(click.ClickException):
        sqlite_path("postgresql://u@localhost/konto")


def test_backup_command_is_in_the_db_group(tmp_path):
    app = create_app(make_config(tmp_path))
    result = app.test_cli_runner().invoke(args=["db", "--help"])
    assert "backup" in result.output
    database.close()
