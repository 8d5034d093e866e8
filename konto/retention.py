"""Keeping personal data no longer than needed: `flask --app wsgi accounts purge` (for cron, daily)."""

from datetime import timedelta

import click
from flask.cli import with_appcontext

from konto import limit_storage
from konto.db import database
from konto.flows import claims
from konto.models import AuditEvent
from konto.models import CompanyDraft
from konto.models import EmailChange
from konto.models import PasskeyChallenge
from konto.models import PendingLogin
from konto.models import TotpEnrolment
from konto.models import User
from konto.models import utcnow


def purge(unactivated_days, audit_days, draft_days=1):
    """Delete accounts never activated, old audit events and abandoned wizard drafts; return the counts."""
    now = utcnow()
    with database.atomic():
        users = (
            User.delete()
            .where(User.activated_at.is_null() & (User.created_at < now - timedelta(days=unactivated_days)))
            .execute()
        )
        events = AuditEvent.delete().where(AuditEvent.created_at < now - timedelta(days=audit_days)).execute()
        # E-mail change requests are part of the same history (their links are long dead by then).
        EmailChange.delete().where(EmailChange.created_at < now - timedelta(days=audit_days)).execute()
        drafts = CompanyDraft.delete().where(CompanyDraft.created_at < now - timedelta(days=draft_days)).execute()
        # Two-step sign-in's leftovers: half-sessions and passkey challenges nobody answered
        # (dead after minutes anyway), authenticator apps whose set-up was never finished.
        PendingLogin.delete().where(PendingLogin.created_at < now - timedelta(hours=1)).execute()
        PasskeyChallenge.delete().where(PasskeyChallenge.created_at < now - timedelta(hours=1)).execute()
        TotpEnrolment.delete().where(TotpEnrolment.created_at < now - timedelta(days=draft_days)).execute()
        limit_storage.purge(older_than_seconds=2 * 24 * 3600)  # the longest window is a day
    return users, events, drafts


@click.command("purge")
@click.option("--unactivated-days", default=30, show_default=True, help="Delete accounts not activated for this long.")
@click.option("--audit-days", default=365, show_default=True, help="Delete audit events older than this.")
@with_appcontext
def purge_command(unactivated_days, audit_days):
    """Delete never-activated accounts, old audit events, abandoned wizard drafts and the statements
    of claims decided CLAIM_FILE_RETENTION days ago."""
    with database.connection_context():
        users, events, drafts = purge(unactivated_days, audit_days)
        files = claims.purge_files()
    click.echo(f"konta nieaktywowane: {users}, zdarzenia: {events}, szkice: {drafts}, pliki wniosków: {files}")
