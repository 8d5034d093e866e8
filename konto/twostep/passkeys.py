"""The WebAuthn challenge a passkey form asks for before the browser talks to the authenticator.

static/passkeys.js posts `cel` (what the passkey is for) and gets JSON: the options for
navigator.credentials.create()/get() and the challenge, which it puts in the form it then
submits. The challenge is kept on the server and dies when it is answered.
"""

import json

from flask import jsonify
from flask import request
from flask_babel import gettext as _
from flask_login import current_user

from konto import sessions
from konto.account.settings import recently_confirmed
from konto.flows import twostep as flow
from konto.twostep import bp


def _refused(message, status):
    return jsonify({"error": message}), status


@bp.route("/klucz-dostepu/opcje", methods=["POST"])
def passkey_options():
    """Options and a fresh challenge for adding a passkey, the second step, signing in or confirming."""
    purpose = request.form.get("cel", "")
    if purpose not in flow.PURPOSES:
        return _refused(_("Nieznany cel."), 400)
    user = None
    if purpose == flow.SECOND_STEP:
        pending = sessions.half_session()
        if pending is None:
            return _refused(_("Logowanie wygasło. Zaloguj się ponownie."), 401)
        user = pending.user
    elif purpose in (flow.REGISTER, flow.REAUTH):
        if not current_user.is_authenticated:
            return _refused(_("Zaloguj się ponownie."), 401)
        if purpose == flow.REGISTER and not recently_confirmed():
            return _refused(_("Potwierdź hasło jeszcze raz i spróbuj ponownie."), 401)
        user = current_user
    if purpose in (flow.SECOND_STEP, flow.REAUTH) and not flow.passkeys_of(user):
        return _refused(_("To konto nie ma kluczy dostępu."), 400)
    options, challenge = flow.passkey_options(purpose, user)
    return jsonify({"options": json.loads(options), "challenge": challenge})
