"""The columns of each ledger (台账): Chinese header, English key, required, parser, example.

A column's ``parse`` (see ``_cells``) turns what a spreadsheet cell holds (text, a number, a
date, a boolean, or None) into the value handed to the schema, or raises ``CellError``. The
formats proper (credit code check character, GB/T 4754 codes, phone numbers) are checked by the
owning context's schema; a parser only gets the cell into the shape that schema expects.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from yingji.hazards.states import HazardGrade, HazardSource
from yingji.ledger._cells import (
    Parser,
    choice,
    day,
    enum_labels,
    number,
    tags,
    text,
    upper_code,
)
from yingji.risks.schemas import AssessmentMethod, ControlLevel, RiskPointKind


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a ledger sheet."""

    key: str  # English key: the header may be given as this too
    header: str  # Chinese header as written in the template
    meaning: str
    parse: Parser
    required: bool = False
    field: str | None = None  # the schema field it fills, when not ``key``
    allowed: str = ""  # allowed values or format, for the notes sheet
    choices: tuple[str, ...] = ()  # a drop-down list in the template
    example: object = None
    width: int = 16
    export_only: bool = False  # written by the export for reference, ignored on import

    @property
    def target(self) -> str:
        """Return the schema field this column fills."""
        return self.field or self.key


@dataclass(frozen=True, slots=True)
class Ledger:
    """A ledger: its kind, its title and its columns in template order."""

    kind: str
    title: str
    columns: tuple[Column, ...]
    notes: tuple[str, ...] = ()

    @property
    def import_columns(self) -> tuple[Column, ...]:
        """Return the columns an import reads."""
        return tuple(c for c in self.columns if not c.export_only)


def export_value(column: Column, value: Any) -> object:
    """Return what the export writes for a value of a column (enumerations as their label)."""
    if value is None:
        return None
    if column.choices:
        labels = _LABELS_OF.get(column.key)
        if labels is not None:
            return labels.get(str(value), str(value))
    if isinstance(value, StrEnum):
        return value.value
    return value


# --- the ledgers ----------------------------------------------------------------------------

_LON = "经度，-180 至 180（WGS 84），与纬度同时填写或同时留空"
_LAT = "纬度，-90 至 90（WGS 84），与经度同时填写或同时留空"
EXAMPLE_CREDIT_CODE: Final = "91420502MA4F0X0C8N"  # a well-formed example (check character valid)

ENTERPRISES = Ledger(
    kind="enterprises",
    title="企业台账",
    columns=(
        Column(
            "name",
            "单位名称",
            "生产经营单位的全称",
            text(200),
            required=True,
            allowed="1-200 个字符",
            example="宜昌示例化工有限公司",
            width=28,
        ),
        Column(
            "credit_code",
            "统一社会信用代码",
            "GB 32100-2015 统一社会信用代码，在平台中唯一",
            upper_code(18),
            required=True,
            allowed="18 位，含校验位",
            example=EXAMPLE_CREDIT_CODE,
            width=22,
        ),
        Column(
            "region_code",
            "行政区划代码",
            "单位所在行政区划（县、乡镇或更细）的代码",
            upper_code(32),
            required=True,
            allowed="平台中已有的区划代码，如 420502",
            example="420502",
        ),
        Column(
            "industry_code",
            "国民经济行业代码",
            "GB/T 4754 行业代码（门类字母加数字）",
            upper_code(5),
            required=True,
            allowed="如 C2614",
            example="C2614",
        ),
        Column(
            "address",
            "地址",
            "单位地址",
            text(300),
            allowed="至多 300 个字符",
            example="湖北省宜昌市西陵区示例路 1 号",
            width=30,
        ),
        Column("lon", "经度", _LON, number, allowed="数字", example=111.29),
        Column("lat", "纬度", _LAT, number, allowed="数字", example=30.70),
        Column(
            "phone",
            "联系电话",
            "单位值班或安全管理电话",
            text(40),
            allowed="固定电话或手机号码",
            example="0717-6000000",
        ),
    ),
)

# A public report becomes a hazard only by triaging the report: the ledger does not offer it.
_SOURCES = enum_labels({s: s.zh for s in HazardSource if s is not HazardSource.PUBLIC_REPORT})
_GRADES = enum_labels({g: g.zh for g in HazardGrade})

