"""The account's two-step sign-in: an authenticator app, recovery codes, passkeys, turning it off.

Adding or changing a factor and new recovery codes need the password (and the second step,
when it is on) confirmed in the last few minutes; turning it off asks for the password and a
code on its own form. New recovery codes are shown once, in the answer to the POST that made
them (never stored in clear, never in the session), with a link that downloads them as text.
"""

from urllib.parse import quote

from flask import abort
from flask import flash
from flask import redirect
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user

from konto import factors
from konto.account.settings import mark_confirmed
from konto.account.settings import recent_login_required
from konto.flows import twostep as flow
from konto.forms import AppCodeForm
from konto.forms import EmptyForm
from konto.forms import PasskeyAnswerForm
from konto.forms import PasskeyForm
from konto.forms import ReauthTwoStepForm
from konto.forms import TurnOffTwoStepForm
from konto.htmx import redirect_to
from konto.htmx import redirect_to_url
from konto.htmx import render
from konto.htmx import render_form
from konto.links import safe_next
from konto.sessions import login_required
from konto.twostep import bp

BASE = "/konto/weryfikacja-dwuetapowa"


def _codes_page(codes, first=False):
    """New recovery codes, shown this once, with a text file of them to download."""
    text = factors.recovery_codes_text(codes, current_user.email)
    return render(
        "twostep/codes_new.html",
        codes=codes,
        first=first,
        download="data:text/plain;charset=utf-8," + quote(text),
    )


@bp.route(BASE)
@login_required
def overview():
    """Two-step sign-in: on or off, the app, the passkeys, the recovery codes left."""
    return render(
        "twostep/overview.html",
        on=flow.is_on(current_user),
        has_app=flow.has_app(current_user),
        passkeys=flow.passkeys_of(current_user),
        codes_left=flow.recovery_codes_left(current_user),
        requirement=flow.requirement(current_user),
    )


@bp.route(BASE + "/aplikacja/nowa", methods=["GET", "POST"])
@recent_login_required
def app_new():
    """Set up an authenticator app: what it takes (GET), then a new secret (POST)."""
    form = EmptyForm()
    if not form.validate_on_submit():
        return render_form("twostep/app_new.html", form, has_app=flow.has_app(current_user))
    flow.start_app_setup(current_user)
    return redirect_to("twostep.app_setup")


@bp.route(BASE + "/aplikacja", methods=["GET", "POST"])
@recent_login_required
def app_setup():
    """The new secret as a QR code and as text; the app's first code confirms it."""
    secret = flow.app_setup_secret(current_user)
    if secret is None:
        return redirect(url_for("twostep.app_new"))
    form = AppCodeForm()
    context = {
        "qr": factors.qr_svg_data_uri(factors.provisioning_uri(secret, current_user.email)),
        "secret": factors.grouped(secret),
    }
    if not form.validate_on_submit():
        return render_form("twostep/app_setup.html", form, **context)
    confirmed = flow.confirm_app(current_user, form.code.data, keep_session=current_user.session_row)
    if not confirmed.ok:
        form.code.errors.append(_("Ten kod się nie zgadza. Sprawdź, czy w aplikacji dodałeś(-aś) ten kod QR, "
                                  "i wpisz kod, który pokazuje teraz."))
        return render("twostep/app_setup.html", form=form, status=422, **context)
    mark_confirmed()  # the code just typed is a second step
    if confirmed.codes:
        return _codes_page(confirmed.codes, first=True)
    flash(_("Aplikacja uwierzytelniająca została zmieniona."))
    return redirect_to("twostep.overview")


@bp.route(BASE + "/kody", methods=["GET", "POST"])
@recent_login_required
def recovery_codes():
    """How many recovery codes are left; new ones on demand (the old ones die)."""
    if not flow.is_on(current_user):
        return redirect(url_for("twostep.overview"))
    form = EmptyForm()
    if not form.validate_on_submit():
        return render_form("twostep/codes.html", form, codes_left=flow.recovery_codes_left(current_user))
    return _codes_page(flow.regenerate_recovery_codes(current_user))


