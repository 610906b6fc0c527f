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
}

# The single source of truth for authorisation. A role not listing a permission lacks it.
GRANTS: Final[Mapping[Role, Mapping[Permission, Scope]]] = {
    Role.ADMIN: dict.fromkeys(Permission, R),
    Role.COMMANDER: {**_READ_ALL, P.USER_READ: R, P.AUDIT_READ: R},
    Role.DUTY_OFFICER: {**_READ_ALL, P.USER_READ: R},
    Role.SPECIALIST: {
        **_READ_ALL,
        P.ORG_WRITE: R,
        P.PERSON_WRITE: R,
        P.ASSIGNMENT_WRITE: R,
        P.USER_READ: R,
    },
    Role.INSPECTOR: {**_READ_ALL},
    Role.MEMBER_UNIT: {
        P.MAP_VIEW: R,
        P.REGION_READ: R,
        P.ORG_READ: R,
        P.PERSON_READ: O,
        P.PERSON_WRITE: O,
        P.ASSIGNMENT_READ: R,
    },
    Role.ENTERPRISE: {
        P.MAP_VIEW: R,
        P.REGION_READ: R,
        P.ORG_READ: O,
        P.ORG_WRITE: O,
        P.PERSON_READ: O,
        P.PERSON_WRITE: O,
    },
    Role.GRASSROOTS: {
        P.MAP_VIEW: R,
        P.REGION_READ: R,
        P.ASSIGNMENT_READ: R,
        P.PERSON_READ: O,
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
