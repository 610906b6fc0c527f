"""Schemathesis over the OpenAPI schema: no generated request may produce a server error.

Schemathesis' pytest fixture loader does not work with pytest 9, so the operations are
enumerated here and each one is driven by Hypothesis with Schemathesis' own strategies.
"""

from __future__ import annotations

from collections import Counter

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from sqlalchemy.orm import Session

from tests.factories.auth import bearer, make_user
from tests.factories.regions import make_tree
from yingji.core.auth.roles import Role

EXAMPLES_PER_MODE = 20


@pytest.fixture
def admin_headers(session: Session) -> dict[str, str]:
    """A city-level admin's bearer header, over a small region tree."""
    make_tree(session)
    _, token = make_user(session, role=Role.ADMIN, region_code="420500")
    session.commit()
    return bearer(token)


def _fuzz(
    operation: schemathesis.APIOperation,
    mode: schemathesis.GenerationMode,
    headers: dict[str, str],
    statuses: Counter[int],
) -> list[str]:
    failures: list[str] = []

    @given(case=operation.as_strategy(generation_mode=mode))
    @hypothesis_settings(
        max_examples=EXAMPLES_PER_MODE,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def run(case: schemathesis.Case) -> None:
        response = case.call(headers=headers)
        statuses[response.status_code] += 1
        if response.status_code >= 500:
            failures.append(
                f"{operation.label} [{mode}] -> {response.status_code}: {case.as_curl_command()}"
            )

    try:
        run()
    except Unsatisfiable:
        # An operation without parameters or body has no invalid inputs to generate.
        if mode is not schemathesis.GenerationMode.NEGATIVE:
            raise
    return failures


def test_no_server_errors(app: FastAPI, admin_headers: dict[str, str]) -> None:
    """Valid and invalid requests to every operation are answered without a 5xx."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    operations = 0
    statuses: Counter[int] = Counter()
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode in schemathesis.GenerationMode:
            failures.extend(_fuzz(operation, mode, admin_headers, statuses))
    assert operations > 10, "the schema lost its operations"
    assert failures == [], "\n".join(failures[:20])
    # The admin's token must have worked: a run of only 401s would prove nothing.
    assert sum(n for code, n in statuses.items() if 200 <= code < 300) > 0, statuses
