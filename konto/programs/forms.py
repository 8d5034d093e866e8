"""The code page's forms: the code, then the decision with the companies."""

from wtforms import SelectMultipleField
from wtforms import StringField
from wtforms import widgets
from wtforms.validators import DataRequired
from wtforms.validators import Length

from konto.forms import BaseForm
from konto.i18n_cache import lazy_gettext as _l


class CodeForm(BaseForm):
    code = StringField(
        _l("Kod z programu"),
        validators=[DataRequired(_l("Wpisz kod, który pokazuje program.")), Length(max=40)],
        description=_l("8 liter, np. WDJB-MJHT. Wielkość liter i myślnik nie mają znaczenia."),
        render_kw={
            "maxlength": 40,
            "autocomplete": "off",
            "autocapitalize": "characters",
            "spellcheck": "false",
            "inputmode": "text",
        },
    )


class CompaniesField(SelectMultipleField):
    """Checkboxes, one per company; ids not offered are an error, not a crash."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class DecisionForm(BaseForm):
    companies = CompaniesField(_l("Firmy, których program może używać"), coerce=int, validate_choice=True)
