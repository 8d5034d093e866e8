"""Companies: the "Dodaj firmę" wizard, the company page, switching and access requests.

The wizard keeps what the registry returned in a CompanyDraft on the server between its
steps, so the final POST carries only the statement and contact choices: a forged form
cannot change a company's name, address or REGON. Every route that takes an id looks the
object up through the current user's memberships (or drafts), so a stranger gets 404.
"""

import secrets

from flask import Blueprint
from flask import abort
from flask import current_app
from flask import flash
from flask import redirect
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_login import login_required
from peewee import IntegrityError

from konto import audit
from konto import documents
from konto import registry
from konto import taxid
from konto.auth import _external
from konto.db import PrebuiltSelect
from konto.db import database
from konto.db import write_transaction
from konto.forms import ContactForm
from konto.forms import EmptyForm
from konto.forms import ManualCompanyForm
from konto.forms import StatementForm
from konto.forms import TaxIdForm
from konto.forms import format_phone
from konto.htmx import is_htmx
from konto.htmx import redirect_to
from konto.htmx import render
from konto.mail import send_email
from konto.models import AccessRequest
from konto.models import Company
from konto.models import CompanyDraft
from konto.models import Membership
from konto.models import User
from konto.models import utcnow
from konto.registry.base import CompanyData
from konto.registry.demo import numbers_to_try

bp = Blueprint("companies", __name__, url_prefix="/firmy")

# CompanyData fields stored as Company columns of the same name.
_COMPANY_FIELDS = (
    "nip", "regon", "krs", "street", "building", "unit", "postal_code", "city", "gmina", "powiat",
    "wojewodztwo", "address_text", "kind", "legal_form", "status", "start_date", "suspended_date",
    "end_date", "vat_status",
)  # fmt: skip


@bp.before_request
@login_required
def _require_login():
    """Every company page is for logged-in users only."""


# The lookups every company page and wizard step starts with, their SQL generated once.
_membership = PrebuiltSelect(
    lambda user_id, company_id: Membership.select(Membership, Company)
    .join(Company)
    .where((Membership.user == user_id) & (Membership.company == company_id))
    .limit(1),
    arity=2,
)
_draft = PrebuiltSelect(
    lambda key, user_id: CompanyDraft.select().where((CompanyDraft.key == key) & (CompanyDraft.user == user_id)).limit(1),
    arity=2,
)


def _membership_or_404(company_id):
    rows = _membership(current_user.id, company_id)
    if not rows:
        abort(404)
    return rows[0]


def _draft_or_404(key):
    rows = _draft(key, current_user.id)
    if not rows:
        abort(404)
    return rows[0]


def _finished(draft):
    """The company a finished draft added, when this user is in it (back button, late second click)."""
    if draft.company_id is None:
        return None
    return _my_membership_for(draft.tax_id)


def _my_membership_for(tax_id):
    return (
        Membership.select(Membership, Company)
        .join(Company)
        .where((Membership.user == current_user.id) & (Company.tax_id == tax_id))
        .first()
    )


def _demo_numbers():
    return numbers_to_try() if current_app.config["KONTO_REGISTRY"] == "demo" else []


def _step1(form, status=200, **context):
    return render(
        "companies/new.html",
        form=form,
        demo_numbers=_demo_numbers(),
        status=status,
        push_url=url_for("companies.new"),
        **context,
    )


@bp.route("/dodaj", methods=["GET", "POST"])
def new():
    """Step 1: the NIP or VATIN. Checked locally first; the registry is asked only for a valid number."""
    form = TaxIdForm()
    if request.method == "GET" and request.args.get("numer"):
        form.number.data = request.args.get("numer", "")[:40]
    if not form.validate_on_submit():
        return _step1(form, status=422 if form.is_submitted() else 200)
    tax_id = form.tax_id
    mine = _my_membership_for(tax_id.vatin)
    if mine is not None:
        return _step1(form, status=422, already_mine=mine.company)
    result = registry.lookup(tax_id)
    if result.status == registry.NOT_FOUND:
        form.number.errors.append(
            _("W rejestrze nie ma firmy o numerze %(number)s. Sprawdź, czy numer jest poprawny.", number=tax_id.display())
        )
        return _step1(form, status=422)
    if result.status == registry.UNAVAILABLE:
        return _step1(form, status=503, unavailable=True, tax_id=tax_id)
    draft = CompanyDraft.create(
        key=secrets.token_urlsafe(16),
        user=current_user.id,
        tax_id=tax_id.vatin,
        data=result.company.to_dict(),
        source=result.source,
        fetched_at=result.fetched_at,
    )
    return _go_to("companies.preview", key=draft.key)


