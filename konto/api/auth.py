"""Who is calling the program API: a Bearer access token (RFC 6750), checked on every call.

The token is only a key to its connection: the connection must still be live (not Rozłącz'd,
not ended by a password reset or a reused refresh token), its program still registered and
active, the token not expired or revoked, the account still there. Which companies the program
may use is read on every call too (the connection's companies through memberships that still
exist), so removing someone from a company takes that company out of the API on the next call.
Tokens are accepted in the Authorization header only, never in the URL (so never in a log).
"""

from dataclasses import dataclass

from flask import g
from flask import request

from konto import clock
from konto.client import client_ip
from konto.flows import programs as flow
from konto.flows import twostep as twostep_flow
from konto.models import Company
from konto.models import Membership
from konto.models import ProgramClient
from konto.models import ProgramConnection
from konto.models import ProgramConnectionCompany
from konto.models import ProgramToken
from konto.models import User
from konto.problems import Problem

REALM = 'Bearer realm="konto"'


@dataclass
class Access:
    token: ProgramToken
    connection: ProgramConnection
    client: ProgramClient
    user: User
    scopes: frozenset


def _refuse(detail=None):
    header = REALM if detail is None else f'{REALM}, error="invalid_token"'
    return Problem(401, "UNAUTHENTICATED", detail, headers={"WWW-Authenticate": header})


def bearer_token():
    """The token of the Authorization header, or None."""
    scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > 200:
        return None
    return token


def _find(token):
    """The token's row with its connection, program and account, if all are still live."""
    return (
        ProgramToken.select(ProgramToken, ProgramConnection, ProgramClient, User)
        .join(ProgramConnection)
        .join(ProgramClient)
        .switch(ProgramConnection)
        .join(User)
        .where(
            (ProgramToken.access_hash == flow.secret_hash(token))
            & ProgramToken.revoked_at.is_null()
            & (ProgramToken.access_expires_at > clock.now())
            & ProgramConnection.revoked_at.is_null()
            & ProgramClient.active
            & User.activated_at.is_null(False)
        )
        .first()
    )


def current_access(required=True):
    """This request's access (looked up once per request), or a 401 problem."""
    if "program_access" not in g:
        token = bearer_token()
        row = _find(token) if token else None
        g.program_access = None
        if row is not None:
            connection = row.connection
            scopes = frozenset(connection.scope.split())
            g.program_access = Access(row, connection, connection.client, connection.user, scopes)
        g.program_token_given = token is not None
    access = g.program_access
    if access is None and required:
        raise _refuse(None if not g.program_token_given else "Token jest nieznany, wygasł albo został unieważniony.")
    return access


def require(scope=None):
    """The caller, if its token carries the scope (any, for None); else 401 or 403. A person whom
    a company requires to have two-step sign-in, and who has not turned it on, opens nothing in
    the portal but the pages that turn it on: their programs get nothing either, until they do."""
    access = current_access()
    if access.user.two_step_at is None and twostep_flow.required(access.user):
        raise Problem(403, "TWO_STEP_REQUIRED")
    if scope is not None and scope not in access.scopes:
        raise Problem(
            403,
            "INSUFFICIENT_SCOPE",
            headers={"WWW-Authenticate": f'{REALM}, error="insufficient_scope", scope="{scope}"'},
            scope=scope,
        )
    flow.touch(access.connection, client_ip())
    return access


def memberships(access):
    """The companies this connection may use now, as the user's memberships (with the company)."""
    return list(
        Membership.select(Membership, Company)
        .join(ProgramConnectionCompany, on=(ProgramConnectionCompany.membership == Membership.id))
        .switch(Membership)
        .join(Company)
        .where((ProgramConnectionCompany.connection == access.connection.id) & (Membership.user == access.user.id))
        .order_by(Company.name, Company.id)
    )


MAX_ID = 2**31 - 1


def membership(access, company_id):
    """The user's membership of one company this connection may use, or a 404 problem."""
    if not 1 <= company_id <= MAX_ID:
        raise Problem(404, "COMPANY_NOT_FOUND")
    found = (
        Membership.select(Membership, Company)
        .join(ProgramConnectionCompany, on=(ProgramConnectionCompany.membership == Membership.id))
        .switch(Membership)
        .join(Company)
        .where(
            (ProgramConnectionCompany.connection == access.connection.id)
            & (Membership.user == access.user.id)
            & (Membership.company == company_id)
        )
        .first()
    )
    if found is None:
        raise Problem(404, "COMPANY_NOT_FOUND")
    return found


def limit_key():
    """The rate-limit key of an API call: its connection (all its tokens count together), or its
    address when it has no valid token."""
    access = current_access(required=False)
    if access is None:
        return "ip:" + client_ip()
    return f"program:{access.connection.id}"