HAZARDS = Ledger(
    kind="hazards",
    title="隐患台账",
    columns=(
        Column(
            "enterprise_credit_code",
            "企业统一社会信用代码",
            "隐患所在企业（须已在平台登记）",
            upper_code(18),
            required=True,
            field="enterprise_id",
            allowed="18 位",
            example=EXAMPLE_CREDIT_CODE,
            width=22,
        ),
        Column(
            "title",
            "隐患名称",
            "隐患的简要名称",
            text(200),
            required=True,
            allowed="1-200 个字符",
            example="储罐区可燃气体报警器失效",
            width=28,
        ),
        Column(
            "description",
            "隐患描述",
            "隐患的具体情况",
            text(4000),
            allowed="至多 4000 个字符",
            example="2 号储罐区东侧报警器无响应",
            width=30,
        ),
        Column(
            "location",
            "隐患部位",
            "隐患所在位置",
            text(300),
            allowed="至多 300 个字符",
            example="2 号储罐区",
        ),
        Column("lon", "经度", _LON, number, allowed="数字"),
        Column("lat", "纬度", _LAT, number, allowed="数字"),
        Column(
            "source",
            "隐患来源",
            "隐患如何发现；群众举报须经举报受理生成，不能导入",
            choice(_SOURCES),
            required=True,
            allowed="、".join(_SOURCES.values()),
            choices=tuple(_SOURCES.values()),
            example=HazardSource.SELF_INSPECTION.zh,
        ),
        Column(
            "proposed_grade",
            "建议等级",
            "上报人建议的等级；命中重大事故隐患判定标准的自动为重大",
            choice(_GRADES),
            field="proposed_grade",
            allowed="、".join(_GRADES.values()),
            choices=tuple(_GRADES.values()),
            example=HazardGrade.GENERAL.zh,
            width=18,
        ),
        Column(
            "checklist_id",
            "判定标准编号",
            "所依据的重大事故隐患判定标准（可空）",
            text(80),
            allowed="平台内置判定标准的编号",
        ),
        Column(
            "checklist_item_id",
            "判定标准条目编号",
            "命中的判定标准条目（可空）",
            text(40),
            allowed="平台内置判定标准条目的编号",
        ),
        Column(
            "external_ref",
            "外部编号",
            "企业或其他系统中的编号",
            text(100),
            allowed="至多 100 个字符",
            example="ZC-2026-001",
        ),
        Column(
            "number",
            "隐患编号",
            "平台编号（仅导出，导入时忽略）",
            text(60),
            export_only=True,
            width=30,
        ),
        Column("status", "状态", "当前状态（仅导出，导入时忽略）", text(20), export_only=True),
    ),
    notes=(
        "导入的隐患均为“已上报”状态，随后按闭环流程确认、整改、验收、销号。",
        "已销号的历史隐患台账不在导入范围内。",
    ),
)

_KINDS = {
    RiskPointKind.PLACE.value: "场所",
    RiskPointKind.INSTALLATION.value: "设施",
    RiskPointKind.DEVICE.value: "设备",
    RiskPointKind.ACTIVITY.value: "作业活动",
}
_METHODS = {m.value: m.value.upper() for m in AssessmentMethod}
_CONTROL_LEVELS = {
    ControlLevel.ENTERPRISE.value: "公司级",
    ControlLevel.DEPARTMENT.value: "部门级",
    ControlLevel.WORKSHOP.value: "车间级",
    ControlLevel.TEAM.value: "班组级",
}
# The factors of the three methods (risks.assessment): LEC uses L, E, C; LS uses L, S; MES uses
# M, E, S. A row fills the columns of its method and leaves the others empty.
FACTOR_NAMES: Final = ("L", "E", "C", "S", "M")
_FACTOR_MEANING = {
    "L": "L：事故发生的可能性（LEC、LS）",
    "E": "E：暴露于危险环境的频繁程度（LEC、MES）",
    "C": "C：发生事故产生的后果（LEC）",
    "S": "S：后果严重性（LS、MES）",
    "M": "M：控制措施的状态（MES）",
}
_FACTOR_EXAMPLE = {"L": 3, "E": 6, "C": 15}

