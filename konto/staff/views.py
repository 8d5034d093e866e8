"""Back office: confirming the password, search, an account, a taxpayer, issuing and managing licences."""

from flask import abort
from flask import flash
from flask import redirect
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user
from peewee import JOIN
from peewee import fn

from konto import audit
from konto import clock
from konto import i18n
from konto import taxid
from konto.account.settings import reauth_checks_out
from konto.flows import Refused
from konto.flows import licences as flow
from konto.flows import twostep as twostep_flow
from konto.flows.services import services_of
from konto.forms import EmptyForm
from konto.forms import ReauthTwoStepForm
from konto.htmx import redirect_to
from konto.htmx import redirect_to_url
from konto.htmx import render
from konto.licences import catalogue
from konto.licences import numbers
from konto.licences.cards import licence_rows
from konto.licences.history import EVENTS as HISTORY_EVENTS
from konto.links import safe_next
from konto.models import AdminClaim
from konto.models import AuditEvent
from konto.models import Company
from konto.models import Edition
from konto.models import Installation
from konto.models import Licence
from konto.models import LicenceEvent
from konto.models import Membership
from konto.models import Product
from konto.models import Service
from konto.models import StaffMember
from konto.models import User
from konto.staff import bp
from konto.staff import mark_confirmed
from konto.staff.forms import AbonamentForm
from konto.staff.forms import ExtensionForm
from konto.staff.forms import IssueForm
from konto.staff.forms import ReasonForm
from konto.staff.forms import default_abonament_end

SEARCH_LIMIT = 50


@bp.context_processor
def _queue_counts():
    return {
        "pending_registrations": Installation.select().where(Installation.status == "pending").count(),
        "pending_claims": AdminClaim.select().where(AdminClaim.status == "pending").count(),
    }


def _reauth_page(form, status):
    return render(
        "account/reauth.html",
        form=form,
        status=status,
        title=_("Obsługa: potwierdź, że to Ty"),
        intro=_("Panel Obsługi co kilka minut prosi o hasło i kod z aplikacji uwierzytelniającej (albo kod zapasowy)."),
        no_app=not twostep_flow.has_app(current_user),
    )


@bp.route("/potwierdz", methods=["GET", "POST"])
def reauthenticate():
    """Staff type their password and a second-step code again before the back office opens (every
    few minutes); `require_staff` sent those without two-step sign-in to turn it on first."""
    form = ReauthTwoStepForm()
    target = safe_next(request.args.get("next")) or url_for("staff.index")
    if not target.startswith(url_for("staff.index")):
        target = url_for("staff.index")
    if not form.validate_on_submit():
        return _reauth_page(form, 422 if form.is_submitted() else 200)
    if not reauth_checks_out(current_user, form):
        return _reauth_page(form, 422)
    mark_confirmed()
    audit.record("staff_confirmed", current_user.id)
    return redirect_to_url(target)


def _like(text):
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search(query):
    """What the search box finds: a licence by number, a taxpayer by NIP/VAT, companies by name, accounts by e-mail."""
    found = {"licences": [], "tax_id": None, "companies": [], "users": []}
    query = (query or "").strip()[:100]
    if not query:
        return found
    if numbers.is_valid(query):
        found["licences"] = list(Licence.select().where(Licence.number == numbers.parse(query)))
    try:
        found["tax_id"] = taxid.parse(query)
    except taxid.InvalidTaxId:
        pass
    if found["tax_id"] is not None:
        found["companies"] = list(Company.select().where(Company.tax_id == found["tax_id"].vatin))
    elif not found["licences"]:
        pattern = _like(query)
        found["companies"] = list(
            Company.select()
            .where(Company.name.contains(pattern) | Company.name.contains(pattern.upper()))
            .order_by(Company.name)
            .limit(SEARCH_LIMIT)
        )
        found["users"] = list(
            User.select().where(User.email.contains(pattern.lower())).order_by(User.email).limit(SEARCH_LIMIT)
        )
    return found


@bp.route("/")
def index():
    """Search accounts, companies and licences; the queues at a glance."""
    query = request.args.get("q", "")
    return render("staff/index.html", query=query[:100], found=search(query) if query.strip() else None)


@bp.route("/konta/<int:user_id>")
def account(user_id):
    """An account as staff see it: who, since when, which companies. Never a hash, token or session key."""
    person = User.get_or_none(User.id == user_id)
    if person is None:
        abort(404)
    memberships = list(
        Membership.select(Membership, Company).join(Company).where(Membership.user == person.id).order_by(Company.name)
    )
    claims = list(
        AdminClaim.select(AdminClaim, Company)
        .join(Company)
        .where(AdminClaim.claimant == person.id)
        .order_by(AdminClaim.id.desc())
    )
    staff = StaffMember.get_or_none(StaffMember.user == person.id)
    return render("staff/account.html", person=person, memberships=memberships, claims=claims, staff=staff)


