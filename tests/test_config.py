"""Configuration is read one way: typed defaults, then the environment (tests: the test config);
a bad value stops the app at start with a sentence naming the variable."""

import re
from pathlib import Path

import pytest

from konto import config
from konto import create_app
from konto import licence_files
from konto.db import database
from tests.helpers import ON_POSTGRES
from tests.helpers import TWO_STEP_KEY
from tests.helpers import database_url

README = Path(__file__).resolve().parent.parent / "README.md"
SIGNING_KEY = licence_files.new_private_key_text()
# Read by gunicorn.conf.py (gunicorn's settings), not by the app.
GUNICORN_VARIABLES = {"WEB_CONCURRENCY", "KONTO_BIND", "KONTO_WORKER_TIMEOUT"}


@pytest.fixture
def environment(monkeypatch):
    """A clean environment: none of the app's variables set, whatever the shell has."""
    for setting in config.SETTINGS:
        monkeypatch.delenv(setting.name, raising=False)
    return monkeypatch


def test_the_demo_is_explicit_and_builds_its_links_from_its_own_address(tmp_path):
    loaded = config.load(str(tmp_path), environ={"KONTO_DEMO": "1"})
    assert loaded["KONTO_BASE_URL"] == "http://127.0.0.1:5000"  # where `make demo` serves
    assert loaded["DATABASE_URL"] == "sqlite:///" + str(tmp_path / "konto.sqlite3")
    assert loaded["DEMO_MAIL"] is True
    assert loaded["MAIL_PORT"] == 25 and loaded["DATABASE_POOL_SIZE"] == 8
    assert loaded["RATELIMIT_ENABLED"] is True and loaded["RATELIMIT_LOGIN_ACCOUNT"] == "5/5 minutes;15/hour;40/day"
    assert loaded["SECRET_KEY"] == (tmp_path / "secret_key").read_text()


def test_the_environment_is_parsed_as_each_setting_s_type(tmp_path):
    environ = {
        "SECRET_KEY": "s" * 40,
        "KONTO_TWO_STEP_KEY": TWO_STEP_KEY,
        "LICENCE_SIGNING_KEY": SIGNING_KEY,
        "PROGRAM_POLL_INTERVAL": "7",
        "MAIL_SERVER": "smtp.example.pl",
        "MAIL_PORT": "587",
        "MAIL_USE_TLS": "1",
        "MAIL_SENDER_THREAD": "off",
        "MAIL_TIMEOUT": "2.5",
        "DATABASE_POOL_SIZE": "3",
        "REGISTRY_READ_TIMEOUT": "4",
        "RATELIMIT_ENABLED": "0",
        "RATELIMIT_LOGIN_IP": "3/minute",
        "KONTO_HTTPS": "yes",
        "KONTO_BASE_URL": "https://konto.example.pl",
        "GUS_API_KEY": "",  # set but empty: unset
    }
    loaded = config.load(str(tmp_path), environ=environ)
    assert loaded["MAIL_PORT"] == 587 and loaded["DATABASE_POOL_SIZE"] == 3
    assert loaded["MAIL_USE_TLS"] is True and loaded["MAIL_SENDER_THREAD"] is False
    assert loaded["MAIL_TIMEOUT"] == 2.5 and loaded["REGISTRY_READ_TIMEOUT"] == 4.0
    assert loaded["RATELIMIT_ENABLED"] is False and loaded["RATELIMIT_LOGIN_IP"] == "3/minute"
    assert loaded["GUS_API_KEY"] is None
    assert loaded["DEMO_MAIL"] is False and loaded["SESSION_COOKIE_SECURE"] is True
    assert loaded["KONTO_TWO_STEP_KEY"] == (TWO_STEP_KEY,)
    assert loaded["LICENCE_SIGNING_KEY"] == SIGNING_KEY and loaded["PROGRAM_POLL_INTERVAL"] == 7


@pytest.mark.parametrize(
    "name, value",
    [
        ("MAIL_PORT", "abc"),
        ("DATABASE_POOL_SIZE", "8.5"),
        ("REGISTRY_READ_TIMEOUT", "soon"),
        ("KONTO_HTTPS", "maybe"),
        ("RATELIMIT_LOGIN_IP", "many per minute"),
        ("RATELIMIT_STRATEGY", "leaky-bucket"),
        ("KONTO_REGISTRY", "krs"),
        ("KONTO_TWO_STEP_KEY", "not-a-fernet-key"),
        ("LICENCE_SIGNING_KEY", "not-an-ed25519-key"),
        ("PROGRAM_CODE_LIFETIME", "15 minutes"),
    ],
)
def test_a_bad_value_fails_with_a_sentence_naming_the_variable(tmp_path, name, value):
    with pytest.raises(config.ConfigError, match=rf"^{name}={value!r} .+\.$"):
        config.load(str(tmp_path), environ={name: value})


