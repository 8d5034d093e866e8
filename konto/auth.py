"""Register, activate by e-mail, log in and out, reset a forgotten password.

No response here tells an outsider whether an address has an account: registering a
taken address, asking for a reset or a new activation link all answer the same page, and
the owner of the address learns what happened by e-mail.
"""

from flask import Blueprint
from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user
from peewee import IntegrityError

from konto import audit
from konto import documents
from konto import passwords
from konto import sessions
from konto import tokens
from konto.db import database
from konto.db import write_transaction
from konto.forms import EmailOnlyForm
from konto.forms import EmptyForm
from konto.forms import LoginForm
from konto.forms import NewPasswordForm
from konto.forms import RegisterForm
from konto.forms import email_error
from konto.forms import normalize_email
from konto.htmx import is_htmx
from konto.htmx import redirect_to
from konto.htmx import render
from konto.links import external_url
from konto.links import safe_next
from konto.mail import send_email
from konto.models import User
from konto.models import utcnow

bp = Blueprint("auth", __name__)

# The address the last registration, resend or reset form was for, to say where we wrote.
_PENDING_EMAIL = "pending_email"


def send_activation(user):
    link = external_url("auth.activate", token=tokens.make_token(tokens.ACTIVATE, user))
    send_email(user.email, _("Aktywuj swoje Konto"), "activation", user=user, link=link)


def _record_consents(user, form):
    chosen = [documents.TERMS, documents.PRIVACY]
    if form.accept_marketing.data:
        chosen.append(documents.MARKETING)
    for document in chosen:
        documents.accept(user, document)


def _create_or_notify(form, email, password_hash):
    """Create the account and send its activation link; for a taken address, tell its owner."""
    with write_transaction():
        existing = User.get_or_none(User.email == email)
        if existing is None:
            user = User.create(
                email=email,
                first_name=form.first_name.data,
                last_name=form.last_name.data,
                password_hash=password_hash,
            )
            _record_consents(user, form)
            audit.record("register", user)
            send_activation(user)
        elif not existing.is_activated:
            send_activation(existing)
        else:
            send_email(
                existing.email,
                _("Próba założenia konta na Twój adres"),
                "register_existing",
                user=existing,
                login_link=external_url("auth.login"),
                reset_link=external_url("auth.forgot_password"),
            )


@bp.route("/rejestracja", methods=["GET", "POST"])
def register():
    """Create an account (inactive until the e-mail link is used)."""
    form = RegisterForm()
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render("auth/register.html", form=form, status=status)
    email = form.email.data
    # Hash outside the transaction: it is slow on purpose and must not hold the write lock.
    password_hash = passwords.hash_password(form.password.data)
    try:
        _create_or_notify(form, email, password_hash)
    except IntegrityError:
        # A parallel submit created the account between our check and our insert (databases
        # without SQLite's IMMEDIATE lock): now it exists, so this submit is "already registered".
        _create_or_notify(form, email, password_hash)
    session[_PENDING_EMAIL] = email
    return redirect_to("auth.check_email")


@bp.route("/rejestracja/sprawdz-poczte")
def check_email():
    """After registering: we sent the activation e-mail; a way to send it again."""
    email = session.get(_PENDING_EMAIL)
    form = EmailOnlyForm(data={"email": email})
    return render("auth/check_email.html", email=email, form=form)


@bp.route("/aktywacja/ponow", methods=["GET", "POST"])
def resend_activation():
    """Send the activation link again (same answer whether the address has an account)."""
    form = EmailOnlyForm()
    if not form.validate_on_submit():
        if request.method == "GET" and session.get(_PENDING_EMAIL):
            form.email.data = session[_PENDING_EMAIL]
        status = 422 if form.is_submitted() else 200
        return render("auth/resend.html", form=form, status=status)
    user = User.get_or_none(User.email == form.email.data)
    if user is not None and not user.is_activated:
        with database.atomic():
            send_activation(user)
    session[_PENDING_EMAIL] = form.email.data
    flash(_("Jeśli to konto czeka na aktywację, wysłaliśmy nowy link. Poprzednie linki nadal działają do swojej daty ważności."))
    return redirect_to("auth.check_email")


@bp.route("/aktywacja/<token>", methods=["GET", "POST"])
def activate(token):
    """Show the activation button (GET never activates: mail scanners open links); POST activates."""
    check = tokens.check_token(tokens.ACTIVATE, token)
    if check.outcome == "used" and check.user.is_activated:
        return render("auth/activate.html", outcome="already_active")
    if check.outcome != "ok":
        return render("auth/activate.html", outcome=check.outcome, status=400)
    form = EmptyForm()
    if not form.validate_on_submit():
        return render("auth/activate.html", outcome="ok", form=form, user=check.user)
    with write_transaction():
        # Conditional: a double submit activates once.
        activated = User.update(activated_at=utcnow()).where(
            (User.id == check.user.id) & User.activated_at.is_null()
        ).execute()
        if activated:
            audit.record("activate", check.user)
    if current_user.is_authenticated and current_user.id != check.user.id:
        sessions.end_session()
    flash(_("Konto zostało aktywowane. Możesz się teraz zalogować."))
    session[_PENDING_EMAIL] = check.user.email
    return redirect_to("auth.login")