def _go_to(endpoint, **values):
    """Next wizard step: 303 without JS; with htmx, the step rendered in place and its URL pushed."""
    if not is_htmx():
        return redirect(url_for(endpoint, **values), code=303)
    view = {"companies.preview": preview, "companies.statement": statement}[endpoint]
    # An in-process "redirect": run the next step's GET view now, saving htmx a round trip.
    # As a GET, its forms do not read this POST's data.
    request.method = "GET"
    response = view(**values)
    response.headers["HX-Push-Url"] = url_for(endpoint, **values)
    return response


@bp.route("/dodaj/reczne", methods=["GET", "POST"])
def manual():
    """Enter a company by hand when the registry is unavailable; it stays unverified."""
    try:
        tax_id = taxid.parse(request.args.get("numer", ""))
    except taxid.InvalidTaxId:
        return redirect(url_for("companies.new"))
    if _my_membership_for(tax_id.vatin) is not None:
        return redirect(url_for("companies.new", numer=tax_id.vatin))
    form = ManualCompanyForm()
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render("companies/manual.html", form=form, tax_id=tax_id, status=status)
    data = CompanyData(country=tax_id.country, name=form.name.data, nip=tax_id.nip)
    if not tax_id.is_polish:
        data.vat_number = tax_id.number
    for name in ("street", "building", "unit", "postal_code", "city"):
        setattr(data, name, getattr(form, name).data or None)
    draft = CompanyDraft.create(
        key=secrets.token_urlsafe(16),
        user=current_user.id,
        tax_id=tax_id.vatin,
        data=data.to_dict(),
        source="manual",
        manual=True,
    )
    return _go_to("companies.preview", key=draft.key)


_company_by_tax_id = PrebuiltSelect(lambda tax_id: Company.select().where(Company.tax_id == tax_id).limit(1))


def _taken_by_other(draft):
    """The company is in the portal already and this user is not a member."""
    rows = _company_by_tax_id(draft.tax_id)
    return rows[0] if rows else None


@bp.route("/dodaj/<key>/dane", methods=["GET", "POST"])
def preview(key):
    """Step 2: the registry's data, to check. A nameless VIES answer asks for the name and address."""
    draft = _draft_or_404(key)
    finished = _finished(draft)
    if finished is not None:
        return redirect(url_for("companies.show", company_id=finished.company_id))
    company = CompanyData.from_dict(draft.data)
    existing = _taken_by_other(draft)
    form = None
    if company.needs_manual_name and existing is None:
        form = ManualCompanyForm()
        if form.validate_on_submit():
            data = dict(draft.data)
            data["name"] = form.name.data
            for name in ("street", "building", "unit", "postal_code", "city"):
                data[name] = getattr(form, name).data or None
            data.setdefault("extra", {})["typed_by_user"] = True
            CompanyDraft.update(data=data).where(CompanyDraft.id == draft.id).execute()
            return _go_to("companies.statement", key=key)
        if form.is_submitted():
            return render("companies/preview.html", draft=draft, company=company, form=form,
                          existing=existing, status=422)
    return render("companies/preview.html", draft=draft, company=company, form=form, existing=existing,
                  request_form=EmptyForm())


@bp.route("/dodaj/<key>/oswiadczenie", methods=["GET", "POST"])
def statement(key):
    """Step 3: the statement and the contact forms; then the company is added."""
    draft = _draft_or_404(key)
    finished = _finished(draft)
    if finished is not None:
        if request.method == "POST":
            return _done(finished.company)
        return redirect(url_for("companies.show", company_id=finished.company_id))
    company = CompanyData.from_dict(draft.data)
    if company.has_ended or company.needs_manual_name or _taken_by_other(draft) is not None:
        return redirect(url_for("companies.preview", key=key))
    form = StatementForm()
    if request.method == "GET":
        form.by_email.data = True
        form.contact_email.data = current_user.email
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render("companies/statement.html", draft=draft, company=company, form=form, status=status)
    added = _add_company(key, form)
    if added is None:
        # The draft was used by a parallel submit (double click, second tab): show its result.
        mine = _my_membership_for(draft.tax_id)
        if mine is None:
            return redirect(url_for("companies.preview", key=key))
        return _done(mine.company)
    return _done(added)


def _add_company(key, form):
    """Create the company (first one in becomes its administrator) and the membership, once.

    On SQLite the IMMEDIATE transaction serialises racing submits; elsewhere the unique
    constraints decide and the loser gets None, like a used draft.
    """
    try:
        return _insert_company(key, form)
    except IntegrityError:
        return None


