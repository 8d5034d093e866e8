"""The floor: the least a logged-in page can cost on this stack, served like the app.

Flask, a signed cookie session read by Flask-Login, one SQLite row (the user, by primary key,
through peewee on a connection kept per worker thread, as konto.db does), and a Jinja page
extending a layout of about the dashboard's size. No CSRF, no translations, no top bar
company, no request log, no security headers: what any logged-in page of any app on this
stack pays. `python -m bench` serves it beside the app and reports each page × this floor.

GET /wejdz logs the benchmark's account in (the bench's own door; this app is never deployed).
"""

import os
from pathlib import Path

from flask import Flask
from flask import redirect
from flask import render_template
from flask import url_for
from flask_login import LoginManager
from flask_login import UserMixin
from flask_login import current_user
from flask_login import login_required
from flask_login import login_user
from peewee import CharField
from peewee import Model
from peewee import SqliteDatabase

database = SqliteDatabase(
    os.environ.get("DATABASE_URL", "sqlite:///:memory:").removeprefix("sqlite:///"),
    pragmas={"journal_mode": "wal", "foreign_keys": 1, "synchronous": "normal", "cache_size": -16000},
    timeout=10,
)


class User(UserMixin, Model):
    email = CharField()
    first_name = CharField()
    last_name = CharField()

    class Meta:
        database = database
        table_name = "user"


app = Flask(__name__, template_folder=str(Path(__file__).parent / "floor_templates"))
app.secret_key = os.environ.get("SECRET_KEY", "floor")
login_manager = LoginManager(app)


@login_manager.user_loader
def load_user(user_id):
    return User.get_or_none(User.id == int(user_id))


@app.before_request
def connect():
    database.connect(reuse_if_open=True)


@app.route("/wejdz")
def enter():
    """Log the first account in (the benchmark's)."""
    login_user(User.select().order_by(User.id).first())
    return redirect(url_for("page"))


@app.route("/")
@login_required
def page():
    return render_template("page.html", user=current_user)
