"""Adding a company and looking after it: the wizard's drafts, the company itself, a member's
contact forms, a refresh from the registry, the active company.

The wizard keeps what the registry returned in a CompanyDraft between its steps, so the last
step takes only the user's choices: a forged form cannot change a company's name, address or
REGON.
"""

import secrets
from dataclasses import dataclass

from peewee import IntegrityError

from konto import audit
from konto import documents
from konto import registry
from konto import taxid
from konto.db import database
from konto.db import write_transaction
from konto.flows import members
from konto.i18n_cache import lazy_gettext as _l
from konto.links import external_url
from konto.mail import send_email
from konto.models import Company
from konto.models import CompanyDraft
from konto.models import Membership
from konto.models import User
from konto.models import utcnow
from konto.registry.base import CompanyData

# CompanyData fields stored as Company columns of the same name.
COMPANY_FIELDS = (
    "nip", "regon", "krs", "street", "building", "unit", "postal_code", "city", "gmina", "powiat",
    "wojewodztwo", "address_text", "kind", "legal_form", "status", "start_date", "suspended_date",
    "end_date", "vat_status",
)  # fmt: skip

# What a person types when the registry is down or gives no name (ManualCompanyForm.typed()).
TYPED_FIELDS = ("name", "street", "building", "unit", "postal_code", "city")

# How step 1 ended (Lookup.outcome).
DRAFTED = "drafted"
ALREADY_MINE = "already_mine"
NOT_FOUND = "not_found"
UNAVAILABLE = "unavailable"


@dataclass
class Lookup:
    """Step 1's result: a draft for step 2, or why there is none."""

    outcome: str  # DRAFTED | ALREADY_MINE | NOT_FOUND | UNAVAILABLE
    # DRAFTED: the registry's answer; UNAVAILABLE: a draft to type the company into by hand
    draft: CompanyDraft | None = None
    company: Company | None = None  # ALREADY_MINE: the user's company with this number


def membership_for(user, tax_id):
    """The user's membership of the company with this number (with the company), or None."""
    return (
        Membership.select(Membership, Company)
        .join(Company)
        .where((Membership.user == user.id) & (Company.tax_id == tax_id))
        .first()
    )


def look_up(user, tax_id):
    """Step 1: ask the registry (or its cache) about a checked number and keep its answer in a draft.

    A company already on the user's account is not looked up again. When the registry cannot
    answer, the draft is an empty manual one: typing a company by hand is possible only as the
    continuation of that lookup (`type_in_manually`), for that number and that user.
    """
    mine = membership_for(user, tax_id.vatin)
    if mine is not None:
        return Lookup(ALREADY_MINE, company=mine.company)
    result = registry.lookup(tax_id)
    if result.status == registry.NOT_FOUND:
        return Lookup(NOT_FOUND)
    if result.status == registry.UNAVAILABLE:
        return Lookup(UNAVAILABLE, draft=_manual_draft(user, tax_id))
    draft = CompanyDraft.create(
        key=secrets.token_urlsafe(16),
        user=user.id,
        tax_id=tax_id.vatin,
        data=result.company.to_dict(),
        source=result.source,
        fetched_at=result.fetched_at,
    )
    return Lookup(DRAFTED, draft=draft)


def _manual_draft(user, tax_id):
    """A draft with only the number, for a company the registry could not be asked about."""
    data = CompanyData(country=tax_id.country, name=None, nip=tax_id.nip)
    if not tax_id.is_polish:
        data.vat_number = tax_id.number
    return CompanyDraft.create(
        key=secrets.token_urlsafe(16),
        user=user.id,
        tax_id=tax_id.vatin,
        data=data.to_dict(),
        source="manual",
        manual=True,
    )


def type_in_manually(user, draft, typed):
    """The company typed by hand into the manual draft of a lookup the registry could not answer.

    The registry is asked again first, so nothing typed by hand stands in for an answer it can
    give: FOUND (the draft now holds the registry's data, and the normal path's rules apply to
    it), NOT_FOUND (nothing stored), or UNAVAILABLE (the typed data is stored; the company will
    be unverified). Returns that status.
    """
    result = registry.lookup(taxid.parse(draft.tax_id))
    if result.status == registry.FOUND:
        CompanyDraft.update(
            data=result.company.to_dict(), source=result.source, manual=False, fetched_at=result.fetched_at
        ).where((CompanyDraft.id == draft.id) & (CompanyDraft.user == user.id)).execute()
    elif result.status == registry.UNAVAILABLE:
        type_in_name(user, draft, typed)
    return result.status


