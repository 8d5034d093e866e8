"""The logged-in user's own account: dashboard, settings, sessions, activity, data.

Changing the e-mail or password, exporting data and deleting the account need a password
typed within the last REAUTH_WINDOW seconds (10 minutes by default).
"""

import json
import time
from functools import wraps

from flask import Blueprint
from flask import abort
from flask import current_app
from flask import flash
from flask import make_response
from flask import redirect
from flask import request
from flask import session
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_login import login_required
from peewee import IntegrityError
from wtforms import BooleanField
from wtforms.validators import DataRequired

from konto import audit
from konto import documents
from konto import passwords
from konto import sessions
from konto import tokens
from konto.db import PrebuiltSelect
from konto.db import database
from konto.db import write_transaction
from konto.forms import BaseForm
from konto.forms import EmailOnlyForm
from konto.forms import EmptyForm
from konto.forms import LoginForm
from konto.forms import NewPasswordForm
from konto.htmx import redirect_to
from konto.htmx import render
from konto.links import external_url
from konto.links import safe_next
from konto.mail import send_email
from konto.models import AccessRequest
from konto.models import AuditEvent
from konto.models import Company
from konto.models import Consent
from konto.models import Membership
from konto.models import User
from konto.models import UserSession
from konto.models import utcnow

bp = Blueprint("account", __name__)

_REAUTH_AT = "reauth_at"
_DOCUMENTS_OK = "documents_ok"
_REQUIRED_DOCUMENTS = (documents.TERMS, documents.PRIVACY)
# Pages a user who has not accepted the current terms may still open.
_DOCUMENTS_EXEMPT = {"static", "auth.logout", "account.accept_documents", "pages.terms", "pages.privacy",
                     "account.export", "account.delete", "account.reauthenticate"}


def recent_login_required(view):
    """The password must have been typed in the last few minutes (re-authentication)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        confirmed = session.get(_REAUTH_AT, 0)
        if time.time() - confirmed > current_app.config["REAUTH_WINDOW"]:
            return redirect(url_for("account.reauthenticate", next=request.path))
        return view(*args, **kwargs)

    return login_required(wrapper)


def mark_reauthenticated():
    session[_REAUTH_AT] = time.time()


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
    if not current_user.is_authenticated or request.endpoint in _DOCUMENTS_EXEMPT:
        return None
    if session.get(_DOCUMENTS_OK) == _documents_key():
        return None
    if _missing_documents(current_user):
        return redirect(url_for("account.accept_documents", next=request.path if request.method == "GET" else None))
    session[_DOCUMENTS_OK] = _documents_key()
    return None


# The dashboard's one query (besides the session's), its SQL generated once, with only the
# company columns the page shows.
memberships_of = PrebuiltSelect(
    lambda user_id: Membership.select(
        Membership, Company.id, Company.name, Company.country, Company.nip, Company.tax_id, Company.verified
    )
    .join(Company)
    .where(Membership.user == user_id)
    .order_by(Company.name)
)


@bp.route("/panel")
@login_required
def dashboard():
    """The user's companies, or an invitation to add the first one."""
    return render("account/dashboard.html", memberships=memberships_of(current_user.id))


@bp.route("/konto")
@login_required
def settings():
    """The account: profile, security, consents, data."""
    return render("account/settings.html")


class PasswordOnlyForm(BaseForm):
    password = LoginForm.password


@bp.route("/konto/potwierdz", methods=["GET", "POST"])
@login_required
def reauthenticate():
    """Type the password again before a sensitive change."""
    form = PasswordOnlyForm()
    target = safe_next(request.args.get("next")) or url_for("account.settings")
    if not form.validate_on_submit():
        return render("account/reauth.html", form=form, status=422 if form.is_submitted() else 200)
    if not passwords.verify_password(current_user.password_hash, form.password.data):
        audit.record("login_failed", current_user.id, "potwierdzenie hasła")
        form.password.errors.append(_("Nieprawidłowe hasło."))
        return render("account/reauth.html", form=form, status=422)
    mark_reauthenticated()
    response = redirect_to("account.settings")
    if response.status_code == 303:
        response.location = target
    else:
        response.headers["HX-Redirect"] = target
    return response