RISK_POINTS = Ledger(
    kind="risk_points",
    title="风险点台账",
    columns=(
        Column(
            "enterprise_credit_code",
            "企业统一社会信用代码",
            "风险点所属企业（须已在平台登记）",
            upper_code(18),
            required=True,
            field="organisation_id",
            allowed="18 位",
            example=EXAMPLE_CREDIT_CODE,
            width=22,
        ),
        Column(
            "name",
            "风险点名称",
            "场所、设施、设备或作业活动的名称",
            text(200),
            required=True,
            allowed="1-200 个字符",
            example="液氨储罐区",
            width=24,
        ),
        Column(
            "kind",
            "风险点类型",
            "风险点的类别",
            choice(_KINDS),
            required=True,
            allowed="、".join(_KINDS.values()),
            choices=tuple(_KINDS.values()),
            example="设施",
        ),
        Column(
            "code",
            "企业内部编号",
            "企业自己的风险点编号（可空）",
            text(40),
            allowed="至多 40 个字符",
            example="FX-001",
        ),
        Column(
            "location",
            "位置",
            "风险点所在位置",
            text(300),
            allowed="至多 300 个字符",
            example="厂区东侧",
        ),
        Column("lon", "经度", _LON, number, allowed="数字"),
        Column("lat", "纬度", _LAT, number, allowed="数字"),
        Column(
            "hazard_factors",
            "危险有害因素",
            "多个以顿号、逗号或分号分隔",
            tags,
            allowed="每项至多 100 个字符，至多 30 项",
            example="泄漏、中毒",
            width=22,
        ),
        Column(
            "accident_types",
            "可能导致的事故类型",
            "多个以顿号、逗号或分号分隔",
            tags,
            allowed="每项至多 100 个字符，至多 30 项",
            example="中毒和窒息、火灾、爆炸",
            width=22,
        ),
        Column(
            "method",
            "评价方法",
            "风险评价方法",
            choice(_METHODS),
            required=True,
            allowed="、".join(_METHODS.values()),
            choices=tuple(_METHODS.values()),
            example="LEC",
        ),
        *(
            Column(
                f"factor_{name.lower()}",
                f"因子{name}",
                _FACTOR_MEANING[name],
                number,
                field=f"factors.{name}",
                allowed="按所选方法的取值表填写的数值",
                example=_FACTOR_EXAMPLE.get(name),
                width=10,
            )
            for name in FACTOR_NAMES
        ),
        Column(
            "bands",
            "分级标准",
            "评价结果分级所用的标准（空为方法的默认标准）",
            text(40),
            allowed="平台中已配置的分级标准名称",
        ),
        Column(
            "control_level",
            "管控层级",
            "负责管控的层级",
            choice(_CONTROL_LEVELS),
            required=True,
            allowed="、".join(_CONTROL_LEVELS.values()),
            choices=tuple(_CONTROL_LEVELS.values()),
            example="公司级",
        ),
        Column(
            "reassess_on",
            "下次评估日期",
            "计划的下次风险评估日期",
            day,
            allowed="日期，YYYY-MM-DD",
            example="2027-06-30",
        ),
        Column(
            "level",
            "风险等级",
            "评价得出的等级（仅导出，导入时由平台计算）",
            text(20),
            export_only=True,
        ),
        Column(
            "score",
            "风险值",
            "评价得出的分值（仅导出，导入时由平台计算）",
            number,
            export_only=True,
        ),
    ),
    notes=(
        "风险等级由平台按评价方法和因子计算，不能直接导入。",
        "管控措施和责任人请在导入后于风险点页面补充。",
    ),
)

_LABELS_OF: Final[dict[str, dict[str, str]]] = {
    "source": enum_labels({s: s.zh for s in HazardSource}),
    "proposed_grade": _GRADES,
    "kind": _KINDS,
    "method": _METHODS,
    "control_level": _CONTROL_LEVELS,
}

LEDGERS: Final[dict[str, Ledger]] = {
    ledger.kind: ledger for ledger in (ENTERPRISES, RISK_POINTS, HAZARDS)
}

GENERAL_NOTES: Final = (
    "只读取第一个工作表（台账），第 1 行为表头，第 2 行起每行一条记录；空行忽略。",
    "表头可写中文表头（带或不带 *）或英文字段名；列的顺序不限；* 为必填列。",
    "任何一行有错时整份文件都不导入；错误清单给出 Excel 行号和列。",
    "公式单元格按文件中保存的计算结果读取；请将公式粘贴为数值后再导入。",
    "“示例”工作表中的示例行不会被导入。",
)
