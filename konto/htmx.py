"""Serving one URL both ways: a whole page, or the fragment htmx swaps in."""

from flask import make_response
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for


def is_htmx():
    """True for a request made by htmx (and not a history restore, which needs the page)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def render(template, status=200, push_url=None, **context):
    """Render a page template; for htmx only its content block (see base.html). A 422 (the
    form has errors) gets "Błąd:" at the start of the page's title."""
    partial = is_htmx()
    context.setdefault("page_error", status == 422)
    response = make_response(render_template(template, partial=partial, **context), status)
    if partial and push_url:
        response.headers["HX-Push-Url"] = push_url
    return response


def render_form(template, form, **context):
    """A page whose form was not (validly) submitted: 200 on a GET, 422 with its errors after a POST."""
    return render(template, form=form, status=422 if form.is_submitted() else 200, **context)


def redirect_to(endpoint, **values):
    """After a successful POST: 303 for a browser, HX-Redirect (full reload) for htmx."""
    return redirect_to_url(url_for(endpoint, **values))


def redirect_to_url(url):
    """redirect_to() for a URL already built (a checked ?next=)."""
    if is_htmx():
        response = make_response("", 200)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url, code=303)


def add_vary(response):
    """Caches must not serve a fragment for a page, or the other way round."""
    response.vary.add("HX-Request")
    return response
