"""`flask --app wsgi programs …`: the programs (OAuth clients) allowed to connect, as data."""

import click
from flask.cli import with_appcontext

from konto.db import database
from konto.flows import Refused
from konto.flows import programs as flow
from konto.models import ProgramClient


@click.command("list")
@with_appcontext
def list_command():
    """The registered programs: client id, scopes, on or off, name."""
    with database.connection_context():
        for client in ProgramClient.select().order_by(ProgramClient.client_id):
            state = "on" if client.active else "off"
            click.echo(f"{client.client_id}\t{state}\t{client.scope}\t{client.name}")


@click.command("add")
@click.argument("client_id")
@click.argument("name")
@click.option("--scope", default=None, help="Space-separated scopes (default: all).")
@with_appcontext
def add_command(client_id, name, scope):
    """Register a program (a public client of the device flow)."""
    with database.connection_context():
        if ProgramClient.get_or_none(ProgramClient.client_id == client_id) is not None:
            raise click.ClickException(f"{client_id} is already registered.")
        try:
            with database.atomic():
                client = flow.add_client(client_id, name, scope)
        except Refused as refused:
            raise click.ClickException(refused.message) from None
    click.echo(f"{client.client_id}: {client.scope}")


def _switch(client_id, active):
    with database.connection_context():
        if not flow.set_client_active(client_id, active):
            raise click.ClickException(f"{client_id} is not registered.")
    click.echo(f"{client_id}: {'on' if active else 'off'}")


@click.command("disable")
@click.argument("client_id")
@with_appcontext
def disable_command(client_id):
    """Turn a program off: it cannot connect, and its connections stop working at once."""
    _switch(client_id, False)


@click.command("enable")
@click.argument("client_id")
@with_appcontext
def enable_command(client_id):
    """Turn a program on again."""
    _switch(client_id, True)
