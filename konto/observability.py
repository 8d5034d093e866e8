"""What operations sees: a request id, one JSON log line per request, /healthz.

* Request id: taken from the X-Request-ID header when it looks like one (a proxy's or load
  balancer's), else generated; sent back in the X-Request-ID response header, stored on
  every log record as `request_id`, and on audit events.
* The request log (logger `konto.request`): one JSON object per line on stderr with
  time, request_id, method, path, status, duration_ms (and the user id when logged in).
  Query strings are left out: they can carry tokens.
* `/healthz`: 200 {"status": "ok"} when the database answers, 503 otherwise; for load
  balancers and orchestrators, no session, no cookies.
"""

import json
import logging
import re
import sys
import time
import traceback
import uuid
from datetime import UTC
from datetime import datetime

from flask import g
from flask import has_request_context
from flask import jsonify
from flask import request

from konto.db import database

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")

request_log = logging.getLogger("konto.request")
log = logging.getLogger(__name__)


def current_request_id():
    """The id of the request being served, or None outside a request."""
    if has_request_context():
        return getattr(g, "request_id", None)
    return None


def _entry(created, level, logger):
    return {
        "time": datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds"),
        "level": level,
        "logger": logger,
    }


class JsonFormatter(logging.Formatter):
    """A record as one JSON line: the fields passed in `extra={"fields": {...}}` on top."""

    def format(self, record):
        entry = _entry(record.created, record.levelname.lower(), record.name)
        fields = getattr(record, "fields", None)
        if fields:
            entry.update(fields)
        else:
            entry["message"] = record.getMessage()
            if getattr(record, "request_id", None):
                entry["request_id"] = record.request_id
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def _install_record_factory():
    """Every log record gets `request_id` ("-" outside a request), for any format string."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "_konto_request_id", False):
        return

    def factory(*args, **kwargs):
        record = previous(*args, **kwargs)
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id() or "-"
        return record

    factory._konto_request_id = True
    logging.setLogRecordFactory(factory)


def _install_request_log():
    if any(getattr(h, "_konto_request_log", False) for h in request_log.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler._konto_request_log = True
    request_log.addHandler(handler)
    request_log.setLevel(logging.INFO)
    request_log.propagate = False  # its own JSON lines, not once more in the root's format


def _start():
    globals_ = g._get_current_object()
    globals_.request_started = time.perf_counter()
    incoming = request._get_current_object().headers.get(REQUEST_ID_HEADER, "")
    globals_.request_id = incoming if _VALID_ID.match(incoming) else uuid.uuid4().hex


def _loggable_path(req=None):
    """The path, with the secret of a link (activation, reset, e-mail change) left out."""
    req = req or request._get_current_object()
    if req.url_rule is not None and "token" in (req.view_args or {}):
        return req.url_rule.rule  # /aktywacja/<token>
    return req.path


def log_exception(app, exc_info):
    """Flask's "Exception on <path>" error, with the path as the request log writes it and the
    link's secret taken out of the traceback too (an exception's message may quote it)."""
    text = "".join(traceback.format_exception(*exc_info))
    secret = (request.view_args or {}).get("token")
    if isinstance(secret, str) and secret:
        text = text.replace(secret, "<token>")
    app.logger.error("Exception on %s [%s]\n%s", _loggable_path(), request.method, text.rstrip())


def _finish(response):
    kept = g._get_current_object().__dict__
    request_id = kept.get("request_id")
    if request_id is None:  # a request that failed before before_request ran
        return response
    response.headers[REQUEST_ID_HEADER] = request_id
    req = request._get_current_object()
    if req.endpoint == "static":
        return response
    fields = {
        "request_id": request_id,
        "method": req.method,
        "path": _loggable_path(req),
        "status": response.status_code,
        "duration_ms": round((time.perf_counter() - kept["request_started"]) * 1000, 2),
    }
    user = kept.get("_login_user")  # set by Flask-Login only when the view looked at the user
    if user is not None and getattr(user, "is_authenticated", False):
        fields["user_id"] = user.id
    _write_request_line(fields)
    return response


def _only_listener():
    """The request log's own handler when it alone would see the line (nothing else added to the
    logger, no filters, INFO on, not propagated), else None."""
    handlers = request_log.handlers
    if len(handlers) != 1 or request_log.propagate or request_log.filters or request_log.disabled:
        return None
    handler = handlers[0]
    if not getattr(handler, "_konto_request_log", False) or handler.filters or handler.level > logging.INFO:
        return None
    if type(handler.formatter) is not JsonFormatter or not request_log.isEnabledFor(logging.INFO):
        return None
    return handler


def _write_request_line(fields):
    """The request's JSON line. When the request log's handler alone listens, written straight to
    its stream (the line JsonFormatter makes of the record, byte for byte: tests/test_ops.py),
    without a LogRecord, the record factory and the handler chain per request; else logged."""
    handler = _only_listener()
    if handler is None:
        request_log.info("request", extra={"fields": fields})
        return
    entry = _entry(time.time(), "info", request_log.name)
    entry.update(fields)
    line = json.dumps(entry, ensure_ascii=False) + handler.terminator
    handler.acquire()
    try:
        handler.stream.write(line)
        handler.stream.flush()
    except Exception:  # noqa: BLE001 - as StreamHandler.emit: a broken stream never breaks a response
        handler.release()
        handler.handleError(logging.makeLogRecord({"msg": "request", "fields": fields}))
        return
    handler.release()


def healthz():
    """The database answers a query: 200; it does not: 503."""
    try:
        database.execute_sql("SELECT 1").fetchone()
    except Exception:  # any failure means "not healthy" (logged below)
        log.exception("health check: the database does not answer")
        return jsonify(status="unavailable", database="error"), 503
    return jsonify(status="ok")


def init_app(app):
    """Request ids, the request log, /healthz; before everything else runs."""
    _install_record_factory()
    _install_request_log()
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request(_finish)
    app.add_url_rule("/healthz", "healthz", healthz)
