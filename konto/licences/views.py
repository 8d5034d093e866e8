"""Licencje, Usługi, the service terms, the admin-rights claim and objections to it."""

from flask import abort
from flask import current_app
from flask import flash
from flask import redirect
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user
from peewee import JOIN
from peewee import fn

from konto import clock
from konto import i18n
from konto import permissions
from konto.db import PrebuiltSelect
from konto.flows import Refused
from konto.flows import claims as claim_flow
from konto.flows import licences as flow
from konto.flows import services as service_flow
from konto.forms import EmptyForm
from konto.htmx import redirect_to
from konto.htmx import render
from konto.licences import bp
from konto.licences.cards import company_licence_rows
from konto.licences.forms import ClaimForm
from konto.licences.forms import ServiceOnForm
from konto.licences.history import EVENTS as HISTORY_EVENTS
from konto.models import AdminClaim
from konto.models import Company
from konto.models import CompanyDraft
from konto.models import Licence
from konto.models import LicenceEvent
from konto.models import Product
from konto.models import Service
from konto.models import TrialUse
from konto.models import User
from konto.sessions import login_required

CLAIM_ENDPOINTS = ("licences.claim_member", "licences.claim_draft")


def _member_or_404(company_id):
    member = permissions.membership(current_user, company_id)
    if member is None:
        abort(404)
    return member


def _admin_or_403(company_id):
    member = _member_or_404(company_id)
    if not permissions.can(member, permissions.MANAGE):
        abort(403)
    return member


# The Licencje page's other reads, on every visit: their SQL built once (tests/test_prebuilt_select.py).
_pending_claims_count = PrebuiltSelect(
    lambda company_id: AdminClaim.select(fn.COUNT(AdminClaim.id))
    .where((AdminClaim.company == company_id) & (AdminClaim.status == "pending"))
    .tuples()
)
_events_of = PrebuiltSelect(
    lambda tax_id: LicenceEvent.select(LicenceEvent, User)
    .join(User, on=(LicenceEvent.actor == User.id), join_type=JOIN.LEFT_OUTER)
    .where(LicenceEvent.licence.in_(Licence.select(Licence.id).where(Licence.tax_id == tax_id)))
    .order_by(LicenceEvent.id.desc())
)
_trials_used = PrebuiltSelect(
    lambda tax_id: TrialUse.select(TrialUse.licence, TrialUse.product)
    .where(TrialUse.licence.in_(Licence.select(Licence.id).where(Licence.tax_id == tax_id)))
    .tuples()
)
_trial_modules = PrebuiltSelect(
    lambda: Product.select().where((Product.kind == "module") & Product.trial_days.is_null(False) & Product.offered),
    arity=0,
)


def _pending_claims(company_id):
    return _pending_claims_count(company_id)[0][0]


def _tabs(member):
    """What the company's tabs need."""
    return {
        "membership": member,
        "company": member.company,
        "is_admin": permissions.is_admin(member),
        "pending_claims": _pending_claims(member.company_id) if permissions.is_admin(member) else 0,
    }


@bp.route("/firmy/<int:company_id>/licencje")
@login_required
def index(company_id):
    """The company's licences as cards: state, stations, extensions, Abonament, history."""
    member = _member_or_404(company_id)
    today = clock.today()
    tax_id = member.company.tax_id
    rows = company_licence_rows(tax_id, today)
    events = {}
    used = set()
    trials = {}
    if rows:
        for event in _events_of(tax_id):
            events.setdefault(event.licence_id, []).append(event)
        used = set(_trials_used(tax_id))
        trials = {p.id: p for p in _trial_modules()}
    for row in rows:
        lic = row["licence"]
        live = {e.product_id for e, state in row["extensions"] if state.code in ("active", "trial")}
        row["events"] = events.get(lic.id, [])
        row["trials"] = [
            (product, (lic.id, product.id) in used)
            for product in trials.values()
            if lic.product.code in (product.applies_to or []) and product.id not in live
        ]
    return render(
        "licences/index.html",
        rows=rows,
        event_labels=HISTORY_EVENTS,
        today=today,
        action_form=EmptyForm() if rows else None,  # only the cards' buttons use it
        **_tabs(member),
    )


