"""The pages' building blocks as template globals (konto.widgets) write what the Jinja macros they
replace wrote (tests/data/_macros.html, templates/_macros.html until then), byte for byte: every
field of every form, with and without errors, descriptions (hints), hx_/data_/aria_ attributes,
HTML in every text, in both languages, as a page and as an htmx partial. WTForms' html_params
kept per its arguments (konto.widgets.html_params) writes what WTForms' own writes."""

import inspect
import re
from pathlib import Path

import pytest
import wtforms.widgets
import wtforms.widgets.core
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from jinja2 import ChoiceLoader
from jinja2 import FileSystemLoader
from markupsafe import Markup
from wtforms.validators import ValidationError

from konto import forms
from konto import widgets
from konto.licences import forms as licence_forms
from konto.programs import forms as program_forms
from konto.staff import forms as staff_forms
from konto.widgets import FORM_EXPIRED
from konto.widgets import PROBLEM

REFERENCE = Path(__file__).resolve().parent / "data"
MACROS = ("field", "checkbox", "error_summary", "heading", "busy", "new_password_fields", "company_fields")


def every_form_class():
    seen = {}
    for module in (forms, licence_forms, program_forms, staff_forms):
        for name, value in vars(module).items():
            if inspect.isclass(value) and issubclass(value, forms.BaseForm) and value.__module__ == module.__name__:
                seen[f"{module.__name__}.{name}"] = value
    return seen


@pytest.fixture
def render(app):
    """render(call, **variables) -> (the macro's HTML, the global's HTML), in a request."""
    macros = app.jinja_env.overlay(loader=ChoiceLoader([FileSystemLoader(str(REFERENCE)), app.jinja_env.loader]))
    imports = '{% from "_macros.html" import ' + ", ".join(MACROS) + " with context %}"

    compiled = {}

    def render(call, **variables):
        if call not in compiled:
            compiled[call] = (macros.from_string(imports + "{{ " + call + " }}"),
                              app.jinja_env.from_string("{{ " + call + " }}"))
        old, new = compiled[call]
        return old.render(**variables), new.render(**variables)

    return render


def spoil(form, description=False, errors=False):
    """Errors with HTML in them on every field; a description (hint) with HTML on every field."""
    for f in form:
        if description:
            f.description = 'Podpowiedź <b>"&"</b>'
        if errors:
            f.errors = ['Błąd <i>pierwszy</i> & "drugi"', "drugi"]
    return form


CALLS = [
    "field(f)",
    "field(f, required=True)",
    "field(f, hint_html=hint)",
    "field(f, hx_post='/x?a=1&b=<2>', hx_target='#main', hx_swap='outerHTML', data_x='y\"', aria_label='A & B')",
    "field(f, class_='wide', autocomplete='off', placeholder='<p>')",
    "checkbox(f)",
    "checkbox(f, '/regulamin?a=1&b=2', 'Przeczytaj <to>')",
    "checkbox(f, link=url, link_text=_('Regulamin'), data_x='1')",
]


@pytest.mark.parametrize("language", ["pl", "en"])
def test_every_field_of_every_form_through_field_and_checkbox(app, render, language):
    hint = Markup('<div id="password-strength">siła</div>')
    compared = 0
    with app.test_request_context("/"), force_locale(language):
        for name, form_class in every_form_class().items():
            for description in (False, True):
                for errors in (False, True):
                    form = spoil(form_class(formdata=None), description, errors)
                    for f in form:
                        for call in CALLS:
                            old, new = render(call, f=f, hint=hint, url="/a?b=<c>")
                            assert new == old, (name, f.name, call, description, errors)
                            compared += 1
    assert compared > 2000


