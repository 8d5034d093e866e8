"""The portal's forms. Every field has a length limit and a Polish message."""

import re

from flask import request
from flask_babel import gettext
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField
from wtforms import EmailField
from wtforms import FileField
from wtforms import HiddenField
from wtforms import PasswordField
from wtforms import StringField
from wtforms import TelField
from wtforms.validators import DataRequired
from wtforms.validators import EqualTo
from wtforms.validators import Length
from wtforms.validators import Optional
from wtforms.validators import ValidationError

from konto import addresses
from konto import passwords
from konto import taxid
from konto.addresses import canonical
from konto.csrf_tokens import CachedCSRF
from konto.i18n_cache import lazy_gettext as _l

EMAIL_MAX = 254
NAME_MAX = 100

# The largest id a path or a form may name: PostgreSQL's integer, the type of the id columns.
MAX_ID = 2**31 - 1


def parse_id(value):
    """A posted id (digits only, 1 … MAX_ID) as an int, or None: no query ever gets a number
    its column cannot hold."""
    if not isinstance(value, str) or not value.isascii() or not value.isdigit() or len(value) > 10:
        return None
    number = int(value)
    return number if 1 <= number <= MAX_ID else None


def normalize_email(value):
    """One form of an address whatever its case, punycode or composition (konto.addresses):
    one account per mailbox."""
    return canonical(value)


def email_error(value):
    """A message when the address is not valid (syntax only, no DNS), else None."""
    if not value:
        return _l("Podaj adres e-mail.")
    if len(value) > EMAIL_MAX:
        return _l("Adres e-mail może mieć najwyżej %(n)d znaków.", n=EMAIL_MAX)
    validate_email, EmailNotValidError = addresses.validator()  # imported on first use
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return _l("To nie jest poprawny adres e-mail, np. jan.kowalski@firma.pl.")
    return None


class ValidEmail:
    """WTForms validator around email-validator."""

    def __call__(self, form, field):
        error = email_error(field.data)
        if error:
            raise ValidationError(error)


class NewPassword:
    """The password policy (NIST SP 800-63B) as a WTForms validator."""

    def __init__(self, email_field="email"):
        self.email_field = email_field

    def __call__(self, form, field):
        email = getattr(form, self.email_field).data if self.email_field else ""
        errors = passwords.policy_errors(field.data or "", email or "")
        if errors:
            raise ValidationError(errors[0])


_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def _strip(value):
    """Trimmed, and single-line: control characters (CR/LF among them) become spaces."""
    return _CONTROL_CHARACTERS.sub(" ", value).strip() if isinstance(value, str) else value


_NEW_PASSWORD_INPUT = {"autocomplete": "new-password", "maxlength": passwords.MAX_LENGTH}


def _repeated_password(label):
    """The new password typed again (it follows a field named `password`)."""
    return PasswordField(
        label,
        validators=[DataRequired(_l("Powtórz hasło.")), EqualTo("password", message=_l("Hasła nie są takie same."))],
        render_kw=dict(_NEW_PASSWORD_INPUT),
    )


def _line(label, max_length, required=None, field=StringField, **render_kw):
    """A trimmed one-line text field of at most `max_length` characters; with `required` (the
    message for an empty one) it must be filled in, else it is optional."""
    return field(
        label,
        filters=[_strip],
        validators=[
            DataRequired(required) if required else Optional(),
            Length(max=max_length, message=_l("Najwyżej %(n)d znaków.", n=max_length)),
        ],
        render_kw={"maxlength": max_length, **render_kw},
    )


_FROM_REQUEST = object()


def _posted(form_class):
    """What a submitted form reads: the body's text parts, and files only for its file fields. A
    file part named like a text field, or a JSON body, is nobody's value (a text field given a
    file would break every filter and validator after it)."""
    file_fields = {name for name, unbound in form_class._unbound_fields if issubclass(unbound.field_class, FileField)}
    data = MultiDict(request.form.items(multi=True))
    for name, upload in request.files.items(multi=True):
        if name in file_fields:
            data.add(name, upload)
    return data


class BaseForm(FlaskForm):
    """Every form of the portal. `short_names`: how the error summary names a field whose
    label is a sentence (a checkbox), by field name; other fields go by their label."""

    short_names = {}

    class Meta:
        locales = ["pl_PL", "pl"]
        csrf_class = CachedCSRF  # Flask-WTF's, the signed token kept per session (konto.csrf_tokens)

    def __init__(self, formdata=_FROM_REQUEST, **kwargs):
        if formdata is _FROM_REQUEST:
            formdata = _posted(type(self)) if self.is_submitted() else None
        super().__init__(formdata=formdata, **kwargs)
        self._hidden_tags = {}

    def hidden_tag(self, *fields):
        """Flask-WTF's hidden_tag, rendered once per form and arguments: a page of buttons (a
        row's accept, resend, revoke…) renders one form's CSRF field many times, ~430 calls each
        through WTForms' html_params. A form lives for one request; its hidden fields do not
        change while the page renders. tests/test_csrf_tokens.py compares it with Flask-WTF's."""
        if fields and not all(isinstance(name, str) for name in fields):
            return super().hidden_tag(*fields)  # fields given as objects: rendered each time
        rendered = self._hidden_tags.get(fields)
        if rendered is None:
            rendered = self._hidden_tags[fields] = super().hidden_tag(*fields)
        return rendered


