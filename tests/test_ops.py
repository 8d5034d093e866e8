"""Operations: /healthz, request ids and the JSON request log, ProxyFix, connections, queries per page."""

import io
import json
import logging
import time

import pytest
from peewee import OperationalError

from konto import create_app
from konto.db import database
from konto.models import AuditEvent
from konto.observability import JsonFormatter
from tests.helpers import Journey
from tests.helpers import make_config
from tests.helpers import user

DEMO_NUMBERS = ["PL5250001003", "PL6770002009", "PL6760003007", "PL9720005007"]


class Lines(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines = []

    def emit(self, record):
        self.lines.append(self.format(record))


@pytest.fixture
def request_log():
    handler = Lines()
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("konto.request")
    logger.addHandler(handler)
    yield handler.lines
    logger.removeHandler(handler)


def test_healthz_answers_ok_when_the_database_does(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert "Set-Cookie" not in response.headers


def test_healthz_answers_503_when_the_database_does_not(client, monkeypatch):
    def broken(*args, **kwargs):
        raise OperationalError("the database is gone")

    monkeypatch.setattr(database.obj, "execute_sql", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["status"] == "unavailable"


def test_every_response_has_a_request_id_and_one_json_log_line(client, request_log):
    response = client.get("/logowanie?next=/panel&token=secret")
    request_id = response.headers["X-Request-ID"]
    assert len(request_id) == 32
    entry = json.loads(request_log[-1])
    assert entry["request_id"] == request_id
    assert (entry["method"], entry["path"], entry["status"]) == ("GET", "/logowanie", 200)
    assert entry["duration_ms"] >= 0
    assert "secret" not in request_log[-1]  # no query strings in the log


def test_a_proxy_request_id_is_kept_and_a_strange_one_replaced(client, request_log):
    assert client.get("/healthz", headers={"X-Request-ID": "lb-1234.abc"}).headers["X-Request-ID"] == "lb-1234.abc"
    replaced = client.get("/healthz", headers={"X-Request-ID": "x" * 65}).headers["X-Request-ID"]
    assert replaced != "x" * 65 and len(replaced) == 32
    assert json.loads(request_log[-1])["request_id"] == replaced


def test_log_records_and_audit_events_carry_the_request_id(client, journey, caplog):
    journey.register()
    journey.activate()
    with caplog.at_level(logging.INFO):
        response = client.post("/logowanie", data={"email": "anna@example.com", "password": "zielone-jabłko-na-wiosnę"},
                               headers={"X-Request-ID": "req-login-1"})
        logging.getLogger("konto.test").info("outside any request")
    assert response.status_code == 303
    with database.connection_context():
        event = AuditEvent.select().where(AuditEvent.event == "login").order_by(AuditEvent.id.desc()).get()
    assert event.request_id == "req-login-1"
    assert caplog.records[-1].getMessage() == "outside any request"
    assert caplog.records[-1].request_id == "-"


@pytest.mark.parametrize("proxies, expected_ip", [(0, "127.0.0.1"), (1, "203.0.113.9")])
def test_proxy_fix_only_when_configured(tmp_path, proxies, expected_ip):
    app = create_app(make_config(tmp_path, KONTO_PROXY_FIX=proxies))
    client = app.test_client()
    journey = Journey(client)
    journey.register()
    journey.activate()
    client.post("/logowanie", data={"email": "anna@example.com", "password": "zielone-jabłko-na-wiosnę"},
                headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"})
    with database.connection_context():
        last_login = AuditEvent.select().where(AuditEvent.event == "login").order_by(AuditEvent.id.desc()).get()
        assert last_login.ip == expected_ip
    database.close()


def test_sqlite_keeps_one_connection_per_thread_and_the_pool_gets_its_own_back(client, journey):
    journey.signed_up()
    client.get("/panel")
    if database.is_closed():  # PostgreSQL: checked back into the pool at teardown
        assert hasattr(database.obj, "close_all")
        return
    first = database.connection()
    client.get("/panel")
    assert database.connection() is first
    assert not first.in_transaction


class Queries(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.sql = []

    def emit(self, record):
        if record.name == "peewee" and isinstance(record.msg, tuple):  # (sql, params); not the pool's notes
            self.sql.append(record.msg[0])


def _queries_on(client, path):
    logger = logging.getLogger("peewee")
    handler = Queries()
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        response = client.get(path)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    assert response.status_code == 200
    return handler.sql


def test_the_dashboard_does_not_grow_queries_with_the_number_of_companies(client, journey):
    journey.signed_up()
    journey.add_company(DEMO_NUMBERS[0])
    client.get("/panel")  # once-per-session checks done
    one = _queries_on(client, "/panel")
    for number in DEMO_NUMBERS[1:]:
        journey.add_company(number)
    many = _queries_on(client, "/panel")
    assert len(user("anna@example.com").memberships) == len(DEMO_NUMBERS)
    assert len(many) == len(one), many
    # The session, its user and the top bar's company in one query; the companies in another;
    # the invitations waiting for the user's address in a third.
    assert len(many) <= 3, many


def test_the_request_line_written_straight_is_the_logged_line_byte_for_byte(client, monkeypatch):
    """konto.observability writes the line itself when its handler alone listens (as in
    production): the same bytes as the logging machinery's LogRecord through JsonFormatter."""
    from konto import observability  # noqa: PLC0415

    ours = next(h for h in observability.request_log.handlers if getattr(h, "_konto_request_log", False))
    stream = io.StringIO()
    monkeypatch.setattr(ours, "stream", stream)
    monkeypatch.setattr(observability.request_log, "handlers", [ours])  # pytest's own capture handlers out
    monkeypatch.setattr(time, "time", lambda: 1_764_676_800.123456)  # the record's time and ours
    monkeypatch.setattr(observability.time, "perf_counter", lambda: 42.0)  # duration 0.0 both ways
    headers = {"X-Request-ID": "req-same-1", "HX-Request": "true"}

    def lines_of(path):
        stream.seek(0)
        stream.truncate()
        client.get(path, headers=headers)
        return stream.getvalue()

    def no_record(*args, **kwargs):
        raise AssertionError("a LogRecord was made: the line did not go straight")

    def both_ways(paths):
        with monkeypatch.context() as straight:
            assert observability._only_listener() is ours
            straight.setattr(observability.request_log, "makeRecord", no_record)
            fast = [lines_of(path) for path in paths]
        # Something else listens (a handler added, as a test or a deployment may): the logging way.
        other = Lines()
        observability.request_log.addHandler(other)
        try:
            assert observability._only_listener() is None
            logged = [lines_of(path) for path in paths]
        finally:
            observability.request_log.removeHandler(other)
        assert len(other.lines) == len(paths)
        assert all(line.endswith("\n") and line.count("\n") == 1 for line in fast)
        assert fast == logged
        return fast

    anonymous = both_ways(["/logowanie?token=x", "/nie-ma-takiej", "/healthz"])
    assert json.loads(anonymous[0])["path"] == "/logowanie" and "user_id" not in anonymous[0]
    Journey(client).signed_up()
    logged_in = both_ways(["/panel", "/logowanie"])
    assert json.loads(logged_in[0])["user_id"] > 0