@bp.route("/konto/haslo", methods=["GET", "POST"])
@recent_login_required
def change_password():
    """Set a new password; every other session ends and the owner is told by e-mail."""
    form = NewPasswordForm()
    if not form.validate_on_submit():
        return render("account/password.html", form=form, status=422 if form.is_submitted() else 200)
    new_hash = passwords.hash_password(form.password.data)
    with write_transaction():
        User.update(password_hash=new_hash).where(User.id == current_user.id).execute()
        sessions.end_all_sessions(current_user, keep=current_user.session_row)
        audit.record("password_changed", current_user.id)
        send_email(
            current_user.email,
            _("Hasło do Konta zostało zmienione"),
            "password_changed",
            user=current_user,
            reset_link=external_url("auth.forgot_password"),
        )
    flash(_("Hasło zostało zmienione. Pozostałe sesje zostały zakończone."))
    return redirect_to("account.settings")


@bp.route("/konto/email", methods=["GET", "POST"])
@recent_login_required
def change_email():
    """Ask to change the e-mail: a confirmation link goes to the new address."""
    form = EmailOnlyForm()
    if not form.validate_on_submit():
        return render("account/email.html", form=form, status=422 if form.is_submitted() else 200)
    new_email = form.email.data
    if new_email == current_user.email:
        form.email.errors.append(_("To jest obecny adres konta."))
        return render("account/email.html", form=form, status=422)
    # A taken address gets the same answer and no message: nothing tells whether it has an account.
    if User.get_or_none(User.email == new_email) is None:
        with database.atomic():
            link = external_url("account.confirm_email", token=tokens.make_token(tokens.CHANGE_EMAIL, current_user, email=new_email))
            send_email(new_email, _("Potwierdź nowy adres e-mail"), "email_change_confirm", user=current_user, link=link)
            audit.record("email_change_requested", current_user.id)
    return render("account/email_sent.html", email=new_email)


def _email_link(purpose, token, template):
    """(user, the address the link carries, None), or (None, None, the page saying the link is dead)."""
    check = tokens.check_token(purpose, token)
    address = (check.extra or {}).get("email")
    if check.outcome == "ok" and isinstance(address, str):
        return check.user, address, None
    outcome = check.outcome if check.outcome != "ok" else "invalid"
    return None, None, render(template, outcome=outcome, status=400)


def _replace_email(user, address):
    """Set the user's address, only if it is still the one the link was made for; True if changed."""
    changed = User.update(email=address).where((User.id == user.id) & (User.email == user.email)).execute()
    if changed:
        user.email = address
    return bool(changed)


@bp.route("/konto/email/potwierdz/<token>", methods=["GET", "POST"])
def confirm_email(token):
    """Confirm the new address (from the link sent to it); the old address is told, with a way back."""
    user, new_email, dead_link = _email_link(tokens.CHANGE_EMAIL, token, "account/email_confirm.html")
    if dead_link:
        return dead_link
    form = EmptyForm()
    if not form.validate_on_submit():
        return render("account/email_confirm.html", outcome="ok", form=form, new_email=new_email)
    old_email = user.email
    try:
        with write_transaction():
            changed = _replace_email(user, new_email)
            if changed:
                revert = external_url(
                    "account.revert_email", token=tokens.make_token(tokens.REVERT_EMAIL, user, email=old_email)
                )
                send_email(old_email, _("Adres e-mail Konta został zmieniony"), "email_changed",
                           user=user, new_email=new_email, link=revert)
                audit.record("email_changed", user.id)
    except IntegrityError:
        changed = 0
    if not changed:
        return render("account/email_confirm.html", outcome="taken", status=400)
    flash(_("Adres e-mail konta został zmieniony."))
    return redirect_to("account.settings" if current_user.is_authenticated else "auth.login")


@bp.route("/konto/email/cofnij/<token>", methods=["GET", "POST"])
def revert_email(token):
    """ "To nie ja": put the old address back, end every session, and send a reset link to it."""
    user, old_email, dead_link = _email_link(tokens.REVERT_EMAIL, token, "account/email_revert.html")
    if dead_link:
        return dead_link
    form = EmptyForm()
    if not form.validate_on_submit():
        return render("account/email_revert.html", outcome="ok", form=form, old_email=old_email)
    try:
        with write_transaction():
            changed = _replace_email(user, old_email)
            if changed:
                sessions.end_all_sessions(user)
                audit.record("email_change_reverted", user.id)
                link = external_url("auth.reset_password", token=tokens.make_token(tokens.RESET, user))
                send_email(old_email, _("Ustaw nowe hasło"), "reset", user=user, link=link)
    except IntegrityError:
        changed = 0
    if not changed:
        return render("account/email_revert.html", outcome="invalid", status=400)
    if current_user.is_authenticated:
        sessions.end_session()
    return render("account/email_revert.html", outcome="done", old_email=old_email)