class RegisterForm(BaseForm):
    first_name = _line(_l("Imię"), NAME_MAX, _l("Podaj imię."), autocomplete="given-name")
    last_name = _line(_l("Nazwisko"), NAME_MAX, _l("Podaj nazwisko."), autocomplete="family-name")
    email = EmailField(
        _l("Adres e-mail"),
        filters=[normalize_email],
        validators=[ValidEmail()],
        render_kw={"autocomplete": "email", "maxlength": EMAIL_MAX},
    )
    password = PasswordField(
        _l("Hasło"),
        validators=[NewPassword()],
        render_kw=dict(_NEW_PASSWORD_INPUT),
        description=_l("Co najmniej 12 znaków. Najlepiej kilka słów, które łatwo zapamiętać."),
    )
    password_repeat = _repeated_password(_l("Powtórz hasło"))
    accept_terms = BooleanField(
        _l("Przeczytałem(-am) i akceptuję regulamin Konta."),
        validators=[DataRequired(_l("Aby założyć konto, zaakceptuj regulamin."))],
    )
    accept_privacy = BooleanField(
        _l("Wyrażam zgodę na przetwarzanie moich danych osobowych w celu korzystania z Konta."),
        validators=[DataRequired(_l("Aby założyć konto, wyraź zgodę na przetwarzanie danych osobowych."))],
    )
    accept_marketing = BooleanField(
        _l("Chcę otrzymywać informacje o nowościach i ofertach (opcjonalnie, można wycofać w każdej chwili).")
    )
    short_names = {"accept_terms": _l("Regulamin"), "accept_privacy": _l("Zgoda na przetwarzanie danych")}


class NameForm(BaseForm):
    """One's own name, changed in "Moje konto": the registration's fields."""

    first_name = RegisterForm.first_name
    last_name = RegisterForm.last_name


class LoginForm(BaseForm):
    email = EmailField(
        _l("Adres e-mail"),
        filters=[normalize_email],
        validators=[DataRequired(_l("Podaj adres e-mail.")), Length(max=EMAIL_MAX)],
        render_kw={"autocomplete": "username", "maxlength": EMAIL_MAX},
    )
    password = PasswordField(
        _l("Hasło"),
        validators=[DataRequired(_l("Podaj hasło.")), Length(max=passwords.MAX_LENGTH)],
        render_kw={"autocomplete": "current-password", "maxlength": passwords.MAX_LENGTH},
    )
    remember = BooleanField(_l("Zapamiętaj mnie na tym urządzeniu"))
    next = HiddenField()


class PasswordOnlyForm(BaseForm):
    """Re-authentication: the current password again, before a sensitive change."""

    password = LoginForm.password


class ActivationForm(BaseForm):
    """Activation: the password chosen at registration (whoever has the link must know it)."""

    password = PasswordField(
        _l("Hasło podane przy rejestracji"),
        validators=[DataRequired(_l("Podaj hasło.")), Length(max=passwords.MAX_LENGTH)],
        render_kw={"autocomplete": "current-password", "maxlength": passwords.MAX_LENGTH},
    )


class EmailOnlyForm(BaseForm):
    """Forgotten password and resend activation: just the address."""

    email = EmailField(
        _l("Adres e-mail"),
        filters=[normalize_email],
        validators=[ValidEmail()],
        render_kw={"autocomplete": "email", "maxlength": EMAIL_MAX},
    )


class NewPasswordForm(BaseForm):
    password = PasswordField(
        _l("Nowe hasło"),
        validators=[NewPassword(email_field=None)],
        render_kw=dict(_NEW_PASSWORD_INPUT),
        description=_l("Co najmniej 12 znaków. Po zmianie hasła wszystkie inne sesje zostaną zakończone."),
    )
    password_repeat = _repeated_password(_l("Powtórz nowe hasło"))


class EmptyForm(BaseForm):
    """A form that is only a button (activate, refresh, end a session): it carries the CSRF token."""


class ConsentsForm(BaseForm):
    """The optional consents, each given and withdrawn with one box."""

    marketing = BooleanField(_l("Chcę otrzymywać informacje o nowościach i ofertach"))