def type_in_name(user, draft, typed):
    """Step 2 of a company the registry gives no name or address for (VIES "---"): the user's."""
    data = dict(draft.data)
    data.update((name, typed[name]) for name in TYPED_FIELDS)
    data.setdefault("extra", {})["typed_by_user"] = True
    CompanyDraft.update(data=data).where((CompanyDraft.id == draft.id) & (CompanyDraft.user == user.id)).execute()


def add_company(user, draft_key, contact):
    """Step 3: the draft's company, with the user as its administrator; it becomes the active one.

    `contact` holds Membership's contact columns (ContactForm.contact()). Returns the company,
    or None when nothing was added: the draft is not the user's, was used already, cannot be
    added (activity ended, no name yet), or the company is in the portal already. Racing
    submits add it once: on SQLite the IMMEDIATE transaction serialises them, elsewhere the
    unique constraints decide and the loser gets None.
    """
    try:
        company = _insert_company(user, draft_key, contact)
    except IntegrityError:
        return None
    if company is not None:
        user.active_company = company
    return company


def _insert_company(user, draft_key, contact):
    with write_transaction():
        draft = CompanyDraft.get_or_none((CompanyDraft.key == draft_key) & (CompanyDraft.user == user.id))
        if draft is None or draft.company_id or Company.get_or_none(Company.tax_id == draft.tax_id) is not None:
            return None
        data = CompanyData.from_dict(draft.data)
        if data.has_ended or data.needs_manual_name:
            return None
        company = Company.create(
            tax_id=draft.tax_id,
            country=data.country,
            name=data.name,
            source=draft.source,
            verified=not draft.manual,
            fetched_at=draft.fetched_at,
            **{name: getattr(data, name) for name in COMPANY_FIELDS},
        )
        Membership.create(
            user=user.id,
            company=company,
            role=members.ADMIN,
            statement_version=documents.VERSIONS[documents.STATEMENT],
            statement_accepted_at=utcnow(),
            **contact,
        )
        User.update(active_company=company).where(User.id == user.id).execute()
        CompanyDraft.update(company=company).where(CompanyDraft.id == draft.id).execute()
        audit.record("company_added", user.id, company.tax_id)
        members.record(company, "company_added", user, user.email, members.role_label(members.ADMIN))
        subject = _l("Jesteś administratorem firmy %(name)s", name=company.name)
        mail_about_company(user, subject, "company_admin", company)
    return company


def mail_about_company(recipient, subject, template, company, **context):
    """An e-mail to a user about a company, with the link to the company's page."""
    send_email(
        recipient.email,
        subject,
        template,
        user=recipient,
        company=company,
        link=external_url("companies.show", company_id=company.id),
        **context,
    )


def update_contact(user, company, contact):
    """How the company may contact the user (ContactForm.contact()); False when not a member."""
    with database.atomic():
        changed = (
            Membership.update(**contact)
            .where((Membership.user == user.id) & (Membership.company == company.id))
            .execute()
        )
        if changed:
            audit.record("contact_changed", user.id, company.tax_id)
    return bool(changed)


def refresh(company):
    """Fetch the company's data from the registry again (not from the cache) and store it.

    Returns the registry's answer: registry.FOUND (stored, now verified), NOT_FOUND or
    UNAVAILABLE (the company is left as it was).
    """
    result = registry.lookup(taxid.parse(company.tax_id), refresh=True)
    if result.status == registry.FOUND:
        data = result.company
        values = {name: getattr(data, name) for name in COMPANY_FIELDS}
        if data.name:
            values["name"] = data.name
        values.update(source=result.source, verified=True, fetched_at=result.fetched_at)
        Company.update(**values).where(Company.id == company.id).execute()
    return result.status


def switch(user, company_id):
    """Make one of the user's companies the active one (the top bar; kept across log-ins).

    Returns the company, or None when the user is not in it.
    """
    membership = (
        Membership.select(Membership, Company)
        .join(Company)
        .where((Membership.user == user.id) & (Membership.company == company_id))
        .first()
    )
    if membership is None:
        return None
    User.update(active_company=membership.company).where(User.id == user.id).execute()
    return membership.company
