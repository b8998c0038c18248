"""Schemathesis over the live OpenAPI document: every operation, every role, generated input.

Valid input (positive) and input that breaks the schema (negative) alike: no generated
request may get a server error, and every answer must match what the document
says (status code, content type, body schema). Bounded: a few examples per operation and
role (`SHELTERBEDS_FUZZ_EXAMPLES`), on the real database (PostgreSQL in CI's second pass),
rolled back after the test. Hypothesis is derandomised so a red run is reproducible.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.support.factories import ADMIN, ANALYST, SOCIALJOUR, STAFF_SARA

EXAMPLES = int(os.environ.get("SHELTERBEDS_FUZZ_EXAMPLES", "12"))
ROLES = (SOCIALJOUR, STAFF_SARA, ANALYST, ADMIN)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _fuzz(operation, mode, role_headers) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case) -> None:
        for headers in role_headers:
            response = case.call(headers={**(case.headers or {}), **headers})
            case.validate_response(response, checks=CHECKS)

    run()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_server_errors_and_answers_match_the_document(app, demo, token_for, mode):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    role_headers = [token_for(email) for email in ROLES]
    failures, tested = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        tested += 1
        try:
            _fuzz(operation, mode, role_headers)
        except Unsatisfiable:
            # No parameters and no body: there is nothing to make invalid (negative mode).
            assert mode is GenerationMode.NEGATIVE, operation.label
        except Exception as exc:  # collect every operation's failure, not just the first
            failures.append(f"{operation.label}: {exc}")
    assert tested > 30  # every operation of the API
    assert not failures, "\n\n".join(failures)
