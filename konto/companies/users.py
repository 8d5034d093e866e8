"""A company's users ("Użytkownicy"): who is in it and with which role; inviting ("Dodaj
użytkownika"), changing roles, removing, leaving, handing the administration over.

Every member sees the page; only administrators change anything: a stranger gets 404 on
every route here, a plain member 403 on the administrators' ones. After a change the answer
is a 303 back to the page (htmx follows it and swaps the page in, announcing what was done);
leaving goes to the panel as a whole new page (the top bar's company may change). What each
action does is in `konto.flows.members` and `konto.flows.invitations`.
"""

from flask import abort
from flask import flash
from flask import get_flashed_messages
from flask import redirect
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user

from konto import permissions
from konto.companies import bp
from konto.companies.queries import admin_membership_or_403
from konto.companies.queries import membership_or_404
from konto.flows import invitations
from konto.flows import members
from konto.forms import EmptyForm
from konto.forms import InviteForm
from konto.htmx import redirect_to
from konto.htmx import render


def _back_to_users(company_id):
    return redirect(url_for("companies.users", company_id=company_id), code=303)


def _users_page(membership, status=200, error=None):
    """The Użytkownicy page: members for everyone; invitations and history for administrators."""
    company = membership.company
    admin = permissions.is_admin(membership)
    everyone = members.members(company.id)
    return render(
        "companies/users.html",
        membership=membership,
        company=company,
        admin=admin,
        members=everyone,
        admin_count=sum(1 for m in everyone if m.role == members.ADMIN),
        invitations=invitations.of_company(company.id) if admin else [],
        history=members.history(company.id) if admin else [],
        history_labels=members.HISTORY,
        role_labels=members.ROLE_LABELS,
        state=invitations.state,
        form=EmptyForm(),
        error=error,
        announce=" ".join(str(message) for message in get_flashed_messages()) or error,
        status=status,
        push_url=url_for("companies.users", company_id=company.id) if request.method == "GET" else None,
    )


# What a refused change says on the page (the page is shown again, with status 422).
def _refusal(outcome):
    if outcome == members.LAST_ADMIN:
        return _("Firma musi mieć co najmniej jednego administratora. Najpierw przekaż administrację innej osobie.")
    return None


def _answer(membership, outcome, done_message):
    """After an administrator's change: 303 to the page, or why it was refused."""
    if outcome == members.NOT_FOUND:
        abort(404)
    if outcome == members.NOT_ADMIN:
        abort(403)
    if outcome in (members.DONE, members.UNCHANGED):
        flash(done_message if outcome == members.DONE else _("Bez zmian."))
        return _back_to_users(membership.company_id)
    return _users_page(membership, status=422, error=_refusal(outcome))


@bp.route("/<int:company_id>/uzytkownicy")
def users(company_id):
    """Who is in the company and with which role; administrators also see invitations and history."""
    return _users_page(membership_or_404(company_id))


@bp.route("/<int:company_id>/uzytkownicy/dodaj", methods=["GET", "POST"])
def invite(company_id):
    """"Dodaj użytkownika": an administrator invites an address, as a user or an administrator."""
    membership = admin_membership_or_403(company_id)
    form = InviteForm()
    status = 422 if form.is_submitted() else 200
    if form.validate_on_submit():
        result = invitations.invite(current_user, company_id, form.email.data, form.role)
        if result.outcome == members.NOT_ADMIN:
            abort(403)
        if result.outcome == invitations.SENT:
            flash(_("Zaproszenie wysłane na adres %(email)s.", email=form.email.data))
            return _back_to_users(company_id)
        if result.outcome == invitations.ALREADY_MEMBER:
            form.email.errors.append(_("Osoba z tym adresem jest już użytkownikiem tej firmy."))
        else:
            form.email.errors.append(
                _("Na ten adres czeka już zaproszenie do tej firmy. Możesz je wysłać ponownie z listy zaproszeń.")
            )
    return render("companies/invite.html", form=form, company=membership.company, lifetime=invitations.lifetime(),
                  status=status)


@bp.route("/<int:company_id>/uzytkownicy/<int:member_id>/rola", methods=["POST"])
def change_role(company_id, member_id):
    """An administrator gives a member another role (administrator or użytkownik)."""
    membership = admin_membership_or_403(company_id)
    role = request.form.get("rola")
    if role not in members.ROLES:
        abort(400)
    outcome = members.change_role(current_user, company_id, member_id, role)
    return _answer(membership, outcome, _("Zmieniono rolę: %(role)s.", role=members.role_label(role)))


