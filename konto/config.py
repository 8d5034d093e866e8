"""Configuration: defaults, then the environment (or a test mapping) on top."""

import os
import secrets
from datetime import timedelta
from pathlib import Path

# Variables read from the environment, with the type each is parsed as.
_ENV_STR = (
    "SECRET_KEY",
    "DATABASE_URL",
    "MAIL_SERVER",
    "MAIL_USERNAME",
    "MAIL_PASSWORD",
    "MAIL_DEFAULT_SENDER",
    "KONTO_BASE_URL",
    "KONTO_REGISTRY",
    "GUS_API_KEY",
    "GUS_API_URL",
    "VIES_API_URL",
    "MF_API_URL",
    "RATELIMIT_STORAGE_URI",
)
_ENV_INT = (
    "MAIL_PORT",
    "ACTIVATION_TOKEN_MAX_AGE",
    "RESET_TOKEN_MAX_AGE",
    "EMAIL_CHANGE_TOKEN_MAX_AGE",
    "EMAIL_REVERT_TOKEN_MAX_AGE",
    "REAUTH_WINDOW",
    "REGISTRY_CACHE_TTL",
    "SESSION_IDLE_TIMEOUT",
    "SESSION_ABSOLUTE_TIMEOUT",
    "KONTO_PROXY_FIX",
)
_ENV_FLOAT = ("REGISTRY_CONNECT_TIMEOUT", "REGISTRY_READ_TIMEOUT")
_ENV_BOOL = ("MAIL_USE_TLS", "MAIL_USE_SSL", "KONTO_HTTPS")


def defaults(instance_path):
    """The configuration a fresh checkout runs with: the demo."""
    return {
        "DATABASE_URL": "sqlite:///" + str(Path(instance_path) / "konto.sqlite3"),
        "MAIL_SERVER": None,  # None: demo mail mode, messages shown at /poczta
        "MAIL_PORT": 25,
        "MAIL_USE_TLS": False,
        "MAIL_USE_SSL": False,
        "MAIL_DEFAULT_SENDER": ("Konto", "no-reply@konto.localhost"),
        "KONTO_BASE_URL": None,  # None: links built from the request's host
        "KONTO_HTTPS": False,
        "KONTO_REGISTRY": "demo",
        "GUS_API_KEY": None,
        "GUS_API_URL": "https://wyszukiwarkaregon.stat.gov.pl/wsBIR/UslugaBIRzewnPubl.svc",
        "VIES_API_URL": "https://ec.europa.eu/taxation_customs/vies/rest-api",
        "MF_API_URL": "https://wl-api.mf.gov.pl",
        "REGISTRY_CACHE_TTL": 24 * 3600,
        "REGISTRY_CONNECT_TIMEOUT": 3.05,
        "REGISTRY_READ_TIMEOUT": 10.0,
        "ACTIVATION_TOKEN_MAX_AGE": 48 * 3600,
        "RESET_TOKEN_MAX_AGE": 3600,
        "EMAIL_CHANGE_TOKEN_MAX_AGE": 24 * 3600,
        "EMAIL_REVERT_TOKEN_MAX_AGE": 14 * 24 * 3600,
        "REAUTH_WINDOW": 10 * 60,
        "SESSION_IDLE_TIMEOUT": 2 * 3600,
        "SESSION_ABSOLUTE_TIMEOUT": 30 * 24 * 3600,
        # Number of reverse proxies in front (0: none). Their X-Forwarded-For/-Proto/-Host are
        # trusted (werkzeug's ProxyFix), so url_for, secure cookies and client IPs are right.
        "KONTO_PROXY_FIX": 0,
        # argon2-cffi's PasswordHasher defaults (RFC 9106 low-memory profile) unless overridden.
        "PASSWORD_HASH_PARAMS": None,
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


def from_environment():
    """The settings present in the environment, parsed."""
    found = {}
    for name in _ENV_STR:
        if os.environ.get(name):
            found[name] = os.environ[name]
    for name in _ENV_INT:
        if os.environ.get(name):
            found[name] = int(os.environ[name])
    for name in _ENV_FLOAT:
        if os.environ.get(name):
            found[name] = float(os.environ[name])
    for name in _ENV_BOOL:
        if os.environ.get(name):
            found[name] = _parse(os.environ[name], True)
    return found


def _parse(raw, like):
    """An environment string as the type of `like` (the setting's default)."""
    if isinstance(like, bool):
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if isinstance(like, (int, float)):
        return type(like)(raw)
    return raw


def apply_area_settings(app, settings):
    """The settings of one area of the app (mail delivery, rate limits): a value already in
    the app's config wins, then the environment (not in tests), then the default."""
    for name, default in settings.items():
        if app.config.get(name) is not None:
            continue
        raw = None if app.config.get("TESTING") else os.environ.get(name)
        app.config[name] = default if raw is None else _parse(raw, default)


def demo_secret_key(instance_path):
    """A random key kept under instance/, so the demo's sessions survive restarts."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def finish(config, instance_path):
    """Derived settings, and a clear error for a production set-up that lacks what it needs."""
    if not config.get("SECRET_KEY"):
        if config.get("MAIL_SERVER") and not config.get("TESTING"):
            raise RuntimeError(
                "SECRET_KEY is not set. Set the SECRET_KEY environment variable to a long random "
                "string (e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))')."
            )
        config["SECRET_KEY"] = demo_secret_key(instance_path)
    if config.get("KONTO_REGISTRY") == "gus" and not config.get("GUS_API_KEY"):
        raise RuntimeError("KONTO_REGISTRY=gus needs GUS_API_KEY (the key issued by GUS for BIR 1.1).")
    https = bool(config.get("KONTO_HTTPS"))
    config["SESSION_COOKIE_SECURE"] = https
    config["REMEMBER_COOKIE_SECURE"] = https
    config["WTF_CSRF_SSL_STRICT"] = https
    if https:
        # __Host-: the browser refuses the cookie unless Secure, Path=/ and no Domain.
        if config.get("SESSION_COOKIE_NAME", "session") == "session":
            config["SESSION_COOKIE_NAME"] = "__Host-konto"
        config.setdefault("REMEMBER_COOKIE_NAME", "__Host-konto-remember")
    config["DEMO_MAIL"] = not config.get("MAIL_SERVER")
    return config
