"""The demo mailbox: e-mails the app "sent", readable in the browser. Registered only in demo mail mode."""

from flask import Blueprint
from flask import abort
from flask import make_response

from konto.htmx import render
from konto.models import Email

bp = Blueprint("mailbox", __name__, url_prefix="/poczta")


def _message_or_404(message_id):
    message = Email.get_or_none(Email.id == message_id)
    if message is None:
        abort(404)
    return message


@bp.route("/")
def index():
    """Every message, newest first."""
    messages = Email.select().order_by(Email.id.desc()).limit(200)
    return render("mailbox/index.html", messages=messages)


@bp.route("/<int:message_id>")
def show(message_id):
    """One message, its HTML part shown in a sandboxed frame, its text part below."""
    return render("mailbox/show.html", message=_message_or_404(message_id))


@bp.route("/<int:message_id>/html")
def html_part(message_id):
    """The HTML part alone, as a mail client would show it (framed by the message page)."""
    response = make_response(_message_or_404(message_id).html_body)
    # Framed only by our own page; the e-mail's inline styles are allowed, scripts are not.
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'self'"
    )
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response
