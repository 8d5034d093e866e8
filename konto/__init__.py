"""Konto: the customer account portal. `create_app()` builds the Flask app."""

import logging
from pathlib import Path

from dotenv import load_dotenv
from flask import Flask
from flask_babel import Babel
from flask_wtf.csrf import CSRFProtect

from konto import config as konto_config

ROOT = Path(__file__).resolve().parent.parent

csrf = CSRFProtect()
babel = Babel()


def create_app(test_config=None):
    """Build the app: defaults, then the environment (or test_config), then extensions."""
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.from_mapping(konto_config.defaults(app.instance_path))
    if test_config is None:
        load_dotenv(ROOT / ".env")
        app.config.update(konto_config.from_environment())
    else:
        app.config.update(test_config)
    konto_config.finish(app.config, app.instance_path)

    from konto import db
    from konto import mail
    from konto import registry
    from konto import sessions
    from konto import web

    db.init_app(app)
    mail.init_app(app)
    csrf.init_app(app)
    babel.init_app(app)
    sessions.login_manager.init_app(app)
    registry.init_app(app)
    web.init_app(app)

    from konto import account
    from konto import auth
    from konto import companies
    from konto import mailbox
    from konto import pages

    app.register_blueprint(pages.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(account.bp)
    app.register_blueprint(companies.bp)
    if app.config["DEMO_MAIL"]:
        app.register_blueprint(mailbox.bp)
    from konto import limits

    limits.init_app(app)  # after the blueprints: it wraps their views
    from konto import backup

    backup.init_app(app)  # `flask db backup PATH`

    logging.basicConfig(level=logging.INFO)
    return app