@bp.route(BASE + "/wylacz", methods=["GET", "POST"])
@login_required
def turn_off():
    """Turn two-step sign-in off: the password and a code (not while a company requires it)."""
    if not flow.is_on(current_user):
        return redirect(url_for("twostep.overview"))
    requirement = flow.requirement(current_user)
    form = TurnOffTwoStepForm()
    if requirement or not form.validate_on_submit():
        return render_form("twostep/turn_off.html", form, requirement=requirement)
    outcome = flow.turn_off(current_user, form.password.data, form.code.data)
    if outcome == flow.WRONG_PASSWORD:
        form.password.errors.append(_("Nieprawidłowe hasło."))
    elif outcome == flow.WRONG_CODE:
        form.code.errors.append(_("Ten kod jest nieprawidłowy albo został już użyty."))
    elif outcome == flow.REQUIRED:  # required since the page was shown
        requirement = flow.requirement(current_user)
    if outcome != flow.OFF:
        return render("twostep/turn_off.html", form=form, requirement=requirement, status=422)
    flash(_("Weryfikacja dwuetapowa została wyłączona."))
    return redirect_to("twostep.overview")


@bp.route(BASE + "/klucze", methods=["GET"])
@recent_login_required
def passkeys():
    """The account's passkeys, named, with a way to add one (JavaScript) and to remove each."""
    return _passkeys_page(PasskeyForm(formdata=None))


def _passkeys_page(form, status=200):
    return render(
        "twostep/passkeys.html",
        form=form,
        passkeys=flow.passkeys_of(current_user),
        has_app=flow.has_app(current_user),
        action_form=EmptyForm(),
        status=status,
    )


@bp.route(BASE + "/klucze", methods=["POST"])
@recent_login_required
def add_passkey():
    """A new passkey: the browser's answer (put in the form by static/passkeys.js) and its name."""
    form = PasskeyForm()
    if not form.validate_on_submit():
        if form.credential.errors or form.challenge.errors:
            form.form_errors.append(
                _("Dodanie klucza wymaga przeglądarki z obsługą kluczy dostępu i włączonego JavaScriptu."))
        return _passkeys_page(form, status=422)
    added = flow.add_passkey(current_user, form.name.data, form.credential.data, form.challenge.data,
                             keep_session=current_user.session_row)
    if not added.ok:
        form.form_errors.append(added.error)
        return _passkeys_page(form, status=422)
    if added.codes:
        return _codes_page(added.codes, first=True)
    flash(_("Dodano klucz dostępu „%(name)s”.", name=added.passkey.name))
    return redirect_to("twostep.passkeys")


@bp.route(BASE + "/klucze/<int:passkey_id>/usun", methods=["POST"])
@recent_login_required
def remove_passkey(passkey_id):
    """Remove one of the account's passkeys (not the last factor: that is turning it off)."""
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    outcome = flow.remove_passkey(current_user, passkey_id)
    if outcome == "not_found":
        abort(404)
    if outcome == "last":
        flash(_("To Twój jedyny sposób weryfikacji dwuetapowej. Aby go usunąć, wyłącz weryfikację dwuetapową."))
    else:
        flash(_("Klucz dostępu został usunięty."))
    return redirect_to("twostep.passkeys")


@bp.route("/konto/potwierdz/klucz", methods=["POST"])
@login_required
def reauth_passkey():
    """Confirm it is you with one of your passkeys (instead of the password and a code)."""
    form = PasskeyAnswerForm()
    target = safe_next(request.args.get("next"))
    if not form.validate_on_submit() or flow.check_passkey(
        form.credential.data, form.challenge.data, flow.REAUTH, current_user
    ) is None:
        flow.record_failed_second_step(current_user)
        reauth_form = ReauthTwoStepForm(formdata=None)
        reauth_form.form_errors.append(_("Klucz dostępu nie potwierdził, że to Ty. "
                                         "Spróbuj jeszcze raz albo podaj hasło i kod."))
        return render("account/reauth.html", form=reauth_form, passkeys=True, status=422)
    mark_confirmed()
    return redirect_to_url(target or url_for("account.settings"))
