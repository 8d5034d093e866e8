"""The WSGI entry point: `flask --app wsgi run`, `gunicorn wsgi:app`."""

from konto import create_app

app = create_app()
