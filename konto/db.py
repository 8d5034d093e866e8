"""The database: one peewee proxy, bound by the app factory from DATABASE_URL.

Connections: SQLite keeps one connection per worker thread, opened on the thread's first
request and reused (opening one per request costs more than a whole page's queries).
PostgreSQL uses a pool: a request checks a connection out and gives it back at teardown,
so a worker holds none between requests.
"""

from datetime import datetime
from pathlib import Path

from flask import request
from peewee import BooleanField
from peewee import DatabaseProxy
from peewee import DateTimeField
from peewee import Field
from peewee import FieldAccessor
from peewee import ForeignKeyField
from peewee import IntegerField
from peewee import ModelCursorWrapper
from peewee import ModelTupleCursorWrapper
from peewee import SqliteDatabase
from peewee import Value
from peewee import _StringField
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


# Values a field's adapt() gives back as they are (peewee 4.5, pinned): converting them is a no-op.
_UNCHANGED_BY = {
    _StringField.adapt: str,
    IntegerField.adapt: int,  # int(x) is x for an int
    DateTimeField.adapt: datetime,
    BooleanField.adapt: bool,  # bool itself
}


def _value_reader(converter):
    """(field whose adapt() is a no-op for the type, the type) when the converter is peewee's
    python_value of such a field (directly, or through a foreign key), else None."""
    field = getattr(converter, "__self__", None)
    function = getattr(converter, "__func__", None)
    if isinstance(field, ForeignKeyField) and function is ForeignKeyField.python_value:
        field = field.rel_field
        function = getattr(field.python_value, "__func__", None)
    if not isinstance(field, Field) or function is not Field.python_value:
        return None
    unchanged = _UNCHANGED_BY.get(getattr(type(field).adapt, "__func__", type(field).adapt))
    return (field, unchanged) if unchanged is not None else None


_DATA, _SET = "data", "set"
# Date-times stored as text, parsed: {formats: {text: value}} (per worker; past the size, anew).
_DATETIMES = {}
DATETIME_MEMO_SIZE = 8192


def _descriptor(cls, name):
    for klass in cls.__mro__:
        if name in klass.__dict__:
            return klass.__dict__[name]
    return None


def _parse_once(memo, converter, value):
    parsed = memo.get(value)
    if parsed is None:
        parsed = converter(value)
        if len(memo) >= DATETIME_MEMO_SIZE:
            memo.clear()
        memo[value] = parsed
    return parsed


def _tuple_builder(wrapper, make):
    """The row builder of a model query's .tuples(): each value converted as peewee converts it
    (a converter skipped where it would give the value back unchanged, a date-time stored as text
    parsed once per text, as in row_builder), the tuple handed to `make` (None: the tuple)."""
    columns = []
    for converter in wrapper.converters:
        reader = _value_reader(converter) if converter is not None else None
        unchanged = reader[1] if reader else None
        memo = _DATETIMES.setdefault(tuple(reader[0].formats), {}) if unchanged is datetime else None
        columns.append((converter, unchanged, memo))
    plain = all(converter is None for converter, _unchanged, _memo in columns)

    def build(row):
        if not plain:
            values = []
            for value, (converter, unchanged, memo) in zip(row, columns, strict=True):
                if converter is not None and type(value) is not unchanged and (value is not None or unchanged is None):
                    if memo is not None and type(value) is str:
                        value = _parse_once(memo, converter, value)
                    else:
                        value = converter(value)
                values.append(value)
            row = values
        return make(row) if make is not None else tuple(row)

    return build


