"""Where the account is logged in (and ending those sessions), and its security events."""

from flask import abort
from flask import flash
from flask_babel import gettext as _
from flask_login import current_user

from konto import audit
from konto import sessions
from konto.account import bp
from konto.flows import account as flow
from konto.forms import EmptyForm
from konto.htmx import redirect_to
from konto.htmx import render
from konto.models import AuditEvent
from konto.models import UserSession
from konto.sessions import login_required


@bp.route("/konto/sesje")
@login_required
def active_sessions():
    """Where the account is logged in now, with a button to end each session."""
    rows = list(
        UserSession.select().where(UserSession.user == current_user.id).order_by(UserSession.last_seen_at.desc())
    )
    return render("account/sessions.html", rows=rows, current_id=current_user.session_row.id, form=EmptyForm())


@bp.route("/konto/sesje/<int:session_id>/zakoncz", methods=["POST"])
@login_required
def end_session(session_id):
    """End one of the user's sessions: another device, or this one (then this browser is logged out)."""
    ending_this_one = session_id == current_user.session_row.id
    if not flow.end_session(current_user, session_id):
        abort(404)
    if ending_this_one:
        sessions.end_session()
        flash(_("Wylogowano."))
        return redirect_to("auth.login")
    flash(_("Sesja została zakończona."))
    return redirect_to("account.active_sessions")


@bp.route("/konto/sesje/zakoncz-inne", methods=["POST"])
@login_required
def end_other_sessions():
    """End every session but this one."""
    flow.end_other_sessions(current_user, keep_session=current_user.session_row)
    flash(_("Pozostałe sesje zostały zakończone."))
    return redirect_to("account.active_sessions")


@bp.route("/konto/aktywnosc")
@login_required
def activity():
    """The account's security events, newest first."""
    events = list(
        AuditEvent.select().where(AuditEvent.user == current_user.id).order_by(AuditEvent.id.desc()).limit(200)
    )
    return render("account/activity.html", events=events, labels=audit.EVENTS)
