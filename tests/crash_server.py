"""The app as `flask --app wsgi run` serves it, for tests/test_crash.py, with a pause that the
test injects into sending e-mail (production code has no such hook).

`python -m tests.crash_server PORT`. When KONTO_TEST_HOLD_IN_MAIL names an e-mail template, a
request that sends that e-mail writes its pid to the file KONTO_TEST_HOLD_MARKER and stops
there, inside the transaction of its change, until the test kills the process.
"""

import os
import sys
import threading

from werkzeug.serving import run_simple

from konto import mail
from wsgi import app

_send_email = mail.send_email


def send_email_holding(recipient, subject, template, **context):
    if os.environ.get("KONTO_TEST_HOLD_IN_MAIL") == template:
        with open(os.environ["KONTO_TEST_HOLD_MARKER"], "w") as handle:
            handle.write(str(os.getpid()))
        threading.Event().wait()  # until SIGKILL
    return _send_email(recipient, subject, template, **context)


def main(port):
    # Every module that imported send_email by name gets the holding one.
    for module in list(sys.modules.values()):
        if getattr(module, "__name__", "").startswith("konto") and getattr(module, "send_email", None) is _send_email:
            module.send_email = send_email_holding
    run_simple("127.0.0.1", port, app, threaded=True)


if __name__ == "__main__":
    main(int(sys.argv[1]))
