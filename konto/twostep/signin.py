"""The second step of signing in (a code from the app, a recovery code, or a passkey), and
signing in with a passkey alone.

Every page here works from this browser's half-session (`sessions.half_session`): without one
(never started, expired, used) it sends the browser back to the login page and grants nothing.
"""

from flask import flash
from flask import redirect
from flask import request
from flask import session
from flask import url_for
from flask_babel import gettext as _

from konto import sessions
from konto.flows import twostep as flow
from konto.forms import AppCodeForm
from konto.forms import LoginForm
from konto.forms import PasskeyAnswerForm
from konto.forms import RecoveryCodeForm
from konto.htmx import redirect_to
from konto.htmx import redirect_to_url
from konto.htmx import render
from konto.htmx import render_form
from konto.links import safe_next
from konto.twostep import bp

# Where to go after the second step (a checked ?next= from the login form).
LOGIN_NEXT = "login_next"


def _expired():
    """No half-session: the password step has to be done (again)."""
    flash(_("Logowanie wygasło albo nie zostało rozpoczęte. Zaloguj się ponownie."))
    if request.method == "GET":
        return redirect(url_for("auth.login"))
    return redirect_to("auth.login")


def _signed_in(target):
    return redirect_to_url(target or url_for("account.dashboard"))


def _page(template, pending, form, status=200, **context):
    return render(
        template,
        form=form,
        has_app=flow.has_app(pending.user),
        has_passkeys=bool(flow.passkeys_of(pending.user)),
        status=status,
        **context,
    )


@bp.route("/logowanie/weryfikacja", methods=["GET", "POST"])
def second_step():
    """The second step: the code the authenticator app shows now (or a passkey, with JavaScript)."""
    pending = sessions.half_session()
    if pending is None:
        return _expired()
    form = AppCodeForm()
    if not form.validate_on_submit():
        return _page("twostep/second_step.html", pending, form, status=422 if form.is_submitted() else 200)
    target = safe_next(session.get(LOGIN_NEXT))
    if not flow.log_in_with_code(pending, form.code.data, flow.check_app_code):
        form.code.errors.append(_("Ten kod jest nieprawidłowy albo został już użyty. "
                                  "Wpisz kod, który aplikacja pokazuje teraz."))
        return _page("twostep/second_step.html", pending, form, status=422)
    return _signed_in(target)


@bp.route("/logowanie/weryfikacja/kod-zapasowy", methods=["GET", "POST"])
def second_step_recovery():
    """The second step with a recovery code, when the app is not at hand."""
    pending = sessions.half_session()
    if pending is None:
        return _expired()
    form = RecoveryCodeForm()
    if not form.validate_on_submit():
        return render_form("twostep/second_step_recovery.html", form)
    target = safe_next(session.get(LOGIN_NEXT))
    if not flow.log_in_with_code(pending, form.code.data, flow.use_recovery_code):
        form.code.errors.append(_("Ten kod zapasowy jest nieprawidłowy albo został już użyty."))
        return render("twostep/second_step_recovery.html", form=form, status=422)
    flash(_("Użyto kodu zapasowego. Każdy kod działa tylko raz: sprawdź, ile Ci zostało, w ustawieniach konta."))
    return _signed_in(target)


@bp.route("/logowanie/weryfikacja/klucz", methods=["POST"])
def second_step_passkey():
    """The second step with one of the account's passkeys (the form static/passkeys.js fills in)."""
    pending = sessions.half_session()
    if pending is None:
        return _expired()
    form = PasskeyAnswerForm()
    target = safe_next(session.get(LOGIN_NEXT))
    if not form.validate_on_submit() or not flow.log_in_with_passkey_second_step(
        pending, form.credential.data, form.challenge.data
    ):
        code_form = AppCodeForm(formdata=None)
        code_form.form_errors.append(_("Klucz dostępu nie potwierdził logowania. Spróbuj jeszcze raz albo wpisz kod."))
        return _page("twostep/second_step.html", pending, code_form, status=422)
    return _signed_in(target)


@bp.route("/logowanie/weryfikacja/anuluj", methods=["POST"])
def cancel():
    """Give up this sign-in: the half-session ends."""
    flow.cancel_login()
    return redirect_to("auth.login")


@bp.route("/logowanie/klucz", methods=["POST"])
def passkey_sign_in():
    """Sign in with a passkey alone (it verifies the person: a second factor in itself)."""
    form = PasskeyAnswerForm()
    user = None
    if form.validate_on_submit():
        user = flow.log_in_with_passkey(form.credential.data, form.challenge.data)
    if user is None:
        login_form = LoginForm(formdata=None)
        login_form.form_errors.append(
            _("Nie udało się zalogować kluczem dostępu. Spróbuj jeszcze raz albo podaj hasło."))
        return render("auth/login.html", form=login_form, status=422)
    return redirect_to("account.dashboard")
