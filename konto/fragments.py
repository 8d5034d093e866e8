"""Parts of the layout rendered once and then reused: `{% call fragment("name", *key) %}…{% endcall %}`.

The layout's head (its static files' links), the top bar and the footer's links are the same
from one request to the next for a given user, company and language, yet every page rendered
them anew (a dozen url_for and _() calls, three includes). A fragment is kept under a key made
of its name, every value the template passes (what the fragment shows that can differ: the
user's id and name, the chosen company's id and name, the session's CSRF token), the language
of the request and its URL adapter (host, SCRIPT_NAME, scheme: the fragment's links). A change of
any of them is another key, so a fragment can never show what another session, company or
language had: nothing has to be dropped when something changes (a name, a company switch, a
membership, a language switch, a log-out), and an entry nobody asks for any more is forgotten
when the memo is full. Whatever a fragment shows must be in its key: tests/test_fragments.py
walks the changes with two users.
"""

from flask.globals import _cv_request
from flask_babel import get_locale
from jinja2 import pass_context
from markupsafe import Markup

# Fragments kept per worker (a top bar is ~1.5 kB: ~3 MB at most); past it, it starts again.
MEMO_SIZE = 2048


def fragment_function():
    """The `fragment` template global of one app (each app its own memo)."""
    memo = {}

    @pass_context
    def fragment(context, name, *key, caller):
        request_context = _cv_request.get(None)
        if request_context is None:  # outside a request (an e-mail): rendered as it is
            return Markup(caller())
        adapter = request_context.url_adapter
        full_key = (name, str(get_locale()), adapter.server_name, adapter.script_name, adapter.subdomain,
                    adapter.url_scheme, *key)
        html = memo.get(full_key)
        if html is None:
            html = Markup(caller())
            if len(memo) >= MEMO_SIZE:
                memo.clear()
            memo[full_key] = html
        return html

    return fragment


def init_app(app):
    app.jinja_env.globals["fragment"] = fragment_function()
