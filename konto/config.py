"""Configuration, read one way: typed defaults, then the environment (or, for tests, the
test config instead of the environment), then the settings derived from them.

SETTINGS is every setting the app reads from the environment, with its type and default
(the README's configuration table and docs/operations.md describe them). An environment
variable that is set but empty counts as unset; a value of the wrong type stops the app at
start with a sentence naming the variable. FIXED are settings of Flask and its extensions
that the app sets and the environment does not change. gunicorn's own settings
(WEB_CONCURRENCY, KONTO_BIND, KONTO_WORKER_TIMEOUT, KONTO_LOG_LEVEL…) are read by
gunicorn.conf.py, not by the app.
"""

import os
import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.fernet import Fernet
from limits import parse_many

from konto import licence_files
from konto.client import parse_networks
from konto.limits import LIMITS


class ConfigError(RuntimeError):
    """A setting is missing or has a value the app cannot use."""


def _text(raw):
    return raw


def _whole_number(raw):
    try:
        return int(raw)
    except ValueError:
        raise ValueError("is not a whole number") from None


def _number(raw):
    try:
        return float(raw)
    except ValueError:
        raise ValueError("is not a number") from None


_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def _flag(raw):
    value = raw.strip().lower()
    if value not in _TRUE + _FALSE:
        raise ValueError(f"is neither on ({', '.join(_TRUE)}) nor off ({', '.join(_FALSE)})")
    return value in _TRUE


def _rate_limit(raw):
    """A Flask-Limiter limit string ("5/5 minutes;15/hour"), checked, kept as the string."""
    try:
        parse_many(raw)
    except ValueError:
        raise ValueError('is not a rate limit such as "5/minute" or "5/5 minutes;15/hour"') from None
    return raw


def _fernet_keys(raw):
    """One Fernet key, or several separated by commas (the first encrypts, all decrypt: rotation)."""
    keys = tuple(key.strip() for key in raw.split(",") if key.strip())
    try:
        for key in keys:
            Fernet(key)
    except ValueError:
        raise ValueError(
            "is not a Fernet key (32 bytes in URL-safe base64; make one with "
            "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')"
        ) from None
    if not keys:
        raise ValueError("holds no key")
    return keys


def _signing_key(raw):
    """An Ed25519 private key (base64url of its 32-byte seed), checked, kept as the string."""
    licence_files.parse_private_key(raw)
    return raw.strip()


def _networks(raw):
    """Addresses and networks, comma-separated ("127.0.0.1,::1", "10.0.0.0/8"), or "*"; kept as the string."""
    try:
        parse_networks(raw)
    except ValueError:
        raise ValueError('is not a list of addresses or networks such as "127.0.0.1,::1" or "10.0.0.0/8"') from None
    return raw


@dataclass(frozen=True)
class Setting:
    name: str
    parse: object  # raw environment string -> value; raises ValueError saying what is wrong
    default: object
    choices: tuple = ()


def _limit_settings():
    """RATELIMIT_<NAME> for each limit in konto.limits.LIMITS (declared there with its view)."""
    return tuple(Setting(f"RATELIMIT_{name}", _rate_limit, default) for name, (default, *_rest) in LIMITS.items())