@bp.route("/<int:company_id>/uzytkownicy/<int:member_id>/usun", methods=["GET", "POST"])
def remove(company_id, member_id):
    """Remove a member from the company (asks first); they are told by e-mail."""
    membership = admin_membership_or_403(company_id)
    target = next((m for m in members.members(company_id) if m.id == member_id), None)
    if target is None:
        abort(404)
    if target.user_id == current_user.id:
        return redirect(url_for("companies.leave", company_id=company_id))
    if request.method == "GET":
        # (Never the last administrator: that would be this user, who is sent to "Opuść firmę".)
        return render("companies/remove.html", company=membership.company, target=target, form=EmptyForm(),
                      role_label=members.role_label)
    outcome = members.remove(current_user, company_id, member_id)
    return _answer(membership, outcome, _("%(name)s nie jest już użytkownikiem firmy.", name=target.user.full_name))


@bp.route("/<int:company_id>/opusc", methods=["GET", "POST"])
def leave(company_id):
    """"Opuść firmę" (asks first). The last administrator is offered the hand-over instead."""
    membership = membership_or_404(company_id)
    company = membership.company
    if request.method == "POST":
        outcome = members.leave(current_user, company_id)
        if outcome == members.DONE:
            flash(_("Nie jesteś już użytkownikiem firmy %(name)s.", name=company.name))
            return redirect_to("account.dashboard")
        if outcome == members.NOT_FOUND:
            abort(404)
    last_admin = members.is_last_admin(membership)
    return render(
        "companies/leave.html",
        company=company,
        membership=membership,
        last_admin=last_admin,
        others=members.other_members(company_id, current_user.id) if last_admin else [],
        form=EmptyForm(),
        status=422 if request.method == "POST" else 200,
    )


@bp.route("/<int:company_id>/przekaz", methods=["GET", "POST"])
def hand_over(company_id):
    """"Przekaż administrację": another member becomes the administrator, this user a plain member."""
    membership = admin_membership_or_403(company_id)
    others = members.other_members(company_id, current_user.id)
    error = None
    if request.method == "POST":
        try:
            target_id = int(request.form.get("member_id", ""))
        except ValueError:
            target_id = None
        target = next((m for m in others if m.id == target_id), None)
        if target is None:
            error = _("Wybierz osobę, której przekazujesz administrację.")
        else:
            outcome = members.hand_over(current_user, company_id, target.id)
            if outcome == members.NOT_ADMIN:
                abort(403)
            if outcome == members.DONE:
                name = target.user.full_name
                flash(_("%(name)s jest teraz administratorem firmy, a Ty jej użytkownikiem.", name=name))
                return _back_to_users(company_id)
            error = _("Ta osoba nie jest już użytkownikiem firmy.")
    return render("companies/hand_over.html", company=membership.company, others=others, form=EmptyForm(),
                  error=error, role_label=members.role_label, status=422 if error else 200)


def _on_invitation(company_id, invitation_id, action, done, message):
    """Resend or revoke: the flow `action`, then 303 to the page with `message` (the invitation's
    address in it), or why not."""
    membership = admin_membership_or_403(company_id)
    result = action(current_user, company_id, invitation_id)
    if result.outcome == invitations.GONE:
        error = _("To zaproszenie jest już zamknięte (przyjęte, odrzucone, wycofane albo zastąpione nowszym).")
        return _users_page(membership, status=422, error=error)
    if result.outcome != done:
        return _answer(membership, result.outcome, None)
    return _answer(membership, members.DONE, message % {"email": result.invitation.email})


@bp.route("/<int:company_id>/zaproszenia/<int:invitation_id>/ponow", methods=["POST"])
def resend_invitation(company_id, invitation_id):
    """Send an invitation again with a new link (the old one stops working) and a new expiry."""
    return _on_invitation(company_id, invitation_id, invitations.resend, invitations.SENT,
                          _("Zaproszenie wysłane ponownie na adres %(email)s."))


@bp.route("/<int:company_id>/zaproszenia/<int:invitation_id>/wycofaj", methods=["POST"])
def revoke_invitation(company_id, invitation_id):
    """Revoke a pending invitation: its link stops working."""
    return _on_invitation(company_id, invitation_id, invitations.revoke, invitations.REVOKED,
                          _("Zaproszenie dla %(email)s zostało wycofane."))
