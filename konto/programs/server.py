"""The OAuth 2.0 authorization server for desktop programs, on Authlib.

Endpoints (konto/programs/oauth_views.py): device authorization (RFC 8628 §3.1), token (the
device-code grant and refresh_token), revocation (RFC 7009), metadata (RFC 8414). Programs are
public clients (`token_endpoint_auth_method: none`): no secret, the client id only. The
storage is konto/flows/programs.py (peewee); Authlib does the protocol: parameters, client
authentication, grant dispatch, error responses.

What differs from Authlib's defaults, and why:
* no `verification_uri_complete`: the person types the code the program shows, so a link that
  carries a code (the usual phishing bait, RFC 8628 §5.4) is not a thing Konto ever makes;
* an unknown or used device code is `invalid_grant` (RFC 6749 §5.2), and a denied code stays
  `access_denied` while it lives; `slow_down` carries the raised interval (as GitHub does);
* refresh tokens rotate (INCLUDE_NEW_REFRESH_TOKEN) and a retired one coming back ends the
  family (flows.programs.refresh_reused);
* Authlib logs issued tokens at DEBUG: its logger is kept at WARNING.
"""

import secrets

from authlib.consts import default_json_headers
from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import AccessDeniedError
from authlib.oauth2.rfc6749 import ClientMixin
from authlib.oauth2.rfc6749 import InvalidGrantError
from authlib.oauth2.rfc6749 import InvalidRequestError
from authlib.oauth2.rfc6749 import InvalidScopeError
from authlib.oauth2.rfc6749 import TokenMixin
from authlib.oauth2.rfc6749 import UnauthorizedClientError
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc8628 import AuthorizationPendingError
from authlib.oauth2.rfc8628 import DeviceAuthorizationEndpoint
from authlib.oauth2.rfc8628 import DeviceCodeGrant
from authlib.oauth2.rfc8628 import ExpiredTokenError
from authlib.oauth2.rfc8628 import SlowDownError
from flask import current_app
from flask import g

from konto import clock
from konto.client import client_agent
from konto.client import client_ip
from konto.flows import programs as flow
from konto.links import external_url
from konto.models import User

ACCESS_PREFIX = "kpa_"  # prefixes make a leaked token recognisable (secret scanners, logs)
REFRESH_PREFIX = "kpr_"


class Client(ClientMixin):
    """A ProgramClient row as Authlib sees it: a public client of the device flow."""

    def __init__(self, row):
        self.row = row

    def get_client_id(self):
        return self.row.client_id

    def get_default_redirect_uri(self):
        return None

    def get_allowed_scope(self, scope):
        allowed = self.row.scope.split()
        if not scope:
            return " ".join(allowed)
        return " ".join(s for s in allowed if s in scope.split())

    def check_redirect_uri(self, redirect_uri):
        return False

    def check_client_secret(self, client_secret):
        return False

    def check_endpoint_auth_method(self, method, endpoint):
        return method == "none"

    def check_response_type(self, response_type):
        return False

    def check_grant_type(self, grant_type):
        return grant_type in flow.GRANT_TYPES


def query_client(client_id):
    row = flow.client_by_id(client_id)
    return Client(row) if row is not None else None


class Credential:
    """A DeviceAuthorization row as Authlib's grant sees it."""

    def __init__(self, row):
        self.row = row
        self.client_id = row.client.client_id

    def get_client_id(self):
        return self.client_id

    def get_scope(self):
        return self.row.scope

    def get_user_code(self):
        return None  # never needed: the row itself says what the person decided

    def is_expired(self):
        return self.row.expires_at <= clock.now()


class Token(TokenMixin):
    """A ProgramToken row, for the refresh grant and revocation."""

    def __init__(self, row):
        self.row = row

    def check_client(self, client):
        connection = flow.live_connection(self.row.connection_id)
        return connection is not None and connection.client.client_id == client.get_client_id()

    def get_scope(self):
        connection = flow.live_connection(self.row.connection_id)
        return connection.scope if connection else ""

    def get_expires_in(self):
        return current_app.config["PROGRAM_ACCESS_TOKEN_LIFETIME"]

    def is_expired(self):
        return self.row.access_expires_at <= clock.now()

    def is_revoked(self):
        return self.row.revoked_at is not None

    def get_user(self):
        connection = flow.live_connection(self.row.connection_id)
        return User.get_or_none(User.id == connection.user_id) if connection else None

    def get_client(self):
        connection = flow.live_connection(self.row.connection_id)
        return Client(connection.client) if connection else None


class SlowDown(SlowDownError):
    """slow_down with the interval the program must now keep."""

    def __init__(self, interval):
        super().__init__()
        self.interval = interval

    def get_body(self):
        return [*super().get_body(), ("interval", self.interval)]


