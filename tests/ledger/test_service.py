"""The ledger services: templates, all-or-nothing imports with located errors, exports."""

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import load_workbook  # type: ignore[import-untyped]
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from tests.conftest import _wipe
from tests.factories.orgs import credit_code, make_org
from tests.factories.regions import make_tree
from tests.ledger.helpers import (
    ENTERPRISE_HEADER,
    HAZARD_HEADER,
    RISK_HEADER,
    actor_of,
    enterprise_count,
    hazard_count,
    risk_point_count,
    rows_of,
    xlsx,
)
from yingji.core.audit import AuditEntry
from yingji.core.auth.actor import system_actor
from yingji.core.auth.roles import Role
from yingji.core.db import make_session_factory
from yingji.core.errors import Forbidden, InvalidInput
from yingji.core.events import OutboxEvent
from yingji.hazards import service as hazards
from yingji.hazards.schemas import HazardCreate, HazardFilter
from yingji.hazards.states import HazardSource
from yingji.ledger import _kinds, _xlsx, service
from yingji.ledger.schemas import LedgerKind
from yingji.orgs import service as orgs
from yingji.orgs.schemas import OrgKind
from yingji.risks import service as risks
from yingji.risks.schemas import AssessmentMethod, ControlLevel, RiskPointCreate, RiskPointKind

ADMIN = Role.ADMIN


@pytest.mark.parametrize("kind", list(LedgerKind))
def test_template_has_headers_example_validation_and_notes(kind: LedgerKind) -> None:
    book = load_workbook(io.BytesIO(service.template(kind)))
    assert book.sheetnames == ["台账", "示例", "说明"]
    ledger = service.ledger_of(kind)
    header = [c.value for c in book["台账"][1]]
    assert header == [_xlsx.header_label(c) for c in ledger.import_columns]
    assert book["台账"].max_row == 1  # the example is on its own sheet, never imported
    assert [c.value for c in book["示例"][1]] == header
    notes = "\n".join(str(c.value) for row in book["说明"].iter_rows() for c in row if c.value)
    for column in ledger.import_columns:
        assert column.key in notes and column.header in notes
    if kind is not LedgerKind.ENTERPRISES:
        lists = [dv.formula1 for dv in book["台账"].data_validations.dataValidation]
        assert lists, "enumerations get a drop-down list"
    if kind is LedgerKind.HAZARDS:
        assert "已销号的历史隐患" in notes
        assert "群众举报" not in lists[0]


def test_the_template_example_imports(session: Session) -> None:
    make_tree(session)
    actor = actor_of(session, ADMIN, "420000")
    book = load_workbook(io.BytesIO(service.template(LedgerKind.ENTERPRISES)))
    example = [[c.value for c in row] for row in book["示例"].iter_rows(max_row=2)]
    result = service.import_ledger(
        session, actor=actor, kind=LedgerKind.ENTERPRISES, content=xlsx(*example), dry_run=True
    )
    assert result.errors == [] and result.imported == 1
    assert enterprise_count(session) == 0  # a dry run leaves nothing


def test_enterprises_import_and_audit(session: Session) -> None:
    make_tree(session)
    actor = actor_of(session, Role.SPECIALIST, "420500")
    codes = [credit_code(), credit_code(division="420503")]
    content = xlsx(
        ENTERPRISE_HEADER,
        ["甲化工", codes[0], "420502", "C2614", "西陵路 1 号"],
        ["乙化工", codes[1], 420503, "c2614", None],  # a code typed as a number, lower case
    )
    result = service.import_ledger(
        session, actor=actor, kind=LedgerKind.ENTERPRISES, content=content
    )
    assert result.errors == [] and result.imported == 2 and result.rows == 2
    rows, _ = orgs.list_organisations(session, actor=actor, kind=OrgKind.ENTERPRISE)
    assert {(o.name, o.region_code, o.industry_code) for o in rows} == {
        ("甲化工", "420502", "C2614"),
        ("乙化工", "420503", "C2614"),
    }
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "ledger.imported"))
    assert entry is not None and entry.after is not None
    assert entry.after["imported"] == 2 and entry.after["sha256"] == result.sha256
    assert entry.region_path == actor.region_path