def _parse_tax_id_or_404(value):
    try:
        return taxid.parse(value)
    except taxid.InvalidTaxId:
        abort(404)


@bp.route("/podmioty/<tax_id>")
def taxpayer(tax_id):
    """A NIP/VAT number: the company (if in the portal), its users, licences, services, claims and history."""
    parsed = _parse_tax_id_or_404(tax_id)
    if parsed.vatin != tax_id:
        return redirect(url_for("staff.taxpayer", tax_id=parsed.vatin))
    today = clock.today()
    company = Company.get_or_none(Company.tax_id == parsed.vatin)
    members = []
    claims = []
    if company is not None:
        members = list(
            Membership.select(Membership, User)
            .join(User)
            .where(Membership.company == company.id)
            .order_by(Membership.role, User.email)
        )
        claims = list(AdminClaim.select().where(AdminClaim.company == company.id).order_by(AdminClaim.id.desc()))
    rows = licence_rows(Licence.select().where(Licence.tax_id == parsed.vatin).order_by(Licence.id), today)
    events = list(
        LicenceEvent.select(LicenceEvent, User)
        .join(User, on=(LicenceEvent.actor == User.id), join_type=JOIN.LEFT_OUTER)
        .where(LicenceEvent.tax_id == parsed.vatin)
        .order_by(LicenceEvent.id.desc())
        .limit(200)
    )
    return render(
        "staff/taxpayer.html",
        tax_id=parsed,
        company=company,
        members=members,
        rows=rows,
        services=services_of(parsed.vatin, today),
        claims=claims,
        events=events,
        event_labels=HISTORY_EVENTS,
    )


def _program_choices():
    choices = [("", _("— wybierz —"))]
    for product, editions in catalogue.programs():
        for edition in editions:
            choices.append(
                (f"{product.code}/{edition.code}", f"{product.name} — {edition.name} ({edition.stations} st.)")
            )
    return choices


@bp.route("/licencje/nowa", methods=["GET", "POST"])
def issue():
    """Issue a licence to a NIP/VAT number: program, edition, number, stations, validity, Abonament."""
    form = IssueForm()
    form.program.choices = _program_choices()
    if request.method == "GET":
        form.tax_id.data = request.args.get("nip", "")[:40]
        form.abonament_until.data = default_abonament_end()
    if not form.validate_on_submit():
        return render("staff/issue.html", form=form, status=422 if form.is_submitted() else 200)
    product_code, _sep, edition_code = form.program.data.partition("/")
    edition = (
        Edition.select().join(Product).where((Product.code == product_code) & (Edition.code == edition_code)).first()
    )
    try:
        licence = flow.issue(
            current_user,
            form.parsed_tax_id.vatin,
            product_code,
            edition_code,
            form.stations.data or (edition.stations if edition else 0),
            valid_until=form.valid_until.data,
            abonament_until=form.abonament_until.data,
            number=form.number.number,
            pending=form.pending.data,
        )
    except Refused as refused:
        target = form.number if refused.code in ("NUMBER_TAKEN", "WRONG_PREFIX") else form.program
        target.errors.append(refused.message)
        return render("staff/issue.html", form=form, status=422)
    flash(_("Wystawiono licencję %(number)s.", number=numbers.display(licence.number)))
    return redirect_to("staff.licence", licence_id=licence.id)


def _licence_or_404(licence_id):
    licence = Licence.get_or_none(Licence.id == licence_id)
    if licence is None:
        abort(404)
    return licence


def _extension_choices(licence):
    return [("", _("— wybierz —"))] + [(p.code, p.name) for p in catalogue.extensions_for(licence.product)]


def _licence_page(licence_id, status_code=200, **forms):
    licence = _licence_or_404(licence_id)
    today = clock.today()
    row = licence_rows(Licence.select().where(Licence.id == licence.id), today)[0]
    extension_form = forms.get("extension_form") or ExtensionForm(formdata=None)
    extension_form.product.choices = _extension_choices(licence)
    abonament_form = forms.get("abonament_form") or AbonamentForm(
        formdata=None, data={"until": licence.abonament_until or default_abonament_end()}
    )
    events = list(
        LicenceEvent.select(LicenceEvent, User)
        .join(User, on=(LicenceEvent.actor == User.id), join_type=JOIN.LEFT_OUTER)
        .where(LicenceEvent.licence == licence.id)
        .order_by(LicenceEvent.id.desc())
    )
    company = Company.get_or_none(Company.tax_id == licence.tax_id)
    return render(
        "staff/licence.html",
        row=row,
        licence=row["licence"],
        company=company,
        events=events,
        event_labels=HISTORY_EVENTS,
        reason_form=forms.get("reason_form") or ReasonForm(formdata=None),
        abonament_form=abonament_form,
        extension_form=extension_form,
        action_form=EmptyForm(),
        status=status_code,
    )