class DeviceAuthorization(DeviceAuthorizationEndpoint):
    CLIENT_AUTH_METHODS = ["none"]

    def get_verification_uri(self):
        return external_url("programs.code")

    def create_endpoint_response(self, request):
        self.authenticate_client(request)
        self.server.validate_requested_scope(request.payload.scope)
        client = request.client
        scope = client.get_allowed_scope(request.payload.scope)
        if not scope:
            raise InvalidScopeError()
        machine_name = request.payload.data.get("machine_name")
        device_code, user_code, row = flow.start(client.row, scope, machine_name, client_ip(), client_agent())
        data = {
            "device_code": device_code,
            "user_code": flow.display_code(user_code),
            "verification_uri": self.get_verification_uri(),
            "expires_in": current_app.config["PROGRAM_CODE_LIFETIME"],
            "interval": row.interval,
        }
        return 200, data, default_json_headers


class DeviceCode(DeviceCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["none"]

    def validate_token_request(self):
        device_code = self.request.payload.data.get("device_code")
        if not device_code:
            raise InvalidRequestError("Missing 'device_code' in payload")
        client = self.authenticate_token_endpoint_client()
        if not client.check_grant_type(self.GRANT_TYPE):
            raise UnauthorizedClientError()
        row = flow.authorization_by_device_code(device_code)
        if row is None or row.client.client_id != client.get_client_id():
            raise InvalidGrantError("Unknown 'device_code'")
        credential = Credential(row)
        self.request.user = self.validate_device_credential(credential)
        self.request.client = client
        self.request.credential = credential

    def validate_device_credential(self, credential):
        """RFC 8628 §3.5, in the order a program needs to hear it."""
        row = credential.row
        if row.status == "consumed":
            raise InvalidGrantError("The 'device_code' was already used")
        if credential.is_expired():
            raise ExpiredTokenError()
        if row.status == "denied":
            raise AccessDeniedError()
        if row.status == "approved":
            user = User.get_or_none(User.id == row.user_id)
            if user is None:
                raise AccessDeniedError()
            return user
        if flow.note_poll(row, clock.now()):
            raise SlowDown(row.interval)
        raise AuthorizationPendingError()


class RefreshToken(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["none"]
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token):
        row = flow.token_by_refresh(refresh_token)
        if row is None or row.refresh_expires_at <= clock.now():
            return None
        if row.refresh_used_at is not None:
            flow.refresh_reused(row, g.token_request_started)
            return None
        if flow.live_connection(row.connection_id) is None:
            return None
        return Token(row)

    def authenticate_user(self, refresh_token):
        return refresh_token.get_user()

    def revoke_old_credential(self, refresh_token):
        flow.retire_refresh(refresh_token.row)


class Revocation(RevocationEndpoint):
    CLIENT_AUTH_METHODS = ["none"]

    def query_token(self, token_string, token_type_hint):
        access = flow.token_by_access(token_string) if token_type_hint != "refresh_token" else None
        if access is not None:
            return Token(access), True
        refresh = flow.token_by_refresh(token_string)
        if refresh is None and token_type_hint == "refresh_token":
            access = flow.token_by_access(token_string)
            return (Token(access), True) if access else None
        return (Token(refresh), False) if refresh else None

    def authenticate_token(self, request, client):
        self.check_params(request, client)
        found = self.query_token(request.form["token"], request.form.get("token_type_hint"))
        if found is None:
            return None  # RFC 7009 §2.2: an unknown token is answered 200 all the same
        token, is_access = found
        if not token.check_client(client):
            return None  # another program's (or an ended connection's) token: nothing to do
        return token, is_access

    def revoke_token(self, found, request):
        token, is_access = found
        flow.revoke_by_program(token.row, access_only=is_access)


def generate_token(grant_type, client, user=None, scope=None, expires_in=None, include_refresh_token=True):
    """A Bearer pair: random, prefixed, shown to the program once and stored as hashes."""
    return {
        "token_type": "Bearer",
        "access_token": ACCESS_PREFIX + secrets.token_urlsafe(32),
        "refresh_token": REFRESH_PREFIX + secrets.token_urlsafe(32),
        "expires_in": current_app.config["PROGRAM_ACCESS_TOKEN_LIFETIME"],
        "scope": scope,
    }


def save_token(token, request):
    """The new pair is kept (as hashes) on its connection: a new connection for a device code,
    the same one for a refresh."""
    if request.payload.grant_type == flow.DEVICE_CODE_GRANT:
        connection = flow.connect(request.credential.row)
        if connection is None:
            raise InvalidGrantError("The 'device_code' was already used")
    else:
        connection = flow.live_connection(request.refresh_token.row.connection_id)
    flow.store_tokens(connection, token["access_token"], token["refresh_token"])


def create_server(app):
    """The authorization server of this app, with the grants and endpoints above."""
    server = AuthorizationServer(query_client=query_client, save_token=save_token)
    server.init_app(app)
    server.register_token_generator("default", generate_token)
    server.scopes_supported = list(flow.SCOPES)
    server.register_grant(DeviceCode)
    server.register_grant(RefreshToken)
    server.register_endpoint(DeviceAuthorization)
    server.register_endpoint(Revocation)
    return server
