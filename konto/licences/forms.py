"""The company side's forms: a service's terms, the admin-rights claim."""

from flask_wtf.file import FileField
from wtforms import BooleanField
from wtforms import HiddenField
from wtforms.validators import DataRequired

from konto.forms import BaseForm
from konto.i18n_cache import lazy_gettext as _l
from konto.staff.forms import LicenceNumberField


class ServiceOnForm(BaseForm):
    accept = BooleanField(validators=[DataRequired(_l("Aby włączyć usługę, zaakceptuj jej regulamin."))])
    version = HiddenField()


class ClaimForm(BaseForm):
    number = LicenceNumberField(
        _l("Numer licencji firmy"),
        description=_l("Z dokumentu zakupu albo z okna „O programie”, np. SPK7M-3Q9XT-4WH2J."),
    )
    statement = FileField(_l("Podpisane oświadczenie (PDF)"))
