"""The database: one peewee proxy, bound by the app factory from DATABASE_URL.

Connections: SQLite keeps one connection per worker thread, opened on the thread's first
request and reused (opening one per request costs more than a whole page's queries).
PostgreSQL uses a pool: a request checks a connection out and gives it back at teardown,
so a worker holds none between requests.
"""

from pathlib import Path

from flask import request
from peewee import DatabaseProxy
from peewee import SqliteDatabase
from peewee import Value
from playhouse.db_url import connect
from playhouse.pool import PooledDatabase

database = DatabaseProxy()

# WAL lets readers go on while one writer writes; the busy timeout (never 0) makes a
# second writer wait for the lock instead of failing with "database is locked".
SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "synchronous": "normal",
    "cache_size": -16000,
}
BUSY_TIMEOUT_SECONDS = 10

# PostgreSQL pool, per process: at most DATABASE_POOL_SIZE connections (a sync worker needs
# one), recycled after STALE seconds, waiting up to WAIT seconds for a free one.
POOL_STALE_SECONDS = 300
POOL_WAIT_SECONDS = 10


def _pooled_url(url):
    """postgresql://… becomes postgresql+pool://… (peewee's PooledPostgresqlDatabase)."""
    scheme, sep, rest = url.partition("://")
    if scheme in ("postgres", "postgresql"):
        return f"{scheme}+pool{sep}{rest}"
    return url


def open_database(url, pool_size):
    """A peewee database for a URL (sqlite:///path, postgresql://… pooled, or postgresql+pool://…)."""
    if url.startswith("sqlite"):
        return connect(url, pragmas=SQLITE_PRAGMAS, timeout=BUSY_TIMEOUT_SECONDS)
    url = _pooled_url(url)
    if "+pool://" in url:
        db = connect(
            url,
            max_connections=pool_size,
            stale_timeout=POOL_STALE_SECONDS,
            timeout=POOL_WAIT_SECONDS,
        )
        return db
    return connect(url)


def is_sqlite():
    return isinstance(database.obj, SqliteDatabase)


class PrebuiltSelect:
    """A SELECT on the hot path whose SQL and row building peewee works out once per kind of
    database, not per call.

    Building the SQL of a model query costs more than running it on SQLite (about ten
    function calls per selected column), and so does working out, for every cursor, which
    column goes to which model and field through which converter. `build` gets one
    placeholder per parameter and returns the query; its SQL is kept, and so is peewee's cursor
    wrapper for it once it has resolved the columns of the first cursor (the same SQL gives the
    same columns); each call runs the SQL with the arguments (already in the database's form:
    str, int…) in the placeholders' places and has that wrapper build each row, returning model
    instances exactly as the query would (tests/test_prebuilt_select.py checks each one against
    the plain query, on SQLite and PostgreSQL). This is not a server-side prepared statement:
    only the SQL text is reused.

        by_key = PrebuiltSelect(lambda key: Thing.select().where(Thing.key == key).limit(1))
        rows = by_key("abc")
    """

    def __init__(self, build, arity=1):
        self.build = build  # build(*args): the plain peewee query
        self._arity = arity
        self._compiled = {}

    def _compile(self, db):
        markers = [object() for _ in range(self._arity)]
        query = self.build(*(Value(marker, converter=False) for marker in markers))
        sql, params = query.sql()
        slots = [next((i for i, m in enumerate(markers) if p is m), None) for p in params]
        return [query, sql, params, slots, None]

    def __call__(self, *args):
        db = database.obj
        key = (type(db), db.param, db.quote)
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compiled[key] = self._compile(db)
        query, sql, params, slots, rows_of = compiled
        values = [params[i] if slot is None else args[slot] for i, slot in enumerate(slots)]
        cursor = db.execute_sql(sql, values)
        if rows_of is None:
            # The first cursor: peewee resolves its columns (what its wrapper does before the
            # first row); the wrapper, now only a row builder, is kept for every later call.
            wrapper = query._get_cursor_wrapper(cursor)
            wrapper.initialize()
            rows_of = compiled[4] = wrapper.process_row
        return [rows_of(row) for row in cursor.fetchall()]


def write_transaction():
    """A transaction that reads then writes.

    On SQLite it takes the write lock at BEGIN (IMMEDIATE): a deferred transaction that
    upgrades from read to write fails with "database is locked" under concurrency, whatever
    the busy timeout. Other databases lock rows as they go.
    """
    if is_sqlite():
        return database.atomic("IMMEDIATE")
    return database.atomic()


def locked(query):
    """The query's rows locked until the end of the transaction (inside write_transaction(): on
    SQLite its IMMEDIATE lock already holds the whole database; elsewhere SELECT ... FOR UPDATE)."""
    return query if is_sqlite() else query.for_update()


def init_app(app):
    """Bind the database to the app: a connection per thread (SQLite) or a pool (PostgreSQL)."""
    db = open_database(app.config["DATABASE_URL"], app.config["DATABASE_POOL_SIZE"])
    previous = database.obj
    if previous is not None and previous is not db:
        # A second app in the same process (tests): let go of the old database's connections.
        if isinstance(previous, PooledDatabase):
            previous.close_all()
        elif not previous.is_closed():
            previous.close()
    database.initialize(db)
    if app.config["DATABASE_URL"].startswith("sqlite:///"):
        Path(app.config["DATABASE_URL"][len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)

    pooled = isinstance(db, PooledDatabase)

    @app.before_request
    def _connect():
        if request.endpoint not in ("static", "healthz"):  # /healthz reports a failure itself
            database.connect(reuse_if_open=True)

    @app.teardown_request
    def _release(exc):
        # SQLite: the thread keeps its connection for the next request. Pool: check it back in
        # (the pool rolls back anything left open). Outside a transaction either way.
        if database.is_closed():
            return
        if pooled:
            database.close()
        elif database.connection().in_transaction:
            database.rollback()


def release_connections():
    """Close every connection this process holds in the pool (before gunicorn forks workers)."""
    if isinstance(database.obj, PooledDatabase):
        database.obj.close_all()
