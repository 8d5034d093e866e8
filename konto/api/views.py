"""The program API's routes: the account's companies, their licences, registering a licence on
a machine, its state, its signed licence file, releasing it; the public key; the documents.

Each route parses, checks access (konto/api/auth.py), calls the same flow the portal's pages
call (konto/flows/licences.py) and answers JSON; a flow's refusal becomes a problem with the
flow's code.
"""

from flask import jsonify
from flask import render_template
from flask import request
from flask import url_for

from konto import clock
from konto import licence_files
from konto import permissions
from konto.api import auth
from konto.api import bp
from konto.api import openapi
from konto.flows import Refused
from konto.flows import licences as licence_flow
from konto.licences import numbers
from konto.licences import status
from konto.links import external_url
from konto.models import Installation
from konto.models import Licence
from konto.problems import PROBLEMS
from konto.problems import Problem

FIELD_MAX = 200


def _iso(moment):
    return moment.replace(microsecond=0).isoformat() + "Z" if moment else None


def _day(day):
    return day.isoformat() if day else None


def _licence_json(licence, today, active=None):
    state = status.licence_state(licence, today)
    return {
        "id": licence.id,
        "number_masked": numbers.masked(licence.number),
        "product": {"code": licence.product.code, "name": licence.product.name},
        "edition": {"code": licence.edition.code, "name": licence.edition.name},
        "status": {"code": state.code, "label": state.label},
        "valid_until": _day(licence.valid_until),
        "abonament_until": _day(licence.abonament_until),
        "stations": licence_flow.stations_total(licence, today),
        "active_installations": licence_flow.active_installations(licence) if active is None else active,
    }


def _registration_json(company_id, row, licence):
    links = {"self": url_for("api.registration", company_id=company_id, registration_id=row.id)}
    if row.status == "active":
        links["licence_file"] = url_for("api.licence_file", company_id=company_id, registration_id=row.id)
        links["release"] = url_for("api.release", company_id=company_id, registration_id=row.id)
    return {
        "id": row.id,
        "status": row.status,
        "installation_id": row.installation_id,
        "machine_name": row.machine_name,
        "licence": {
            "id": licence.id,
            "number_masked": numbers.masked(licence.number),
            "product": {"code": licence.product.code, "name": licence.product.name},
        },
        "requested_at": _iso(row.requested_at),
        "decided_at": _iso(row.decided_at),
        "reason": row.reason,
        "released_at": _iso(row.released_at),
        "links": links,
    }


def _refused(refused):
    return Problem(refused.status, refused.code, refused.message)


def _json_body(*names):
    """The request's JSON object with these string fields (each required, ≤ 200 characters)."""
    body = request.get_json(silent=True) if request.is_json else None
    if not isinstance(body, dict):
        detail = "Treść zapytania musi być obiektem JSON (Content-Type: application/json)."
        raise Problem(422, "INVALID_REQUEST", detail)
    values = []
    for name in names:
        value = body.get(name)
        if not isinstance(value, str) or not value.strip() or len(value) > FIELD_MAX:
            raise Problem(
                422, "INVALID_REQUEST", f"Pole „{name}”: tekst, od 1 do {FIELD_MAX} znaków.", field=name
            )
        values.append(value)
    return values


def _registration(access, company_id, registration_id):
    member = auth.membership(access, company_id)
    if not 1 <= registration_id <= auth.MAX_ID:
        raise Problem(404, "REGISTRATION_NOT_FOUND")
    row = (
        Installation.select(Installation, Licence)
        .join(Licence)
        .where((Installation.id == registration_id) & (Licence.tax_id == member.company.tax_id))
        .first()
    )
    if row is None:
        raise Problem(404, "REGISTRATION_NOT_FOUND")
    return member, row


@bp.route("/me")
def me():
    """Who the token acts for: the account, the program, the machine, the scopes."""
    access = auth.require()
    return jsonify(
        user={"email": access.user.email, "first_name": access.user.first_name, "last_name": access.user.last_name},
        program={"client_id": access.client.client_id, "name": access.client.name},
        machine_name=access.connection.machine_name,
        scopes=sorted(access.scopes),
        connected_at=_iso(access.connection.created_at),
    )


