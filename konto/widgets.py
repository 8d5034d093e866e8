"""A page's building blocks, as template globals: field, checkbox, error_summary, heading, busy,
new_password_fields, company_fields (docs/frontend.md says how to use them).

They were Jinja macros in templates/_macros.html, imported `with context` by every page: that
import built a template module per render (hundreds of calls a page). Here they are Python,
writing what the macros wrote, byte for byte: the input through WTForms' own field call (its
html_params, its widgets; WTForms is pinned), every other value escaped as Jinja's autoescape
escapes it (markupsafe.escape: a lazy label or Markup as it is), translations through the
templates' own `_`. tests/test_widgets.py renders every field of every form through the old
macros (kept in tests/data/_macros.html) and these, with and without errors, hints and
attributes, in both languages.
"""

import wtforms.widgets
import wtforms.widgets.core
from jinja2 import pass_context
from markupsafe import Markup
from markupsafe import escape

from konto.i18n_cache import template_gettext


def N_(message):
    """Mark a message for translation (extracted with `-k N_`); translated where it is shown."""
    return message


PROBLEM = N_("Wystąpił problem")
FORM_EXPIRED = N_("Formularz wygasł. Wyślij go jeszcze raz.")


def _error_block(field_id, errors):
    """templates/_field_error.html: the field's error, tied to it by id (empty when none)."""
    messages = "".join(f"<p>{escape(error)}</p>" for error in errors)
    return (f'<div id="{escape(field_id)}-error" class="field-error" data-invalid="{"true" if errors else "false"}">'
            f"{messages}</div>")


def field(f, hint_html=None, **attributes):
    """A labelled field: hint and error tied to the input by aria-describedby. `hx_post=…` and
    the other hx_ attributes become hx-post=… (WTForms turns only data_/aria_ underscores into
    hyphens)."""
    field_id = f.id
    described = f"{field_id}-error {field_id}-hint" if f.description else f"{field_id}-error"
    attrs = {(key.replace("_", "-") if key.startswith("hx_") else key): value for key, value in attributes.items()}
    if f.errors:
        control = f(aria_describedby=described, aria_invalid="true", **attrs)
    else:
        control = f(aria_describedby=described, **attrs)
    hint = f'<p class="hint" id="{escape(field_id)}-hint">{escape(f.description)}</p>' if f.description else ""
    return Markup(
        f'<div class="field{" has-error" if f.errors else ""}">\n'
        f'  <label for="{escape(field_id)}">{escape(f.label.text)}</label>\n'
        f"  {hint}\n  \n  {escape(control)}\n  \n"
        f'  {escape(hint_html) if hint_html else ""}\n'
        f"  {_error_block(field_id, f.errors)}\n</div>\n"
    )


def checkbox(f, link=None, link_text=None, **attributes):
    """A checkbox with its label (a sentence) beside it, and an optional link to read first."""
    field_id = f.id
    described = f"{field_id}-hint {field_id}-error" if f.description else f"{field_id}-error"
    if f.errors:
        control = f(aria_describedby=described, aria_invalid="true", **attributes)
    else:
        control = f(aria_describedby=described, **attributes)
    hint = (f'<p class="hint checkbox-hint" id="{escape(field_id)}-hint">{escape(f.description)}</p>'
            if f.description else "")
    read = f'<a href="{escape(link)}" target="_blank" rel="noopener">{escape(link_text)}</a>' if link else ""
    return Markup(
        f'<div class="field checkbox{" has-error" if f.errors else ""}">\n'
        f"  \n  {escape(control)}\n  \n"
        f'  <label for="{escape(field_id)}">{escape(f.label.text)}</label>\n'
        f"  {hint}\n  {read}\n"
        f"  {_error_block(field_id, f.errors)}\n</div>\n"
    )


