"""The code page (/polacz) and "Połączone programy" (/konto/programy).

The code page is what a phisher would send people to, so it shows everything needed to decide
and decides nothing by itself: the person logs in first, types the code (wrong tries are
limited per account and per address, konto/limits.py), sees which program asks, the machine
name it reported, when and from which address it asked, what it will be able to do and a plain
warning, picks the companies, and presses Połącz or Odrzuć — every time, even for a program
connected before. Between the steps the authorization's id and the typed code are kept in the
signed session of this browser only: no id or code ever appears in a URL.
"""

from flask import abort
from flask import flash
from flask import redirect
from flask import request
from flask import session
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user

from konto import clock
from konto import taxid
from konto.client import client_ip
from konto.flows import Refused
from konto.flows import programs as flow
from konto.forms import EmptyForm
from konto.htmx import redirect_to
from konto.htmx import render
from konto.htmx import render_form
from konto.i18n_cache import lazy_gettext as _l
from konto.models import DeviceAuthorization
from konto.models import ProgramClient
from konto.permissions import is_admin
from konto.programs import bp
from konto.programs.forms import CodeForm
from konto.programs.forms import DecisionForm
from konto.sessions import login_required

PENDING = "program_code"  # {"id": authorization id, "code": the 8 letters typed}
RESULT = "program_result"  # {"approved": bool, "program": name, "machine": name}
ROLE_LABELS = {"admin": _l("administrator"), "member": _l("użytkownik")}


@bp.route("/polacz", methods=["GET", "POST"])
@login_required
def code():
    """Type the code a program shows; a known code leads to the decision."""
    form = CodeForm()
    if form.validate_on_submit():
        row = flow.pending_by_code(form.code.data)
        if row is not None:
            session[PENDING] = {"id": row.id, "code": flow.normalize_code(form.code.data)}
            session.pop(RESULT, None)
            return redirect_to("programs.confirm")
        form.code.errors.append(
            _("Nie ma takiego kodu albo już wygasł. Sprawdź kod w oknie programu i wpisz go jeszcze raz.")
        )
    return render_form("programs/code.html", form)


def _pending():
    """The authorization this browser is deciding (still pending, in time), or None."""
    kept = session.get(PENDING)
    if not isinstance(kept, dict) or not isinstance(kept.get("id"), int) or not isinstance(kept.get("code"), str):
        return None, None
    row = (
        DeviceAuthorization.select(DeviceAuthorization, ProgramClient)
        .join(ProgramClient)
        .where(
            (DeviceAuthorization.id == kept["id"])
            & (DeviceAuthorization.status == "pending")
            & (DeviceAuthorization.expires_at > clock.now())
        )
        .first()
    )
    return row, kept["code"]


def _company_choices(memberships):
    """Each company as "Name (NIP 5261040828) — role", its number written as every page writes it."""
    return [
        (m.company_id,
         f"{m.company.name} ({taxid.display(m.company.tax_id, translate=_)}) — {ROLE_LABELS.get(m.role, m.role)}")
        for m in memberships
    ]


def _confirm_page(row, typed, form, memberships, status=200):
    now = clock.now()
    return render(
        "programs/confirm.html",
        status=status,
        row=row,
        code=flow.display_code(typed),
        form=form,
        memberships=memberships,
        scopes=[flow.SCOPES[s] for s in row.scope.split() if s in flow.SCOPES],
        asked_ago=now - row.created_at,
        left=row.expires_at - now,
        browser_ip=client_ip(),
        admin_anywhere=any(is_admin(m) for m in memberships),
    )


@bp.route("/polacz/potwierdz", methods=["GET", "POST"])
@login_required
def confirm():
    """Which program asks, from where and for what; Połącz (with the companies) or Odrzuć."""
    row, typed = _pending()
    if row is None:
        session.pop(PENDING, None)
        flash(_("Ten kod wygasł albo został już użyty. Uruchom łączenie w programie jeszcze raz i wpisz nowy kod."))
        return redirect(url_for("programs.code"), code=303 if request.method == "POST" else 302)
    memberships = flow.companies_to_choose(current_user)
    form = DecisionForm()
    form.companies.choices = _company_choices(memberships)
    if request.method == "GET":
        return _confirm_page(row, typed, form, memberships)
    decision = request.form.get("decyzja")
    if decision not in ("polacz", "odrzuc") or not form.validate_on_submit():
        if decision not in ("polacz", "odrzuc"):
            form.form_errors.append(_("Wybierz: Połącz albo Odrzuć."))
        return _confirm_page(row, typed, form, memberships, 422)
    try:
        if decision == "odrzuc":
            flow.deny(current_user, row.id, typed)
        else:
            flow.approve(current_user, row.id, typed, form.companies.data)
    except Refused as refused:
        if refused.code == "NO_COMPANY":
            form.companies.errors = [refused.message]
        else:
            form.form_errors.append(refused.message)
        return _confirm_page(row, typed, form, memberships, 422)
    session.pop(PENDING, None)
    session[RESULT] = {"approved": decision == "polacz", "program": row.client.name, "machine": row.machine_name}
    return redirect_to("programs.done")


@bp.route("/polacz/gotowe")
@login_required
def done():
    """What was decided: go back to the program (or nothing happens there)."""
    result = session.get(RESULT)
    if not isinstance(result, dict):
        return redirect(url_for("programs.code"))
    return render("programs/done.html", result=result)


@bp.route("/konto/programy")
@login_required
def connections():
    """Połączone programy: each connection with its program, machine, companies, first and last use."""
    return render("programs/connections.html", rows=flow.connections_of(current_user), form=EmptyForm())


@bp.route("/konto/programy/<int:connection_id>/rozlacz", methods=["POST"])
@login_required
def disconnect(connection_id):
    """Rozłącz: the connection ends now; the program's next call is refused."""
    try:
        ended = flow.disconnect(current_user, connection_id)
    except Refused:
        abort(404)
    if not ended:
        flash(_("To połączenie zostało już zakończone."))
        return redirect_to("programs.connections")
    flash(_("Program został rozłączony. Aby znów go połączyć, zaloguj się do Konta z programu."))
    return redirect_to("programs.connections")