@bp.route("/logowanie", methods=["GET", "POST"])
def login():
    """Log in with e-mail and password."""
    if current_user.is_authenticated and request.method == "GET":
        return redirect(url_for("account.dashboard"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = safe_next(request.args.get("next")) or ""
        form.email.data = form.email.data or session.get(_PENDING_EMAIL)
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render("auth/login.html", form=form, status=status)
    user = User.get_or_none(User.email == form.email.data)
    # Verify against a dummy hash when there is no such account: the same time either way.
    password_ok = passwords.verify_password(
        user.password_hash if user else passwords.dummy_hash(), form.password.data
    )
    if user is None or not password_ok:
        if user is not None:
            audit.record("login_failed", user)
        form.form_errors.append(_("Nieprawidłowy e-mail lub hasło."))
        return render("auth/login.html", form=form, status=422)
    if not user.is_activated:
        return render("auth/login.html", form=form, inactive=True, status=422)
    if passwords.needs_rehash(user.password_hash):
        new_hash = passwords.hash_password(form.password.data)
        User.update(password_hash=new_hash).where(User.id == user.id).execute()
    sessions.start_session(user, remember=form.remember.data)
    audit.record("login", user)
    session.pop(_PENDING_EMAIL, None)
    target = safe_next(form.next.data)
    if target:
        if is_htmx():
            response = redirect_to("account.dashboard")
            response.headers["HX-Redirect"] = target
            return response
        return redirect(target, code=303)
    return redirect_to("account.dashboard")


@bp.route("/wyloguj", methods=["POST"])
def logout():
    """Log out: the session ends on the server, so a copied cookie stops working too."""
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    if current_user.is_authenticated:  # a logged-out browser may post this form too
        audit.record("logout", current_user.id)
    sessions.end_session()
    flash(_("Wylogowano."))
    response = redirect_to("auth.login")
    # Nothing of the account stays in this browser's caches or storage.
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response


@bp.route("/haslo/nie-pamietam", methods=["GET", "POST"])
def forgot_password():
    """Ask for a password reset link."""
    form = EmailOnlyForm()
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render("auth/forgot.html", form=form, status=status)
    user = User.get_or_none(User.email == form.email.data)
    with database.atomic():
        if user is not None and user.is_activated:
            link = external_url("auth.reset_password", token=tokens.make_token(tokens.RESET, user))
            send_email(user.email, _("Ustaw nowe hasło"), "reset", user=user, link=link)
        elif user is not None:
            send_activation(user)
    session[_PENDING_EMAIL] = form.email.data
    return redirect_to("auth.forgot_sent")


@bp.route("/haslo/wyslano")
def forgot_sent():
    """After asking for a reset: check your mailbox."""
    return render("auth/forgot_sent.html", email=session.get(_PENDING_EMAIL))


@bp.route("/haslo/nowe/<token>", methods=["GET", "POST"])
def reset_password(token):
    """Set a new password from a reset link; every session of the account ends."""
    check = tokens.check_token(tokens.RESET, token)
    if check.outcome != "ok":
        return render("auth/reset.html", outcome=check.outcome, status=400)
    form = NewPasswordForm()
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render("auth/reset.html", outcome="ok", form=form, status=status)
    new_hash = passwords.hash_password(form.password.data)
    with write_transaction():
        # Only if the password is still the one the link was made for: single use.
        changed = (
            User.update(password_hash=new_hash)
            .where((User.id == check.user.id) & (User.password_hash == check.user.password_hash))
            .execute()
        )
        if changed:
            sessions.end_all_sessions(check.user)
            audit.record("password_reset", check.user)
            send_email(
                check.user.email,
                _("Hasło do Konta zostało zmienione"),
                "password_changed",
                user=check.user,
                reset_link=external_url("auth.forgot_password"),
            )
    if not changed:
        return render("auth/reset.html", outcome="used", status=400)
    if current_user.is_authenticated:
        sessions.end_session()
    flash(_("Hasło zostało zmienione. Zaloguj się nowym hasłem."))
    session[_PENDING_EMAIL] = check.user.email
    return redirect_to("auth.login")


@bp.route("/sprawdz/email", methods=["POST"])
def check_email_field():
    """Inline check of an e-mail field as the user leaves it (syntax only; never "taken")."""
    field_id = request.args.get("pole", "email")
    if field_id not in ("email", "contact_email"):
        abort(404)
    value = normalize_email(request.form.get(field_id, ""))[:1000]
    error = email_error(value) if value else None
    return render_template("_field_error.html", field_id=field_id, errors=[error] if error else [])


@bp.route("/sprawdz/haslo", methods=["POST"])
def check_password_field():
    """Strength hint as the user types, and the policy's verdict."""
    password = request.form.get("password", "")[: passwords.MAX_LENGTH + 1]
    email = normalize_email(request.form.get("email", ""))[:254]
    names = [request.form.get("first_name", "")[:100], request.form.get("last_name", "")[:100], email]
    errors = passwords.policy_errors(password, email) if password else []
    return render_template(
        "auth/_password_hint.html",
        errors=errors,
        strength=passwords.strength(password, names) if password and not errors else None,
    )