def test_three_bad_rows_are_all_reported_and_nothing_is_imported(session: Session) -> None:
    make_tree(session)
    actor = actor_of(session, ADMIN, "420000")
    content = xlsx(
        ENTERPRISE_HEADER,
        ["好的", credit_code(), "420502", "C2614"],
        ["", credit_code(), "420502", "C2614"],  # row 3: no name
        ["坏代码", "123", "420502", "C2614"],  # row 4: bad credit code
        ["好的二", credit_code(), "420502", "C2614"],
        ["坏区划", credit_code(), "999999", "C2614"],  # row 6: unknown region (service)
    )
    before = enterprise_count(session)
    result = service.import_ledger(
        session, actor=actor, kind=LedgerKind.ENTERPRISES, content=content
    )
    located = sorted((e.row, e.column, e.field) for e in result.errors)
    assert located == [(3, "A", "name"), (4, "B", "credit_code"), (6, "C", "region_code")]
    assert result.imported == 0
    assert enterprise_count(session) == before
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "ledger.imported")) is None


def test_duplicate_credit_codes_in_the_file_and_in_the_register(session: Session) -> None:
    make_tree(session)
    actor = actor_of(session, ADMIN, "420000")
    taken = make_org(session, region_code="420502").credit_code
    twice = credit_code()
    content = xlsx(
        ENTERPRISE_HEADER,
        ["一", twice, "420502", "C2614"],
        ["二", twice, "420502", "C2614"],
        ["三", taken, "420502", "C2614"],
    )
    result = service.import_ledger(
        session, actor=actor, kind=LedgerKind.ENTERPRISES, content=content
    )
    assert [(e.row, e.column) for e in result.errors] == [(3, "B"), (4, "B")]
    assert "row 2" in result.errors[0].message
    assert "already registered" in result.errors[1].message
    assert enterprise_count(session) == 1


def test_a_wrong_header_is_refused(session: Session) -> None:
    make_tree(session)
    actor = actor_of(session, ADMIN, "420000")
    content = xlsx(["单位名称", "信用代码", "行政区划代码"], ["一", credit_code(), "420502"])
    result = service.import_ledger(
        session, actor=actor, kind=LedgerKind.ENTERPRISES, content=content
    )
    messages = {(e.row, e.column, e.message) for e in result.errors}
    assert (1, "B", "unknown column header '信用代码'") in messages
    assert any("国民经济行业代码" in m for _, _, m in messages)
    assert result.imported == 0


def test_headers_may_be_english_keys_in_any_order(session: Session) -> None:
    make_tree(session)
    actor = actor_of(session, ADMIN, "420000")
    content = xlsx(
        ["industry_code", "credit_code", "name", "region_code"],
        ["C2614", credit_code(), "甲", "420502"],
    )
    result = service.import_ledger(
        session, actor=actor, kind=LedgerKind.ENTERPRISES, content=content
    )
    assert result.errors == [] and result.imported == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"name,credit_code\n", "not an .xlsx"),
        (b"PK\x03\x04 broken zip", "not an .xlsx"),
        (b"x" * (_xlsx.MAX_BYTES + 1), "larger than"),
    ],
)
def test_files_that_are_not_xlsx_are_refused(
    session: Session, content: bytes, message: str
) -> None:
    make_tree(session)
    actor = actor_of(session, ADMIN, "420000")
    result = service.import_ledger(
        session, actor=actor, kind=LedgerKind.ENTERPRISES, content=content
    )
    assert len(result.errors) == 1 and message in result.errors[0].message
    assert result.errors[0].row is None and result.imported == 0


def test_a_zip_that_is_not_a_workbook_is_refused(session: Session) -> None:
    make_tree(session)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "hello")
    result = service.import_ledger(
        session,
        actor=actor_of(session, ADMIN, "420000"),
        kind=LedgerKind.ENTERPRISES,
        content=out.getvalue(),
    )
    assert "not an .xlsx" in result.errors[0].message


