"""Place codes and the caller's places: the prefixes every process reads a code's street and community by."""

from __future__ import annotations

import uuid

import pytest
from pydantic import TypeAdapter, ValidationError

from shared.pii import building_level
from shared.places import (
    CommunityCode,
    GridCode,
    community_of,
    county_of,
    level_of,
    lies_in,
    problem_with_grid_code,
    street_of,
)
from shared.security import Principal

pytestmark = pytest.mark.no_db

GRID = "320102001001003"


def test_a_grid_code_names_its_community_and_street() -> None:
    assert community_of(GRID) == "320102001001"
    assert street_of(GRID) == "320102001"
    assert street_of("320102001001") == "320102001"
    assert county_of(GRID) == "320102"
    assert [level_of(c) for c in (GRID, "320102001001", "320102001")] == ["grid", "community", "street"]
    assert lies_in(GRID, "320102001") and not lies_in(GRID, "320102002")
    with pytest.raises(ValueError):
        level_of("3201020010")


def test_code_types_refuse_codes_of_another_level() -> None:
    assert TypeAdapter(GridCode).validate_python(GRID) == GRID
    for bad in ("320102001001", "32010200100100a", GRID + "1"):
        with pytest.raises(ValidationError):
            TypeAdapter(GridCode).validate_python(bad)
    with pytest.raises(ValidationError):
        TypeAdapter(CommunityCode).validate_python(GRID)


def test_grid_codes_follow_the_national_rule() -> None:
    assert problem_with_grid_code(GRID) is None
    assert problem_with_grid_code("990102001001003") == "the first 6 digits must be a county code (GB/T 2260)"
    assert problem_with_grid_code("320102000001003") is not None  # street 000
    assert problem_with_grid_code("320102001001000") is not None  # grid 000


def _person(**places: list[str]) -> Principal:
    return Principal(sub=str(uuid.uuid4()), roles=frozenset(places), places={r: tuple(c) for r, c in places.items()})


def test_staff_manage_their_community_and_admins_their_street() -> None:
    staff = _person(community_staff=["320102001001"])
    admin = _person(street_admin=["320102001"])
    worker = _person(grid_worker=[GRID])
    assert staff.manages(GRID) and staff.manages("320102001001")
    assert not staff.manages("320102001002001") and not staff.manages("320102001")
    assert admin.manages(GRID) and admin.manages("320102001002") and admin.manages("320102001")
    assert not admin.manages("320102002001")
    assert not worker.manages(GRID)  # a grid worker serves the grid, staff run it
    client = Principal(sub="client:street", roles=frozenset(), places={"street_admin": ("320102001",)}, machine=True)
    assert not client.manages(GRID)  # a machine client runs no place, whatever its token carries


def test_account_id_is_the_person_behind_the_token() -> None:
    person = _person(grid_worker=[GRID])
    assert person.account_id == uuid.UUID(person.sub)
    machine = Principal(sub="client:street-demo", roles=frozenset(), machine=True, street_code="320102001")
    assert machine.account_id is None
    assert Principal(sub="not-a-uuid", roles=frozenset()).account_id is None


@pytest.mark.parametrize(
    ("address", "shown"),
    [
        ("幸福里小区3号楼2单元401室", "幸福里小区3号楼"),
        ("幸福里小区3号楼东侧", "幸福里小区3号楼东侧"),
        ("幸福里小区12-3-402", "幸福里小区12号楼"),
        ("5栋1203室", "5栋"),
        ("3号楼401", "3号楼"),
        ("江南小区东门 电话13812345678", "江南小区东门 电话***"),
        ("302室", None),
        (None, None),
    ],
)
def test_an_address_shown_to_the_public_stops_at_the_building(address: str | None, shown: str | None) -> None:
    assert building_level(address) == shown
