"""`flask --app wsgi registry lookup NUMBER`: what the configured registry says of a number."""

import sys

import click
from flask.cli import with_appcontext

from konto import registry
from konto.db import database
from konto.taxid import InvalidTaxId
from konto.taxid import parse


@click.command("lookup")
@click.argument("number")
@click.option("--refresh", is_flag=True, help="Skip the cache and ask the registry.")
@with_appcontext
def lookup_command(number, refresh):
    """Print what the registry returns for a NIP or VATIN (exit 0 found, 1 not found, 2 unavailable)."""
    try:
        tax_id = parse(number)
    except InvalidTaxId as error:
        click.echo(f"Niepoprawny numer: {error}", err=True)
        sys.exit(1)
    with database.connection_context():
        result = registry.lookup(tax_id, refresh=refresh)
    origin = "cache" if result.from_cache else "upstream"
    click.echo(f"number: {tax_id.vatin}")
    click.echo(f"status: {result.status}")
    click.echo(f"source: {result.source} ({origin})")
    if result.message:
        click.echo(f"message: {result.message}")
    if result.company is not None:
        for key, value in result.company.to_dict().items():
            if value not in (None, "", {}):
                click.echo(f"{key}: {value}")
    sys.exit({registry.FOUND: 0, registry.NOT_FOUND: 1}.get(result.status, 2))
