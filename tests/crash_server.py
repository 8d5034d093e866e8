"""The app as `flask --app wsgi run` serves it, for tests/test_crash.py, with a pause that the
test injects into sending e-mail (production code has no such hook).

`python -m tests.crash_server PORT FD`: serves on 127.0.0.1:PORT and writes "ready" to the
file descriptor FD (a pipe from the test) once it listens. When KONTO_TEST_HOLD_IN_MAIL names
an e-mail template, a request that sends that e-mail writes "holding" to FD and stops there,
inside the transaction of its change, until the test kills the process.
"""

import os
import sys
import threading

from werkzeug.serving import make_server

from konto import mail
from wsgi import app

_send_email = mail.send_email


def main(port, fd):
    events = os.fdopen(fd, "w", buffering=1)

    def send_email_holding(recipient, subject, template, **context):
        if os.environ.get("KONTO_TEST_HOLD_IN_MAIL") == template:
            events.write("holding\n")
            threading.Event().wait()  # until SIGKILL
        return _send_email(recipient, subject, template, **context)

    # Every module that imported send_email by name gets the holding one.
    for module in list(sys.modules.values()):
        if getattr(module, "__name__", "").startswith("konto") and getattr(module, "send_email", None) is _send_email:
            module.send_email = send_email_holding
    server = make_server("127.0.0.1", port, app, threaded=True)
    events.write("ready\n")
    server.serve_forever()


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