def test_too_many_rows_are_refused(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    make_tree(session)
    monkeypatch.setattr(_xlsx, "MAX_ROWS", 3)
    rows = [["甲", credit_code(), "420502", "C2614"] for _ in range(4)]
    result = service.import_ledger(
        session,
        actor=actor_of(session, ADMIN, "420000"),
        kind=LedgerKind.ENTERPRISES,
        content=xlsx(ENTERPRISE_HEADER, *rows),
    )
    assert len(result.errors) == 1 and "more than 3 data rows" in result.errors[0].message
    assert result.errors[0].row == 5 and enterprise_count(session) == 0


def test_an_enterprise_user_may_not_import_enterprises(session: Session) -> None:
    make_tree(session)
    own = make_org(session, region_code="420502")
    actor = actor_of(session, Role.ENTERPRISE, "420502", own.id)
    with pytest.raises(Forbidden):
        service.import_ledger(
            session,
            actor=actor,
            kind=LedgerKind.ENTERPRISES,
            content=xlsx(ENTERPRISE_HEADER, ["甲", credit_code(), "420502", "C2614"]),
        )


def test_a_bureau_user_may_not_import_outside_the_region(session: Session) -> None:
    make_tree(session)
    actor = actor_of(session, Role.SPECIALIST, "420502")
    content = xlsx(
        ENTERPRISE_HEADER,
        ["本区", credit_code(), "420502", "C2614"],
        ["外区", credit_code(division="420503"), "420503", "C2614"],
    )
    result = service.import_ledger(
        session, actor=actor, kind=LedgerKind.ENTERPRISES, content=content
    )
    assert [(e.row, e.column) for e in result.errors] == [(3, "C")]
    assert "outside your region" in result.errors[0].message
    assert enterprise_count(session) == 0


def test_hazards_import_reported_and_enterprise_users_only_for_their_own(
    session: Session,
) -> None:
    make_tree(session)
    own = make_org(session, region_code="420502")
    other = make_org(session, region_code="420502")
    actor = actor_of(session, Role.ENTERPRISE, "420502", own.id)
    content = xlsx(
        HAZARD_HEADER,
        [own.credit_code, "报警器失效", "企业自查", "一般事故隐患"],
        [other.credit_code, "别家的隐患", "企业自查", None],
    )
    result = service.import_ledger(session, actor=actor, kind=LedgerKind.HAZARDS, content=content)
    assert [(e.row, e.column, e.field) for e in result.errors] == [
        (3, "A", "enterprise_credit_code")
    ]
    assert hazard_count(session) == 0
    fixed = xlsx(HAZARD_HEADER, [own.credit_code, "报警器失效", "企业自查", "一般事故隐患"])
    result = service.import_ledger(session, actor=actor, kind=LedgerKind.HAZARDS, content=fixed)
    assert result.errors == [] and result.imported == 1
    items, _ = hazards.list_hazards(session, actor=actor, filters=HazardFilter())
    assert [(h.title, h.status, h.source) for h in items] == [
        ("报警器失效", "reported", "self_inspection")
    ]


def test_hazards_from_public_reports_cannot_be_imported(session: Session) -> None:
    make_tree(session)
    own = make_org(session, region_code="420502")
    actor = actor_of(session, ADMIN, "420000")
    content = xlsx(HAZARD_HEADER, [own.credit_code, "举报的", "群众举报", None])
    result = service.import_ledger(session, actor=actor, kind=LedgerKind.HAZARDS, content=content)
    assert [(e.row, e.column) for e in result.errors] == [(2, "C")]


def test_risk_points_import_with_located_factor_errors(session: Session) -> None:
    make_tree(session)
    own = make_org(session, region_code="420502")
    actor = actor_of(session, Role.ENTERPRISE, "420502", own.id)
    content = xlsx(
        RISK_HEADER,
        [own.credit_code, "液氨罐区", "设施", "LEC", 3, 6, 15, "公司级"],
        [own.credit_code, "装卸作业", "作业活动", "LEC", 3, 6, 16, "班组级"],  # C=16 is no value
        [own.credit_code, "仓库", "仓库", "LEC", 3, 6, 15, "公司级"],  # unknown kind
    )
    result = service.import_ledger(
        session, actor=actor, kind=LedgerKind.RISK_POINTS, content=content
    )
    located = [(e.row, e.column, e.field) for e in result.errors]
    assert located == [(3, "G", "factor_c"), (4, "C", "kind")]
    assert risk_point_count(session) == 0
    good = xlsx(RISK_HEADER, [own.credit_code, "液氨罐区", "设施", "lec", 3, 6, 15, "公司级"])
    result = service.import_ledger(session, actor=actor, kind=LedgerKind.RISK_POINTS, content=good)
    assert result.errors == [] and result.imported == 1


def test_export_neutralises_formulas(session: Session) -> None:
    make_tree(session)
    own = make_org(session, region_code="420502", name='=HYPERLINK("http://x","y")')
    stream = service.export_ledger(
        session, actor=actor_of(session, ADMIN, "420000"), kind=LedgerKind.ENTERPRISES
    )
    data = stream.read()
    book = load_workbook(io.BytesIO(data))  # not data_only: a formula would show as one
    cell = book.worksheets[0]["A2"]
    assert cell.data_type == "s" and cell.value == own.name and cell.quotePrefix
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet


def test_export_is_limited_to_what_the_actor_sees(session: Session) -> None:
    make_tree(session)
    mine = make_org(session, region_code="420502", name="本区")
    make_org(session, region_code="420503", name="外区")
    rows = rows_of(
        service.export_ledger(
            session, actor=actor_of(session, Role.SPECIALIST, "420502"),
            kind=LedgerKind.ENTERPRISES,
        )
    )  # fmt: skip
    assert [r[0] for r in rows[1:]] == ["本区"]
    rows = rows_of(
        service.export_ledger(
            session, actor=actor_of(session, Role.ENTERPRISE, "420502", mine.id),
            kind=LedgerKind.HAZARDS,
        )
    )  # fmt: skip
    assert len(rows) == 1  # the header only


def test_export_refuses_more_than_the_cap(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_tree(session)
    make_org(session, region_code="420502")
    make_org(session, region_code="420502")
    monkeypatch.setattr(service, "MAX_EXPORT_ROWS", 1)
    with pytest.raises(InvalidInput, match="export limit"):
        service.export_ledger(
            session, actor=actor_of(session, ADMIN, "420000"), kind=LedgerKind.ENTERPRISES
        )


def _seed(session: Session) -> None:
    system = system_actor(source="tests")
    ent = make_org(session, region_code="420502", name="甲化工", address="西陵路", lon=111.3,
                   lat=30.7, phone="0717-6000000")  # fmt: skip
    make_org(session, region_code="420503", name="乙化工")
    risks.create_risk_point(
        session,
        actor=system,
        data=RiskPointCreate(
            organisation_id=ent.id, name="液氨罐区", kind=RiskPointKind.INSTALLATION, code="F1",
            hazard_factors=["泄漏", "中毒"], accident_types=["爆炸"], method=AssessmentMethod.LEC,
            factors={"L": 3, "E": 6, "C": 15}, control_level=ControlLevel.ENTERPRISE,
        ),
    )  # fmt: skip
    hazards.report_hazard(
        session,
        actor=system,
        data=HazardCreate(enterprise_id=ent.id, title="=1+1 报警器", description="东侧",
                          source=HazardSource.SELF_INSPECTION, external_ref="ZC-1"),
    )  # fmt: skip


def _snapshot(session: Session) -> dict[str, list[tuple[object, ...]]]:
    system = system_actor()
    orgs_rows, _ = orgs.list_organisations(session, actor=system, kind=OrgKind.ENTERPRISE)
    points, _ = risks.list_risk_points(session, actor=system)
    found, _ = hazards.list_hazards(session, actor=system, filters=HazardFilter())
    return {
        "enterprises": sorted(
            (o.name, o.credit_code, o.region_code, o.industry_code, o.address, o.lon, o.lat,
             o.phone) for o in orgs_rows
        ),
        "risk_points": sorted(
            (p.name, p.kind, p.code, p.hazard_factors, p.accident_types, p.method, p.factors,
             p.level, p.control_level) for p in points
        ),
        "hazards": sorted(
            (h.title, h.description, h.source, h.external_ref, h.status) for h in found
        ),
    }  # fmt: skip


def test_round_trip_into_a_fresh_database(session: Session, engine: Engine) -> None:
    make_tree(session)
    _seed(session)
    session.commit()
    before = _snapshot(session)
    actor = actor_of(session, ADMIN, "420000")
    exports = {
        kind: service.export_ledger(session, actor=actor, kind=kind).read() for kind in LedgerKind
    }
    session.close()
    _wipe(engine)
    with make_session_factory(engine)() as fresh:
        make_tree(fresh)
        actor = actor_of(fresh, ADMIN, "420000")
        for kind in LedgerKind:  # enterprises first: the others name them by credit code
            result = service.import_ledger(fresh, actor=actor, kind=kind, content=exports[kind])
            assert result.errors == [], result.errors
        assert _snapshot(fresh) == before
        fresh.rollback()


def test_an_import_stages_one_ledger_event(session: Session) -> None:
    make_tree(session)
    actor = actor_of(session, ADMIN, "420000")
    content = xlsx(ENTERPRISE_HEADER, ["甲", credit_code(), "420502", "C2614"])
    result = service.import_ledger(
        session, actor=actor, kind=LedgerKind.ENTERPRISES, content=content
    )
    payloads = list(
        session.scalars(
            select(OutboxEvent.payload).where(OutboxEvent.event_type == "ledger.imported")
        )
    )
    assert len(payloads) == 1 and payloads[0]["sha256"] == result.sha256


def test_a_credit_code_registered_outside_the_region_is_a_row_error(session: Session) -> None:
    make_tree(session)
    taken = make_org(session, region_code="420503").credit_code  # invisible to a 西陵 user
    actor = actor_of(session, Role.SPECIALIST, "420502")
    content = xlsx(ENTERPRISE_HEADER, ["重复", taken, "420502", "C2614"])
    result = service.import_ledger(
        session, actor=actor, kind=LedgerKind.ENTERPRISES, content=content
    )
    assert [(e.row, e.column, e.field) for e in result.errors] == [(2, "B", "credit_code")]
    assert enterprise_count(session) == 1


def test_a_department_may_not_import_hazards_outside_its_industries(session: Session) -> None:
    make_tree(session)
    bureau = make_org(session, kind=OrgKind.BUREAU, name="局", region_code="420500")
    mining = make_org(
        session, kind=OrgKind.DEPARTMENT, name="非煤矿山科", region_code="420500",
        parent_id=bureau.id, supervised_industries=["B"],
    )  # fmt: skip
    chemical = make_org(session, region_code="420502")  # C2614
    actor = actor_of(session, Role.SPECIALIST, "420500", mining.id)
    content = xlsx(HAZARD_HEADER, [chemical.credit_code, "报警器失效", "监督检查", None])
    result = service.import_ledger(session, actor=actor, kind=LedgerKind.HAZARDS, content=content)
    assert [(e.row, e.column) for e in result.errors] == [(2, "A")]
    assert "industry" in result.errors[0].message
    assert hazard_count(session) == 0


def test_a_decompression_bomb_is_refused_unread(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_tree(session)
    monkeypatch.setattr(_xlsx, "MAX_UNZIPPED", 1000)
    content = xlsx(ENTERPRISE_HEADER, ["甲" * 500, credit_code(), "420502", "C2614"])
    result = service.import_ledger(
        session,
        actor=actor_of(session, ADMIN, "420000"),
        kind=LedgerKind.ENTERPRISES,
        content=content,
    )
    assert "too large once unpacked" in result.errors[0].message


def test_many_credit_codes_are_looked_up_in_one_pass(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_kinds, "PRELOAD_FROM", 0)
    make_tree(session)
    own = make_org(session, region_code="420502")
    other = make_org(session, region_code="420502")
    actor = actor_of(session, Role.ENTERPRISE, "420502", own.id)
    content = xlsx(
        HAZARD_HEADER,
        [own.credit_code, "一", "企业自查", None],
        [other.credit_code, "二", "企业自查", None],
        [credit_code(), "三", "企业自查", None],
    )
    result = service.import_ledger(session, actor=actor, kind=LedgerKind.HAZARDS, content=content)
    assert [(e.row, e.column) for e in result.errors] == [(3, "A"), (4, "A")]
    taken = other.credit_code
    admin = actor_of(session, ADMIN, "420000")
    content = xlsx(ENTERPRISE_HEADER, ["重复", taken, "420502", "C2614"])
    result = service.import_ledger(
        session, actor=admin, kind=LedgerKind.ENTERPRISES, content=content
    )
    assert [(e.row, e.column) for e in result.errors] == [(2, "B")]
