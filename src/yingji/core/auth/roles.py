"""Roles, permissions and the scope each role holds them in: one table, read by every check."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Final


class Role(StrEnum):
    """What a user is in the bureau's organisation chart."""

    ADMIN = "admin"  # 系统管理员
    COMMANDER = "commander"  # 指挥长 / 局领导
    DUTY_OFFICER = "duty_officer"  # 值班员
    SPECIALIST = "specialist"  # 业务科室
    INSPECTOR = "inspector"  # 执法人员
    MEMBER_UNIT = "member_unit"  # 成员单位
    ENTERPRISE = "enterprise"  # 企业安全管理人员
    GRASSROOTS = "grassroots"  # 乡镇/村/网格责任人
    PUBLIC = "public"  # 公众 (anonymous)


class Permission(StrEnum):
    """An action on a kind of record."""

    MAP_VIEW = "map:view"
    REGION_READ = "region:read"
    REGION_WRITE = "region:write"
    ORG_READ = "org:read"
    ORG_WRITE = "org:write"
    PERSON_READ = "person:read"
    PERSON_WRITE = "person:write"
    ASSIGNMENT_READ = "assignment:read"
    ASSIGNMENT_WRITE = "assignment:write"
    USER_READ = "user:read"
    USER_MANAGE = "user:manage"
    AUDIT_READ = "audit:read"
    # Dual prevention (双重预防): risk points, installations, checklists, inspections, hazards.
    RISK_READ = "risk:read"
    RISK_WRITE = "risk:write"
    CHECKLIST_WRITE = "checklist:write"
    INSPECTION_READ = "inspection:read"
    INSPECTION_PLAN = "inspection:plan"  # create plans and assign tasks
    INSPECTION_EXECUTE = "inspection:execute"  # carry out a task assigned to oneself
    HAZARD_READ = "hazard:read"
    HAZARD_REPORT = "hazard:report"
    HAZARD_CONFIRM = "hazard:confirm"  # confirm (and grade) or reject a reported hazard
    HAZARD_RECTIFY = "hazard:rectify"  # plan, start and submit rectification
    HAZARD_VERIFY = "hazard:verify"
    HAZARD_CLOSE = "hazard:close"  # 销号
    HAZARD_SUPERVISE = "hazard:supervise"  # 挂牌督办: list and lift
    REPORT_TRIAGE = "report:triage"  # read public reports (with the reporter) and triage them
    REWARD_MANAGE = "reward:manage"  # propose, notify and record payment of rewards
    REWARD_APPROVE = "reward:approve"
    STATS_READ = "stats:read"
    TRACE_READ = "trace:read"  # responsibility trace-back (责任倒查)
    # Monitoring (监测预警): the registry of objects, gateways and sensors, readings and alarms.
    MONITOR_READ = "monitor:read"
    MONITOR_WRITE = "monitor:write"  # register objects, gateways, sensors; sensor status
    ALARM_HANDLE = "alarm:handle"  # acknowledge, assign and dispose of alarms
    # Early warning (预警) with 叫应: authoring, approval, tracking, feedback.
    WARNING_READ = "warning:read"
    WARNING_DRAFT = "warning:draft"  # write drafts, submit them for approval, import CAP
    WARNING_ISSUE = "warning:issue"  # approve and issue, update, lift (解除), cancel
    WARNING_TRACK = "warning:track"  # the 叫应 board: who answered, who has not, feedback
    WARNING_FEEDBACK = "warning:feedback"  # answer a warning and report evacuations


class Scope(StrEnum):
    """Which records a granted permission reaches."""

    REGION = "region"  # everything in the actor's region subtree
    OWN_ORG = "own_org"  # only the actor's own organisation and what belongs to it
    PUBLIC = "public"  # published information anyone may read


P, R, O = Permission, Scope.REGION, Scope.OWN_ORG  # noqa: E741 - short names keep the table legible

_READ_ALL: Final[Mapping[Permission, Scope]] = {
    P.MAP_VIEW: R,
    P.REGION_READ: R,
    P.ORG_READ: R,
    P.PERSON_READ: R,
    P.ASSIGNMENT_READ: R,
    P.RISK_READ: R,
    P.INSPECTION_READ: R,
    P.HAZARD_READ: R,
    P.STATS_READ: R,
    P.MONITOR_READ: R,
    P.WARNING_READ: R,
}

