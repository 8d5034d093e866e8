"""Back office queues: licence registrations from programs, and claims to recover administrator rights."""

from flask import abort
from flask import current_app
from flask import flash
from flask import request
from flask import send_file
from flask_babel import gettext as _
from flask_login import current_user

from konto import audit
from konto import clock
from konto.flows import Refused
from konto.flows import claims as claim_flow
from konto.flows import licences as flow
from konto.htmx import redirect_to
from konto.htmx import render
from konto.models import AdminClaim
from konto.models import Company
from konto.models import Installation
from konto.models import Licence
from konto.models import Membership
from konto.models import User
from konto.staff import bp
from konto.staff.forms import ReasonForm

DECISIONS = {"accept": True, "reject": False}


def _decision():
    decision = request.form.get("decyzja", "")
    return DECISIONS.get(decision)


@bp.route("/rejestracje")
def registrations():
    """Registrations from programs waiting for a decision, oldest first, with what to decide on."""
    rows = list(
        Installation.select(Installation, Licence)
        .join(Licence)
        .where(Installation.status == "pending")
        .order_by(Installation.requested_at, Installation.id)
    )
    companies = {
        c.tax_id: c for c in Company.select().where(Company.tax_id.in_({r.licence.tax_id for r in rows} or {""}))
    }
    details = []
    for row in rows:
        details.append(
            {
                "row": row,
                "company": companies.get(row.licence.tax_id),
                "requester": User.get_or_none(User.id == row.requested_by_id) if row.requested_by_id else None,
                "stations": flow.stations_total(row.licence),
                "active": flow.active_installations(row.licence),
            }
        )
    recent = list(
        Installation.select(Installation, Licence)
        .join(Licence)
        .where(Installation.status.in_(["active", "rejected"]) & Installation.decided_at.is_null(False))
        .order_by(Installation.decided_at.desc())
        .limit(20)
    )
    return render("staff/registrations.html", details=details, recent=recent, form=ReasonForm(formdata=None))


@bp.route("/rejestracje/<int:installation_id>", methods=["POST"])
def registration_decide(installation_id):
    """Accept or reject a registration (a reason is needed to reject); one decision, whoever clicks first."""
    if Installation.get_or_none(Installation.id == installation_id) is None:
        abort(404)
    form = ReasonForm()
    accept = _decision()
    if not form.validate_on_submit() or accept is None:
        flash(_("Wybierz: przyjmij albo odrzuć."))
        return redirect_to("staff.registrations")
    try:
        flow.decide_registration(current_user, installation_id, accept, form.reason.data)
    except Refused as refused:
        flash(refused.message)
        return redirect_to("staff.registrations")
    flash(_("Rejestracja przyjęta.") if accept else _("Rejestracja odrzucona."))
    return redirect_to("staff.registrations")


@bp.route("/wnioski")
def claims():
    """Claims to recover administrator rights: pending first, then the latest decided."""
    pending = list(
        AdminClaim.select(AdminClaim, Company)
        .join(Company)
        .where(AdminClaim.status == "pending")
        .order_by(AdminClaim.created_at)
    )
    decided = list(
        AdminClaim.select(AdminClaim, Company)
        .join(Company)
        .where(AdminClaim.status != "pending")
        .order_by(AdminClaim.decided_at.desc())
        .limit(20)
    )
    return render("staff/claims.html", pending=pending, decided=decided, now=clock.now())


def _claim_or_404(claim_id):
    claim = AdminClaim.select(AdminClaim, Company).join(Company).where(AdminClaim.id == claim_id).first()
    if claim is None:
        abort(404)
    return claim


def _claim_page(claim_id, form=None, status=200):
    claim = _claim_or_404(claim_id)
    claimant = User.get_by_id(claim.claimant_id)
    membership = Membership.get_or_none((Membership.user == claimant.id) & (Membership.company == claim.company_id))
    admins = list(
        User.select()
        .join(Membership)
        .where((Membership.company == claim.company_id) & (Membership.role == "admin"))
        .order_by(User.email)
    )
    objector = User.get_or_none(User.id == claim.objected_by_id) if claim.objected_by_id else None
    licence = Licence.get_or_none(Licence.id == claim.licence_id) if claim.licence_id else None
    approvable, why = claim_flow.can_approve(claim)
    return render(
        "staff/claim.html",
        claim=claim,
        claimant=claimant,
        membership=membership,
        admins=admins,
        objector=objector,
        licence=licence,
        approvable=approvable,
        why=why,
        retention_days=current_app.config["CLAIM_FILE_RETENTION"],
        form=form or ReasonForm(formdata=None),
        status=status,
    )


@bp.route("/wnioski/<int:claim_id>")
def claim(claim_id):
    """One claim: who, which company, the licence number, the statement, objections, the decision."""
    return _claim_page(claim_id)


@bp.route("/wnioski/<int:claim_id>", methods=["POST"])
def claim_decide(claim_id):
    """Approve (the claimant becomes an administrator) or reject, with e-mails to everyone concerned."""
    _claim_or_404(claim_id)
    form = ReasonForm()
    approve = _decision()
    if not form.validate_on_submit() or approve is None:
        if approve is None:
            form.reason.errors.append(_("Wybierz: przyjmij albo odrzuć."))
        return _claim_page(claim_id, form, 422)
    try:
        claim_flow.decide_claim(current_user, claim_id, approve, form.reason.data)
    except Refused as refused:
        form.reason.errors.append(refused.message)
        return _claim_page(claim_id, form, 422 if refused.status == 422 else 409)
    flash(_("Wniosek przyjęty: wnioskodawca jest administratorem firmy.") if approve else _("Wniosek odrzucony."))
    return redirect_to("staff.claim", claim_id=claim_id)


@bp.route("/wnioski/<int:claim_id>/oswiadczenie.pdf")
def claim_statement(claim_id):
    """The uploaded statement, to staff only, as a download (never rendered in the app's origin)."""
    claim = _claim_or_404(claim_id)
    if claim.file_deleted_at is not None:  # deleted CLAIM_FILE_RETENTION days after the decision
        abort(404)
    try:
        path = claim_flow.stored_path(claim.stored_name)
    except ValueError:
        abort(404)
    if not path.is_file():
        abort(404)
    audit.record("claim_statement_viewed", current_user.id, f"{claim.company.tax_id}: wniosek {claim.id}")
    response = send_file(
        path,
        mimetype="application/pdf",
        as_attachment=True,
        download_name=f"oswiadczenie-wniosek-{claim.id}.pdf",
        max_age=0,
    )
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
