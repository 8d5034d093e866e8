"""The "Dodaj firmę" wizard: 1 the number, 2 the registry's data, 3 the statement; then the company.

After a step's valid POST the answer is a 303 to the next step, with JavaScript or without:
htmx follows it (the browser keeps the HX-Request header on the GET), swaps the step's content
in and pushes the URL the step's GET sends in HX-Push-Url.
"""

from flask import current_app
from flask import flash
from flask import redirect
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user

from konto import i18n
from konto import registry
from konto import taxid
from konto.companies import bp
from konto.companies.queries import company_with_tax_id
from konto.companies.queries import draft_or_404
from konto.companies.queries import finished
from konto.flows import companies as flow
from konto.forms import EmptyForm
from konto.forms import ManualCompanyForm
from konto.forms import StatementForm
from konto.forms import TaxIdForm
from konto.htmx import render
from konto.htmx import render_form
from konto.registry.base import CompanyData
from konto.registry.demo import numbers_to_try


def _see_other(endpoint, **values):
    return redirect(url_for(endpoint, **values), code=303)


def _step(template, status=200, **context):
    """A step of the wizard; a GET (after a 303 too) puts its URL in htmx's address bar."""
    return render(template, status=status, push_url=request.path if request.method == "GET" else None, **context)


def _step1(form, status=200, **context):
    demo_numbers = numbers_to_try(i18n.current_language()) if current_app.config["KONTO_REGISTRY"] == "demo" else []
    return render(
        "companies/new.html",
        form=form,
        demo_numbers=demo_numbers,
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
    found = flow.look_up(current_user, tax_id)
    if found.outcome == flow.ALREADY_MINE:
        return _step1(form, status=422, already_mine=found.company)
    if found.outcome == flow.NOT_FOUND:
        form.number.errors.append(
            _(
                "W rejestrze nie ma firmy o tym numerze (%(number)s). Sprawdź, czy numer jest poprawny.",
                number=tax_id.display(translate=_),
            )
        )
        return _step1(form, status=422)
    if found.outcome == flow.UNAVAILABLE:
        return _step1(form, status=503, unavailable=True, manual_draft=found.draft)
    return _see_other("companies.preview", key=found.draft.key)


@bp.route("/dodaj/<key>/reczne", methods=["GET", "POST"])
def manual(key):
    """Type a company in by hand: only the draft of a lookup the registry could not answer, and
    only once (then step 2 shows what was typed). The company stays unverified."""
    draft = draft_or_404(key)
    if not (draft.manual and CompanyData.from_dict(draft.data).needs_manual_name) or finished(draft):
        return redirect(url_for("companies.preview", key=key))
    if company_with_tax_id(draft.tax_id) is not None:  # in the portal already: ask its administrators
        return redirect(url_for("companies.preview", key=key))
    form = ManualCompanyForm()
    tax_id = taxid.parse(draft.tax_id)
    if not form.validate_on_submit():
        return render_form("companies/manual.html", form, draft=draft, tax_id=tax_id)
    status = flow.type_in_manually(current_user, draft, form.typed())
    if status == registry.NOT_FOUND:
        form.name.errors.append(
            _("W rejestrze nie ma firmy o numerze %(number)s. Sprawdź, czy numer jest poprawny.",
              number=tax_id.display())
        )
        return render("companies/manual.html", form=form, draft=draft, tax_id=tax_id, status=422)
    return _see_other("companies.preview", key=key)


@bp.route("/dodaj/<key>/dane", methods=["GET", "POST"])
def preview(key):
    """Step 2: the registry's data, to check. A nameless VIES answer asks for the name and address."""
    draft = draft_or_404(key)
    done = finished(draft)
    if done is not None:
        return redirect(url_for("companies.show", company_id=done.company_id))
    company = CompanyData.from_dict(draft.data)
    existing = company_with_tax_id(draft.tax_id)
    if draft.manual and company.needs_manual_name and existing is None:
        return redirect(url_for("companies.manual", key=key))
    form = None
    if company.needs_manual_name and existing is None:
        form = ManualCompanyForm()
        if form.validate_on_submit():
            flow.type_in_name(current_user, draft, form.typed())
            return _see_other("companies.statement", key=key)
        if form.is_submitted():
            return _step("companies/preview.html", draft=draft, company=company, form=form, existing=existing,
                         status=422)
    return _step("companies/preview.html", draft=draft, company=company, form=form, existing=existing,
                 request_form=EmptyForm() if existing else None)  # only the access request's button uses it


@bp.route("/dodaj/<key>/oswiadczenie", methods=["GET", "POST"])
def statement(key):
    """Step 3: the statement and the contact forms; then the company is added."""
    draft = draft_or_404(key)
    done = finished(draft)
    if done is not None:
        if request.method == "POST":
            return _added(done.company)
        return redirect(url_for("companies.show", company_id=done.company_id))
    company = CompanyData.from_dict(draft.data)
    if company.has_ended or company.needs_manual_name or company_with_tax_id(draft.tax_id) is not None:
        return redirect(url_for("companies.preview", key=key))
    form = StatementForm()
    if request.method == "GET":
        form.by_email.data = True
        form.contact_email.data = current_user.email
    if not form.validate_on_submit():
        return _step("companies/statement.html", draft=draft, company=company, form=form,
                     status=422 if form.is_submitted() else 200)
    added = flow.add_company(current_user, key, form.contact())
    if added is None:
        # The draft was used by a parallel submit (double click, second tab): show its result.
        mine = flow.membership_for(current_user, draft.tax_id)
        if mine is None:
            return redirect(url_for("companies.preview", key=key))
        added = mine.company
    return _added(added)


def _added(company):
    """On to the company page, which says the company was added (htmx: announced, top bar swapped)."""
    flash(_("Firma %(name)s została dodana.", name=company.name))
    return _see_other("companies.show", company_id=company.id)