@bp.route("/firmy/<int:company_id>/licencje/<int:licence_id>/proba", methods=["POST"])
@login_required
def start_trial(company_id, licence_id):
    """An administrator starts a module's trial (once per licence, never again)."""
    member = _admin_or_403(company_id)
    if Licence.get_or_none((Licence.id == licence_id) & (Licence.tax_id == member.company.tax_id)) is None:
        abort(404)
    try:
        extension = flow.start_trial(current_user, member.company, licence_id, request.form.get("produkt", "")[:40])
    except Refused as refused:
        if refused.status == 404:
            abort(404)
        flash(refused.message)
        return redirect_to("licences.index", company_id=company_id)
    flash(
        _(
            "Rozpoczęto okres próbny %(name)s: do %(date)s.",
            name=extension.product.name,
            date=i18n.date_text(extension.trial_until),
        )
    )
    return redirect_to("licences.index", company_id=company_id)


@bp.route(
    "/firmy/<int:company_id>/licencje/<int:licence_id>/stanowiska/<int:installation_id>/zwolnij", methods=["POST"]
)
@login_required
def release(company_id, licence_id, installation_id):
    """An administrator frees a station taken by a program installation."""
    member = _admin_or_403(company_id)
    try:
        flow.release_installation(current_user, member.company, licence_id, installation_id)
    except Refused as refused:
        if refused.status == 404:
            abort(404)
        flash(refused.message)
        return redirect_to("licences.index", company_id=company_id)
    flash(_("Stanowisko zostało zwolnione."))
    return redirect_to("licences.index", company_id=company_id)


@bp.route("/firmy/<int:company_id>/uslugi")
@login_required
def services(company_id):
    """The services the company's licences include, each with its state; administrators turn them on and off."""
    member = _member_or_404(company_id)
    return _services_page(member)


def _services_page(member, form=None, form_code=None, status=200):
    views = service_flow.services_of(member.company.tax_id)
    return render(
        "licences/services.html",
        services=views,
        form=form,
        form_code=form_code,
        action_form=EmptyForm(),
        status=status,
        **_tabs(member),
    )


@bp.route("/firmy/<int:company_id>/uslugi/<code>", methods=["POST"])
@login_required
def service_switch(company_id, code):
    """Turn a service on (accepting its current terms) or off."""
    member = _admin_or_403(company_id)
    service = Service.get_or_none(Service.code == code[:40])
    if service is None:
        abort(404)
    action = request.form.get("akcja")
    if action == "wylacz":
        try:
            changed = service_flow.disable(current_user, member.company, code)
        except Refused as refused:
            abort(refused.status)
        if changed:
            flash(_("Usługa %(name)s jest wyłączona.", name=service.name))
        return redirect_to("licences.services", company_id=company_id)
    if action != "wlacz":
        abort(400)
    form = ServiceOnForm()
    if not form.validate_on_submit():
        return _services_page(member, form, code, 422)
    try:
        service_flow.enable(current_user, member.company, code, form.version.data)
    except Refused as refused:
        if refused.status in (403, 404):
            abort(refused.status)
        form.accept.errors.append(refused.message)
        return _services_page(member, form, code, 422)
    flash(_("Usługa %(name)s jest włączona.", name=service.name))
    return redirect_to("licences.services", company_id=company_id)


@bp.route("/uslugi/<code>/regulamin")
def service_terms(code):
    """A service's terms, current version (a public page, like the portal's own terms)."""
    service = Service.get_or_none(Service.code == code[:40])
    if service is None:
        abort(404)
    return render("licences/service_terms.html", service=service)


# --- Odzyskaj uprawnienia administratora ------------------------------------------------


def upload_limit(app):
    """The request size the claim routes accept (the rest of the app keeps MAX_CONTENT_LENGTH):
    twice the file limit, so a file a little too big gets a clear message, not a bare 413."""
    return 2 * app.config["CLAIM_UPLOAD_MAX"] + app.config["MAX_CONTENT_LENGTH"]


