"""schemathesis against the OpenAPI document: generated requests to every operation, as an operator
(who reaches everything), find no 5xx and no answer that contradicts the document. Bounded so the
run stays within a minute or two per database."""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, negative_data_rejection,
                                               response_headers_conformance, response_schema_conformance,
                                               status_code_conformance)

from fs_plugins.models import database
from tests.api_world import api_client, build_world

APP, _ = api_client()
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", APP)
# Not positive_data_acceptance: a schema-valid body can still be refused by the application's rules
# (an unknown time zone, a user key without an extension) with 422, which is the right answer.
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance, negative_data_rejection]


@pytest.fixture(scope="module")
def world(module_db):
    return build_world()


@schema.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
def test_generated_requests_get_no_server_error_and_match_the_document(world, case):
    with database.atomic() as transaction:
        case.call_and_validate(headers=world.headers("operator"), checks=CHECKS)
        transaction.rollback()
