"""Personal data: consents, new versions of the terms, a copy of the data, deleting the account."""

import json

from flask import flash
from flask import make_response
from flask import redirect
from flask import request
from flask import session
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user

from konto import documents
from konto import sessions
from konto.account import bp
from konto.account.settings import recent_login_required
from konto.flows import account as flow
from konto.forms import ConsentsForm
from konto.forms import DeleteForm
from konto.forms import DocumentsForm
from konto.forms import EmptyForm
from konto.htmx import redirect_to
from konto.htmx import redirect_to_url
from konto.htmx import render
from konto.htmx import render_form
from konto.links import safe_next
from konto.models import Consent
from konto.sessions import login_required

_DOCUMENTS_OK = "documents_ok"
_REQUIRED_DOCUMENTS = (documents.TERMS, documents.PRIVACY)
# Pages a user who has not accepted the current terms may still open.
_DOCUMENTS_EXEMPT = {"static", "auth.logout", "account.accept_documents", "pages.terms", "pages.privacy",
                     "account.export", "account.delete", "account.reauthenticate"}


def _documents_key():
    return "|".join(f"{d}:{documents.VERSIONS[d]}" for d in _REQUIRED_DOCUMENTS)


def _missing_documents(user):
    accepted = {
        (c.document, c.version)
        for c in Consent.select(Consent.document, Consent.version).where(
            (Consent.user == user.id) & Consent.withdrawn_at.is_null()
        )
    }
    return [d for d in _REQUIRED_DOCUMENTS if (d, documents.VERSIONS[d]) not in accepted]


@bp.before_app_request
def _require_current_documents():
    """After a new version of the terms or privacy notice, ask for acceptance before anything else."""
    user = sessions.request_user()
    if not user.is_authenticated or request.endpoint in _DOCUMENTS_EXEMPT:
        return None
    if session.get(_DOCUMENTS_OK) == _documents_key():
        return None
    if _missing_documents(user):
        return redirect(url_for("account.accept_documents", next=request.path if request.method == "GET" else None))
    session[_DOCUMENTS_OK] = _documents_key()
    return None


@bp.route("/konto/zgody", methods=["GET", "POST"])
@login_required
def consents():
    """The documents accepted and the optional consents: withdrawn as easily as given."""
    active = list(
        Consent.select()
        .where((Consent.user == current_user.id) & Consent.withdrawn_at.is_null())
        .order_by(Consent.accepted_at)
    )
    has_marketing = any(c.document == documents.MARKETING for c in active)
    # formdata explicit: an all-unchecked POST is an empty form, which Flask-WTF would treat as no form.
    form = ConsentsForm(formdata=request.form if request.method == "POST" else None, data={"marketing": has_marketing})
    if form.validate_on_submit():
        flow.set_marketing(current_user, form.marketing.data)
        flash(_("Zapisano zgody."))
        return redirect_to("account.consents")
    return render("account/consents.html", form=form, consents=active)


@bp.route("/konto/nowe-dokumenty", methods=["GET", "POST"])
@login_required
def accept_documents():
    """A new version of the terms or privacy notice: accept it to go on (or export and delete the account)."""
    missing = _missing_documents(current_user)
    target = safe_next(request.args.get("next")) or url_for("account.dashboard")
    if not missing:
        return redirect(target)
    form = DocumentsForm()
    if documents.TERMS not in missing:
        del form.accept_terms
    if documents.PRIVACY not in missing:
        del form.accept_privacy
    if not form.validate_on_submit():
        return render_form("account/documents.html", form, missing=missing)
    flow.accept_documents(current_user, missing)
    session[_DOCUMENTS_OK] = _documents_key()
    return redirect_to_url(target)


@bp.route("/konto/eksport", methods=["GET", "POST"])
@recent_login_required
def export():
    """Download a copy of everything the portal holds about the user (JSON)."""
    if request.method == "GET":
        return render("account/export.html", form=EmptyForm())
    body = json.dumps(flow.export_data(current_user), ensure_ascii=False, indent=2)
    response = make_response(body)
    response.mimetype = "application/json"
    response.headers["Content-Disposition"] = 'attachment; filename="konto-dane.json"'
    return response


@bp.route("/konto/usun", methods=["GET", "POST"])
@recent_login_required
def delete():
    """Delete the account; every session ends at once."""
    form = DeleteForm()
    if not form.validate_on_submit():
        return render_form("account/delete.html", form)
    flow.delete(current_user)
    sessions.end_session()
    flash(_("Konto zostało usunięte. Dziękujemy, że byłeś(-aś) z nami."))
    return redirect_to("auth.login")
