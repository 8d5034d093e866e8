"""The app's URL rules: Werkzeug's, with each rule's URL builder compiled when it first builds a URL.

Werkzeug compiles two Python functions per rule as the rule is added (`Rule.compile` ->
`Rule._compile_builder`: an AST, then `compile()`), one to build a URL with the rule's own
arguments and one that also appends unknown ones as a query string. For the app's ~120 rules
that was ~25 ms of every start, ~60 % of `create_app`; a worker builds URLs for a few dozen of
them. Here `_compile_builder` hands back a stand-in that compiles Werkzeug's own builder at its
first call, puts it in its place on the rule (later calls go straight to it) and calls it:
every URL is built by Werkzeug's code, as before, only compiled later.

`_compile_builder` is Werkzeug's internal method: Werkzeug is pinned (requirements.txt), and
tests/test_cold_start.py fails loudly when a Werkzeug upgrade stops going through it or builds
any URL differently (every rule of the app against plain Werkzeug rules).
"""

from werkzeug.routing import Rule as WerkzeugRule


class Rule(WerkzeugRule):
    """A Werkzeug rule whose URL builders are compiled at their first use (the app's url_rule_class)."""

    def _compile_builder(self, append_unknown=True):
        compile_builder = super()._compile_builder
        name = "_build_unknown" if append_unknown else "_build"

        def build_at_first_use(rule, **values):
            builder = compile_builder(append_unknown).__get__(rule, None)
            setattr(rule, name, builder)
            return builder(**values)

        return build_at_first_use
