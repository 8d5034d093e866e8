"""A worker's start (the benchmark's cold start, bench/results.md): what the app imports and builds
before it serves its first page, and that what it leaves for later still works when it comes.

Each test runs in a fresh interpreter: this one has every library imported already."""

import os
import subprocess
import sys
from pathlib import Path

from tests.helpers import database_url

ROOT = Path(__file__).resolve().parent.parent


def _python(script, *args, env=None):
    ran = subprocess.run([sys.executable, "-c", script, *args], cwd=ROOT, capture_output=True, text=True,
                         timeout=120, env={**os.environ, **(env or {})})
    assert ran.returncode == 0, ran.stderr
    return ran.stdout.splitlines()


def test_wsgi_builds_the_app_with_the_collector_off_and_leaves_it_on_with_the_start_frozen(tmp_path):
    """gunicorn's preloaded app (wsgi.py): built with the cyclic garbage collector off, then what it
    built frozen (the collector never scans it again) and the collector back on for the requests."""
    script = (
        "import gc\n"
        "import wsgi\n"
        "assert gc.isenabled()\n"
        "assert gc.get_freeze_count() > 50_000, gc.get_freeze_count()\n"
        "assert wsgi.app.test_client().get('/logowanie').status_code == 200\n"
        "print('ok')\n"
    )
    env = {"DATABASE_URL": database_url(tmp_path), "SECRET_KEY": "test-secret-key", "KONTO_DEMO": "1",
           "KONTO_REGISTRY": "demo", "TEMPLATE_CACHE_DIR": str(tmp_path / "templates")}
    assert _python(script, env=env) == ["ok"]