SETTINGS = (
    # -- the app ------------------------------------------------------------------------
    Setting("SECRET_KEY", _text, None),  # None: the demo's, kept in instance/secret_key
    Setting("DATABASE_URL", _text, None),  # None: sqlite:///instance/konto.sqlite3
    Setting("DATABASE_POOL_SIZE", _whole_number, 8),  # PostgreSQL: connections per process at most
    # The demo: its e-mail kept in the local mailbox at /poczta/, which anyone can read. Never
    # what a deployment gets by forgetting MAIL_SERVER: without either the app does not start.
    Setting("KONTO_DEMO", _flag, False),
    # The public address that links in e-mails are built from (never from a request's host).
    # Required with MAIL_SERVER; the demo's default is where `make demo` serves.
    Setting("KONTO_BASE_URL", _text, None),
    Setting("KONTO_HTTPS", _flag, False),
    # Number of reverse proxies in front (0: none). Their X-Forwarded-For/-Proto/-Host are
    # trusted (werkzeug's ProxyFix), so url_for, secure cookies and client IPs are right.
    Setting("KONTO_PROXY_FIX", _whole_number, 0),
    # ...believed only from these addresses (gunicorn's own variable and default; "*": any).
    Setting("FORWARDED_ALLOW_IPS", _networks, "127.0.0.1,::1"),
    # How people reach the vendor's support (the help page, "contact support" links, e-mails,
    # the second-step pages for someone who lost the phone and the recovery codes).
    Setting("KONTO_SUPPORT_EMAIL", _text, "pomoc@konto.localhost"),
    Setting("KONTO_SUPPORT_PHONE", _text, None),
    # -- links and sessions (seconds) ------------------------------------------------------
    Setting("ACTIVATION_TOKEN_MAX_AGE", _whole_number, 48 * 3600),
    Setting("RESET_TOKEN_MAX_AGE", _whole_number, 3600),
    Setting("EMAIL_CHANGE_TOKEN_MAX_AGE", _whole_number, 24 * 3600),
    Setting("EMAIL_REVERT_TOKEN_MAX_AGE", _whole_number, 14 * 24 * 3600),
    Setting("INVITATION_MAX_AGE", _whole_number, 7 * 24 * 3600),  # an invitation into a company
    Setting("REAUTH_WINDOW", _whole_number, 10 * 60),
    Setting("SESSION_IDLE_TIMEOUT", _whole_number, 2 * 3600),
    Setting("SESSION_ABSOLUTE_TIMEOUT", _whole_number, 30 * 24 * 3600),
    # -- two-step sign-in ---------------------------------------------------------------------
    # Encrypts the authenticator apps' TOTP secrets at rest (konto.factors). None: the demo's,
    # kept in instance/two_step_key; required in production (MAIL_SERVER set).
    Setting("KONTO_TWO_STEP_KEY", _fernet_keys, None),
    Setting("TWO_STEP_LOGIN_TIMEOUT", _whole_number, 5 * 60),  # the half-session between password and code
    # -- company registries -----------------------------------------------------------------
    Setting("KONTO_REGISTRY", _text, "demo", choices=("demo", "gus")),
    Setting("GUS_API_KEY", _text, None),
    Setting("GUS_API_URL", _text, "https://wyszukiwarkaregon.stat.gov.pl/wsBIR/UslugaBIRzewnPubl.svc"),
    Setting("VIES_API_URL", _text, "https://ec.europa.eu/taxation_customs/vies/rest-api"),
    Setting("MF_API_URL", _text, "https://wl-api.mf.gov.pl"),
    Setting("REGISTRY_CACHE_TTL", _whole_number, 24 * 3600),
    Setting("REGISTRY_CONNECT_TIMEOUT", _number, 3.05),
    Setting("REGISTRY_READ_TIMEOUT", _number, 10.0),
    # -- e-mail: Flask-Mail's names, then delivery (konto.mail; seconds) --------------------
    Setting("MAIL_SERVER", _text, None),  # None: demo mail mode, messages shown at /poczta
    Setting("MAIL_PORT", _whole_number, 25),
    Setting("MAIL_USE_TLS", _flag, False),
    Setting("MAIL_USE_SSL", _flag, False),
    Setting("MAIL_USERNAME", _text, None),
    Setting("MAIL_PASSWORD", _text, None),
    Setting("MAIL_DEFAULT_SENDER", _text, ("Konto", "no-reply@konto.localhost")),
    Setting("MAIL_TIMEOUT", _number, 10.0),  # one SMTP connection: connect, each command, each reply
    Setting("MAIL_RETRY_BASE", _number, 30.0),  # first retry after this, then doubling...
    Setting("MAIL_RETRY_MAX", _number, 3600.0),  # ...up to this (until taken, or refused for good)
    Setting("MAIL_SENDER_POLL", _number, 60.0),  # the sender thread looks for due messages this often
    Setting("MAIL_SENDER_THREAD", _flag, True),  # off: only `mail send-pending` delivers (cron)
    # -- licences, claims, the back office (konto/licences, konto/staff) --------------------
    Setting("STAFF_REAUTH_WINDOW", _whole_number, 5 * 60),  # seconds the back office trusts a typed password
    Setting("CLAIM_UPLOAD_MAX", _whole_number, 5 * 1024 * 1024),  # bytes of an admin-rights claim's PDF
    Setting("CLAIM_OBJECTION_HOURS", _whole_number, 72),  # the administrators' time to object
    Setting("CLAIM_FILE_RETENTION", _whole_number, 90),  # days a decided claim's PDF is kept (`accounts purge`)
    Setting("UPLOAD_DIR", _text, None),  # None: <instance>/uploads (claims' statements; never static/)
    # Compiled templates kept for the next start (Jinja's bytecode cache); None: Jinja's own folder
    # in the temporary directory, private to the user the app runs as.
    Setting("TEMPLATE_CACHE_DIR", _text, None),
    # None: the app sends Abonament notices itself in demo mail mode (else cron: `licences notify`)
    Setting("LICENCE_NOTICES_IN_APP", _flag, None),
    Setting("LICENCE_NOTICE_INTERVAL", _whole_number, 3600),  # seconds between the app's own runs
    # -- desktop programs: the device flow, tokens, licence files (konto/programs; seconds) ------
    Setting("PROGRAM_CODE_LIFETIME", _whole_number, 15 * 60),  # a user code (and its device code)
    Setting("PROGRAM_POLL_INTERVAL", _whole_number, 5),  # seconds a program waits between polls
    Setting("PROGRAM_ACCESS_TOKEN_LIFETIME", _whole_number, 15 * 60),
    Setting("PROGRAM_REFRESH_TOKEN_LIFETIME", _whole_number, 30 * 24 * 3600),  # renewed at each refresh
    Setting("LICENCE_SIGNING_KEY", _signing_key, None),  # None: required, except in demo mode
    Setting("LICENCE_FILE_LIFETIME", _whole_number, 30 * 24 * 3600),  # a signed licence file is trusted this long
    # -- rate limits (konto.limits) ---------------------------------------------------------
    Setting("RATELIMIT_ENABLED", _flag, True),
    # The app's own database (every worker and process counts together); or redis://host:6379/0.
    Setting("RATELIMIT_STORAGE_URI", _text, "database://"),
    Setting("RATELIMIT_STRATEGY", _text, "moving-window",
            choices=("moving-window", "fixed-window", "sliding-window-counter")),
    *_limit_settings(),
)