class ConsentsForm(BaseForm):
    marketing = BooleanField(documents.MARKETING)


@bp.route("/konto/zgody", methods=["GET", "POST"])
@login_required
def consents():
    """The documents accepted and the optional consents: withdrawn as easily as given."""
    active = list(
        Consent.select().where((Consent.user == current_user.id) & Consent.withdrawn_at.is_null()).order_by(Consent.accepted_at)
    )
    has_marketing = any(c.document == documents.MARKETING for c in active)
    # formdata explicit: an all-unchecked POST is an empty form, which Flask-WTF would treat as no form.
    form = ConsentsForm(formdata=request.form if request.method == "POST" else None, data={"marketing": has_marketing})
    form.marketing.label.text = _("Chcę otrzymywać informacje o nowościach i ofertach")
    if form.validate_on_submit():
        with database.atomic():
            if form.marketing.data and not has_marketing:
                documents.accept(current_user.id, documents.MARKETING)
                audit.record("consent_given", current_user.id, documents.MARKETING)
            elif not form.marketing.data and has_marketing:
                Consent.update(withdrawn_at=utcnow()).where(
                    (Consent.user == current_user.id) & (Consent.document == documents.MARKETING)
                    & Consent.withdrawn_at.is_null()
                ).execute()
                audit.record("consent_withdrawn", current_user.id, documents.MARKETING)
        flash(_("Zapisano zgody."))
        return redirect_to("account.consents")
    return render("account/consents.html", form=form, consents=active)


class DocumentsForm(BaseForm):
    accept_terms = BooleanField(validators=[DataRequired()])
    accept_privacy = BooleanField(validators=[DataRequired()])


@bp.route("/konto/nowe-dokumenty", methods=["GET", "POST"])
@login_required
def accept_documents():
    """A new version of the terms or privacy notice: accept it to go on (or export and delete the account)."""
    missing = _missing_documents(current_user)
    target = safe_next(request.args.get("next")) or url_for("account.dashboard")
    if not missing:
        return redirect(target)
    form = DocumentsForm()
    form.accept_terms.label.text = _("Akceptuję nową wersję regulaminu")
    form.accept_privacy.label.text = _("Zapoznałem(-am) się z nową wersją polityki prywatności")
    for name in ("accept_terms", "accept_privacy"):
        getattr(form, name).validators[0].message = _("Zaznacz, aby przejść dalej.")
    if documents.TERMS not in missing:
        del form.accept_terms
    if documents.PRIVACY not in missing:
        del form.accept_privacy
    if not form.validate_on_submit():
        return render("account/documents.html", form=form, missing=missing, status=422 if form.is_submitted() else 200)
    with database.atomic():
        for document in missing:
            documents.accept(current_user.id, document)
            audit.record("terms_accepted", current_user.id, f"{document} {documents.VERSIONS[document]}")
    session[_DOCUMENTS_OK] = _documents_key()
    response = redirect_to("account.dashboard")
    if response.status_code == 303:
        response.location = target
    return response


@bp.route("/konto/sesje")
@login_required
def active_sessions():
    """Where the account is logged in now, with a button to end each session."""
    rows = list(UserSession.select().where(UserSession.user == current_user.id).order_by(UserSession.last_seen_at.desc()))
    return render("account/sessions.html", rows=rows, current_id=current_user.session_row.id, form=EmptyForm())


@bp.route("/konto/sesje/<int:session_id>/zakoncz", methods=["POST"])
@login_required
def end_session(session_id):
    """End one of the user's sessions (another device)."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    row = UserSession.get_or_none((UserSession.id == session_id) & (UserSession.user == current_user.id))
    if row is None:
        abort(404)
    ending_this_one = row.id == current_user.session_row.id
    with database.atomic():
        audit.record("session_ended", current_user.id, row.user_agent)
        row.delete_instance()
    if ending_this_one:
        sessions.end_session()
        flash(_("Wylogowano."))
        return redirect_to("auth.login")
    flash(_("Sesja została zakończona."))
    return redirect_to("account.active_sessions")


@bp.route("/konto/sesje/zakoncz-inne", methods=["POST"])
@login_required
def end_other_sessions():
    """End every session but this one."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    with database.atomic():
        sessions.end_all_sessions(current_user, keep=current_user.session_row)
        audit.record("session_ended", current_user.id, "wszystkie pozostałe")
    flash(_("Pozostałe sesje zostały zakończone."))
    return redirect_to("account.active_sessions")


