"""Invitations into a company, from the invitee's side: the e-mail's link, accepting, declining.

`/zaproszenie/<token>` is the link from the e-mail. Anyone may open it: it shows the company,
who invited and the role. Logged out, it offers to log in (and come back to this link) or to
create an account (the invitation is remembered in this browser's session, so registration
starts with the invited address and activation, which logs in, comes back to it). Logged in with the invited
address, it offers "Akceptuj zaproszenie" and "Odrzuć"; logged in with another address, it
says so and changes nothing. An expired, used, revoked or replaced link gets a page of its own
that says what to do next.

`/zaproszenia/<id>` is the invitation for the logged-in account (the panel lists them too):
404 unless it was sent to this account's address. Its POST accepts or declines. What each
action does is in `konto.flows.invitations`.
"""

from flask import Blueprint
from flask import abort
from flask import flash
from flask import redirect
from flask import request
from flask import session
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user

from konto.flows import invitations as flow
from konto.flows import members
from konto.forms import EmptyForm
from konto.htmx import redirect_to
from konto.htmx import render
from konto.models import Invitation
from konto.sessions import login_required

bp = Blueprint("invitations", __name__)

# The invitation this browser opened while logged out (its id), for registration and log-in.
_CARRIED = "invitation"


def carried_invitation():
    """The pending invitation this browser opened from its e-mail while logged out, or None."""
    invitation_id = session.get(_CARRIED)
    if not isinstance(invitation_id, int):
        return None
    invitation = Invitation.get_or_none(Invitation.id == invitation_id)
    if invitation is None or flow.state(invitation) != flow.PENDING:
        session.pop(_CARRIED, None)
        return None
    return invitation


def carried_next():
    """Where the log-in goes on to when this browser carries an invitation (else None)."""
    invitation = carried_invitation()
    return url_for("invitations.respond", invitation_id=invitation.id) if invitation else None


def _masked(email):
    """An address with most of its local part hidden: "a***@example.com"."""
    local, _at, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def _page(invitation, status=200, **context):
    return render(
        "invitations/show.html",
        invitation=invitation,
        company=invitation.company,
        inviter=invitation.invited_by if invitation.invited_by_id else None,
        role_name=members.role_label(invitation.role),
        state=flow.state(invitation),
        lifetime=flow.lifetime(),
        form=EmptyForm(),
        status=status,
        **context,
    )


@bp.route("/zaproszenie/<token>")
def show(token):
    """The link from the invitation e-mail: the company, who invited, the role, and what to do."""
    invitation = flow.by_token(token)
    if invitation is None:
        return render("invitations/invalid.html", status=404)
    state = flow.state(invitation)
    if state != flow.PENDING:
        return _page(invitation, status=410)
    if not current_user.is_authenticated:
        session[_CARRIED] = invitation.id
        return _page(invitation, who="guest")
    if current_user.email != invitation.email:
        return _page(invitation, who="other", masked=_masked(invitation.email), status=403)
    return _page(invitation, who="invitee")


@bp.route("/zaproszenia/<int:invitation_id>", methods=["GET", "POST"])
@login_required
def respond(invitation_id):
    """The logged-in invitee's invitation: accept it ("Akceptuj zaproszenie") or decline it."""
    invitation = flow.for_user(current_user, invitation_id)
    if invitation is None:
        abort(404)
    if request.method == "GET":
        return _page(invitation, who="invitee", status=200 if flow.state(invitation) == flow.PENDING else 410)
    decision = request.form.get("decyzja")
    if decision not in ("accept", "decline"):
        abort(400)
    answer = flow.accept if decision == "accept" else flow.decline
    result = answer(current_user, invitation_id)
    if result.outcome == flow.NOT_YOURS:
        abort(404)
    session.pop(_CARRIED, None)
    if result.outcome == flow.ACCEPTED:
        flash(_("Jesteś teraz użytkownikiem firmy %(name)s (%(role)s).", name=invitation.company.name,
                role=members.role_label(invitation.role)))
        # 303 for htmx too: it follows to the company page, which swaps the top bar's company.
        return redirect(url_for("companies.show", company_id=invitation.company_id), code=303)
    if result.outcome == flow.DECLINED:
        flash(_("Zaproszenie do firmy %(name)s zostało odrzucone.", name=invitation.company.name))
        return redirect_to("account.dashboard")
    # Answered already (a second tab, a double click) or expired meanwhile: say what it is now.
    if result.invitation is not None and result.invitation.status == flow.ACCEPTED and members.membership_of(
        current_user.id, invitation.company_id
    ):
        return redirect(url_for("companies.show", company_id=invitation.company_id), code=303)
    return _page(flow.for_user(current_user, invitation_id), who="invitee", status=410)
