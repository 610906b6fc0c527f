"""Checklists: the official ones listed with counts; custom ones written, seen and changed."""

from __future__ import annotations

import copy

import pytest
from sqlalchemy.orm import Session

from tests.hazards.inspection_fixtures import CUSTOM, World, actor_of, make_world
from yingji.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from yingji.hazards import _checklist_store as store


@pytest.fixture
def w(session: Session) -> World:
    return make_world(session)


def test_official_checklists_listed_with_counts(session: Session, w: World) -> None:
    listed = {c.id: c for c in store.list_checklists(session, actor=actor_of(session, w.ent_user))}
    assert listed["huagong_2017_121"].item_count == 20
    assert listed["huagong_2017_121"].major_item_count == 20
    assert listed["gongmao_2023_10"].item_count == 64
    assert "chengzhen_ranqi_2023_4" in listed
    assert listed["gongmao_2023_10"].confidence == "S2"
    assert listed["gongmao_2023_10"].sources
    full = store.get_checklist(
        session, actor=actor_of(session, w.ent_user), checklist_id="huagong_2017_121"
    )
    assert full.items[0].id == "HG-1"
    assert full.items[0].clause
    assert full.items[0].major_by_definition


def test_custom_checklist_written_seen_and_changed(session: Session, w: World) -> None:
    ent = actor_of(session, w.ent_user)
    mine = dict(CUSTOM, id="ent-own", title="本厂检查表")
    row = store.create_custom(session, actor=ent, content=mine)
    assert row.organisation_id == w.enterprise.id
    assert row.region_code == "420502"
    read = store.get_checklist(session, actor=ent, checklist_id="ent-own")
    assert {i.id: i.major_by_definition for i in read.items} == {
        "XL-1": False,
        "XL-2": False,
        "XL-3": True,
    }
    # Another enterprise does not see it, nor change it; the district bureau sees it.
    other = actor_of(session, w.other_ent_user)
    with pytest.raises(NotFound):
        store.get_checklist(session, actor=other, checklist_id="ent-own")
    with pytest.raises(NotFound):
        store.update_custom(session, actor=other, custom_id=row.id, content=mine)
    store.get_checklist(session, actor=actor_of(session, w.planner), checklist_id="ent-own")
    with pytest.raises(Forbidden):
        store.update_custom(
            session, actor=actor_of(session, w.planner), custom_id=row.id, content=mine
        )
    changed = copy.deepcopy(mine)
    changed["items"].append({"id": "XL-4", "text": "用电线路无私拉乱接"})
    store.update_custom(session, actor=ent, custom_id=row.id, content=changed)
    assert len(store.get_checklist(session, actor=ent, checklist_id="ent-own").items) == 4
    with pytest.raises(InvalidInput):
        store.update_custom(session, actor=ent, custom_id=row.id, content=dict(mine, id="renamed"))
    store.deactivate_custom(session, actor=ent, custom_id=row.id)
    assert "ent-own" not in [c.id for c in store.list_checklists(session, actor=ent)]


def test_custom_checklist_validation(session: Session, w: World) -> None:
    ent = actor_of(session, w.ent_user)
    store.create_custom(session, actor=ent, content=CUSTOM)
    with pytest.raises(Conflict):
        store.create_custom(session, actor=ent, content=CUSTOM)
    dup = dict(CUSTOM, id="dup", items=[{"id": "A-1", "text": "x"}, {"id": "a-1", "text": "y"}])
    with pytest.raises(InvalidInput):
        store.create_custom(session, actor=ent, content=dup)
    fake_major = dict(
        CUSTOM, id="fake", items=[{"id": "A-1", "text": "x", "major_by_definition": True}]
    )
    with pytest.raises(InvalidInput):
        store.create_custom(session, actor=ent, content=fake_major)
    long_id = dict(CUSTOM, id="long", items=[{"id": "A" * 50, "text": "x"}])
    with pytest.raises(InvalidInput) as caught:
        store.create_custom(session, actor=ent, content=long_id)
    assert caught.value.field == "items[0].id"
    with pytest.raises(InvalidInput):
        store.create_custom(session, actor=ent, content=dict(CUSTOM, id="huagong_2017_121"))


def test_inspector_cannot_write_checklists(session: Session, w: World) -> None:
    with pytest.raises(Forbidden):
        store.create_custom(session, actor=actor_of(session, w.inspector), content=CUSTOM)


def test_other_region_does_not_see_bureau_checklist(session: Session, w: World) -> None:
    store.create_custom(session, actor=actor_of(session, w.planner), content=CUSTOM)
    far = actor_of(session, w.far_planner)
    assert "xiling-daily" not in [c.id for c in store.list_checklists(session, actor=far)]