@bp.route("/konto/aktywnosc")
@login_required
def activity():
    """The account's security events, newest first."""
    events = list(
        AuditEvent.select().where(AuditEvent.user == current_user.id).order_by(AuditEvent.id.desc()).limit(200)
    )
    return render("account/activity.html", events=events, labels=audit.EVENTS)


def _export_data(user):
    def iso(value):
        return value.isoformat() if value else None

    return {
        "exported_at": iso(utcnow()),
        "account": {
            "email": user.email, "first_name": user.first_name, "last_name": user.last_name,
            "created_at": iso(user.created_at), "activated_at": iso(user.activated_at),
            "last_login_at": iso(user.last_login_at),
        },
        "consents": [
            {"document": c.document, "version": c.version, "accepted_at": iso(c.accepted_at),
             "withdrawn_at": iso(c.withdrawn_at), "ip": c.ip, "user_agent": c.user_agent}
            for c in Consent.select().where(Consent.user == user.id).order_by(Consent.id)
        ],
        "companies": [
            {"tax_id": m.company.tax_id, "name": m.company.name, "role": m.role,
             "contact_email": m.contact_email, "contact_phone": m.contact_phone, "contact_sms": m.contact_sms,
             "statement_version": m.statement_version, "statement_accepted_at": iso(m.statement_accepted_at),
             "joined_at": iso(m.created_at)}
            for m in Membership.select(Membership, Company).join(Company).where(Membership.user == user.id)
        ],
        "access_requests": [
            {"company": a.company.tax_id, "status": a.status, "created_at": iso(a.created_at)}
            for a in AccessRequest.select(AccessRequest, Company).join(Company).where(AccessRequest.user == user.id)
        ],
        "sessions": [
            {"created_at": iso(s.created_at), "last_seen_at": iso(s.last_seen_at), "ip": s.ip, "user_agent": s.user_agent}
            for s in UserSession.select().where(UserSession.user == user.id)
        ],
        "activity": [
            {"event": e.event, "detail": e.detail, "at": iso(e.created_at), "ip": e.ip, "user_agent": e.user_agent}
            for e in AuditEvent.select().where(AuditEvent.user == user.id).order_by(AuditEvent.id)
        ],
    }


@bp.route("/konto/eksport", methods=["GET", "POST"])
@recent_login_required
def export():
    """Download a copy of everything the portal holds about the user (JSON)."""
    form = EmptyForm()
    if not form.validate_on_submit():
        return render("account/export.html", form=form)
    audit.record("export", current_user.id)
    body = json.dumps(_export_data(current_user), ensure_ascii=False, indent=2)
    response = make_response(body)
    response.mimetype = "application/json"
    response.headers["Content-Disposition"] = 'attachment; filename="konto-dane.json"'
    return response


class DeleteForm(BaseForm):
    confirm = BooleanField(validators=[DataRequired()])


@bp.route("/konto/usun", methods=["GET", "POST"])
@recent_login_required
def delete():
    """Delete the account; every session ends at once."""
    form = DeleteForm()
    form.confirm.label.text = _("Rozumiem, że konto i moje dane zostaną usunięte na zawsze.")
    form.confirm.validators[0].message = _("Zaznacz, że rozumiesz skutki usunięcia konta.")
    if not form.validate_on_submit():
        return render("account/delete.html", form=form, status=422 if form.is_submitted() else 200)
    user = current_user._get_current_object()
    with write_transaction():
        _hand_over_companies(user)
        sessions.end_all_sessions(user)
        User.delete().where(User.id == user.id).execute()
    sessions.end_session()
    flash(_("Konto zostało usunięte. Dziękujemy, że byłeś(-aś) z nami."))
    return redirect_to("auth.login")


def _hand_over_companies(user):
    """A company the user alone was in goes too; where others remain and no admin would, the oldest member becomes admin."""
    for membership in Membership.select().where(Membership.user == user.id):
        others = Membership.select().where((Membership.company == membership.company_id) & (Membership.user != user.id))
        if not others.exists():
            Company.delete().where(Company.id == membership.company_id).execute()
        elif not others.where(Membership.role == "admin").exists():
            heir = others.order_by(Membership.created_at, Membership.id).first()
            Membership.update(role="admin").where(Membership.id == heir.id).execute()
