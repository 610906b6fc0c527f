"""Public services of the orgs context: organisations, persons and responsibility assignments.

Every write checks the actor against GRANTS (region subtree or own organisation), is audited with
before/after and stages an ``orgs.*`` event; services flush but never commit.
"""

from __future__ import annotations

from yingji.orgs._organisations import (
    ORG_FIELDS,
    OrgFacts,
    create_organisation,
    deactivate_organisation,
    get_organisation,
    industry_scope,
    list_organisations,
    organisation_facts,
    update_organisation,
)
from yingji.orgs._persons import (
    PERSON_FIELDS,
    create_person,
    deactivate_person,
    get_person,
    list_persons,
    update_person,
)
from yingji.orgs._responsibilities import (
    RESPONSIBILITY_FIELDS,
    assign_responsibility,
    get_responsibility,
    list_responsibilities,
    responsible_persons,
    responsible_rows,
    unassign_responsibility,
)
from yingji.orgs.validators import industry_name, search_industries

__all__ = [
    "ORG_FIELDS",
    "PERSON_FIELDS",
    "RESPONSIBILITY_FIELDS",
    "OrgFacts",
    "assign_responsibility",
    "create_organisation",
    "create_person",
    "deactivate_organisation",
    "deactivate_person",
    "get_organisation",
    "get_person",
    "get_responsibility",
    "industry_name",
    "industry_scope",
    "list_organisations",
    "list_persons",
    "list_responsibilities",
    "organisation_facts",
    "responsible_persons",
    "responsible_rows",
    "search_industries",
    "unassign_responsibility",
    "update_organisation",
    "update_person",
]