class DocumentsForm(BaseForm):
    """New versions of the terms and privacy notice (a view removes the box of one not changed)."""

    accept_terms = BooleanField(
        _l("Akceptuję nową wersję regulaminu"), validators=[DataRequired(_l("Zaznacz, aby przejść dalej."))]
    )
    accept_privacy = BooleanField(
        _l("Zapoznałem(-am) się z nową wersją polityki prywatności"),
        validators=[DataRequired(_l("Zaznacz, aby przejść dalej."))],
    )
    short_names = {"accept_terms": _l("Regulamin"), "accept_privacy": _l("Polityka prywatności")}


class DeleteForm(BaseForm):
    confirm = BooleanField(
        _l("Rozumiem, że konto i moje dane zostaną usunięte na zawsze."),
        validators=[DataRequired(_l("Zaznacz, że rozumiesz skutki usunięcia konta."))],
    )
    short_names = {"confirm": _l("Potwierdzenie")}


class InviteForm(BaseForm):
    """"Dodaj użytkownika": the address to invite and whether they become an administrator."""

    email = EmailField(
        _l("Adres e-mail"),
        filters=[normalize_email],
        validators=[ValidEmail()],
        render_kw={"autocomplete": "off", "maxlength": EMAIL_MAX},
        description=_l("Wyślemy na ten adres zaproszenie z przyciskiem „Akceptuj zaproszenie”."),
    )
    admin = BooleanField(
        _l("Administrator firmy"),
        description=_l(
            "Administrator ma pełny dostęp do firmy: może m.in. dodawać i usuwać innych użytkowników, "
            "zmieniać ich uprawnienia, odłączać programy i zmieniać dane firmy."
        ),
    )

    @property
    def role(self):
        return "admin" if self.admin.data else "member"


class TaxIdForm(BaseForm):
    number = StringField(
        _l("NIP lub numer VAT UE"),
        filters=[_strip],
        render_kw={"autocomplete": "off", "maxlength": taxid.MAX_INPUT_LENGTH, "spellcheck": "false"},
        description=_l("NIP (10 cyfr, z kreskami lub bez) albo numer VAT UE z kodem kraju, np. DE123456789."),
    )

    def validate_number(self, field):
        try:
            self.tax_id = taxid.parse(field.data)
        except taxid.InvalidTaxId as error:
            raise ValidationError(gettext(error.message, **error.params)) from None


class ManualCompanyForm(BaseForm):
    """Company data typed by hand: when the registry is down or gives no name."""

    name = _line(_l("Nazwa firmy"), 500, _l("Podaj nazwę firmy."), autocomplete="organization")
    street = _line(_l("Ulica (puste, jeśli miejscowość nie ma ulic)"), 200)
    building = _line(_l("Numer budynku"), 20, _l("Podaj numer budynku."))
    unit = _line(_l("Numer lokalu (opcjonalnie)"), 20)
    postal_code = _line(_l("Kod pocztowy"), 12, _l("Podaj kod pocztowy."), autocomplete="postal-code")
    city = _line(_l("Miejscowość"), 100, _l("Podaj miejscowość."), autocomplete="address-level2")

    def typed(self):
        """What was typed, as CompanyData fields (an empty optional field as None)."""
        return {name: self[name].data or None for name in ("name", "street", "building", "unit", "postal_code", "city")}


def _phonenumbers():
    """The phonenumbers library, imported on first use: ~13 ms of a worker's start (its metadata and
    regular expressions) that only the wizard's contact step needs."""
    import phonenumbers  # noqa: PLC0415 - start-up time, see the docstring

    return phonenumbers


def phone_error(value):
    """A message when the number is not a valid Polish or international phone number."""
    phonenumbers = _phonenumbers()
    try:
        number = phonenumbers.parse(value, "PL")
    except phonenumbers.NumberParseException:
        return _l("To nie jest numer telefonu, np. 601 234 567 albo +49 30 1234567.")
    if not phonenumbers.is_valid_number(number):
        return _l("Ten numer telefonu jest niepoprawny, np. 601 234 567 albo +49 30 1234567.")
    return None


def format_phone(value):
    """A valid number (see phone_error) in E.164: +48601234567."""
    phonenumbers = _phonenumbers()
    return phonenumbers.format_number(phonenumbers.parse(value, "PL"), phonenumbers.PhoneNumberFormat.E164)


# Step 3 shows the statement above the contact forms, and the error summary lists fields in
# the form's order, which WTForms takes from the order the fields were made: so this one is
# made here, before ContactForm's (StatementForm below adds it).
_STATEMENT = BooleanField(
    _l("Oświadczam, że jestem uprawniony(-a) do działania w imieniu tej firmy i do korzystania z jej danych."),
    validators=[DataRequired(_l("Aby dodać firmę, potwierdź oświadczenie."))],
)


