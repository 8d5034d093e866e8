"""Personal data is not kept longer than needed."""

import time
from datetime import datetime

from konto.db import database
from konto.models import AuditEvent
from konto.models import EmailChange
from konto.models import RateLimitHit
from konto.models import User
from tests.helpers import Journey


def test_purge_deletes_only_stale_unactivated_accounts_and_old_events(app, journey):
    journey.signed_up()  # active: stays
    Journey(app.test_client()).register(email="fresh@example.com")  # unactivated but new: stays
    Journey(app.test_client()).register(email="stale@example.com")
    with database.connection_context():
        for n, created in enumerate((datetime(2020, 1, 1), datetime.now())):
            EmailChange.create(user=1, new_email=f"n{n}@example.com", old_email="anna@example.com",
                               confirm_hash=f"{n:064d}", created_at=created)
        hits = [{"key": "old", "at": time.time() - 3 * 86400}, {"key": "new", "at": time.time()}]
        RateLimitHit.insert_many(hits).execute()
        User.update(created_at=datetime(2020, 1, 1)).where(User.email != "fresh@example.com").execute()
        AuditEvent.update(created_at=datetime(2020, 1, 1)).where(AuditEvent.event == "register").execute()
    result = app.test_cli_runner().invoke(args=["accounts", "purge"])
    assert "konta nieaktywowane: 1" in result.output, result.output
    with database.connection_context():
        assert sorted(u.email for u in User.select()) == ["anna@example.com", "fresh@example.com"]
        assert AuditEvent.select().where(AuditEvent.event == "register").count() == 0
        assert AuditEvent.select().where(AuditEvent.event == "login").count() == 2  # activation logs in too
        assert [c.new_email for c in EmailChange.select()] == ["n1@example.com"]  # the old request went
        kept = {h.key for h in RateLimitHit.select()}
        assert "new" in kept and "old" not in kept  # a rate-limit count no window needs any more
