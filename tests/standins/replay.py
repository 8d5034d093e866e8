"""A stand-in that answers with recorded-shape response files (tests/fixtures/registry/*.http).

Each file is a whole HTTP response: status line, headers, blank line, body bytes. The
answer is chosen by the SOAP operation of the request (its wsa:Action) or, for REST, by
the HTTP method: `ReplayStandIn({"Zaloguj": "gus/zaloguj.http", ...})`; a report can be
given per name as "DanePobierzPelnyRaport:BIR12OsPrawna".
"""

import re
from pathlib import Path

from tests.standins.base import Handler
from tests.standins.base import StandIn

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "registry"
_ACTION_RE = re.compile(rb"<(?:\w+:)?Action\b[^>]*>[^<]*/(\w+)</(?:\w+:)?Action>")
_REPORT_RE = re.compile(rb"<(?:\w+:)?pNazwaRaportu>([^<]*)</")


def load_response(name):
    """(status, [(header, value)], body) of a fixture file."""
    raw = (FIXTURES / name).read_bytes()
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("utf-8").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = [tuple(part.strip() for part in line.split(":", 1)) for line in lines[1:]]
    return status, headers, body


class ReplayStandIn(StandIn):
    def __init__(self, script):
        self.script = dict(script)
        super().__init__()


class ReplayHandler(Handler):
    def _replay(self):
        body = self.read_body()
        match = _ACTION_RE.search(body)
        key = match.group(1).decode() if match else self.command
        self.standin.count(key, {"path": self.path, "headers": dict(self.headers.items()), "body": body})
        report = _REPORT_RE.search(body)
        script = self.standin.script
        # "DanePobierzPelnyRaport:BIR12OsPrawna" before "DanePobierzPelnyRaport".
        name = script.get(f"{key}:{report.group(1).decode()}") if report else None
        name = name or script.get(key)
        if name is None:
            self.answer(404, b"no fixture for " + key.encode(), "text/plain")
            return
        status, headers, content = load_response(name)
        self.send_response(status)
        for header, value in headers:
            if header.lower() != "content-length":
                self.send_header(header, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    do_GET = _replay
    do_POST = _replay


ReplayStandIn.handler_class = ReplayHandler
