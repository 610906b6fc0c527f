"""Schemathesis over the OpenAPI schema: no generated request may produce a server error."""

from __future__ import annotations

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from sqlalchemy.orm import Session

from tests.factories.auth import bearer, make_user
from tests.factories.regions import make_tree
from yingji.core.auth.roles import Role


@pytest.fixture
def admin_headers(session: Session) -> dict[str, str]:
    """A city-level admin's bearer header, over a small region tree."""
    make_tree(session)
    _, token = make_user(session, role=Role.ADMIN, region_code="420500")
    session.commit()
    return bearer(token)


@pytest.fixture
def api_schema(app: FastAPI, admin_headers: dict[str, str]) -> schemathesis.BaseSchema:
    """The application's own OpenAPI schema, loaded in-process."""
    return schemathesis.openapi.from_asgi("/openapi.json", app)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@hypothesis_settings(
    max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True
)
def test_no_server_errors(case: schemathesis.Case, admin_headers: dict[str, str]) -> None:
    """Valid and invalid requests alike are answered without a 5xx."""
    case.call_and_validate(headers=admin_headers, checks=[not_a_server_error])