def test_production_refuses_to_start_without_the_two_step_key(tmp_path):
    """With SMTP set (production) the TOTP secrets' key must come from the environment; the demo
    makes one of its own and keeps it; several keys rotate (the first encrypts)."""
    with pytest.raises(config.ConfigError, match="^KONTO_TWO_STEP_KEY is not set"):
        config.load(str(tmp_path), environ={"SECRET_KEY": "s" * 40, "MAIL_SERVER": "smtp.example.pl",
                                            "LICENCE_SIGNING_KEY": SIGNING_KEY,
                                            "KONTO_BASE_URL": "https://konto.example.pl"})
    demo = config.load(str(tmp_path), environ={"KONTO_DEMO": "1"})
    assert demo["KONTO_TWO_STEP_KEY"] == ((tmp_path / "two_step_key").read_text(),)
    assert config.load(str(tmp_path), environ={"KONTO_DEMO": "1"})["KONTO_TWO_STEP_KEY"] == demo["KONTO_TWO_STEP_KEY"]
    both = f"{TWO_STEP_KEY}, {demo['KONTO_TWO_STEP_KEY'][0]}"
    rotated = config.load(str(tmp_path), environ={"KONTO_DEMO": "1", "KONTO_TWO_STEP_KEY": both})
    assert rotated["KONTO_TWO_STEP_KEY"] == (TWO_STEP_KEY, demo["KONTO_TWO_STEP_KEY"][0])


def test_tests_get_their_config_instead_of_the_environment(tmp_path):
    test_config = {"TESTING": True, "KONTO_DEMO": True, "MAIL_PORT": 2525}
    loaded = config.load(str(tmp_path), test_config, environ={"MAIL_PORT": "abc"})
    assert loaded["MAIL_PORT"] == 2525 and loaded["MAIL_TIMEOUT"] == 10.0


def test_the_app_reads_the_environment_and_refuses_a_bad_value(tmp_path, environment):
    environment.setenv("KONTO_DEMO", "1")
    environment.setenv("SECRET_KEY", "s" * 40)
    environment.setenv("DATABASE_URL", database_url(tmp_path))
    environment.setenv("DATABASE_POOL_SIZE", "3")
    environment.setenv("MAIL_RETRY_BASE", "5")
    environment.setenv("RATELIMIT_ENABLED", "false")
    app = create_app()
    try:
        assert app.config["DATABASE_POOL_SIZE"] == 3 and app.config["MAIL_RETRY_BASE"] == 5.0
        assert app.config["RATELIMIT_ENABLED"] is False
        if ON_POSTGRES:
            assert database.obj._max_connections == 3
    finally:
        database.close()

    environment.setenv("MAIL_PORT", "abc")
    with pytest.raises(config.ConfigError, match="MAIL_PORT='abc' is not a whole number"):
        create_app()


# Issue 10, item 12: the demo's mailbox shows every e-mail to anyone, so it is never what a
# deployment gets by forgetting MAIL_SERVER; item 1: links in e-mails come from KONTO_BASE_URL only.

def test_without_mail_and_without_the_demo_the_app_refuses_to_start(tmp_path, environment):
    with pytest.raises(config.ConfigError, match=r"^MAIL_SERVER is not set\. .*KONTO_DEMO=1"):
        config.load(str(tmp_path), environ={"SECRET_KEY": "s" * 40})
    environment.setenv("DATABASE_URL", database_url(tmp_path))
    with pytest.raises(config.ConfigError, match="MAIL_SERVER is not set"):
        create_app()


def test_real_mail_without_a_base_url_refuses_to_start(tmp_path):
    with pytest.raises(config.ConfigError, match=r"^KONTO_BASE_URL is not set\. .+\.$"):
        config.load(str(tmp_path), environ={"MAIL_SERVER": "smtp.example.pl", "SECRET_KEY": "s" * 40})


@pytest.mark.parametrize("base", ["konto.example.pl", "ftp://konto.example.pl", "https://", "https://konto.example.pl/?x=1",
                                  "https://konto.example.pl/#top", "https://user@konto.example.pl"])
def test_a_base_url_that_is_not_an_address_refuses_to_start(tmp_path, base):
    environ = {"MAIL_SERVER": "smtp.example.pl", "SECRET_KEY": "s" * 40, "KONTO_BASE_URL": base}
    with pytest.raises(config.ConfigError, match=r"^KONTO_BASE_URL="):
        config.load(str(tmp_path), environ=environ)


def test_the_demo_and_real_mail_together_refuse_to_start(tmp_path):
    environ = {"MAIL_SERVER": "smtp.example.pl", "SECRET_KEY": "s" * 40, "KONTO_BASE_URL": "https://konto.example.pl",
               "KONTO_DEMO": "1"}
    with pytest.raises(config.ConfigError, match="KONTO_DEMO=1 and MAIL_SERVER"):
        config.load(str(tmp_path), environ=environ)


def test_every_variable_in_the_readme_is_a_setting():
    """The README's configuration table names only settings the app reads (or gunicorn does)."""
    text = README.read_text()
    table = text[text.index("## Configuration") : text.index("Commands (")]
    named = set()
    for row in table.splitlines():
        if row.startswith("| `"):
            named |= set(re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split("|")[1]))
    assert named, "no variables found in the README's configuration table"
    settings = {setting.name for setting in config.SETTINGS}
    assert named - GUNICORN_VARIABLES <= settings, sorted(named - GUNICORN_VARIABLES - settings)
