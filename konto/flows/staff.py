"""The staff role ("Obsługa"): granted and taken away only from the command line."""

import click
from flask.cli import with_appcontext

from konto import audit
from konto.db import database
from konto.db import write_transaction
from konto.forms import normalize_email
from konto.models import StaffMember
from konto.models import User


class NoSuchAccount(Exception):
    pass


def is_staff(user):
    user_id = getattr(user, "id", user)
    return user_id is not None and StaffMember.select().where(StaffMember.user == user_id).exists()


def grant(email):
    """Give an activated account the staff role; returns (user, True if it was new)."""
    with write_transaction():
        user = User.get_or_none(User.email == normalize_email(email))
        if user is None or not user.is_activated:
            raise NoSuchAccount(email)
        # Asked, not read from the INSERT: an ignored INSERT returns SQLite's last rowid of the
        # connection (another table's), which would count as "created".
        created = not StaffMember.select().where(StaffMember.user == user.id).exists()
        if created:
            StaffMember.insert(user=user).on_conflict_ignore().execute()
            audit.record("staff_granted", user, "flask staff grant")
    return user, created


def revoke(email):
    """Take the staff role away (it takes effect on the next request); True if it was there."""
    with write_transaction():
        user = User.get_or_none(User.email == normalize_email(email))
        if user is None:
            raise NoSuchAccount(email)
        removed = StaffMember.delete().where(StaffMember.user == user).execute()
        if removed:
            audit.record("staff_revoked", user, "flask staff revoke")
    return bool(removed)


@click.command("grant")
@click.argument("email")
@with_appcontext
def grant_command(email):
    """Give the account with this e-mail the staff role."""
    with database.connection_context():
        try:
            user, created = grant(email)
        except NoSuchAccount:
            raise click.ClickException(f"Nie ma aktywnego konta {email}.") from None
    click.echo(f"{email}: nadano rolę Obsługi." if created else f"{email}: już ma rolę Obsługi.")
    if user.two_step_at is None:
        click.echo(
            "Obsługa wymaga weryfikacji dwuetapowej, a to konto jej nie ma: po zalogowaniu otworzy się "
            "tylko strona, na której ją włączy (aplikacją uwierzytelniającą: jej kody otwierają panel)."
        )


@click.command("revoke")
@click.argument("email")
@with_appcontext
def revoke_command(email):
    """Take the staff role away from the account with this e-mail."""
    with database.connection_context():
        try:
            removed = revoke(email)
        except NoSuchAccount:
            raise click.ClickException(f"Nie ma konta {email}.") from None
    click.echo(f"{email}: odebrano rolę Obsługi." if removed else f"{email}: nie miał roli Obsługi.")


@click.command("list")
@with_appcontext
def list_command():
    """Print the accounts with the staff role."""
    with database.connection_context():
        for row in StaffMember.select(StaffMember, User).join(User).order_by(User.email):
            click.echo(f"{row.user.email}\t{row.granted_at:%Y-%m-%d %H:%M} UTC")
