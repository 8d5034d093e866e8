"""Konto: the customer account portal. `create_app()` builds the Flask app."""

import logging
from pathlib import Path

from flask import Flask
from flask_babel import Babel
from flask_wtf.csrf import CSRFProtect
from jinja2 import FileSystemBytecodeCache

from konto import account
from konto import api
from konto import auth
from konto import cli
from konto import companies
from konto import config as konto_config
from konto import cookie_session
from konto import csrf_tokens
from konto import db
from konto import fragments
from konto import i18n
from konto import i18n_cache
from konto import invitations
from konto import licences
from konto import limits
from konto import mail
from konto import mailbox
from konto import migrations
from konto import observability
from konto import pages
from konto import programs
from konto import registry
from konto import sessions
from konto import twostep
from konto import web
from konto import widgets
from konto.client import TrustedProxyFix
from konto.routing import Rule

ROOT = Path(__file__).resolve().parent.parent

csrf = CSRFProtect()
babel = Babel()


class Konto(Flask):
    url_rule_class = Rule  # URL builders compiled at first use (konto/routing.py)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._plain_functions = set()

    def ensure_sync(self, func):
        """Flask's (an `async def` is wrapped, a plain function returned as it is), with the plain
        functions remembered: Flask asks this for every hook of every request (~30 a page), and
        asking `inspect` each time cost more than some of the hooks."""
        try:
            if func in self._plain_functions:
                return func
        except TypeError:  # an unhashable callable: asked every time
            return super().ensure_sync(func)
        wrapped = super().ensure_sync(func)
        if wrapped is func and len(self._plain_functions) < 4096:
            self._plain_functions.add(func)
        return wrapped

    def log_exception(self, exc_info):
        """An unhandled error: logged without a link's secret (see observability.log_exception)."""
        observability.log_exception(self, exc_info)


def create_app(test_config=None):
    """Build the app: defaults, then the environment (or test_config), then extensions."""
    app = Konto(
        __name__,
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    if test_config is None and (ROOT / ".env").is_file():
        from dotenv import load_dotenv  # noqa: PLC0415 - start-up time: imported only when there is a .env

        load_dotenv(ROOT / ".env")
    app.config.from_mapping(konto_config.load(app.instance_path, test_config))
    app.session_interface = cookie_session.CookieSessionInterface()  # a cookie verified once per worker

    observability.init_app(app)  # first: the request id exists before anything logs

    db.init_app(app)
    migrations.create_schema()
    mail.init_app(app)
    csrf.init_app(app)
    csrf_tokens.init_app(app, csrf)  # the templates' csrf_token(), signed once per session; its hook
    babel.init_app(app, locale_selector=i18n.request_locale_selector)
    i18n.init_app(app)
    sessions.init_app(app)  # Flask-Login
    registry.init_app(app)
    web.init_app(app)
    # Templates compiled once, kept for the next start (cold start: the first pages' templates are
    # loaded, not compiled); keyed by the template's file and a checksum of its source.
    cache_dir = app.config["TEMPLATE_CACHE_DIR"]
    if cache_dir:
        Path(cache_dir).mkdir(parents=True, exist_ok=True)
    app.jinja_env.bytecode_cache = FileSystemBytecodeCache(cache_dir)
    fragments.init_app(app)  # the layout's parts kept per user, company, language
    widgets.init_app(app)  # the pages' building blocks (field, heading…), once _macros.html
    i18n_cache.init_app(app)  # after babel: translation catalogues once per process
    cli.init_app(app)

    app.register_blueprint(pages.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(account.bp)
    app.register_blueprint(companies.bp)
    licences.init_app(app)  # Licencje, Usługi and the back office (Obsługa)
    app.register_blueprint(twostep.bp)
    app.register_blueprint(invitations.bp)
    programs.init_app(app, csrf)  # the code page, Połączone programy, the OAuth endpoints
    api.init_app(app, csrf)  # the program API under /api/v1
    if app.config["DEMO_MAIL"]:
        app.register_blueprint(mailbox.bp)
    limits.init_app(app)  # after the blueprints: it wraps their views

    if app.config.get("KONTO_PROXY_FIX"):  # behind N reverse proxies: trust their X-Forwarded-*, from them
        app.wsgi_app = TrustedProxyFix(app.wsgi_app, app.config["KONTO_PROXY_FIX"], app.config["FORWARDED_ALLOW_IPS"])
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s [%(request_id)s] %(message)s")
    return app