@bp.route("/companies")
def companies():
    """The companies the program may use, with the user's role in each."""
    access = auth.require("companies:read")
    return jsonify(
        companies=[
            {
                "id": m.company.id,
                "name": m.company.name,
                "tax_id": m.company.tax_id,
                "nip": m.company.nip,
                "role": m.role,
                "can_register_licences": permissions.can(m, permissions.MANAGE),
            }
            for m in auth.memberships(access)
        ]
    )


@bp.route("/companies/<int:company_id>/licences")
def licences(company_id):
    """A company's licences, each with its state, stations and active installations."""
    access = auth.require("licences:read")
    member = auth.membership(access, company_id)
    today = clock.today()
    rows = Licence.select().where(Licence.tax_id == member.company.tax_id).order_by(Licence.id)
    return jsonify(licences=[_licence_json(licence, today) for licence in rows])


@bp.route("/companies/<int:company_id>/registrations", methods=["POST"])
def register(company_id):
    """Register a licence on this machine: a pending registration for the vendor's back office
    (or the one already pending or active for that installation id)."""
    access = auth.require("licences:register")
    member = auth.membership(access, company_id)
    number, installation_id, machine_name = _json_body("licence_number", "installation_id", "machine_name")
    try:
        row = licence_flow.request_registration(
            access.user, member.company, number, installation_id, machine_name, source=access.client.client_id
        )
    except Refused as refused:
        raise _refused(refused) from None
    response = jsonify(_registration_json(company_id, row, row.licence))
    if getattr(row, "created", False):
        response.status_code = 201
        response.headers["Location"] = url_for("api.registration", company_id=company_id, registration_id=row.id)
    return response


@bp.route("/companies/<int:company_id>/registrations/<int:registration_id>")
def registration(company_id, registration_id):
    """A registration's state: pending, active (accepted), rejected (with the reason) or released."""
    access = auth.require("licences:register")
    _member, row = _registration(access, company_id, registration_id)
    return jsonify(_registration_json(company_id, row, row.licence))


@bp.route("/companies/<int:company_id>/registrations/<int:registration_id>/licence-file")
def licence_file(company_id, registration_id):
    """The signed licence file of an active registration, for the program to keep and check offline."""
    access = auth.require("licences:register")
    member, row = _registration(access, company_id, registration_id)
    if row.status != "active":
        raise Problem(409, "REGISTRATION_NOT_ACTIVE")
    licence = row.licence
    today = clock.today()
    if not status.usable(licence, today):
        raise Problem(409, "LICENCE_NOT_USABLE", status=status.licence_state(licence, today).code)
    issuer = external_url("pages.index").rstrip("/")
    signed = licence_files.licence_file(
        issuer, licence, row, member.company.name, licence_flow.stations_total(licence, today)
    )
    return jsonify(signed)


@bp.route("/companies/<int:company_id>/registrations/<int:registration_id>/release", methods=["POST"])
def release(company_id, registration_id):
    """Release the installation: its station is free for another machine."""
    access = auth.require("licences:register")
    member, row = _registration(access, company_id, registration_id)
    try:
        licence_flow.release_installation(access.user, member.company, row.licence_id, row.id)
    except Refused as refused:
        raise _refused(refused) from None
    row = Installation.get_by_id(row.id)
    return jsonify(_registration_json(company_id, row, row.licence))


@bp.route("/licence-files/key")
def licence_key():
    """The public key that checks licence files (public: a program may carry it built in)."""
    response = jsonify(licence_files.public_key())
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.route("/openapi.json")
def openapi_document():
    """The OpenAPI 3.1 description of this API."""
    response = jsonify(openapi.document())
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.route("/problems")
def problem_types():
    """What each problem `code` means (the `type` of a problem links here)."""
    return render_template("api/problems.html", problems=PROBLEMS)