class ContactForm(BaseForm):
    """How the company may contact this user: at least one way."""

    short_names = {"by_email": _l("Formy kontaktu")}

    by_email = BooleanField(_l("E-mail"), default=True)
    contact_email = EmailField(
        _l("Adres e-mail do kontaktu"),
        filters=[normalize_email],
        validators=[Optional(), Length(max=EMAIL_MAX)],
        render_kw={"maxlength": EMAIL_MAX, "autocomplete": "email"},
    )
    by_phone = BooleanField(_l("Telefon"))
    by_sms = BooleanField(_l("SMS"))
    phone = _line(_l("Numer telefonu"), 20, field=TelField, autocomplete="tel", inputmode="tel")

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if not (self.by_email.data or self.by_phone.data or self.by_sms.data):
            self.by_email.errors.append(_l("Wybierz co najmniej jedną formę kontaktu."))
            ok = False
        if self.by_email.data:
            error = email_error(self.contact_email.data)
            if error:
                self.contact_email.errors.append(error)
                ok = False
        if self.by_phone.data or self.by_sms.data:
            if not self.phone.data:
                self.phone.errors.append(_l("Podaj numer telefonu dla kontaktu telefonicznego lub SMS."))
                ok = False
            else:
                error = phone_error(self.phone.data)
                if error:
                    self.phone.errors.append(error)
                    ok = False
        return ok

    def contact(self):
        """The choices as Membership's contact columns (after validate())."""
        by_phone = bool(self.by_phone.data or self.by_sms.data)
        return {
            "contact_email": self.contact_email.data if self.by_email.data else None,
            "contact_phone": format_phone(self.phone.data) if by_phone else None,
            "contact_sms": bool(self.by_sms.data),
        }


class StatementForm(ContactForm):
    statement = _STATEMENT
    short_names = {"statement": _l("Oświadczenie"), **ContactForm.short_names}


# -- two-step sign-in ---------------------------------------------------------------------------

_CODE_INPUT = {"autocomplete": "one-time-code", "inputmode": "numeric", "maxlength": 10, "spellcheck": "false",
               "autocapitalize": "off"}
_ANY_CODE_INPUT = {"autocomplete": "one-time-code", "maxlength": 40, "spellcheck": "false", "autocapitalize": "off"}


def _code(label, required_message, description=None, **render_kw):
    return StringField(
        label,
        filters=[_strip],
        validators=[DataRequired(required_message), Length(max=40, message=_l("Najwyżej %(n)d znaków.", n=40))],
        render_kw=render_kw,
        description=description,
    )


class AppCodeForm(BaseForm):
    """A six-digit code from the authenticator app (the second step, or confirming a new app)."""

    code = _code(_l("Kod z aplikacji"), _l("Podaj 6-cyfrowy kod z aplikacji."),
                 _l("6 cyfr, które aplikacja pokazuje teraz dla Konta."), **_CODE_INPUT)


class RecoveryCodeForm(BaseForm):
    code = _code(_l("Kod zapasowy"), _l("Podaj jeden z kodów zapasowych."),
                 _l("16 znaków, np. 7k3m-q9px-2hwd-x4tr. Każdy kod działa tylko raz."), **_ANY_CODE_INPUT)


_ANY_CODE_HINT = _l("6 cyfr z aplikacji albo jeden z kodów zapasowych.")


class ReauthTwoStepForm(BaseForm):
    """Re-authentication of an account with two-step sign-in on: the password and a code."""

    password = LoginForm.password
    code = _code(_l("Kod z aplikacji lub kod zapasowy"), _l("Podaj kod z aplikacji albo kod zapasowy."),
                 _ANY_CODE_HINT, **_ANY_CODE_INPUT)


class TurnOffTwoStepForm(ReauthTwoStepForm):
    """Turning two-step sign-in off: the password and a code, whatever was confirmed before."""


class PasskeyForm(BaseForm):
    """A passkey's answer, put into the form by static/passkeys.js (with its name when adding one)."""

    name = StringField(
        _l("Nazwa klucza"),
        filters=[_strip],
        validators=[Optional(), Length(max=60, message=_l("Najwyżej %(n)d znaków.", n=60))],
        render_kw={"maxlength": 60, "autocomplete": "off"},
        description=_l("Np. „Laptop służbowy” albo „Telefon”, by odróżnić klucze na liście."),
    )
    credential = HiddenField(validators=[DataRequired(), Length(max=20_000)])
    challenge = HiddenField(validators=[DataRequired(), Length(max=100)])


class PasskeyAnswerForm(BaseForm):
    """A passkey's answer to a sign-in or confirmation challenge (filled in by static/passkeys.js)."""

    credential = HiddenField(validators=[DataRequired(), Length(max=20_000)])
    challenge = HiddenField(validators=[DataRequired(), Length(max=100)])


class CompanyTwoStepForm(BaseForm):
    require = BooleanField(_l("Wymagaj weryfikacji dwuetapowej"))
