"""Every API operation, enumerated from the OpenAPI schema, refuses the unauthenticated and CSRF.

A new endpoint that forgets its actor dependency, or a cookie-authenticated change that skips
the CSRF check, fails here without anyone having to remember to write its denial test.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories.auth import make_user, web_login
from tests.factories.regions import make_tree
from yingji.core.auth.csrf import SESSION_COOKIE
from yingji.core.auth.roles import Role
from yingji.core.config import Settings

# Operations anyone may call: logging in to get a token; the public's reports (举报), which
# tests/reports/test_api.py checks are protected by a signed form token and rate limits.
PUBLIC = {
    ("post", "/api/auth/token"),
    ("get", "/api/public/reports/form"),
    ("post", "/api/public/reports"),
    ("post", "/api/public/reports/track"),
    ("post", "/api/public/attachments"),
    # Warnings in force are public (突发事件应对法 第65条): list, Atom feed, CAP messages.
    ("get", "/api/public/warnings"),
    ("get", "/api/public/warnings/feed"),
    ("get", "/api/public/warnings/cap/{message_id}"),
}
# Operations a gateway calls with its own credential (Authorization: Bearer gw_…). They refuse
# anonymous callers like every other; a browser session never authenticates them.
GATEWAY = {("post", "/api/monitoring/readings")}
# Delivery providers' callbacks carry an HMAC of the body (warnings.channels.callbacks): refused
# unsigned whoever calls, a browser session included.
PROVIDER = {
    ("post", "/api/warnings/callbacks/sms/reports"),
    ("post", "/api/warnings/callbacks/sms/replies"),
    ("post", "/api/warnings/callbacks/voice/reports"),
    ("post", "/api/warnings/callbacks/voice/keys"),
}
# The 叫应 link's holder is authenticated by the signed single-use token in the path
# (warnings._tokens): a forged token finds nothing (404) and reveals nothing; cookies play no part.
LINK = {
    ("get", "/api/warnings/ack/{token}"),
    ("post", "/api/warnings/ack/{token}"),
    ("post", "/api/warnings/ack/{token}/evacuations"),
}
UNSAFE = {"post", "put", "patch", "delete"}
SAMPLE_ID = "00000000-0000-4000-8000-000000000000"


def _operations(app: FastAPI) -> list[tuple[str, str, dict[str, Any]]]:
    ops = []
    for path, item in app.openapi()["paths"].items():
        for method, spec in item.items():
            if path.startswith("/api/") and method in {"get", *UNSAFE}:
                ops.append((method, path, spec))
    return ops


def _concrete(path: str, spec: dict[str, Any]) -> str:
    """Fill path parameters with plausible values of their declared type."""
    kinds = {
        p["name"]: p.get("schema", {}).get("format")
        for p in spec.get("parameters", [])
        if p.get("in") == "path"
    }

    def value(match: re.Match[str]) -> str:
        return SAMPLE_ID if kinds.get(match.group(1)) == "uuid" else "420502"

    return re.sub(r"\{(\w+)\}", value, path)


def test_schema_lists_the_api(app: FastAPI) -> None:
    assert len(_operations(app)) > 30


def test_every_operation_needs_credentials(client: TestClient, app: FastAPI) -> None:
    refused: list[str] = []
    for method, path, spec in _operations(app):
        if (method, path) in PUBLIC:
            continue
        response = client.request(method.upper(), _concrete(path, spec), json={})
        if (method, path) in LINK:
            if response.status_code not in (404, 422):
                refused.append(f"{method.upper()} {path} (forged link) -> {response.status_code}")
            continue
        if response.status_code != 401:
            refused.append(f"{method.upper()} {path} -> {response.status_code}")
    assert refused == [], "operations reachable without credentials:\n" + "\n".join(refused)


@pytest.fixture
def cookie_client(client: TestClient, session: Session, settings: Settings) -> TestClient:
    """A client logged in through the browser path as a city admin (session cookie only)."""
    make_tree(session)
    user, _ = make_user(session, role=Role.ADMIN, region_code="420500")
    _, cookie = web_login(session, user, settings)
    session.commit()
    client.cookies.set(SESSION_COOKIE, cookie)
    return client


def test_every_cookie_authenticated_change_needs_the_csrf_token(
    cookie_client: TestClient, app: FastAPI
) -> None:
    assert cookie_client.get("/api/auth/me").status_code == 200  # the cookie works for reads
    missing: list[str] = []
    for method, path, spec in _operations(app):
        if method not in UNSAFE or (method, path) in PUBLIC | GATEWAY | PROVIDER | LINK:
            continue
        response = cookie_client.request(method.upper(), _concrete(path, spec), json={})
        if response.status_code != 403 or "CSRF" not in response.json().get("message", ""):
            missing.append(f"{method.upper()} {path} -> {response.status_code}")
    assert missing == [], "changes accepted without a CSRF token:\n" + "\n".join(missing)
    for method, path in GATEWAY | PROVIDER:
        response = cookie_client.request(method.upper(), path, json={})
        assert response.status_code == 401, f"{path} accepted a browser session"
