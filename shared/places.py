"""Place codes after GB/T 30428.1: county (6, GB/T 2260) + street (3) + community (3) + grid (3).

A community's code starts with its street's, a grid's with its community's, so the place a code lies
in is a prefix of it. Every process takes its code types, patterns and prefixes from here.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import StringConstraints

from shared.errors import ValidationFailed

_DIGITS = re.compile(r"^\d+$")
# First two digits of a GB/T 2260 county code: the province-level divisions.
_PROVINCES = frozenset(
    {
        11,
        12,
        13,
        14,
        15,
        21,
        22,
        23,
        31,
        32,
        33,
        34,
        35,
        36,
        37,
        41,
        42,
        43,
        44,
        45,
        46,
        50,
        51,
        52,
        53,
        54,
        61,
        62,
        63,
        64,
        65,
        71,
        81,
        82,
    }
)

COUNTY_LENGTH, STREET_LENGTH, COMMUNITY_LENGTH, GRID_LENGTH = 6, 9, 12, 15

# The patterns, for ``Query(pattern=...)`` and ``Path(pattern=...)`` where a parameter is declared.
STREET_PATTERN = r"^\d{9}$"
COMMUNITY_PATTERN = r"^\d{12}$"
GRID_PATTERN = r"^\d{15}$"
PLACE_PATTERN = r"^(\d{9}|\d{12}|\d{15})$"
COMMUNITY_OR_GRID_PATTERN = r"^\d{12}(\d{3})?$"
# A functional department (职能部门) of a street: the street's code, "D" and two digits (110105001D01). The
# place a ``department`` account is bound to; its street is ``street_of`` it. Not a place of the hierarchy.
DEPARTMENT_PATTERN = r"^\d{9}D\d{2}$"
# Where a role is bound on the roster: a street, community or grid code, or a department's.
BINDING_PATTERN = r"^(\d{9}|\d{12}|\d{15}|\d{9}D\d{2})$"

StreetCode = Annotated[str, StringConstraints(pattern=STREET_PATTERN)]
CommunityCode = Annotated[str, StringConstraints(pattern=COMMUNITY_PATTERN)]
GridCode = Annotated[str, StringConstraints(pattern=GRID_PATTERN)]
PlaceCode = Annotated[str, StringConstraints(pattern=PLACE_PATTERN)]
DepartmentCode = Annotated[str, StringConstraints(pattern=DEPARTMENT_PATTERN)]

# How figures are grouped: by the grid, community or street a row lies in.
GroupBy = Literal["grid", "community", "street"]
Level = Literal["street", "community", "grid"]

_LEVELS: dict[int, Level] = {STREET_LENGTH: "street", COMMUNITY_LENGTH: "community", GRID_LENGTH: "grid"}


def level_of(code: str) -> Level:
    """Whether a place code names a street, a community or a grid (by its length)."""
    try:
        return _LEVELS[len(code)]
    except KeyError:
        raise ValueError(f"not a place code: {code!r}") from None


def county_of(code: str) -> str:
    """The county (GB/T 2260) a street, community or grid code lies in."""
    return code[:COUNTY_LENGTH]


def street_of(code: str) -> str:
    """The street a community, grid or department code lies in (a street code is its own street)."""
    return code[:STREET_LENGTH]


def community_of(code: str) -> str:
    """The community a grid code lies in (a community code is its own community)."""
    return code[:COMMUNITY_LENGTH]


def department_code(street_code: str, number: int) -> str:
    """The code of a street's ``number``-th department (1-99): ``110105001D01``."""
    if not 1 <= number <= 99:
        raise ValueError("a street has departments 01-99")
    return f"{street_code}D{number:02d}"


def is_department_code(code: str) -> bool:
    return re.fullmatch(DEPARTMENT_PATTERN, code) is not None


def lies_in(code: str, place: str) -> bool:
    """Whether the place ``code`` lies in ``place`` (or is it): a grid in its community and street."""
    return code.startswith(place)


def problem_with_grid_code(code: str) -> str | None:
    """Why ``code`` is not a valid 15-digit grid code, or None when it is."""
    if len(code) != GRID_LENGTH or not _DIGITS.match(code):
        return "a grid code is 15 digits"
    if int(code[:2]) not in _PROVINCES or code[2:6] == "0000":
        return "the first 6 digits must be a county code (GB/T 2260)"
    street, community, grid = int(code[6:9]), int(code[9:12]), int(code[12:15])
    if not 1 <= street <= 199:
        return "digits 7-9 (street) must be 001-099 for a 街道 or 100-199 for a 镇"
    if not 1 <= community <= 399:
        return "digits 10-12 (community) must be 001-199 for a 居委会 or 200-399 for a 村委会"
    if grid < 1:
        return "digits 13-15 (grid sequence) must be 001-999"
    return None


def check_grid_code(code: str, field: str = "code") -> str:
    problem = problem_with_grid_code(code)
    if problem:
        raise ValidationFailed.on(field, problem)
    return code