@pass_context
def error_summary(context, form):
    """The first thing on a page whose form failed (GOV.UK's error summary): focused on arrival
    (autofocus: with JavaScript and without), one item per field in the form's order, each the
    field's short name (form.short_names, else its label) and the message, linked to the field.
    Messages that belong to no field come first."""
    if not (form.errors or form.form_errors):
        return Markup("\n\n")
    short_names = getattr(form, "short_names", None) or {}
    eval_ctx = context.eval_ctx
    general = "".join(f"<li><p>{escape(message)}</p></li>" for message in form.form_errors)
    fields = "".join(
        f'\n    <li><a href="#{escape(f.id)}">{escape(short_names.get(f.name, f.label.text))}: '
        f"{escape(f.errors[0])}</a></li>\n    "
        for f in form if f.errors and f.name != "csrf_token"
    )
    csrf = getattr(form, "csrf_token", None)
    expired = (f"\n    <li><p>{escape(template_gettext(eval_ctx, FORM_EXPIRED))}</p></li>\n    "
               if csrf is not None and csrf.errors else "")
    return Markup(
        '\n<div class="error-summary" id="error-summary" role="alert" aria-labelledby="error-summary-title" '
        'tabindex="-1" autofocus>\n'
        f'  <h2 id="error-summary-title">{escape(template_gettext(eval_ctx, PROBLEM))}</h2>\n'
        f"  <ul>\n    {general}\n    {fields}\n    {expired}\n  </ul>\n</div>\n\n"
    )


@pass_context
def heading(context, text, focus=True):
    """The heading of a page; after an htmx swap focus moves to it (unless a summary takes it)."""
    autofocus = " autofocus" if focus and context.get("partial") else ""
    return Markup(f'<h1 tabindex="-1"{autofocus}>{escape(text)}</h1>')


def busy(text, id=None):
    """A spinner and a few words, shown while htmx waits for the request of the element whose
    hx-indicator names this id (or, without an id, of the form it is in)."""
    at = f' id="{escape(id)}"' if id else ""
    return Markup(f'<span{at} class="htmx-indicator busy-indicator" role="status">'
                  f'<span class="spinner" aria-hidden="true"></span>{escape(text)}</span>')


@pass_context
def new_password_fields(context, form, params="password"):
    """A new password with its strength hint (checked on the server as the user types) and its
    repeat. `params`: the other fields whose values count against the password (names, e-mail)."""
    hint = Markup(context.environment.get_template("auth/_password_hint.html").render(context.get_all()))
    url_for = context.environment.globals["url_for"]
    password = field(form.password, hint_html=hint, required=True,
                     hx_post=url_for("auth.check_password_field"), hx_trigger="input changed delay:400ms, change",
                     hx_params=params, hx_target="#password-strength", hx_swap="outerHTML",
                     hx_sync="closest form:abort")
    return Markup(f"\n\n{password}\n{field(form.password_repeat, required=True)}\n")


def company_fields(form):
    """A company's name and address typed by hand (ManualCompanyForm)."""
    fields = (field(form.name, required=True), field(form.street), field(form.building, required=True),
              field(form.unit), field(form.postal_code, required=True), field(form.city, required=True))
    return Markup("\n" + "".join(f"{html}\n" for html in fields))


# WTForms writes a control's attributes with html_params, one Markup.format per attribute (~20
# calls each: nearly half of the log-in page's). What it writes depends only on its arguments, so
# it is kept per them (names, values and the values' types) when every value is a plain one; any
# other value (a lazy translation) goes to WTForms' own every time. WTForms is pinned.
_wtforms_html_params = wtforms.widgets.core.html_params
_PLAIN = frozenset({str, Markup, bool, int, float, type(None)})
HTML_PARAMS_MEMO_SIZE = 4096
_html_params_memo = {}


def html_params(**kwargs):
    """wtforms.widgets.html_params, its result kept per its arguments."""
    types = tuple(map(type, kwargs.values()))
    if not _PLAIN.issuperset(types):
        return _wtforms_html_params(**kwargs)
    key = (tuple(kwargs.items()), types)
    html = _html_params_memo.get(key)
    if html is None:
        html = _wtforms_html_params(**kwargs)
        if len(_html_params_memo) >= HTML_PARAMS_MEMO_SIZE:
            _html_params_memo.clear()
        _html_params_memo[key] = html
    return html


def _keep_html_params():
    """Every place WTForms 3.3 (pinned) takes html_params from: its widgets module (Select,
    TextArea, ListWidget…), the Input and Button widgets' own attribute, and wtforms.widgets
    (Label)."""
    core = wtforms.widgets.core
    if core.Input.__dict__["html_params"].__func__ is not _wtforms_html_params:
        raise RuntimeError("WTForms' widgets no longer take html_params as konto.widgets expects")
    core.html_params = wtforms.widgets.html_params = html_params
    core.Input.html_params = core.Button.html_params = staticmethod(html_params)


def init_app(app):
    if wtforms.widgets.core.html_params is not html_params:
        _keep_html_params()
    app.jinja_env.globals.update(
        field=field, checkbox=checkbox, error_summary=error_summary, heading=heading, busy=busy,
        new_password_fields=new_password_fields, company_fields=company_fields,
    )