@pytest.mark.parametrize("language", ["pl", "en"])
def test_error_summary_for_every_form_and_kind_of_error(app, csrf_app, render, language):
    with app.test_request_context("/"), force_locale(language):
        for name, form_class in every_form_class().items():
            form = form_class(formdata=None)
            assert render("error_summary(form)", form=form)[0] == "\n\n"
            for kind in ("fields", "form", "both", "one"):
                form = form_class(formdata=None)
                if kind in ("fields", "both"):
                    spoil(form, errors=True)
                if kind == "one" and list(form):
                    list(form)[-1].errors = ["tylko <ten>"]
                if kind in ("form", "both"):
                    form.form_errors.append("Coś <b>poszło</b> nie tak & źle")
                old, new = render("error_summary(form)", form=form)
                assert new == old, (name, kind)
                assert ("error-summary" in new) == bool(form.errors)
    # A form with a CSRF field whose token was refused; short names instead of labels.
    with csrf_app.test_request_context("/", method="POST", data={"csrf_token": "zły"}), force_locale(language):
        macros = csrf_app.jinja_env.overlay(
            loader=ChoiceLoader([FileSystemLoader(str(REFERENCE)), csrf_app.jinja_env.loader]))
        form = forms.RegisterForm()
        assert not form.validate()
        assert form.csrf_token.errors
        old = macros.from_string('{% from "_macros.html" import error_summary with context %}'
                                 "{{ error_summary(form) }}").render(form=form)
        new = csrf_app.jinja_env.from_string("{{ error_summary(form) }}").render(form=form)
        assert new == old
        expected = {"pl": (FORM_EXPIRED, "Regulamin: ", PROBLEM),
                    "en": ("The form has expired. Send it again.", "Terms of service: ", "There was a problem")}
        assert all(text in new for text in expected[language])


@pytest.mark.parametrize("language", ["pl", "en"])
def test_heading_busy_and_the_groups(app, render, language):
    with app.test_request_context("/"), force_locale(language):
        for partial in (True, False, None):
            variables = {"partial": partial} if partial is not None else {}
            for call in ("heading('Twój <b>panel</b> & \"więcej\"')", "heading(_('Twój panel'))",
                         "heading(_('Twój panel'), focus=False)", "heading(text, focus=not form.errors)",
                         "busy(_('Pobieranie danych z rejestru…'), 'lookup-indicator')", "busy('<b>', id='a\"b')",
                         "busy('x')"):
                form = spoil(forms.NameForm(formdata=None), errors=partial is True)
                old, new = render(call, text=Markup("<em>x</em>"), form=form, **variables)
                assert new == old, call
        for form_class, params in ((forms.RegisterForm, "password,email,first_name,last_name"),
                                   (forms.NewPasswordForm, None)):
            for errors in (False, True):
                for strength in (None, {"score": 3, "label": "dobre <3"}):
                    form = spoil(form_class(formdata=None), errors=errors)
                    call = f"new_password_fields(form, {params!r})" if params else "new_password_fields(form)"
                    old, new = render(call, form=form, strength=strength, errors=["za <krótkie>"] if errors else None)
                    assert new == old, (form_class, errors, strength)
        for description, errors in ((False, False), (True, True)):
            form = spoil(forms.ManualCompanyForm(formdata=None), description, errors)
            old, new = render("company_fields(form)", form=form)
            assert new == old


def test_pages_no_longer_import_the_macros():
    templates = Path(__file__).resolve().parent.parent / "templates"
    assert not (templates / "_macros.html").exists()
    for path in templates.rglob("*.html"):
        assert "_macros.html" not in path.read_text(), path


def test_a_validation_error_reads_the_same(app, render):
    """A message raised by a validator (a lazy string) is shown as the macro showed it."""
    with app.test_request_context("/", method="POST", data={"first_name": "", "last_name": "x" * 500}):
        form = forms.NameForm()
        assert not form.validate()
        assert any(isinstance(error, str) for f in form for error in f.errors)
        for call in ("error_summary(form)", "field(form.first_name)", "field(form.last_name, required=True)"):
            old, new = render(call, form=form)
            assert new == old
    assert ValidationError  # the kind of error the validators raise


