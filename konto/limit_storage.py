"""Rate-limit counters in the app's own database: `RATELIMIT_STORAGE_URI=database://` (the default).

A `limits` storage (the library behind Flask-Limiter), so every gunicorn worker, every process
and every machine on one database counts together, with no server to run besides the database.
The limits library ships storages for memory (one process each), Redis, Memcached and MongoDB
only; Redis stays possible (`RATELIMIT_STORAGE_URI=redis://host:6379/0`).

Moving window (Flask-Limiter's strategy here): one row per counted request (RateLimitHit); a
request is let in when fewer than the limit fall inside the window. Fixed window and the
sliding window counter: one counter row per window (RateLimitCounter). Each read-then-write on
a key is serialised between processes: SQLite's BEGIN IMMEDIATE, a transaction-scoped advisory
lock on that key on PostgreSQL. Rows of a key older than its window go as the key is used, the
rest with `flask accounts purge`.
"""

import hashlib
import time

from limits.storage import MovingWindowSupport
from limits.storage import SlidingWindowCounterSupport
from limits.storage import Storage
from limits.storage.base import TimestampedSlidingWindow
from peewee import PeeweeException
from peewee import PostgresqlDatabase
from peewee import fn

from konto.db import database
from konto.db import write_transaction
from konto.models import RateLimitCounter
from konto.models import RateLimitHit


class _KeyLock:
    """A write transaction that only one process at a time holds for a key."""

    def __init__(self, key):
        self.key = key
        self.transaction = write_transaction()

    def __enter__(self):
        self.transaction.__enter__()
        if isinstance(database.obj, PostgresqlDatabase):
            lock = int.from_bytes(hashlib.sha256(self.key.encode()).digest()[:8], "big", signed=True)
            database.execute_sql("SELECT pg_advisory_xact_lock(%s)", (lock,))
        return self

    def __exit__(self, *exc):
        return self.transaction.__exit__(*exc)


class DatabaseStorage(Storage, MovingWindowSupport, SlidingWindowCounterSupport, TimestampedSlidingWindow):
    """Counters in the app's database (konto.db), shared by every process that uses it."""

    STORAGE_SCHEME = ["database"]

    def __init__(self, uri=None, wrap_exceptions=False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self):
        return PeeweeException

    # -- moving window -------------------------------------------------------------------

    def acquire_entry(self, key, limit, expiry, amount=1):
        if amount > limit:
            return False
        now = time.time()
        with _KeyLock(key):
            RateLimitHit.delete().where((RateLimitHit.key == key) & (RateLimitHit.at <= now - expiry)).execute()
            used = RateLimitHit.select().where(RateLimitHit.key == key).count()
            if used + amount > limit:
                return False
            RateLimitHit.insert_many([{"key": key, "at": now}] * amount).execute()
        return True

    def get_moving_window(self, key, limit, expiry):
        now = time.time()
        oldest, count = (
            RateLimitHit.select(fn.MIN(RateLimitHit.at), fn.COUNT(RateLimitHit.id))
            .where((RateLimitHit.key == key) & (RateLimitHit.at > now - expiry))
            .scalar(as_tuple=True)
        )
        return (oldest, count) if count else (now, 0)

    # -- fixed window (and the sliding window counter, built on it) ----------------------

    def incr(self, key, expiry, amount=1):
        now = time.time()
        with _KeyLock(key):
            row = RateLimitCounter.get_or_none(RateLimitCounter.key == key)
            if row is None or row.expires_at <= now:
                RateLimitCounter.insert(key=key, count=amount, expires_at=now + expiry).on_conflict(
                    conflict_target=[RateLimitCounter.key],
                    preserve=[RateLimitCounter.count, RateLimitCounter.expires_at],
                ).execute()
                return amount
            RateLimitCounter.update(count=RateLimitCounter.count + amount).where(RateLimitCounter.key == key).execute()
            return row.count + amount

    def decr(self, key, amount=1):
        with _KeyLock(key):
            row = RateLimitCounter.get_or_none(RateLimitCounter.key == key)
            if row is None:
                return 0
            count = max(row.count - amount, 0)
            RateLimitCounter.update(count=count).where(RateLimitCounter.key == key).execute()
            return count

    def get(self, key):
        row = RateLimitCounter.get_or_none(RateLimitCounter.key == key)
        return row.count if row is not None and row.expires_at > time.time() else 0

    def get_expiry(self, key):
        row = RateLimitCounter.get_or_none(RateLimitCounter.key == key)
        return row.expires_at if row is not None else time.time()

    def acquire_sliding_window_entry(self, key, limit, expiry, amount=1):
        if amount > limit:
            return False
        now = time.time()
        previous_key, current_key = self.sliding_window_keys(key, expiry, now)
        previous_count, previous_ttl, current_count, _ttl = self._sliding_window(previous_key, current_key, expiry, now)
        if int(previous_count * previous_ttl / expiry + current_count) + amount > limit:
            return False
        current_count = self.incr(current_key, 2 * expiry, amount=amount)
        if int(previous_count * previous_ttl / expiry + current_count) > limit:
            self.decr(current_key, amount)  # another process took the last place first
            return False
        return True

    def _sliding_window(self, previous_key, current_key, expiry, now):
        previous_count, current_count = self.get(previous_key), self.get(current_key)
        previous_ttl = (1 - (((now - expiry) / expiry) % 1)) * expiry if previous_count else 0.0
        current_ttl = (1 - ((now / expiry) % 1)) * expiry + expiry
        return previous_count, previous_ttl, current_count, current_ttl

    def get_sliding_window(self, key, expiry):
        now = time.time()
        return self._sliding_window(*self.sliding_window_keys(key, expiry, now), expiry, now)

    def clear_sliding_window(self, key, expiry):
        for window_key in self.sliding_window_keys(key, expiry, time.time()):
            self.clear(window_key)

    # -- housekeeping ------------------------------------------------------------------------

    def clear(self, key):
        with _KeyLock(key):
            RateLimitHit.delete().where(RateLimitHit.key == key).execute()
            RateLimitCounter.delete().where(RateLimitCounter.key == key).execute()

    def reset(self):
        with write_transaction():
            return RateLimitHit.delete().execute() + RateLimitCounter.delete().execute()

    def check(self):
        try:
            database.execute_sql("SELECT 1").fetchone()
        except PeeweeException:
            return False
        return True


def purge(older_than_seconds):
    """Delete counted requests and counters no window can need any more; the number deleted."""
    before = time.time() - older_than_seconds
    hits = RateLimitHit.delete().where(RateLimitHit.at < before).execute()
    return hits + RateLimitCounter.delete().where(RateLimitCounter.expires_at < time.time()).execute()
