"""The time the licence rules read (Abonament days, notices, the 72 hours to object).

One place, so a test can move the clock for the whole app (the live server's thread too)
with `travel()`. Dates are Polish calendar days (Europe/Warsaw); timestamps are naive UTC,
as everywhere in the database.
"""

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from zoneinfo import ZoneInfo

WARSAW = ZoneInfo("Europe/Warsaw")
_offset = timedelta(0)


def now():
    """Now, naive UTC (like models.utcnow), moved by travel()."""
    return datetime.now(UTC).replace(tzinfo=None) + _offset


def today():
    """Today's date in Poland, moved by travel()."""
    return (datetime.now(WARSAW) + _offset).date()


def travel(delta=None):
    """Tests only: move the clock by delta from real time (None: back to real time)."""
    global _offset
    _offset = delta or timedelta(0)
