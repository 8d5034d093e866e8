"""A company's page: its registry data, the member's contact forms, a refresh; and the active company."""

from flask import abort
from flask import flash
from flask import get_flashed_messages
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user

from konto import permissions
from konto import registry
from konto.companies import bp
from konto.companies.queries import membership_or_404
from konto.companies.queries import my_memberships
from konto.companies.queries import pending_requests
from konto.flows import companies as flow
from konto.flows import members
from konto.forms import ContactForm
from konto.forms import EmptyForm
from konto.forms import parse_id
from konto.htmx import is_htmx
from konto.htmx import redirect_to
from konto.htmx import render
from konto.i18n_cache import lazy_gettext as _l


def _company_page(membership, contact_form, status=200):
    """The company page; swapped in by htmx (after "Dodaj firmę"), it also updates the top bar
    and says the page's messages in the status region."""
    company = membership.company
    return render(
        "companies/show.html",
        membership=membership,
        company=company,
        access_requests=pending_requests(company.id) if permissions.is_admin(membership) else [],
        history=members.history(company.id, limit=5) if permissions.is_admin(membership) else [],
        history_labels=members.HISTORY,
        role_labels=members.ROLE_LABELS,
        contact_form=contact_form,
        action_form=EmptyForm(),
        oob_topbar=is_htmx(),
        announce=" ".join(str(message) for message in get_flashed_messages()),
        status=status,
        push_url=url_for("companies.show", company_id=company.id) if request.method == "GET" else None,
    )


@bp.route("/<int:company_id>")
def show(company_id):
    """A company: the stored registry data, where and when it came from, contact forms, requests."""
    membership = membership_or_404(company_id)
    contact = ContactForm(
        data={
            "by_email": bool(membership.contact_email),
            "contact_email": membership.contact_email or current_user.email,
            "by_phone": bool(membership.contact_phone) and not membership.contact_sms,
            "by_sms": membership.contact_sms,
            "phone": membership.contact_phone or "",
        }
    )
    return _company_page(membership, contact)


@bp.route("/<int:company_id>/kontakt", methods=["POST"])
def update_contact(company_id):
    """Change how the company may contact this user."""
    membership = membership_or_404(company_id)
    form = ContactForm()
    if not form.validate_on_submit():
        return _company_page(membership, form, status=422)
    flow.update_contact(current_user, membership.company, form.contact())
    flash(_("Zapisano formy kontaktu."))
    return redirect_to("companies.show", company_id=company_id)


# What the registry's answer to a refresh means for the company, by its status.
_REFRESHED = {
    registry.FOUND: _l("Dane firmy zostały odświeżone z rejestru."),
    registry.NOT_FOUND: _l("Rejestr nie zna już tego numeru. Dane firmy pozostały bez zmian."),
    registry.UNAVAILABLE: _l("Rejestr jest teraz niedostępny. Dane firmy pozostały bez zmian — spróbuj później."),
}


@bp.route("/<int:company_id>/odswiez", methods=["POST"])
def refresh(company_id):
    """Fetch the company's data again from the registry, bypassing the cache."""
    membership = membership_or_404(company_id)
    flash(str(_REFRESHED[flow.refresh(membership.company)]))
    return redirect_to("companies.show", company_id=company_id)


@bp.route("/zmien", methods=["GET", "POST"])
def switch():
    """Choose the active company shown in the top bar; remembered across log-ins."""
    if request.method == "GET":
        return render("companies/switch.html", memberships=my_memberships(), form=EmptyForm())
    company_id = parse_id(request.form.get("company_id"))
    company = flow.switch(current_user, company_id) if company_id else None
    if company is None:
        abort(404)
    flash(_("Firma %(name)s jest teraz wybrana.", name=company.name))
    return redirect_to("account.dashboard")
