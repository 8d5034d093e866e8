"""Every `flask --app wsgi …` command, in one place: the groups, and which command is in which.

A command is a plain `@click.command` with `@with_appcontext` in the module it belongs to
(so it runs in the app context under `flask` and under `app.test_cli_runner()` alike); it is
listed here, and `init_app` registers the groups with the app.
"""

from flask.cli import AppGroup

from konto import backup
from konto import mail
from konto import migrations
from konto import retention
from konto.flows import staff
from konto.licences import cli as licences_cli
from konto.programs import cli as programs_cli
from konto.registry import cli as registry_cli
from konto.twostep import cli as twostep_cli

db_group = AppGroup("db", help="The database: schema version and upgrade, backup.")
db_group.add_command(migrations.upgrade_command)
db_group.add_command(migrations.version_command)
db_group.add_command(backup.backup_command)

mail_group = AppGroup("mail", help="E-mail delivery.")
mail_group.add_command(mail.send_pending_command)

registry_group = AppGroup("registry", help="Company registries (GUS, VIES, white list, demo).")
registry_group.add_command(registry_cli.lookup_command)

accounts_group = AppGroup("accounts", help="Accounts: retention of personal data.")
accounts_group.add_command(retention.purge_command)

licences_group = AppGroup("licences", help="Licences: Abonament notices, the catalogue, the demo data.")
licences_group.add_command(licences_cli.notify_command)
licences_group.add_command(licences_cli.catalogue_command)
licences_group.add_command(licences_cli.demo_command)

staff_group = AppGroup("staff", help="The back office's staff role (Obsługa): granted only here.")
staff_group.add_command(staff.grant_command)
staff_group.add_command(staff.revoke_command)
staff_group.add_command(staff.list_command)

programs_group = AppGroup("programs", help="Desktop programs allowed to connect (OAuth clients of the device flow).")
programs_group.add_command(programs_cli.list_command)
programs_group.add_command(programs_cli.add_command)
programs_group.add_command(programs_cli.disable_command)
programs_group.add_command(programs_cli.enable_command)

two_step_group = AppGroup("two-step", help="Two-step sign-in: the key that encrypts the authenticator apps' secrets.")
two_step_group.add_command(twostep_cli.rotate_key_command)

GROUPS = (db_group, mail_group, registry_group, accounts_group, licences_group, staff_group, programs_group,
          two_step_group)


def init_app(app):
    """Register the command groups with the app (`flask --app wsgi --help` lists them)."""
    for group in GROUPS:
        app.cli.add_command(group)
