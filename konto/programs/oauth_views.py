"""The authorization server's endpoints: what a program talks to before it has a token.

No cookie is read here and none is set: a program is not a browser and authenticates with its
client id and codes in the body, so CSRF protection does not apply and the blueprint is exempt
(nor is there any CORS: no browser page elsewhere is meant to call these).
Secrets travel only in POST bodies: a request carrying a query string is refused, so no device
code or token can ever reach a log line (the request log writes paths).
"""

from flask import current_app
from flask import g
from flask import jsonify
from flask import request

from konto import clock
from konto.db import write_transaction
from konto.flows import programs as flow
from konto.links import external_url
from konto.programs import oauth


def _server():
    """The app's authorization server (konto/programs/server.py), made on first use: Authlib is
    imported then, not at every worker's start (only programs talk to these endpoints)."""
    server = current_app.extensions.get("konto_oauth")
    if server is None:
        from konto.programs import server as oauth_server  # noqa: PLC0415 - start-up time, see the docstring

        app = current_app._get_current_object()
        server = app.extensions.setdefault("konto_oauth", oauth_server.create_server(app))
    return server


def _refuse_query_string():
    if request.query_string:
        response = jsonify(
            error="invalid_request", error_description="Parameters go in the POST body, never in the URL."
        )
        response.status_code = 400
        response.headers["Cache-Control"] = "no-store"
        return response
    return None


@oauth.route("/oauth/device", methods=["POST"])
def device_authorization():
    """RFC 8628 §3.1: a program asks for a device code and a user code."""
    refused = _refuse_query_string()
    if refused:
        return refused
    with write_transaction():
        return _server().create_endpoint_response("device_authorization")


def note_start():
    """When a token request arrived, before anything waits (the rate limits' counts, the write
    lock): tells a refresh race (two requests with one refresh token at once) from a replay
    (flows.programs.refresh_reused). The first thing the app does with a request."""
    if request.endpoint == "oauth.token":
        g.token_request_started = clock.now()


@oauth.route("/oauth/token", methods=["POST"])
def token():
    """RFC 6749 §3.2: the device-code grant (polling) and refresh_token (rotation)."""
    refused = _refuse_query_string()
    if refused:
        return refused
    with write_transaction():
        return _server().create_token_response()


@oauth.route("/oauth/revoke", methods=["POST"])
def revoke():
    """RFC 7009: a program revokes its token (a refresh token ends the whole connection)."""
    refused = _refuse_query_string()
    if refused:
        return refused
    with write_transaction():
        return _server().create_endpoint_response("revocation")


@oauth.route("/.well-known/oauth-authorization-server")
def metadata():
    """RFC 8414: where the endpoints are and what they support."""
    issuer = external_url("pages.index").rstrip("/")
    response = jsonify(
        issuer=issuer,
        device_authorization_endpoint=external_url("oauth.device_authorization"),
        token_endpoint=external_url("oauth.token"),
        revocation_endpoint=external_url("oauth.revoke"),
        revocation_endpoint_auth_methods_supported=["none"],
        grant_types_supported=list(flow.GRANT_TYPES),
        token_endpoint_auth_methods_supported=["none"],
        response_types_supported=[],
        scopes_supported=list(flow.SCOPES),
        service_documentation=external_url("api.openapi_document"),
        ui_locales_supported=["pl"],
        # Not RFC 8414 names, but where a program finds the rest:
        konto_api=external_url("api.openapi_document").rsplit("/", 1)[0],
        konto_licence_key=external_url("api.licence_key"),
    )
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response