# The single source of truth for authorisation. A role not listing a permission lacks it.
GRANTS: Final[Mapping[Role, Mapping[Permission, Scope]]] = {
    Role.ADMIN: dict.fromkeys(Permission, R),
    Role.COMMANDER: {
        **_READ_ALL,
        P.USER_READ: R,
        P.AUDIT_READ: R,
        P.HAZARD_SUPERVISE: R,
        P.REPORT_TRIAGE: R,
        P.REWARD_APPROVE: R,
        P.TRACE_READ: R,
        P.ALARM_HANDLE: R,
        P.WARNING_DRAFT: R,
        P.WARNING_ISSUE: R,  # 发布单位的负责人 approves and issues (突发事件应对法 第64条)
        P.WARNING_TRACK: R,
    },
    Role.DUTY_OFFICER: {
        **_READ_ALL,
        P.USER_READ: R,
        P.HAZARD_REPORT: R,
        P.REPORT_TRIAGE: R,
        P.ALARM_HANDLE: R,  # the duty room watches and handles alarms around the clock
        P.WARNING_DRAFT: R,
        P.WARNING_TRACK: R,  # and chases whoever has not answered a warning
    },
    Role.SPECIALIST: {
        **_READ_ALL,
        P.ORG_WRITE: R,
        P.PERSON_WRITE: R,
        P.ASSIGNMENT_WRITE: R,
        P.USER_READ: R,
        P.RISK_WRITE: R,
        P.CHECKLIST_WRITE: R,
        P.INSPECTION_PLAN: R,
        P.INSPECTION_EXECUTE: R,
        P.HAZARD_REPORT: R,
        P.HAZARD_CONFIRM: R,
        P.HAZARD_VERIFY: R,
        P.HAZARD_CLOSE: R,
        P.HAZARD_SUPERVISE: R,
        P.REPORT_TRIAGE: R,
        P.REWARD_MANAGE: R,
        P.TRACE_READ: R,
        P.MONITOR_WRITE: R,
        P.ALARM_HANDLE: R,
        P.WARNING_DRAFT: R,
        P.WARNING_TRACK: R,
    },
    Role.INSPECTOR: {
        **_READ_ALL,
        P.INSPECTION_EXECUTE: R,
        P.HAZARD_REPORT: R,
        P.HAZARD_CONFIRM: R,
        P.HAZARD_VERIFY: R,
        P.REPORT_TRIAGE: R,
        P.TRACE_READ: R,
    },
    Role.MEMBER_UNIT: {
        P.MAP_VIEW: R,
        P.REGION_READ: R,
        P.ORG_READ: R,
        P.PERSON_READ: O,
        P.PERSON_WRITE: O,
        P.ASSIGNMENT_READ: R,
        P.RISK_READ: R,
        P.HAZARD_READ: R,
        P.STATS_READ: R,
        P.MONITOR_READ: R,
        P.WARNING_READ: R,
    },
    # An enterprise runs its own dual prevention: everything on its own records only.
    Role.ENTERPRISE: {
        P.MAP_VIEW: R,
        P.REGION_READ: R,
        P.ORG_READ: O,
        P.ORG_WRITE: O,
        P.PERSON_READ: O,
        P.PERSON_WRITE: O,
        P.RISK_READ: O,
        P.RISK_WRITE: O,
        P.CHECKLIST_WRITE: O,
        P.INSPECTION_READ: O,
        P.INSPECTION_PLAN: O,
        P.INSPECTION_EXECUTE: O,
        P.HAZARD_READ: O,
        P.HAZARD_REPORT: O,
        P.HAZARD_CONFIRM: O,
        P.HAZARD_RECTIFY: O,
        P.HAZARD_VERIFY: O,
        P.HAZARD_CLOSE: O,
        P.STATS_READ: O,
        P.TRACE_READ: O,
        # Its own sensors and alarms: it confirms its alarms first (issue 4's SLA ladder).
        P.MONITOR_READ: O,
        P.MONITOR_WRITE: O,
        P.ALARM_HANDLE: O,
        P.WARNING_READ: R,  # warnings are public where they apply
    },
    # Village and grid responsible persons patrol their area and report what they find.
    Role.GRASSROOTS: {
        P.MAP_VIEW: R,
        P.REGION_READ: R,
        P.ASSIGNMENT_READ: R,
        P.PERSON_READ: O,
        P.RISK_READ: R,
        P.HAZARD_READ: R,
        P.HAZARD_REPORT: R,
        P.MONITOR_READ: R,
        P.WARNING_READ: R,
        P.WARNING_FEEDBACK: R,  # the 包保责任人 answers warnings and reports evacuations
    },
    Role.PUBLIC: {},
}

# Roles a user may grant to accounts they create: never above their own.
ROLE_RANK: Final[Mapping[Role, int]] = {
    Role.ADMIN: 100,
    Role.COMMANDER: 80,
    Role.DUTY_OFFICER: 60,
    Role.SPECIALIST: 60,
    Role.INSPECTOR: 50,
    Role.MEMBER_UNIT: 40,
    Role.ENTERPRISE: 30,
    Role.GRASSROOTS: 30,
    Role.PUBLIC: 0,
}
