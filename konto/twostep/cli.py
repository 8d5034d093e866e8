"""`flask --app wsgi two-step rotate-key` (listed in konto/cli.py)."""

import click
from flask.cli import with_appcontext

from konto.db import database
from konto.flows import twostep as flow


@click.command("rotate-key")
@with_appcontext
def rotate_key_command():
    """Re-encrypt every authenticator-app secret under the first (newest) KONTO_TWO_STEP_KEY."""
    with database.connection_context():
        outcome = flow.rotate_secrets()
    click.echo(f"Zaszyfrowane ponownie najnowszym kluczem: {outcome.rotated}; już nim zaszyfrowane: {outcome.current}.")
    if outcome.unreadable:
        rows = ", ".join(f"{table} {row_id}" for table, row_id in outcome.unreadable)
        raise click.ClickException(
            f"Żaden klucz z KONTO_TWO_STEP_KEY nie odczytuje {len(outcome.unreadable)} sekretów ({rows}): "
            "dopisz na końcu KONTO_TWO_STEP_KEY klucz, którym je zaszyfrowano, i uruchom polecenie ponownie "
            "(bez niego te konta zalogują się kodem zapasowym albo kluczem dostępu i dodadzą aplikację od nowa)."
        )
