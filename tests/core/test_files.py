"""Attachment upload and download: type sniffing, size limit, who may read what."""

from __future__ import annotations

import struct
import zlib

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories.auth import bearer, make_user
from tests.factories.orgs import make_org
from tests.factories.regions import make_tree
from yingji.core import files
from yingji.core.auth import service as auth
from yingji.core.auth.roles import Role
from yingji.core.files_api import MAX_REQUEST


def png() -> bytes:
    """Return a valid 1×1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


def _users(session: Session) -> dict[str, str]:
    make_tree(session)
    ent = make_org(session, name="甲厂")
    other = make_org(session, name="乙厂")
    tokens = {
        "ent": make_user(
            session, role=Role.ENTERPRISE, region_code="420502", organisation_id=ent.id
        )[1],
        "other": make_user(
            session, role=Role.ENTERPRISE, region_code="420502", organisation_id=other.id
        )[1],
        "bureau": make_user(session, role=Role.INSPECTOR, region_code="420502")[1],
        "far": make_user(session, role=Role.INSPECTOR, region_code="420102")[1],
    }
    session.commit()
    tokens["ent_org"] = str(ent.id)
    return tokens


def _upload(client: TestClient, token: str, data: bytes, name: str = "a.png") -> object:
    return client.post(
        "/api/attachments", files={"file": (name, data, "image/png")}, headers=bearer(token)
    )


def test_upload_and_read_back(client: TestClient, session: Session) -> None:
    t = _users(session)
    response = _upload(client, t["ent"], png(), "现场.png")
    assert response.status_code == 201, response.text  # type: ignore[attr-defined]
    meta = response.json()  # type: ignore[attr-defined]
    assert meta["content_type"] == "image/png"
    assert meta["filename"] == "现场.png"
    assert set(meta) == {"id", "content_type", "size", "filename", "sha256"}
    got = client.get(f"/api/attachments/{meta['id']}", headers=bearer(t["ent"]))
    assert got.status_code == 200
    assert got.content == png()
    assert got.headers["content-type"] == "image/png"
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["content-disposition"].startswith("inline")


def test_renamed_executable_and_html_refused(client: TestClient, session: Session) -> None:
    t = _users(session)
    for data, name in ((b"MZ\x90\x00" + b"\x00" * 60, "photo.png"), (b"<html><script>", "x.jpg")):
        response = _upload(client, t["ent"], data, name)
        assert response.status_code == 422  # type: ignore[attr-defined]
        assert response.json()["field"] == "file"  # type: ignore[attr-defined]


def test_size_limit(client: TestClient, session: Session) -> None:
    t = _users(session)
    too_big = png() + b"\x00" * (files.MAX_BYTES + 1)
    response = _upload(client, t["ent"], too_big)
    assert response.status_code in (413, 422)  # type: ignore[attr-defined]
    declared = client.post(
        "/api/attachments",
        content=b"x",
        headers={
            **bearer(t["ent"]),
            "content-type": "multipart/form-data; boundary=x",
            "content-length": str(MAX_REQUEST + 1),
        },
    )
    assert declared.status_code in (413, 422)


def test_missing_field_and_not_multipart(client: TestClient, session: Session) -> None:
    t = _users(session)
    response = client.post(
        "/api/attachments", files={"other": ("a.png", png(), "image/png")}, headers=bearer(t["ent"])
    )
    assert response.status_code == 422
    assert client.post("/api/attachments", json={}, headers=bearer(t["ent"])).status_code == 422


def test_unlinked_file_readable_only_by_uploader(client: TestClient, session: Session) -> None:
    t = _users(session)
    meta = _upload(client, t["ent"], png()).json()  # type: ignore[attr-defined]
    for who in ("other", "bureau", "far"):
        got = client.get(f"/api/attachments/{meta['id']}", headers=bearer(t[who]))
        assert got.status_code == 403, who


def test_linked_file_follows_region_and_organisation(client: TestClient, session: Session) -> None:
    import uuid

    t = _users(session)
    meta = _upload(client, t["ent"], png()).json()  # type: ignore[attr-defined]
    uploader = auth.user_for_token(session, t["ent"])
    assert uploader is not None
    actor = auth.actor_for(session, uploader, request_id="t", source="tests")
    files.link(
        session,
        [uuid.UUID(meta["id"])],
        actor=actor,
        entity_type="inspection_finding",
        entity_id=uuid.uuid4(),
        region_path="/420000/420500/420502/",
        organisation_id=uuid.UUID(t["ent_org"]),
    )
    session.commit()
    url = f"/api/attachments/{meta['id']}"
    assert client.get(url, headers=bearer(t["bureau"])).status_code == 200
    assert client.get(url, headers=bearer(t["far"])).status_code == 403
    assert client.get(url, headers=bearer(t["other"])).status_code == 403


def test_anonymous_refused(client: TestClient, session: Session) -> None:
    assert client.post("/api/attachments", files={"file": ("a.png", png())}).status_code == 401
    assert client.get(f"/api/attachments/{'0' * 8}-0000-0000-0000-{'0' * 12}").status_code == 401