FIXED = {
    "PASSWORD_HASH_PARAMS": None,  # argon2-cffi's defaults (RFC 9106 low-memory); tests make it cheap
    "BABEL_DEFAULT_LOCALE": "pl",
    "BABEL_DEFAULT_TIMEZONE": "Europe/Warsaw",
    "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_DURATION": timedelta(days=30),
    "MAX_CONTENT_LENGTH": 64 * 1024,
    "MAX_FORM_MEMORY_SIZE": 64 * 1024,
}


def defaults():
    """The configuration a fresh checkout runs with: the demo."""
    return {**{setting.name: setting.default for setting in SETTINGS}, **FIXED}


def from_environment(environ):
    """The settings set (and not empty) in the environment, each parsed as its type."""
    found = {}
    for setting in SETTINGS:
        raw = environ.get(setting.name)
        if not raw:
            continue
        try:
            value = setting.parse(raw)
        except ValueError as error:
            raise ConfigError(f"{setting.name}={raw!r} {error}; fix or unset the environment variable.") from None
        if setting.choices and value not in setting.choices:
            raise ConfigError(f"{setting.name}={raw!r} is not one of: {', '.join(setting.choices)}.")
        found[setting.name] = value
    return found


def load(instance_path, test_config=None, environ=os.environ):
    """The app's configuration: the defaults, then the environment (tests: test_config instead)."""
    config = defaults()
    config.update(from_environment(environ) if test_config is None else test_config)
    return finish(config, instance_path)


def demo_secret_key(instance_path):
    """A random key kept under instance/, so the demo's sessions survive restarts."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def demo_two_step_key(instance_path):
    """A Fernet key kept under instance/, so the demo's authenticator apps survive restarts."""
    path = Path(instance_path) / "two_step_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(Fernet.generate_key().decode())
        path.chmod(0o600)
    return (path.read_text().strip(),)


DEMO_BASE_URL = "http://127.0.0.1:5000"


