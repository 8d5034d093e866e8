"""A stand-in service: a real HTTP server on 127.0.0.1, in a thread, counting its calls."""

import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer

MODE_OK = "ok"
MODE_SLOW = "slow"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # stop() must not wait for a handler still "being slow"
    request_queue_size = 64  # concurrent tests connect at once; a full backlog costs a 1 s SYN retry


class StandIn:
    """Start on construction; `.url`, `.calls` (Counter by operation), `.mode`, `.stop()`.

    `.mode` is a fault mode each subclass documents ("ok" answers normally, "slow" waits
    `.slow_seconds` before answering). `.requests` keeps what was received, for tests of the
    client's wire format.
    """

    path = ""
    handler_class = None

    def __init__(self):
        self.calls = Counter()
        self.requests = []
        self.mode = MODE_OK
        self.slow_seconds = 3.0
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        handler = type(self.handler_class.__name__, (self.handler_class,), {"standin": self})
        self._server = _Server(("127.0.0.1", 0), handler)
        host, port = self._server.server_address[:2]
        self.base_url = f"http://{host}:{port}"
        self.url = self.base_url + self.path
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name=type(self).__name__, daemon=True
        )
        self._thread.start()

    def count(self, operation, record=None):
        with self._lock:
            self.calls[operation] += 1
            if record is not None:
                self.requests.append(record)

    def total_calls(self):
        with self._lock:
            return sum(self.calls.values())

    def reset_counts(self):
        with self._lock:
            self.calls.clear()
            self.requests.clear()

    def be_slow(self):
        """Wait as the slow mode says; returns early when the stand-in stops."""
        self._stopping.wait(self.slow_seconds)

    def stop(self):
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class Handler(BaseHTTPRequestHandler):
    """Common plumbing: quiet logs, bodies, answers with a length."""

    protocol_version = "HTTP/1.1"
    server_version = "Microsoft-IIS/10.0"
    sys_version = ""
    standin = None  # set per server by StandIn

    def log_message(self, format, *args):
        pass  # test output stays readable

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def answer(self, status, body, content_type, headers=None):
        if isinstance(body, str):
            body = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