def _claim(company, back_url, post_url):
    form = ClaimForm()
    limit_mb = claim_flow._megabytes(current_app.config["CLAIM_UPLOAD_MAX"])
    form.statement.description = _(
        "Skan albo PDF podpisany podpisem kwalifikowanym lub zaufanym, najwyżej %(mb)s MB.", mb=limit_mb
    )
    context = {
        "company": company,
        "form": form,
        "back_url": back_url,
        "post_url": post_url,
        "hours": current_app.config["CLAIM_OBJECTION_HOURS"],
    }
    if not form.validate_on_submit():
        return render("licences/claim.html", status=422 if form.is_submitted() else 200, **context)
    upload = request.files.get("statement")
    try:
        claim_flow.file_claim(
            current_user,
            company,
            form.number.data,
            upload.stream if upload else None,
            upload.filename if upload else "",
        )
    except Refused as refused:
        field = form.number if refused.code in ("INVALID_NUMBER", "LICENCE_NOT_FOUND") else form.statement
        if refused.code in ("ALREADY_ADMIN", "CLAIM_PENDING"):
            form.form_errors.append(refused.message)
        else:
            field.errors.append(refused.message)
        return render("licences/claim.html", status=422, **context)
    return render("licences/claim_sent.html", company=company, hours=context["hours"])


@bp.route("/firmy/<int:company_id>/odzyskaj", methods=["GET", "POST"])
@login_required
def claim_member(company_id):
    """A member who is not an administrator asks to recover the company's administrator rights."""
    member = _member_or_404(company_id)
    if permissions.is_admin(member):
        flash(_("Jesteś już administratorem tej firmy."))
        return redirect(url_for("companies.show", company_id=company_id))
    return _claim(
        member.company,
        url_for("companies.show", company_id=company_id),
        url_for("licences.claim_member", company_id=company_id),
    )


@bp.route("/firmy/dodaj/<key>/odzyskaj", methods=["GET", "POST"])
@login_required
def claim_draft(key):
    """From "Dodaj firmę": the company is in the portal already and its administrators are gone."""
    draft = CompanyDraft.get_or_none((CompanyDraft.key == key[:40]) & (CompanyDraft.user == current_user.id))
    if draft is None:
        abort(404)
    company = Company.get_or_none(Company.tax_id == draft.tax_id)
    if company is None:
        return redirect(url_for("companies.preview", key=key))
    if permissions.is_admin(permissions.membership(current_user, company.id)):
        return redirect(url_for("companies.show", company_id=company.id))
    return _claim(company, url_for("companies.preview", key=key), url_for("licences.claim_draft", key=key))


@bp.route("/firmy/<int:company_id>/wnioski")
@login_required
def claims(company_id):
    """For administrators: claims to administrator rights of the company, with the time to object."""
    member = _admin_or_403(company_id)
    rows = list(
        AdminClaim.select(AdminClaim, User)
        .join(User, on=(AdminClaim.claimant == User.id))
        .where(AdminClaim.company == company_id)
        .order_by(AdminClaim.id.desc())
        .limit(50)
    )
    return render("licences/claims.html", claims=rows, now=clock.now(), action_form=EmptyForm(), **_tabs(member))


@bp.route("/firmy/<int:company_id>/wnioski/<int:claim_id>/sprzeciw", methods=["POST"])
@login_required
def object_claim(company_id, claim_id):
    """An administrator objects to a claim within the time to object."""
    member = _admin_or_403(company_id)
    try:
        claim_flow.object_to_claim(current_user, member.company, claim_id)
    except Refused as refused:
        if refused.status in (403, 404):
            abort(refused.status)
        flash(refused.message)
        return redirect_to("licences.claims", company_id=company_id)
    flash(_("Sprzeciw zgłoszony. Obsługa nie przyzna uprawnień administratora na podstawie tego wniosku."))
    return redirect_to("licences.claims", company_id=company_id)