def _insert_company(key, form):
    with write_transaction():
        draft = CompanyDraft.get_or_none((CompanyDraft.key == key) & (CompanyDraft.user == current_user.id))
        if draft is None or draft.company_id or Company.get_or_none(Company.tax_id == draft.tax_id) is not None:
            return None
        data = CompanyData.from_dict(draft.data)
        company = Company.create(
            tax_id=draft.tax_id,
            country=data.country,
            name=data.name,
            source=draft.source,
            verified=not draft.manual,
            fetched_at=draft.fetched_at,
            **{name: getattr(data, name) for name in _COMPANY_FIELDS},
        )
        Membership.create(
            user=current_user.id,
            company=company,
            role="admin",
            statement_version=documents.VERSIONS[documents.STATEMENT],
            statement_accepted_at=utcnow(),
            **_contact_values(form),
        )
        User.update(active_company=company).where(User.id == current_user.id).execute()
        CompanyDraft.update(company=company).where(CompanyDraft.id == draft.id).execute()
        audit.record("company_added", current_user.id, company.tax_id)
        send_email(
            current_user.email,
            _("Jesteś administratorem firmy %(name)s", name=company.name),
            "company_admin",
            user=current_user,
            company=company,
            link=_external("companies.show", company_id=company.id),
        )
    current_user.active_company = company
    return company


def _contact_values(form):
    phone = format_phone(form.phone.data) if (form.by_phone.data or form.by_sms.data) else None
    return {
        "contact_email": form.contact_email.data if form.by_email.data else None,
        "contact_phone": phone if form.by_phone.data or form.by_sms.data else None,
        "contact_sms": bool(form.by_sms.data),
    }


def _done(company):
    """The confirmation; with htmx the top bar's company name is swapped out of band."""
    if not is_htmx():
        flash(_("Firma została dodana: %(name)s.", name=company.name))
        return redirect(url_for("companies.show", company_id=company.id), code=303)
    response = show(company.id, announce=_("Firma została dodana: %(name)s.", name=company.name))
    response.headers["HX-Push-Url"] = url_for("companies.show", company_id=company.id)
    return response


_pending_requests = PrebuiltSelect(
    lambda company_id: AccessRequest.select(AccessRequest, User)
    .join(User, on=(AccessRequest.user == User.id))
    .where((AccessRequest.company == company_id) & (AccessRequest.status == "pending"))
    .order_by(AccessRequest.id)
)


@bp.route("/<int:company_id>")
def show(company_id, announce=None):
    """A company: the stored registry data, where and when it came from, contact forms, requests."""
    membership = _membership_or_404(company_id)
    company = membership.company
    requests_ = []
    if membership.role == "admin":
        requests_ = _pending_requests(company.id)
    contact = ContactForm(
        data={
            "by_email": bool(membership.contact_email),
            "contact_email": membership.contact_email or current_user.email,
            "by_phone": bool(membership.contact_phone) and not membership.contact_sms,
            "by_sms": membership.contact_sms,
            "phone": membership.contact_phone or "",
        }
    ) if request.method == "GET" or announce else None
    return render(
        "companies/show.html",
        membership=membership,
        company=company,
        access_requests=requests_,
        contact_form=contact,
        action_form=EmptyForm(),
        announce=announce,
        oob_topbar=announce is not None,
    )


@bp.route("/<int:company_id>/kontakt", methods=["POST"])
def update_contact(company_id):
    """Change how the company may contact this user."""
    membership = _membership_or_404(company_id)
    form = ContactForm()
    if not form.validate_on_submit():
        return render("companies/show.html", membership=membership, company=membership.company,
                      access_requests=[], contact_form=form, action_form=EmptyForm(), status=422)
    with database.atomic():
        Membership.update(**_contact_values(form)).where(Membership.id == membership.id).execute()
        audit.record("contact_changed", current_user.id, membership.company.tax_id)
    flash(_("Zapisano formy kontaktu."))
    return redirect_to("companies.show", company_id=company_id)


