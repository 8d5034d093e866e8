"""A company's administrators require two-step sign-in from its users ("Wymagaj weryfikacji
dwuetapowej"); its users are then led to turn it on before anything else (see `_require_two_step`)."""

from flask import abort
from flask import flash
from flask_babel import gettext as _
from flask_login import current_user

from konto.flows import twostep as flow
from konto.forms import CompanyTwoStepForm
from konto.htmx import redirect_to
from konto.sessions import login_required
from konto.twostep import bp


@bp.route("/firmy/<int:company_id>/weryfikacja-dwuetapowa", methods=["POST"])
@login_required
def company_requirement(company_id):
    """An administrator turns the company's requirement on or off (404 for a stranger and for a
    plain member, as the company's other administrator actions)."""
    form = CompanyTwoStepForm()
    if not form.validate_on_submit():
        abort(400)
    outcome = flow.set_company_requirement(current_user, company_id, form.require.data)
    if outcome in ("not_found", "not_admin"):
        abort(404)
    if outcome == "admin_off":
        flash(_("Najpierw włącz weryfikację dwuetapową na swoim koncie: wymaganie obejmie też Ciebie."))
    elif form.require.data:
        flash(_("Użytkownicy firmy muszą teraz mieć włączoną weryfikację dwuetapową. Kto jej nie ma, "
                "włączy ją przy następnym wejściu do Konta."))
    else:
        flash(_("Firma nie wymaga już weryfikacji dwuetapowej."))
    return redirect_to("companies.show", company_id=company_id)
