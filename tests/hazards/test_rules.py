"""Pure tests of the hazard guards: each refusal names its field (cn-rules §3.6)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from yingji.core.errors import Forbidden, InvalidInput
from yingji.hazards.rules import (
    ATTACHMENTS_MAX,
    PLAN_ITEMS,
    REASON_MAX,
    TEXT_MAX,
    DutyHolder,
    GeneralRectification,
    ObligationKind,
    RectificationEvidence,
    RectificationPlan,
    check_can_start_rectification,
    check_evidence,
    check_rejection,
    check_verification_failure,
    check_verifier,
    reporting_obligations,
)
from yingji.hazards.states import HazardGrade

TODAY = date(2024, 6, 1)
PERSON = uuid.UUID("00000000-0000-4000-8000-000000000001")
OTHER = uuid.UUID("00000000-0000-4000-8000-000000000002")
MAJOR, GENERAL = HazardGrade.MAJOR, HazardGrade.GENERAL
LAW = Path("/work/shared/domain/laws/安全生产法(2021-06-10).md")

COMPLETE_PLAN: dict[str, Any] = {
    "goal_and_tasks": "消除储罐区泄漏隐患",
    "methods_and_measures": "更换法兰垫片，加装可燃气体探测器",
    "funds_and_materials": "专项资金 12 万元；垫片、探测器已采购",
    "responsible_organisation": "设备部",
    "responsible_person_id": PERSON,
    "deadline": TODAY + timedelta(days=30),
    "requirements": "经第三方检测无泄漏",
    "safety_measures_and_contingency_plan": "局部停产，设警戒区；泄漏专项应急预案",
}


def plan(**changes: Any) -> RectificationPlan:
    return RectificationPlan(**{**COMPLETE_PLAN, **changes})


def test_complete_plan_lets_a_major_hazard_start() -> None:
    check_can_start_rectification(MAJOR, plan(), today=TODAY)


def test_plan_items_follow_the_clause() -> None:
    # 16号令 第十五条: six items; ④ and ⑤ are split into two fields each.
    assert list(PLAN_ITEMS) == [
        name for name in RectificationPlan.model_fields if name in PLAN_ITEMS
    ]
    assert set(PLAN_ITEMS) == set(RectificationPlan.model_fields)


# A text item is missing when empty or only spaces; the person and the date when None.
MISSING_VALUES = [
    (item, empty)
    for item in PLAN_ITEMS
    for empty in ((None,) if item in ("responsible_person_id", "deadline") else ("", "   "))
]


@pytest.mark.parametrize(("item", "empty"), MISSING_VALUES)
def test_major_without_any_plan_item_is_refused_naming_it(item: str, empty: str | None) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_can_start_rectification(MAJOR, plan(**{item: empty}), today=TODAY)
    assert caught.value.field == item
    assert caught.value.details["missing"] == [item]
    assert PLAN_ITEMS[item] in caught.value.message
    assert "第十五条" in caught.value.message


def test_every_missing_item_is_listed_first_in_clause_order() -> None:
    with pytest.raises(InvalidInput) as caught:
        check_can_start_rectification(MAJOR, RectificationPlan(), today=TODAY)
    assert caught.value.field == "goal_and_tasks"
    assert caught.value.details["missing"] == list(PLAN_ITEMS)


def test_major_with_only_a_general_assignment_is_refused() -> None:
    general = GeneralRectification(responsible_person_id=PERSON, deadline=TODAY)
    with pytest.raises(InvalidInput) as caught:
        check_can_start_rectification(MAJOR, general, today=TODAY)
    assert caught.value.field == "plan"
    assert "第十五条" in caught.value.message


def test_general_needs_a_responsible_person_and_a_deadline() -> None:
    check_can_start_rectification(
        GENERAL, GeneralRectification(responsible_person_id=PERSON, deadline=TODAY), today=TODAY
    )
    with pytest.raises(InvalidInput) as caught:
        check_can_start_rectification(
            GENERAL, GeneralRectification(responsible_person_id=PERSON), today=TODAY
        )
    assert caught.value.field == "deadline"
    with pytest.raises(InvalidInput) as caught:
        check_can_start_rectification(GENERAL, GeneralRectification(deadline=TODAY), today=TODAY)
    assert caught.value.field == "responsible_person_id"


def test_general_accepts_a_full_plan_but_only_needs_person_and_deadline() -> None:
    check_can_start_rectification(GENERAL, plan(funds_and_materials=""), today=TODAY)
    with pytest.raises(InvalidInput) as caught:
        check_can_start_rectification(GENERAL, plan(deadline=None), today=TODAY)
    assert caught.value.field == "deadline"


@pytest.mark.parametrize("grade", list(HazardGrade))
def test_past_deadline_is_refused_and_today_is_accepted(grade: HazardGrade) -> None:
    def assignment(deadline: date) -> RectificationPlan | GeneralRectification:
        if grade is MAJOR:
            return plan(deadline=deadline)
        return GeneralRectification(responsible_person_id=PERSON, deadline=deadline)

    check_can_start_rectification(grade, assignment(TODAY), today=TODAY)
    with pytest.raises(InvalidInput) as caught:
        check_can_start_rectification(grade, assignment(TODAY - timedelta(days=1)), today=TODAY)
    assert caught.value.field == "deadline"
    assert "2024-05-31" in caught.value.message


def test_overlong_plan_text_is_refused_naming_it() -> None:
    with pytest.raises(InvalidInput) as caught:
        check_can_start_rectification(
            MAJOR, plan(funds_and_materials="元" * (TEXT_MAX + 1)), today=TODAY
        )
    assert caught.value.field == "funds_and_materials"
    check_can_start_rectification(MAJOR, plan(funds_and_materials="元" * TEXT_MAX), today=TODAY)


def test_models_reject_unknown_fields_and_strip_text() -> None:
    with pytest.raises(ValidationError):
        RectificationPlan(budget="1")  # type: ignore[call-arg]
    assert plan(goal_and_tasks="  目标  ").goal_and_tasks == "目标"


def test_verifier_must_not_be_the_rectifier() -> None:
    check_verifier(OTHER, PERSON)
    with pytest.raises(Forbidden) as caught:
        check_verifier(PERSON, uuid.UUID(str(PERSON)))
    assert caught.value.field == "verifier_id"
    assert caught.value.status_code == 403


@pytest.mark.parametrize("check", [check_rejection, check_verification_failure])
def test_reasons_are_required_bounded_and_stripped(check: Any) -> None:
    assert check("  不属于事故隐患  ") == "不属于事故隐患"
    assert check("因" * REASON_MAX) == "因" * REASON_MAX
    for bad in ("", "   \n", "因" * (REASON_MAX + 1)):
        with pytest.raises(InvalidInput) as caught:
            check(bad)
        assert caught.value.field == "reason"


def test_evidence_needs_a_note_and_attachments() -> None:
    photo = uuid.uuid4()
    check_evidence(RectificationEvidence(note="已更换垫片", attachment_ids=(photo,)))
    cases = [
        (RectificationEvidence(attachment_ids=(photo,)), "note"),
        (RectificationEvidence(note="   ", attachment_ids=(photo,)), "note"),
        (RectificationEvidence(note="x" * (TEXT_MAX + 1), attachment_ids=(photo,)), "note"),
        (RectificationEvidence(note="已更换垫片"), "attachment_ids"),
        (RectificationEvidence(note="已更换垫片", attachment_ids=(photo, photo)), "attachment_ids"),
        (
            RectificationEvidence(
                note="已更换垫片",
                attachment_ids=tuple(uuid.uuid4() for _ in range(ATTACHMENTS_MAX + 1)),
            ),
            "attachment_ids",
        ),
    ]
    for evidence, field in cases:
        with pytest.raises(InvalidInput) as caught:
            check_evidence(evidence)
        assert caught.value.field == field


def test_general_hazard_obliges_only_notice_to_employees() -> None:
    (only,) = reporting_obligations(GENERAL)
    assert only.kind is ObligationKind.NOTIFY_EMPLOYEES
    assert only.duty_holder is DutyHolder.ENTERPRISE
    assert only.basis == "《安全生产法》第四十一条第二款"


def test_major_hazard_must_be_reported_to_the_department() -> None:
    obligations = {o.kind: o for o in reporting_obligations(MAJOR)}
    assert set(obligations) == set(ObligationKind)
    report = obligations[ObligationKind.REPORT_TO_SUPERVISING_DEPARTMENT]
    assert report.duty_holder is DutyHolder.ENTERPRISE
    assert report.recipient == "负有安全生产监督管理职责的部门"
    assert report.timing == "及时"
    assert report.basis == "《安全生产法》第四十一条第二款"
    assert report.contents == ("现状及原因", "危害程度和整改难易程度分析", "治理方案")
    supervise = obligations[ObligationKind.ENTER_SUPERVISION]
    assert supervise.duty_holder is DutyHolder.SUPERVISING_DEPARTMENT
    assert supervise.basis == "《安全生产法》第四十一条第三款"


def test_obligations_serialise_for_events() -> None:
    dumped = [o.model_dump(mode="json") for o in reporting_obligations(MAJOR)]
    assert dumped[1]["kind"] == "report_to_supervising_department"
    assert dumped[1]["contents"] == ["现状及原因", "危害程度和整改难易程度分析", "治理方案"]


@pytest.mark.skipif(not LAW.exists(), reason="statute text not available here")
def test_quotes_are_verbatim_from_article_41() -> None:
    text = LAW.read_text(encoding="utf-8")
    article = text[text.index("第四十一条") : text.index("第四十二条")]
    paragraphs = [p.strip() for p in article.split("\n") if p.strip()]
    for obligation in reporting_obligations(MAJOR):
        number = {"第二款": 1, "第三款": 2}[
            obligation.basis.removeprefix("《安全生产法》第四十一条")
        ]
        assert obligation.quote in paragraphs[number]
