"""A worker's start (the benchmark's cold start, bench/results.md): what the app imports and builds
before it serves its first page, and that what it leaves for later still works when it comes.

Each test runs in a fresh interpreter: this one has every library imported already."""

import multiprocessing
import os
import runpy
import subprocess
import sys
from pathlib import Path

from flask import url_for
from werkzeug.routing import Map
from werkzeug.routing import Rule as WerkzeugRule

from konto import Konto
from konto import create_app
from konto.routing import Rule
from tests.helpers import database_url
from tests.helpers import make_config

ROOT = Path(__file__).resolve().parent.parent


def _python(script, *args, env=None, clean=False):
    """Run a script in a fresh interpreter (in the repository, this environment + env; only env if clean)."""
    ran = subprocess.run([sys.executable, "-c", script, *args], cwd=ROOT, capture_output=True, text=True,
                         timeout=120, env=env if clean else {**os.environ, **(env or {})})
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


# Sample values for a rule's arguments, by converter: ids (the app's int), text with what needs
# quoting, a path with slashes.
_SAMPLES = {"IdConverter": 2_147_483_647, "UnicodeConverter": "Zażółć gęślą/jaźń ?&#%", "PathConverter": "a/b c/ż",
            "AnyConverter": None}
_QUERY = {"next": "/panel?x=1&y=ż", "q": ["a b", "c&d"], "n": 7}


def _sample(rule, name):
    converter = rule._converters[name]
    kind = type(converter).__name__
    if kind == "AnyConverter":
        return next(iter(converter.items))
    assert kind in _SAMPLES, f"{rule.rule}: a converter this test has no sample for: {kind}"
    return _SAMPLES[kind]


def test_every_rule_builds_its_urls_as_plain_werkzeug_rules_do_its_builder_compiled_at_first_use(app):
    """The app's rules (konto/routing.py) compile their URL builders when first used, not at start
    (a start compiled ~120 rules x 2 builders). Each rule builds exactly what a plain Werkzeug rule
    of the same map builds: its own arguments, defaults, unknown arguments as a query string, both
    kinds of builder, at the first call (the stand-in) and after (Werkzeug's compiled builder)."""
    rules = list(app.url_map.iter_rules())
    assert len(rules) > 100
    plain_map = Map([WerkzeugRule(rule.rule, **rule.get_empty_kwargs()) for rule in rules],
                    converters=app.url_map.converters, strict_slashes=app.url_map.strict_slashes,
                    merge_slashes=app.url_map.merge_slashes, host_matching=app.url_map.host_matching)
    plain_rules = list(plain_map.iter_rules())
    for rule, plain in zip(rules, plain_rules, strict=True):
        assert type(rule) is Rule and type(plain) is WerkzeugRule
        assert (rule.rule, rule.endpoint) == (plain.rule, plain.endpoint)
        # Not compiled yet: Werkzeug still goes through _compile_builder (else this fails loudly).
        assert rule._build.__func__.__name__ == "build_at_first_use", rule.rule
        assert rule._build_unknown.__func__.__name__ == "build_at_first_use", rule.rule
        values = {name: _sample(rule, name) for name in rule.arguments if name not in (rule.defaults or {})}
        for _ in range(2):
            assert rule.build({**values, **_QUERY}) == plain.build({**values, **_QUERY})
            assert rule.build({**values, **_QUERY}, append_unknown=False) == plain.build(
                {**values, **_QUERY}, append_unknown=False)
            assert rule.build(values, append_unknown=False) == plain.build(values, append_unknown=False)
            assert rule.build(values) == plain.build(values)
        assert rule._build.__func__.__name__.startswith("<builder:"), rule.rule
        assert rule._build_unknown.__func__.__name__.startswith("<builder:"), rule.rule


def test_url_for_gives_what_it_gives_with_werkzeug_s_own_rules(app, tmp_path, monkeypatch):
    """The same through Flask: url_for for every endpoint (values as above, a query argument, external),
    against an app made with Werkzeug's own rule class."""
    monkeypatch.setattr(Konto, "url_rule_class", WerkzeugRule)
    plain_app = create_app(make_config(tmp_path / "plain"))
    monkeypatch.undo()
    rules = {rule.endpoint: rule for rule in app.url_map.iter_rules()}
    assert {type(rule) for rule in plain_app.url_map.iter_rules()} == {WerkzeugRule}
    assert sorted(rules) == sorted(rule.endpoint for rule in plain_app.url_map.iter_rules())
    for endpoint, rule in rules.items():
        values = {name: _sample(rule, name) for name in rule.arguments if name not in (rule.defaults or {})}
        for extra in ({"_anchor": "x y", **_QUERY}, {}, {"_external": True}):
            with app.test_request_context("/", base_url="https://konto.example/app"):
                ours = url_for(endpoint, **values, **extra)
            with plain_app.test_request_context("/", base_url="https://konto.example/app"):
                theirs = url_for(endpoint, **values, **extra)
            assert ours == theirs, endpoint


def test_gunicorn_sizes_its_workers_by_the_cores_without_importing_multiprocessing(monkeypatch):
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert settings["workers"] == min(2 * multiprocessing.cpu_count(), 8)
    assert "multiprocessing" not in settings


def test_a_dot_env_file_is_read_when_there_is_one_and_python_dotenv_imported_only_then(tmp_path):
    """create_app() without a test config reads ROOT/.env (the environment wins over it); without
    the file python-dotenv is not even imported."""
    (tmp_path / "with").mkdir()
    (tmp_path / "with" / ".env").write_text("SECRET_KEY=from-the-dot-env-file\nKONTO_BASE_URL=http://dotenv.test\n")
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "import konto\n"
        "konto.ROOT = Path(sys.argv[1])\n"
        "app = konto.create_app()\n"
        "print(app.config['SECRET_KEY'], app.config['KONTO_BASE_URL'], 'dotenv' in sys.modules)\n"
    )
    env = {"DATABASE_URL": database_url(tmp_path), "KONTO_DEMO": "1", "KONTO_BASE_URL": "http://environment.test",
           "TEMPLATE_CACHE_DIR": str(tmp_path / "templates")}
    clean = {name: value for name, value in os.environ.items() if name != "SECRET_KEY"}
    assert _python(script, str(tmp_path / "with"), env={**clean, **env}, clean=True) == [
        "from-the-dot-env-file http://environment.test True"]
    assert _python(script, str(tmp_path), env={**clean, **env, "SECRET_KEY": "from-the-environment"},
                   clean=True) == ["from-the-environment http://environment.test False"]
