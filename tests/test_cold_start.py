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


def test_the_first_pages_do_without_the_libraries_that_only_some_actions_need(tmp_path):
    """email-validator (a typed address), phonenumbers (the wizard's contact step), segno (the
    authenticator app's QR code) and Authlib (the programs' OAuth endpoints) are imported when
    first needed, and then do their work as before."""
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from konto import create_app\n"
        "from tests.helpers import make_config\n"
        "LATER = ('authlib', 'email_validator', 'phonenumbers', 'segno')\n"
        "app = create_app(make_config(Path(sys.argv[1])))\n"
        "client = app.test_client()\n"
        "for path in ('/logowanie', '/rejestracja', '/.well-known/oauth-authorization-server'):\n"
        "    assert client.get(path).status_code == 200, path\n"
        "print(sorted(m for m in LATER if m in sys.modules))\n"
        "from konto import addresses, factors, forms\n"
        "assert addresses.canonical(' Jan.Kowalski@EXAMPLE.com ') == 'jan.kowalski@example.com'\n"
        "assert addresses.for_smtp('jan@bücher.example') == ('jan@xn--bcher-kva.example', False)\n"
        "with app.test_request_context():\n"
        "    assert forms.email_error('jan.kowalski@firma.pl') is None\n"
        "    assert str(forms.email_error('jan.kowalski@')).startswith('To nie jest poprawny adres e-mail')\n"
        "    assert forms.phone_error('601 234 567') is None and forms.format_phone('601 234 567') == '+48601234567'\n"
        "    assert str(forms.phone_error('601')).startswith('Ten numer telefonu jest niepoprawny')\n"
        "assert factors.qr_svg_data_uri('otpauth://totp/Konto:jan').startswith('data:image/svg+xml')\n"
        "response = client.post('/oauth/device', data={'client_id': 'no-such-program'})\n"
        "assert (response.status_code, response.json['error']) == (400, 'invalid_client'), response.data\n"
        "print(sorted(m for m in LATER if m in sys.modules))\n"
    )
    assert _python(script, str(tmp_path)) == ["[]", "['authlib', 'email_validator', 'phonenumbers', 'segno']"]


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
