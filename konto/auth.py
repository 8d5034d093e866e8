"""Register, activate by e-mail, log in and out, reset a forgotten password.

No response here tells an outsider whether an address has an account: registering a
taken address, asking for a reset or a new activation link all answer the same page, and
the owner of the address learns what happened by e-mail. What each action does to the
database is in `konto.flows.signup`, `konto.flows.login` and `konto.flows.password`.
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

from konto import i18n
from konto import passwords
from konto import sessions
from konto import tokens
from konto.account.settings import mark_confirmed
from konto.flows import login as login_flow
from konto.flows import password as password_flow
from konto.flows import signup as signup_flow
from konto.flows import twostep as twostep_flow
from konto.forms import ActivationForm
from konto.forms import EmailOnlyForm
from konto.forms import LoginForm
from konto.forms import NewPasswordForm
from konto.forms import RegisterForm
from konto.forms import email_error
from konto.forms import normalize_email
from konto.htmx import redirect_to
from konto.htmx import redirect_to_url
from konto.htmx import render
from konto.htmx import render_form
from konto.invitations import carried_invitation
from konto.invitations import carried_next
from konto.links import safe_next
from konto.twostep.signin import LOGIN_NEXT

bp = Blueprint("auth", __name__)

# The address the last registration, resend or reset form was for, to say where we wrote.
_PENDING_EMAIL = "pending_email"


@bp.route("/rejestracja", methods=["GET", "POST"])
def register():
    """Create an account (inactive until the e-mail link is used)."""
    form = RegisterForm()
    invitation = carried_invitation()
    if request.method == "GET" and invitation is not None:
        form.email.data = invitation.email  # opened from an invitation: its address (the same rules still apply)
    if not form.validate_on_submit():
        return render_form("auth/register.html", form, invitation=invitation)
    signup_flow.register(
        form.email.data,
        form.password.data,
        first_name=form.first_name.data,
        last_name=form.last_name.data,
        marketing=form.accept_marketing.data,
        language=i18n.current_language(),
    )
    session[_PENDING_EMAIL] = form.email.data
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
        return render_form("auth/resend.html", form)
    signup_flow.resend_activation(form.email.data)
    session[_PENDING_EMAIL] = form.email.data
    flash(
        _(
            "Jeśli to konto czeka na aktywację, wysłaliśmy nowy link. "
            "Poprzednie linki nadal działają do swojej daty ważności."
        )
    )
    return redirect_to("auth.check_email")


@bp.route("/aktywacja/<token>", methods=["GET", "POST"])
def activate(token):
    """Activate with the password chosen at registration, and log in (GET only shows the form:
    mail scanners open links)."""
    check = tokens.check_token(tokens.ACTIVATE, token)
    if check.outcome == "used" and check.user.is_activated:
        return render("auth/activate.html", outcome="already_active")
    if check.outcome != "ok":
        return render("auth/activate.html", outcome=check.outcome, status=400)
    form = ActivationForm()
    if not form.validate_on_submit():
        return render_form("auth/activate.html", form, outcome="ok", user=check.user)
    # Registered from an invitation in this browser: activation goes on to it (read now: the new
    # session starts from a clean cookie).
    after = carried_next() or url_for("account.dashboard")
    outcome = signup_flow.activate(check.user, form.password.data)
    if outcome == signup_flow.ALREADY_ACTIVE:
        return render("auth/activate.html", outcome="already_active")
    if outcome == signup_flow.WRONG_PASSWORD:
        form.password.errors.append(
            _("To nie jest hasło podane przy rejestracji. Jeśli go nie pamiętasz albo ktoś zarejestrował ten adres "
              "po Tobie, zarejestruj się ponownie tym adresem: ustawisz hasło i dostaniesz nowy link.")
        )
        return render("auth/activate.html", form=form, outcome="ok", user=check.user, status=422)
    session.pop(_PENDING_EMAIL, None)
    flash(_("Konto zostało aktywowane. Witamy!"))
    return redirect_to_url(after)


@bp.route("/logowanie", methods=["GET", "POST"])
def login():
    """Log in with e-mail and password."""
    if current_user.is_authenticated and request.method == "GET":
        return redirect(url_for("account.dashboard"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = safe_next(request.args.get("next")) or carried_next() or ""
        form.email.data = form.email.data or session.get(_PENDING_EMAIL)
    if not form.validate_on_submit():
        return render_form("auth/login.html", form)
    result = login_flow.log_in(form.email.data, form.password.data, remember=form.remember.data)
    if result.outcome == login_flow.WRONG:
        # On the password field: that is what the person types again (which of the two was
        # wrong is not said: no account enumeration).
        form.password.errors.append(_("Nieprawidłowy e-mail lub hasło."))
        return render("auth/login.html", form=form, status=422)
    if result.outcome == login_flow.INACTIVE:
        return render("auth/login.html", form=form, inactive=True, status=422)
    if result.outcome == login_flow.SECOND_STEP:  # the session was cleared for the half-session
        session[LOGIN_NEXT] = safe_next(form.next.data)
        return redirect_to("twostep.second_step")
    session.pop(_PENDING_EMAIL, None)
    if twostep_flow.required(result.user):
        # A company requires two-step sign-in, which is off: setting it up comes next, and the
        # password was typed a moment ago (re-authentication would ask for it again).
        mark_confirmed()
    return redirect_to_url(safe_next(form.next.data) or url_for("account.dashboard"))


@bp.route("/wyloguj", methods=["POST"])
def logout():
    """Log out: the session ends on the server, so a copied cookie stops working too."""
    login_flow.log_out(current_user)
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
        return render_form("auth/forgot.html", form)
    password_flow.request_reset(form.email.data)
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
        return render_form("auth/reset.html", form, outcome="ok")
    if not password_flow.reset(check.user, form.password.data):
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
