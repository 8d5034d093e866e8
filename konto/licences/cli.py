"""`flask --app wsgi licences notify|catalogue|demo` (listed in konto/cli.py)."""

from datetime import date

import click
from flask import current_app
from flask.cli import with_appcontext

from konto import factors
from konto import mail
from konto.db import database
from konto.licences import catalogue
from konto.licences import demo
from konto.licences import notices


@click.command("notify")
@click.option("--date", "on_date", default=None, help="Run as if today were this day (YYYY-MM-DD).")
@with_appcontext
def notify_command(on_date):
    """Send the Abonament notices due today (30 and 7 days before, and on the day); for cron, daily."""
    day = date.fromisoformat(on_date) if on_date else None
    # E-mail links are built as in a request to the configured base URL (never a request's host).
    base = current_app.config.get("KONTO_BASE_URL") or "http://localhost"
    with current_app.test_request_context("/", base_url=base), database.connection_context():
        sent = notices.notify_due(day)
        if not current_app.config["DEMO_MAIL"]:
            mail.send_due()  # cron: deliver now (a failure stays in the outbox for the sender)
    click.echo(f"powiadomienia: {sent}")


@click.command("catalogue")
@with_appcontext
def catalogue_command():
    """Copy konto/data/catalogue.toml into the database now (the app does it when it starts)."""
    with database.connection_context():
        changed = catalogue.sync()
    click.echo("Katalog zaktualizowany." if changed else "Katalog bez zmian.")


@click.command("demo")
@with_appcontext
def demo_command():
    """Demo only: licences for the demo registry's companies, and a staff account (printed)."""
    if not current_app.config["DEMO_MAIL"] or current_app.config["KONTO_REGISTRY"] != "demo":
        raise click.ClickException("Dane demonstracyjne tylko w trybie demo (bez MAIL_SERVER, KONTO_REGISTRY=demo).")
    with database.connection_context():
        created, email, password, totp_secret = demo.seed(current_app.instance_path)
    click.echo(f"Licencje demonstracyjne: {created} nowych.")
    click.echo(f"Obsługa (back office): http://127.0.0.1:5000/obsluga/  e-mail: {email}  hasło: {password}")
    click.echo(f"  i kod z aplikacji uwierzytelniającej z kluczem {factors.grouped(totp_secret)}")
    click.echo(f"  (albo bieżący kod: .venv/bin/python -c \"import pyotp; print(pyotp.TOTP('{totp_secret}').now())\")")