def row_builder(wrapper, make=None):
    """The row builder of an initialized peewee cursor wrapper: for a model query with joins
    (ModelCursorWrapper), its process_row done with fewer calls and the same result: each
    plain field's value written into the instance's data (what FieldAccessor.__set__ does; the
    dirty marks it also leaves are cleared at the end anyway), a converter skipped where it
    would give the value back unchanged (a str for a text field, an int for an integer or a key,
    a datetime for a date-time field, None for any field), a date-time stored as text parsed
    once per text; the joins linked as peewee links them. Any other wrapper: its own
    process_row. tests/test_prebuilt_select.py compares the instances, their data, links and
    dirty marks with peewee's, on SQLite and PostgreSQL. A .tuples() query's rows: _tuple_builder."""
    if type(wrapper) is ModelTupleCursorWrapper:
        return _tuple_builder(wrapper, make)
    if make is not None:
        raise TypeError("make is for a model query's .tuples()")
    if type(wrapper) is not ModelCursorWrapper:
        return wrapper.process_row
    constructors = [(key, construct, is_model) for key, construct, is_model in wrapper._constructor_list]
    position = {key: i for i, (key, _construct, _is_model) in enumerate(constructors)}
    root = position[wrapper.model]
    flags = {}  # every key a column or a join names -> its index in set_keys
    columns = []
    for idx, key, column, converter in wrapper._row_spec:
        flag = flags.setdefault(key, len(flags))
        target = position.get(key, root)
        construct, is_model = constructors[target][1], constructors[target][2]
        # How the value is set: into the model's data (a plain field: what FieldAccessor.__set__
        # does), as peewee sets it otherwise (setattr: an alias, a foreign key…; an item of a dict).
        descriptor = _descriptor(construct, column) if is_model else None
        if type(descriptor) is FieldAccessor:
            into, name = _DATA, descriptor.name
        else:
            into, name = _SET, column
        reader = _value_reader(converter) if converter is not None else None
        unchanged = reader[1] if reader else None
        # A date-time stored as text (SQLite): parsed once per worker and text (a datetime is
        # immutable; the same text always parses to the same value with the same formats).
        memo = _DATETIMES.setdefault(tuple(reader[0].formats), {}) if unchanged is datetime else None
        columns.append((idx, flag, target, into, name, converter, unchanged, memo))
    joins = []
    for src, attr, dest, is_dict, is_outer, is_fk in wrapper.src_to_dest:
        reachable = wrapper._dest_reachable.get(dest)
        joins.append((
            position.get(src), flags.setdefault(src, len(flags)), attr, position.get(dest),
            dest in position, flags.setdefault(dest, len(flags)), dest in wrapper._dest_reachable,
            [flags.setdefault(key, len(flags)) for key in (reachable or ())], is_dict, is_outer, is_fk,
        ))
    models = [i for i, (_key, _construct, is_model) in enumerate(constructors) if is_model]
    nflags = len(flags)

    def build(row):
        objects = [construct(__no_default__=True) if is_model else construct()
                   for _key, construct, is_model in constructors]
        set_keys = [False] * nflags
        for idx, flag, target, into, name, converter, unchanged, memo in columns:
            value = row[idx]
            if value is not None:
                set_keys[flag] = True
                if converter is not None and type(value) is not unchanged:
                    if memo is not None and type(value) is str:
                        parsed = memo.get(value)  # inline: a call less per date-time
                        if parsed is None:
                            parsed = converter(value)
                            if len(memo) >= DATETIME_MEMO_SIZE:
                                memo.clear()
                            memo[value] = parsed
                        value = parsed
                    else:
                        value = converter(value)
            elif converter is not None and unchanged is None:
                value = converter(value)
            instance = objects[target]
            if into is _DATA:
                instance.__data__[name] = value
            elif isinstance(instance, dict):
                instance[name] = value
            else:
                setattr(instance, name, value)
        for join in joins:
            src, src_flag, attr, dest, dest_known, dest_flag, dest_reachable, reachable, is_dict, is_outer, is_fk = join
            instance = objects[src] if src is not None else None
            joined = objects[dest] if dest is not None else None
            if joined is None and not dest_known:
                continue
            assign = False
            if not set_keys[dest_flag] and dest_reachable:
                assign = any(set_keys[flag] for flag in reachable)
            if not set_keys[dest_flag] and not assign:
                if is_outer:
                    joined = None
                else:
                    continue
            if not set_keys[src_flag] and not set_keys[dest_flag] and is_outer:
                continue
            if is_dict:
                instance[attr] = joined
            elif is_fk and joined is None:
                instance.__rel__[attr] = None
            else:
                setattr(instance, attr, joined)
        for i in models:
            objects[i]._dirty.clear()
        return objects[root]

    return build


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

    For a page that shows a few columns, a query's .tuples() with `make` (a function of the
    converted tuple, e.g. a light named tuple) gives rows without building model instances.
    """

    def __init__(self, build, arity=1, make=None):
        self.build = build  # build(*args): the plain peewee query
        self._arity = arity
        self.make = make
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
            rows_of = compiled[4] = row_builder(wrapper, self.make)
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
