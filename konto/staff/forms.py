"""The back office's forms."""

from datetime import timedelta

from wtforms import BooleanField
from wtforms import DateField
from wtforms import IntegerField
from wtforms import SelectField
from wtforms import StringField
from wtforms import TextAreaField
from wtforms.validators import DataRequired
from wtforms.validators import Length
from wtforms.validators import NumberRange
from wtforms.validators import Optional
from wtforms.validators import ValidationError

from konto import clock
from konto import taxid
from konto.forms import BaseForm
from konto.forms import _strip
from konto.i18n_cache import lazy_gettext as _l
from konto.licences import numbers

REASON_MAX = 500


class LicenceNumberField(StringField):
    """A licence number as typed: checked for format and check character, kept canonical."""

    def __init__(self, label, required=True, **kwargs):
        kwargs.setdefault("filters", [_strip])
        kwargs.setdefault(
            "render_kw", {"maxlength": numbers.MAX_INPUT_LENGTH, "autocomplete": "off", "spellcheck": "false"}
        )
        super().__init__(label, **kwargs)
        self.required = required
        self.number = None

    def pre_validate(self, form):
        self.number = None
        if not self.data:
            if self.required:
                raise ValidationError(_l("Podaj numer licencji."))
            return
        try:
            self.number = numbers.parse(self.data)
        except numbers.InvalidNumber as error:
            raise ValidationError(str(error)) from None


class IssueForm(BaseForm):
    tax_id = StringField(
        _l("NIP lub numer VAT UE nabywcy"),
        filters=[_strip],
        render_kw={"maxlength": taxid.MAX_INPUT_LENGTH, "autocomplete": "off", "spellcheck": "false"},
        description=_l("Firma nie musi być jeszcze w portalu: licencja pojawi się, gdy ktoś ją doda."),
    )
    program = SelectField(_l("Program i edycja"), validators=[DataRequired(_l("Wybierz program i edycję."))])
    stations = IntegerField(
        _l("Stanowiska"),
        validators=[Optional(), NumberRange(1, 999, _l("Od 1 do 999."))],
        description=_l("Puste: tyle, ile ma edycja."),
        render_kw={"min": 1, "max": 999},
    )
    number = LicenceNumberField(
        _l("Numer licencji (opcjonalnie)"),
        required=False,
        description=_l("Numer z systemu sprzedaży, np. SPK7M-3Q9XT-4WH2J. Puste: nadamy nowy."),
    )
    valid_until = DateField(
        _l("Ważna do (opcjonalnie)"), validators=[Optional()], description=_l("Puste: licencja bezterminowa.")
    )
    abonament_until = DateField(_l("Abonament do (opcjonalnie)"), validators=[Optional()])
    pending = BooleanField(_l("Aktywna dopiero po przyjęciu rejestracji z programu (oczekuje na akceptację)"))

    def validate_tax_id(self, field):
        try:
            self.parsed_tax_id = taxid.parse(field.data)
        except taxid.InvalidTaxId as error:
            raise ValidationError(str(error)) from None

    def validate_valid_until(self, field):
        if field.data and field.data < clock.today():
            raise ValidationError(_l("Data nie może być w przeszłości."))


def default_abonament_end():
    return clock.today() + timedelta(days=365)


class ReasonForm(BaseForm):
    reason = TextAreaField(
        _l("Powód (klient go zobaczy)"),
        filters=[_strip],
        validators=[Length(max=REASON_MAX, message=_l("Najwyżej 500 znaków."))],
        render_kw={"maxlength": REASON_MAX, "rows": 2},
    )


class AbonamentForm(BaseForm):
    until = DateField(_l("Abonament do"), validators=[DataRequired(_l("Podaj datę."))])


class ExtensionForm(BaseForm):
    product = SelectField(_l("Rozszerzenie"), validators=[DataRequired(_l("Wybierz rozszerzenie."))])
    quantity = IntegerField(
        _l("Liczba stanowisk"),
        default=1,
        validators=[DataRequired(_l("Podaj liczbę od 1 do 999.")), NumberRange(1, 999, _l("Od 1 do 999."))],
        description=_l("Dla modułu: jego stanowiska; dla stanowisk: ile dodać; poziom PLUS: bez znaczenia."),
        render_kw={"min": 1, "max": 999},
    )
    valid_until = DateField(
        _l("Ważne do (opcjonalnie)"), validators=[Optional()], description=_l("Puste: tak długo jak licencja.")
    )