@bp.route("/licencje/<int:licence_id>")
def licence(licence_id):
    """A licence with everything staff can do to it."""
    return _licence_page(licence_id)


@bp.route("/licencje/<int:licence_id>/stan", methods=["POST"])
def licence_status(licence_id):
    """Suspend, resume, revoke or activate a licence, with a reason the customer sees."""
    _licence_or_404(licence_id)
    form = ReasonForm()
    action = request.form.get("akcja", "")
    if not form.validate_on_submit() or action not in flow.TRANSITIONS:
        if form.is_submitted() and action not in flow.TRANSITIONS and not form.errors:
            form.reason.errors.append(_("Wybierz czynność."))
        return _licence_page(licence_id, 422, reason_form=form)
    try:
        flow.change_status(current_user, licence_id, action, form.reason.data)
    except Refused as refused:
        form.reason.errors.append(refused.message)
        return _licence_page(licence_id, 422 if refused.status == 422 else 409, reason_form=form)
    flash(
        {
            "suspend": _("Licencja zawieszona."),
            "resume": _("Licencja wznowiona."),
            "revoke": _("Licencja unieważniona."),
            "activate": _("Licencja aktywowana."),
        }[action]
    )
    return redirect_to("staff.licence", licence_id=licence_id)


@bp.route("/licencje/<int:licence_id>/abonament", methods=["POST"])
def licence_abonament(licence_id):
    """Set the Abonament's end date (renewal)."""
    _licence_or_404(licence_id)
    form = AbonamentForm()
    if not form.validate_on_submit():
        return _licence_page(licence_id, 422, abonament_form=form)
    try:
        flow.renew_abonament(current_user, licence_id, form.until.data)
    except Refused as refused:
        form.until.errors.append(refused.message)
        return _licence_page(licence_id, 409, abonament_form=form)
    flash(_("Abonament ustawiony do %(date)s.", date=i18n.date_text(form.until.data)))
    return redirect_to("staff.licence", licence_id=licence_id)


@bp.route("/licencje/<int:licence_id>/rozszerzenia", methods=["POST"])
def licence_extension(licence_id):
    """Add an extension: a PLUS level, a module with seats, extra stations."""
    licence = _licence_or_404(licence_id)
    form = ExtensionForm()
    form.product.choices = _extension_choices(licence)
    if not form.validate_on_submit():
        return _licence_page(licence_id, 422, extension_form=form)
    try:
        flow.add_extension(current_user, licence_id, form.product.data, form.quantity.data, form.valid_until.data)
    except Refused as refused:
        form.product.errors.append(refused.message)
        return _licence_page(licence_id, 422 if refused.status == 422 else 409, extension_form=form)
    flash(_("Dodano rozszerzenie."))
    return redirect_to("staff.licence", licence_id=licence_id)


@bp.route("/licencje/<int:licence_id>/rozszerzenia/<int:extension_id>/zakoncz", methods=["POST"])
def licence_extension_end(licence_id, extension_id):
    """End an extension now."""
    _licence_or_404(licence_id)
    try:
        flow.end_extension(current_user, licence_id, extension_id)
    except Refused as refused:
        if refused.status == 404:
            abort(404)
        flash(refused.message)
        return redirect_to("staff.licence", licence_id=licence_id)
    flash(_("Rozszerzenie zakończone."))
    return redirect_to("staff.licence", licence_id=licence_id)


@bp.route("/instalacje/<int:installation_id>/zwolnij", methods=["POST"])
def installation_release(installation_id):
    """Free a station taken by an installation."""
    row = Installation.get_or_none(Installation.id == installation_id)
    if row is None:
        abort(404)
    try:
        flow.staff_release_installation(current_user, installation_id)
        flash(_("Stanowisko zwolnione."))
    except Refused as refused:
        flash(refused.message)
    return redirect_to("staff.licence", licence_id=row.licence_id)


@bp.route("/katalog")
def catalogue_page():
    """The product catalogue as the database has it (copied from konto/data/catalogue.toml)."""
    programs = catalogue.programs()
    extensions = list(Product.select().where(Product.kind != "program").order_by(Product.sort))
    services = list(Service.select().order_by(Service.sort))
    return render("staff/catalogue.html", programs=programs, extensions=extensions, services=services)


@bp.route("/dziennik")
def log():
    """Who in the back office did what, and when (the newest 300)."""
    query = (
        AuditEvent.select(AuditEvent, User)
        .join(User)
        .where(
            fn.SUBSTR(AuditEvent.event, 1, 6).in_(["licenc", "abonam", "extens", "instal", "claim_", "staff_"])
            & User.id.in_(StaffMember.select(StaffMember.user))
        )
        .order_by(AuditEvent.id.desc())
        .limit(300)
    )
    return render("staff/log.html", events=list(query), labels=audit.EVENTS)