PARAMS = [
    {"name": "email", "id": "email", "type": "email", "value": "", "required": True, "maxlength": 254},
    {"name": "x", "value": 'a"b<c>&d\'e', "class_": "wide", "for_": "y", "data_hx_post": "/a?b=1&c=2"},
    {"name": "x", "value": Markup("<b>już</b>"), "aria_describedby": "x-error x-hint", "aria_invalid": "true"},
    {"name": "x", "checked": False, "disabled": True, "value": None, "step": 0.5, "min": 0, "max": -1},
    {"name": "x", "value": "1", "selected": True},
    {"name": "x", "value": 1, "selected": 1},  # an int, not True: value="1" selected="1"
    {"label": "Grupa & <opcje>"},
    {},
]


def test_html_params_kept_gives_what_wtforms_gives():
    """konto.widgets.html_params against WTForms' own for every kind of value (quotes, HTML,
    Markup, True, False, None, numbers, class_, for_, data_ and aria_ names), twice, interleaved."""
    for _ in range(2):
        for params in PARAMS:
            ours = widgets.html_params(**params)
            theirs = widgets._wtforms_html_params(**params)
            assert ours == theirs and type(ours) is type(theirs), params
    assert widgets.html_params(value=1) != widgets.html_params(value=True)
    assert widgets.html_params(value=Markup("<b>")) != widgets.html_params(value="<b>")


def test_html_params_is_wtforms_everywhere_wtforms_takes_it(app):
    core = wtforms.widgets.core
    assert core.html_params is widgets.html_params and wtforms.widgets.html_params is widgets.html_params
    assert core.Input.__dict__["html_params"].__func__ is widgets.html_params
    assert core.Button.__dict__["html_params"].__func__ is widgets.html_params
    assert widgets._wtforms_html_params.__module__ == "wtforms.widgets.core"


@pytest.mark.parametrize("language", ["pl", "en"])
def test_every_field_renders_as_with_wtforms_own_html_params(csrf_app, monkeypatch, language):
    """Every field of every form (errors, descriptions, attributes as the pages pass them), and
    its label, through the kept html_params and through WTForms' own (put back for the second)."""
    calls = CALLS + ["f.label()", "f.label(class_='x', data_y='<z>')", "f()", "f(placeholder=lazy)"]

    app = csrf_app  # the hidden CSRF inputs too

    def every_rendering():
        out = []
        lazy = _l("Adres e-mail")
        for form_class in every_form_class().values():
            for errors in (False, True):
                form = spoil(form_class(formdata=None), description=errors, errors=errors)
                for f in form:
                    for call in calls:
                        out.append(app.jinja_env.from_string("{{ " + call + " }}").render(
                            f=f, hint=Markup("<i>h</i>"), url="/a?b=<c>", lazy=lazy))
                out.append(str(form.hidden_tag()) if hasattr(form, "hidden_tag") else "")
        return out

    with app.test_request_context("/"), force_locale(language):  # one session: one token
        kept = every_rendering()
        core = wtforms.widgets.core
        monkeypatch.setattr(core, "html_params", widgets._wtforms_html_params)
        monkeypatch.setattr(wtforms.widgets, "html_params", widgets._wtforms_html_params)
        monkeypatch.setattr(core.Input, "html_params", staticmethod(widgets._wtforms_html_params))
        monkeypatch.setattr(core.Button, "html_params", staticmethod(widgets._wtforms_html_params))
        assert every_rendering() == kept
    assert len(kept) > 1500 and sum('name="csrf_token" type="hidden"' in html for html in kept) > 20


def test_each_session_s_form_carries_its_own_token(csrf_app):
    """The hidden CSRF input (html_params kept per its arguments, the token among them): two
    browsers, each page with its own session's token, turn by turn."""
    first, second = csrf_app.test_client(), csrf_app.test_client()
    tokens = {}
    for _ in range(2):
        for client in (first, second):
            page = client.get("/logowanie").data.decode()
            token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
            assert f'id="csrf_token" name="csrf_token" type="hidden" value="{token}"' in page
            assert tokens.setdefault(id(client), token) == token
    assert tokens[id(first)] != tokens[id(second)]
