"""Changing the e-mail address: asked for here, confirmed from the new address, undone from the old."""

from flask import flash
from flask import request
from flask_babel import gettext as _
from flask_login import current_user

from konto import sessions
from konto.account import bp
from konto.account.settings import recent_login_required
from konto.flows import email_change as flow
from konto.forms import EmailOnlyForm
from konto.forms import EmptyForm
from konto.htmx import redirect_to
from konto.htmx import render
from konto.htmx import render_form


@bp.route("/konto/email", methods=["GET", "POST"])
@recent_login_required
def change_email():
    """Ask to change the e-mail: a confirmation link goes to the new address."""
    form = EmailOnlyForm()
    if not form.validate_on_submit():
        return render_form("account/email.html", form)
    if form.email.data == current_user.email:
        form.email.errors.append(_("To jest obecny adres konta."))
        return render("account/email.html", form=form, status=422)
    flow.request_change(current_user, form.email.data)
    return render("account/email_sent.html", email=form.email.data)


@bp.route("/konto/email/potwierdz/<token>", methods=["GET", "POST"])
def confirm_email(token):
    """Confirm the new address (from the link sent to it); the old address is told, with a way back."""
    link = flow.find(flow.CONFIRM, token)
    if link.outcome != "ok":
        return render("account/email_confirm.html", outcome=link.outcome, status=400)
    if request.method == "GET":  # mail scanners open links: only the button changes anything
        return render("account/email_confirm.html", outcome="ok", form=EmptyForm(), new_email=link.change.new_email)
    outcome = flow.confirm(link.change)
    if outcome != flow.DONE:
        return render("account/email_confirm.html", outcome=outcome, status=400)
    flash(_("Adres e-mail konta został zmieniony."))
    return redirect_to("account.settings" if current_user.is_authenticated else "auth.login")


@bp.route("/konto/email/cofnij/<token>", methods=["GET", "POST"])
def revert_email(token):
    """ "To nie ja": put the old address back, end every session and the password, and send a reset link."""
    link = flow.find(flow.REVERT, token)
    if link.outcome != "ok":
        return render("account/email_revert.html", outcome=link.outcome, status=400)
    old_email = link.change.restore_email
    if request.method == "GET":
        return render("account/email_revert.html", outcome="ok", form=EmptyForm(), old_email=old_email)
    outcome = flow.revert(link.change)
    if outcome != flow.DONE:
        return render("account/email_revert.html", outcome=outcome, status=400)
    if current_user.is_authenticated:
        sessions.end_session()
    return render("account/email_revert.html", outcome="done", old_email=old_email)
