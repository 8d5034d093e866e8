"""Abonament notices: e-mail to a company's administrators 30 and 7 days before its Abonament
ends and on the day it ends, each exactly once per end date.

"Once" is a unique row (licence, end date, mark) inserted in the same transaction as the
e-mails (through the outbox), so cron, the app's demo runner and a second cron started by
mistake never send one twice. A renewed Abonament has a new end date and so new notices.
A mark passed while nothing ran (a stopped server) sends only the latest mark that is due:
at 5 days left the 7-day notice, not the 30-day one as well. The "ends today" notice is
still sent late during the 30-day renewal window; after it, nothing.

Sent only for licences whose company is in the portal (its licences appear when someone adds
it, and the notice goes when its date comes).
"""

import logging
import time
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from peewee import IntegrityError

from konto import clock
from konto.db import database
from konto.db import write_transaction
from konto.i18n_cache import lazy_gettext as _l
from konto.licences import history
from konto.licences import numbers
from konto.licences import status
from konto.links import external_url
from konto.mail import send_email
from konto.models import AbonamentNotice
from konto.models import Company
from konto.models import Licence

log = logging.getLogger(__name__)


def due_mark(days_left):
    """The notice due at this many days left (30, 7 or 0), or None."""
    if days_left < -status.RENEWAL_WINDOW_DAYS or days_left > status.NOTICE_MARKS[0]:
        return None
    if days_left <= 0:
        return 0
    if days_left <= 7:
        return 7
    return 30


def _subject(mark, company):
    if mark == 0:
        return _l("Abonament firmy %(name)s kończy się dziś", name=company.name)
    return _l("Abonament firmy %(name)s kończy się za %(days)d dni", name=company.name, days=mark)


def notify_due(today=None):
    """Send the notices due today; returns how many notices (not e-mails) were sent."""
    today = today or clock.today()
    candidates = (
        Licence.select(Licence, Company)
        .join(Company, on=(Licence.tax_id == Company.tax_id), attr="company")
        .where(Licence.abonament_until.is_null(False) & (Licence.status != "revoked"))
    )
    sent = 0
    for licence in candidates:
        days_left = (licence.abonament_until - today).days
        mark = due_mark(days_left)
        if mark is None:
            continue
        if (
            AbonamentNotice.select()
            .where(
                (AbonamentNotice.licence == licence.id)
                & (AbonamentNotice.ends_on == licence.abonament_until)
                & (AbonamentNotice.mark <= mark)
            )
            .exists()
        ):
            continue  # this mark (or a later one, which makes it moot) went already
        try:
            with write_transaction():
                AbonamentNotice.create(
                    licence=licence.id, ends_on=licence.abonament_until, mark=mark, sent_at=clock.now()
                )
                company = licence.company
                for admin in history.admins_of(company):
                    send_email(
                        admin.email,
                        _subject(mark, company),
                        "abonament_notice",
                        user=admin,
                        company=company,
                        product=licence.product.name,
                        number=numbers.masked(licence.number),
                        mark=mark,
                        ends_on=licence.abonament_until,
                        days_left=days_left,
                        renew_until=licence.abonament_until + timedelta(days=status.RENEWAL_WINDOW_DAYS),
                        link=external_url("licences.index", company_id=company.id),
                    )
                history.record(
                    licence.tax_id,
                    "abonament_notice",
                    None,
                    licence,
                    _("%(days)d dni przed końcem", days=mark) if mark else _("w dniu końca"),
                )
            sent += 1
        except IntegrityError:
            continue  # another sender got there first: that one is the notice
    return sent


class InAppRunner:
    """The app's own notice runner (demo): after a request, at most once per interval per process."""

    def __init__(self, app):
        self.app = app
        self.last = 0.0

    def maybe_run(self):
        interval = self.app.config["LICENCE_NOTICE_INTERVAL"]
        if time.monotonic() - self.last < interval:
            return None
        self.last = time.monotonic()
        try:
            return notify_due()
        except Exception:
            log.exception("licence notices: run failed")
            if not database.is_closed() and database.in_transaction():
                database.rollback()
            return None


def init_app(app):
    enabled = app.config["LICENCE_NOTICES_IN_APP"]
    if enabled is None:
        enabled = app.config["DEMO_MAIL"] and not app.config.get("TESTING")
    runner = InAppRunner(app)
    app.extensions["konto_licence_notices"] = runner
    if not enabled:
        return

    @app.after_request
    def _notices(response):
        if current_app.config["LICENCE_NOTICES_IN_APP"] is not False:
            runner.maybe_run()
        return response
