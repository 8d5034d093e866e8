"""The OpenAPI 3.1 document of the program API, served at /api/v1/openapi.json.

Written here by hand, next to the routes it describes; tests/test_api_schema.py validates it
(openapi-spec-validator) and checks every route's real responses against it (schemathesis),
and fails when a route of the `api` blueprint is missing from it. Response schemas forbid
properties they do not list, so a response that grows or changes shape fails the test until
the document says so too.
"""

from flask import current_app

from konto.api import PREFIX
from konto.flows.programs import SCOPES
from konto.links import external_url
from konto.problems import PROBLEMS

ID = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
TIME = {"type": ["string", "null"], "format": "date-time"}
DAY = {"type": ["string", "null"], "format": "date"}


def _ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def _object(properties, required=None, extra=False):
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
        "additionalProperties": extra,
    }


def _problem_responses(*statuses):
    return {str(s): {"$ref": f"#/components/responses/Problem{s}"} for s in statuses} | {
        "default": {"$ref": "#/components/responses/ProblemDefault"}
    } if statuses else {}


def _json(schema_name, description):
    return {"description": description, "content": {"application/json": {"schema": _ref(schema_name)}}}


def _company_id():
    return {"name": "company_id", "in": "path", "required": True, "schema": ID}


def _registration_id():
    return {"name": "registration_id", "in": "path", "required": True, "schema": ID}


def _secured(scope=None):
    return [{"programToken": [scope] if scope else []}]


PROBLEM = _object(
    {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "code": {"type": "string", "enum": sorted(PROBLEMS)},
        "field": {"type": "string"},
        "scope": {"type": "string"},
    },
    required=["type", "title", "status", "detail", "code"],
    extra=True,
)

PRODUCT = _object({"code": {"type": "string"}, "name": {"type": "string"}})

SCHEMAS = {
    "Problem": PROBLEM,
    "Me": _object(
        {
            "user": _object({"email": {"type": "string"}, "first_name": {"type": "string"},
                             "last_name": {"type": "string"}}),
            "program": _object({"client_id": {"type": "string"}, "name": {"type": "string"}}),
            "machine_name": {"type": ["string", "null"]},
            "scopes": {"type": "array", "items": {"type": "string", "enum": list(SCOPES)}},
            "connected_at": TIME,
        }
    ),
    "Company": _object(
        {
            "id": ID,
            "name": {"type": "string"},
            "tax_id": {"type": "string", "description": "The canonical VAT number (PL + NIP for Poland)."},
            "nip": {"type": ["string", "null"]},
            "role": {"type": "string", "enum": ["admin", "member"]},
            "can_register_licences": {"type": "boolean"},
        }
    ),
    "Companies": _object({"companies": {"type": "array", "items": _ref("Company")}}),
    "Licence": _object(
        {
            "id": ID,
            "number_masked": {"type": "string", "description": "Only the last 4 characters are shown."},
            "product": PRODUCT,
            "edition": PRODUCT,
            "status": _object(
                {
                    "code": {"type": "string",
                             "enum": ["active", "expiring", "expired", "suspended", "revoked", "pending"]},
                    "label": {"type": "string"},
                }
            ),
            "valid_until": DAY,
            "abonament_until": DAY,
            "stations": {"type": "integer", "minimum": 0},
            "active_installations": {"type": "integer", "minimum": 0},
        }
    ),
    "Licences": _object({"licences": {"type": "array", "items": _ref("Licence")}}),
    "RegistrationRequest": _object(
        {
            "licence_number": {"type": "string", "minLength": 1, "maxLength": 200,
                               "description": "As printed, e.g. SPK7M-3Q9XT-4WH2J (dashes and case do not matter)."},
            "installation_id": {"type": "string", "minLength": 1, "maxLength": 64,
                                "pattern": "^[A-Za-z0-9._:{}\\-]{1,64}$",
                                "description": "The program's own id of this installation; the same id again returns "
                                               "the same registration."},
            "machine_name": {"type": "string", "minLength": 1, "maxLength": 100},
        }
    ),
    "Registration": _object(
        {
            "id": ID,
            "status": {"type": "string", "enum": ["pending", "active", "rejected", "released"]},
            "installation_id": {"type": "string"},
            "machine_name": {"type": "string"},
            "licence": _object({"id": ID, "number_masked": {"type": "string"}, "product": PRODUCT}),
            "requested_at": TIME,
            "decided_at": TIME,
            "reason": {"type": ["string", "null"], "description": "Why it was rejected (shown to the user)."},
            "released_at": TIME,
            "links": _object(
                {"self": {"type": "string"}, "licence_file": {"type": "string"}, "release": {"type": "string"}},
                required=["self"],
            ),
        }
    ),
    "LicenceFile": _object(
        {
            "format": {"type": "string", "const": "konto-licence/1"},
            "key_id": {"type": "string"},
            "payload": {"type": "string", "description": "base64url of the JSON payload (iss, licence, company, "
                                                         "installation, issued_at, expires_at)."},
            "signature": {"type": "string", "description": "Ed25519 over the ASCII bytes of `payload`, base64url."},
        }
    ),
    "PublicKey": _object(
        {
            "algorithm": {"type": "string", "const": "Ed25519"},
            "key_id": {"type": "string"},
            "public_key": {"type": "string", "description": "The raw 32-byte key, base64url."},
            "public_key_pem": {"type": "string"},
        }
    ),
}


