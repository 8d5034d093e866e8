"""The OpenAPI document: valid OpenAPI 3.1, covering every route of the API, and true — every
route's real responses, for requests schemathesis generates from the document (valid ones and
broken ones, with real and random ids), match what it says, and none is a 5xx."""

import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis.errors import Unsatisfiable
from openapi_spec_validator import validate
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance
from schemathesis.specs.openapi.checks import response_headers_conformance
from schemathesis.specs.openapi.checks import response_schema_conformance
from schemathesis.specs.openapi.checks import status_code_conformance

from konto import clock
from konto import create_app
from konto.api import PREFIX
from konto.db import database
from konto.limits import API_ENDPOINTS
from tests.helpers import make_config
from tests.licence_helpers import issue
from tests.licence_helpers import make_staff
from tests.program_helpers import admin_with_company
from tests.program_helpers import company_id
from tests.program_helpers import connected

pytestmark = pytest.mark.slow  # hypothesis over every operation

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]


def _routes(app):
    found = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            path = rule.rule[len(PREFIX):].replace("<int:", "{").replace(">", "}")
            found[path] = sorted(m.lower() for m in rule.methods - {"HEAD", "OPTIONS"})
    return found


def test_the_document_is_valid_openapi_3_1_and_describes_every_route(app):
    document = app.test_client().get("/api/v1/openapi.json").json
    validate(document)  # the OpenAPI 3.1 schema (openapi-spec-validator)
    assert document["openapi"] == "3.1.0"
    assert {path: sorted(operations) for path, operations in document["paths"].items()} == _routes(app)
    assert document["servers"] == [{"url": "http://konto.test/api/v1"}]
    # Every route that takes a token is limited per connection (konto/limits.py).
    secured = {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint.startswith("api.")}
    assert secured - {"api.licence_key", "api.openapi_document", "api.problem_types"} == set(API_ENDPOINTS)


@pytest.fixture
def api_world(tmp_path):
    """A company with a licence and a pending and an active registration, a connected program;
    the rate limits off (they would only answer 429, which the document allows)."""
    app = create_app(make_config(tmp_path, RATELIMIT_ENABLED=False))
    anna = admin_with_company(app)
    make_staff(app)
    issue(app, stations=3, number="SPDEM-HAQJQ-D6E20", abonament_until=clock.today())
    program = connected(app, anna)
    company = company_id()
    body = {"licence_number": "SPDEM-HAQJQ-D6E20", "machine_name": "PC"}
    pending = program.post(f"/companies/{company}/registrations", json={**body, "installation_id": "a"}).json["id"]
    yield {"app": app, "program": program, "ids": {"company_id": company, "registration_id": pending}}
    database.close()


EXAMPLES = 12  # per operation and generation mode


def test_every_route_answers_as_the_document_says(api_world):
    app, program = api_world["app"], api_world["program"]
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers = {"Authorization": "Bearer " + program.tokens["access_token"]}

    def check(case):
        # As generated (random ids, any body), with the token and without; then with the ids of
        # this connection's real objects, so the answers that are not errors are checked too.
        for sent in (headers, None):
            case.validate_response(case.call(headers=sent), checks=CHECKS)
        if case.path_parameters:
            case.path_parameters = {**case.path_parameters, **{
                name: api_world["ids"][name] for name in case.path_parameters}}
            case.validate_response(case.call(headers=headers), checks=CHECKS)

    operations = [result.ok() for result in schema.get_all_operations()]
    documented = {f"{m.upper()} {path}" for path, methods in _routes(app).items() for m in methods}
    # Every operation but the document itself (schemathesis leaves the schema's own URL out).
    assert {o.label for o in operations} == documented - {"GET /openapi.json"}
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            run = settings(max_examples=EXAMPLES, deadline=None, database=None,
                           suppress_health_check=list(HealthCheck))(given(case=operation.as_strategy(mode))(check))
            try:
                run()
            except Unsatisfiable:
                assert mode == GenerationMode.NEGATIVE  # nothing to break in an operation without input
