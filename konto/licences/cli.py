"""`flask --app wsgi licences notify|catalogue|demo`."""

from datetime import date

import click
from flask import current_app
from flask.cli import AppGroup

from konto.db import database

licences_group = AppGroup("licences", help="Licences: Abonament notices, the catalogue, the demo data.")


@licences_group.command("notify")
@click.option("--date", "on_date", default=None, help="Run as if today were this day (YYYY-MM-DD).")
def notify_command(on_date):
    """Send the Abonament notices due today (30 and 7 days before, and on the day); for cron, daily."""
    from konto.licences import notices

    from konto import mail

    day = date.fromisoformat(on_date) if on_date else None
    # E-mail links are built as in a request to the configured base URL (never a request's host).
    base = current_app.config.get("KONTO_BASE_URL") or "http://localhost"
    with current_app.test_request_context("/", base_url=base), database.connection_context():
        sent = notices.notify_due(day)
        if not current_app.config["DEMO_MAIL"]:
            mail.send_due()  # cron: deliver now (a failure stays in the outbox for the sender)
    click.echo(f"powiadomienia: {sent}")


@licences_group.command("catalogue")
def catalogue_command():
    """Copy konto/data/catalogue.toml into the database now (the app does it when it starts)."""
    from konto.licences import catalogue

    with database.connection_context():
        changed = catalogue.sync()
    click.echo("Katalog zaktualizowany." if changed else "Katalog bez zmian.")


@licences_group.command("demo")
def demo_command():
    """Demo only: licences for the demo registry's companies, and a staff account (printed)."""
    from konto.licences import demo

    if not current_app.config["DEMO_MAIL"] or current_app.config["KONTO_REGISTRY"] != "demo":
        raise click.ClickException("Dane demonstracyjne tylko w trybie demo (bez MAIL_SERVER, KONTO_REGISTRY=demo).")
    with database.connection_context():
        created, email, password = demo.seed(current_app.instance_path)
    click.echo(f"Licencje demonstracyjne: {created} nowych.")
    click.echo(f"Obsługa (back office): http://127.0.0.1:5000/obsluga/  e-mail: {email}  hasło: {password}")