def _paths():
    company, registration = _company_id(), _registration_id()
    return {
        "/me": {"get": {
            "operationId": "me", "summary": "Who the token acts for", "security": _secured(),
            "responses": {"200": _json("Me", "The account, program and machine of this connection."),
                          **_problem_responses(401, 403, 429)}}},
        "/companies": {"get": {
            "operationId": "listCompanies", "summary": "The companies the program may use, with the user's role",
            "security": _secured("companies:read"),
            "responses": {"200": _json("Companies", "The companies."), **_problem_responses(401, 403, 429)}}},
        "/companies/{company_id}/licences": {"get": {
            "operationId": "listLicences", "summary": "A company's licences with their state",
            "security": _secured("licences:read"), "parameters": [company],
            "responses": {"200": _json("Licences", "The licences."), **_problem_responses(401, 403, 404, 429)}}},
        "/companies/{company_id}/registrations": {"post": {
            "operationId": "registerLicence",
            "summary": "Register a licence on this machine (pending until the vendor accepts it)",
            "security": _secured("licences:register"), "parameters": [company],
            "requestBody": {"required": True,
                            "content": {"application/json": {"schema": _ref("RegistrationRequest")}}},
            "responses": {
                "201": {**_json("Registration", "A new registration, pending."),
                        "headers": {"Location": {"schema": {"type": "string"}}}},
                "200": _json("Registration", "The registration this installation id already has."),
                **_problem_responses(401, 403, 404, 409, 413, 422, 429)}}},
        "/companies/{company_id}/registrations/{registration_id}": {"get": {
            "operationId": "getRegistration", "summary": "A registration's state (poll it until decided)",
            "security": _secured("licences:register"), "parameters": [company, registration],
            "responses": {"200": _json("Registration", "The registration."),
                          **_problem_responses(401, 403, 404, 429)}}},
        "/companies/{company_id}/registrations/{registration_id}/licence-file": {"get": {
            "operationId": "getLicenceFile", "summary": "The signed licence file of an active registration",
            "security": _secured("licences:register"), "parameters": [company, registration],
            "responses": {"200": _json("LicenceFile", "Check it with the key from /licence-files/key."),
                          **_problem_responses(401, 403, 404, 409, 429)}}},
        "/companies/{company_id}/registrations/{registration_id}/release": {"post": {
            "operationId": "releaseInstallation", "summary": "Release the installation (frees its station)",
            "security": _secured("licences:register"), "parameters": [company, registration],
            "responses": {"200": _json("Registration", "The registration, released."),
                          **_problem_responses(401, 403, 404, 409, 413, 429)}}},
        "/licence-files/key": {"get": {
            "operationId": "getLicenceKey", "summary": "The public key that checks licence files", "security": [],
            "responses": {"200": _json("PublicKey", "The Ed25519 public key."), **_problem_responses(429)}}},
        "/openapi.json": {"get": {
            "operationId": "getOpenApi", "summary": "This document", "security": [],
            "responses": {"200": {"description": "OpenAPI 3.1",
                                  "content": {"application/json": {"schema": {"type": "object"}}}},
                          **_problem_responses(429)}}},
        "/problems": {"get": {
            "operationId": "getProblemTypes", "summary": "What each problem code means (human-readable)",
            "security": [],
            "responses": {"200": {"description": "A page", "content": {"text/html": {"schema": {"type": "string"}}}},
                          **_problem_responses(429)}}},
    }


def _responses():
    wording = {401: "Not authenticated", 403: "Not allowed", 404: "Not found", 409: "Conflict with the state",
               413: "Too large", 422: "Invalid body", 429: "Too many requests"}
    problem = {"application/problem+json": {"schema": _ref("Problem")}}
    responses = {f"Problem{s}": {"description": text, "content": problem} for s, text in wording.items()}
    responses["Problem429"]["headers"] = {"Retry-After": {"schema": {"type": "string"}}}
    responses["ProblemDefault"] = {"description": "Another error, as a problem", "content": problem}
    return responses


def document():
    """The document, with the server and the OAuth endpoints at this deployment's address."""
    scopes = {name: str(text) for name, text in SCOPES.items()}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Konto: API dla programów",
            "version": "1.0.0",
            "description": (
                "For the vendor's desktop programs. A program connects with the OAuth 2.0 device "
                f"authorization grant (RFC 8628): POST {external_url('oauth.device_authorization')} with client_id "
                f"(and optionally scope and machine_name), show the user the code and the link, poll "
                f"{external_url('oauth.token')}; refresh tokens rotate on every use. Scopes: "
                + "; ".join(f"{name}: {text}" for name, text in scopes.items())
                + ". Errors are RFC 9457 problem details with a machine-readable `code`."
            ),
        },
        "servers": [{"url": external_url("pages.index").rstrip("/") + PREFIX}],
        "paths": _paths(),
        "components": {
            "schemas": SCHEMAS,
            "responses": _responses(),
            "securitySchemes": {
                "programToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An access token from the device flow (metadata: "
                    + external_url("oauth.metadata")
                    + f"); it lives {current_app.config['PROGRAM_ACCESS_TOKEN_LIFETIME']} seconds.",
                }
            },
        },
    }