@bp.route("/<int:company_id>/odswiez", methods=["POST"])
def refresh(company_id):
    """Fetch the company's data again from the registry, bypassing the cache."""
    membership = _membership_or_404(company_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    company = membership.company
    result = registry.lookup(taxid.parse(company.tax_id), refresh=True)
    if result.status == registry.FOUND:
        data = result.company
        values = {name: getattr(data, name) for name in _COMPANY_FIELDS}
        if data.name:
            values["name"] = data.name
        values.update(source=result.source, verified=True, fetched_at=result.fetched_at)
        Company.update(**values).where(Company.id == company.id).execute()
        flash(_("Dane firmy zostały odświeżone z rejestru."))
    elif result.status == registry.NOT_FOUND:
        flash(_("Rejestr nie zna już tego numeru. Dane firmy pozostały bez zmian."))
    else:
        flash(_("Rejestr jest teraz niedostępny. Dane firmy pozostały bez zmian — spróbuj później."))
    return redirect_to("companies.show", company_id=company_id)


@bp.route("/zmien", methods=["GET", "POST"])
def switch():
    """Choose the active company shown in the top bar; remembered across log-ins."""
    if request.method == "POST":
        form = EmptyForm()
        try:
            company_id = int(request.form.get("company_id", ""))
        except ValueError:
            abort(404)
        if not form.validate_on_submit():
            abort(400)
        membership = _membership_or_404(company_id)
        User.update(active_company=membership.company).where(User.id == current_user.id).execute()
        flash(_("Aktywna firma: %(name)s.", name=membership.company.name))
        return redirect_to("account.dashboard")
    memberships = list(
        Membership.select(Membership, Company)
        .join(Company)
        .where(Membership.user == current_user.id)
        .order_by(Company.name)
    )
    return render("companies/switch.html", memberships=memberships, form=EmptyForm())


def _ask_for_access(company):
    """One pending request per user and company; the administrators are told by e-mail."""
    with write_transaction():
        existing = AccessRequest.get_or_none(
            (AccessRequest.user == current_user.id) & (AccessRequest.company == company)
        )
        if existing is None:
            AccessRequest.create(user=current_user.id, company=company)
            audit.record("access_requested", current_user.id, company.tax_id)
            admins = (
                User.select().join(Membership)
                .where((Membership.company == company) & (Membership.role == "admin"))
            )
            for admin in admins:
                send_email(
                    admin.email,
                    _("Prośba o dostęp do firmy %(name)s", name=company.name),
                    "access_requested",
                    user=admin,
                    requester=current_user,
                    company=company,
                    link=_external("companies.show", company_id=company.id),
                )
        elif existing.status == "declined":
            AccessRequest.update(status="pending", created_at=utcnow(), decided_at=None).where(
                AccessRequest.id == existing.id
            ).execute()


@bp.route("/dodaj/<key>/dostep", methods=["POST"])
def request_access(key):
    """Ask the administrators of a company already in the portal to let this user in."""
    draft = _draft_or_404(key)
    if not EmptyForm().validate_on_submit():
        abort(400)
    company = _taken_by_other(draft)
    if company is None:
        return redirect(url_for("companies.preview", key=key))
    try:
        _ask_for_access(company)
    except IntegrityError:
        pass  # a parallel click asked first (databases without SQLite's IMMEDIATE lock): one request
    return render("companies/access_requested.html", company_name=CompanyData.from_dict(draft.data).name)


@bp.route("/<int:company_id>/prosby/<int:request_id>", methods=["POST"])
def decide_access(company_id, request_id):
    """An administrator accepts or declines an access request."""
    membership = _membership_or_404(company_id)
    if membership.role != "admin":
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    decision = request.form.get("decyzja")
    if decision not in ("accept", "decline"):
        abort(400)
    with write_transaction():
        access = AccessRequest.get_or_none(
            (AccessRequest.id == request_id) & (AccessRequest.company == company_id)
        )
        if access is None:
            abort(404)
        if access.status == "pending":
            status = "accepted" if decision == "accept" else "declined"
            AccessRequest.update(status=status, decided_at=utcnow(), decided_by=current_user.id).where(
                AccessRequest.id == access.id
            ).execute()
            requester = User.get_by_id(access.user_id)
            detail = f"{membership.company.tax_id}: {requester.email}"
            audit.record("access_granted" if status == "accepted" else "access_declined", current_user.id, detail)
            if status == "accepted":
                Membership.insert(
                    user=requester, company=company_id, role="member", contact_email=requester.email
                ).on_conflict_ignore().execute()
            send_email(
                requester.email,
                _("Decyzja w sprawie dostępu do firmy %(name)s", name=membership.company.name),
                "access_decided",
                user=requester,
                company=membership.company,
                accepted=status == "accepted",
                link=_external("companies.show", company_id=company_id),
            )
    flash(_("Prośba została przyjęta.") if decision == "accept" else _("Prośba została odrzucona."))
    return redirect_to("companies.show", company_id=company_id)