def _mail_and_links(config):
    """Real mail or the demo's mailbox, explicitly; and the address that e-mail links use."""
    demo, mail = bool(config.get("KONTO_DEMO")), bool(config.get("MAIL_SERVER"))
    if demo and mail:
        raise ConfigError(
            "KONTO_DEMO=1 and MAIL_SERVER are both set: the demo keeps every e-mail in its public "
            "mailbox, a deployment sends it by SMTP. Unset one of them."
        )
    if not demo and not mail:
        raise ConfigError(
            "MAIL_SERVER is not set. Set MAIL_SERVER (with KONTO_BASE_URL and SECRET_KEY) to send e-mail "
            "by SMTP, or KONTO_DEMO=1 to run the demo, whose e-mail anyone can read at /poczta/ (make demo sets it)."
        )
    base = config.get("KONTO_BASE_URL")
    if not base:
        if mail:
            raise ConfigError(
                "KONTO_BASE_URL is not set. Links in e-mails are built from it, never from a request: set it "
                "to the portal's public address, e.g. KONTO_BASE_URL=https://konto.example.pl."
            )
        base = config["KONTO_BASE_URL"] = DEMO_BASE_URL
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.query or parts.fragment:
        raise ConfigError(
            f"KONTO_BASE_URL={base!r} is not the portal's address; use one like https://konto.example.pl "
            "(http or https, a host, no query or fragment)."
        )
    config["DEMO_MAIL"] = demo


def finish(config, instance_path):
    """Derived settings, and a clear error for a production set-up that lacks what it needs."""
    _mail_and_links(config)
    if not config.get("DATABASE_URL"):
        config["DATABASE_URL"] = "sqlite:///" + str(Path(instance_path) / "konto.sqlite3")
    if not config.get("SECRET_KEY"):
        if config.get("MAIL_SERVER") and not config.get("TESTING"):
            raise ConfigError(
                "SECRET_KEY is not set. Set the SECRET_KEY environment variable to a long random "
                "string (e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))')."
            )
        config["SECRET_KEY"] = demo_secret_key(instance_path)
    if not config.get("KONTO_TWO_STEP_KEY"):
        if config.get("MAIL_SERVER") and not config.get("TESTING"):
            raise ConfigError(
                "KONTO_TWO_STEP_KEY is not set. It encrypts the two-step sign-in secrets: set it to a "
                "Fernet key (python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())') and keep it as safe as the database backups."
            )
        config["KONTO_TWO_STEP_KEY"] = demo_two_step_key(instance_path)
    elif isinstance(config["KONTO_TWO_STEP_KEY"], str):  # a test config may give one key as text
        config["KONTO_TWO_STEP_KEY"] = _fernet_keys(config["KONTO_TWO_STEP_KEY"])
    _licence_signing_key(config, instance_path)
    if config.get("KONTO_REGISTRY") == "gus" and not config.get("GUS_API_KEY"):
        raise ConfigError("KONTO_REGISTRY=gus needs GUS_API_KEY (the key issued by GUS for BIR 1.1).")
    https = bool(config.get("KONTO_HTTPS"))
    config["SESSION_COOKIE_SECURE"] = https
    config["REMEMBER_COOKIE_SECURE"] = https
    config["WTF_CSRF_SSL_STRICT"] = https
    if https:
        # __Host-: the browser refuses the cookie unless Secure, Path=/ and no Domain.
        if config.get("SESSION_COOKIE_NAME", "session") == "session":
            config["SESSION_COOKIE_NAME"] = "__Host-konto"
        config.setdefault("REMEMBER_COOKIE_NAME", "__Host-konto-remember")
    return config


def _licence_signing_key(config, instance_path):
    """The key that signs licence files: from the environment; in the demo one kept under
    instance/; in tests a fresh one per app; a deployment without it does not start."""
    if config.get("LICENCE_SIGNING_KEY"):
        return
    if config.get("TESTING"):
        config["LICENCE_SIGNING_KEY"] = licence_files.new_private_key_text()
    elif not config.get("MAIL_SERVER"):
        config["LICENCE_SIGNING_KEY"] = licence_files.demo_key_text(instance_path)
    else:
        raise ConfigError(
            "LICENCE_SIGNING_KEY is not set: programs could not check the licence files the portal signs. "
            "Make one with `python -m konto.licence_files` and keep it secret."
        )
