"""Conditions of the read fast lane's prepared statements (``shared.fastlane.PreparedQuery``): built
once per *shape* of a caller's scope and filters, with named parameters each request fills.

A shape says, for each list of codes or ids a condition takes, how many there are: none (no
condition), one (``column = :name``, so an index on (column, sort key) also gives a page's order, as
``shared.scope.any_of``) or several (``column = ANY(:name)``, one array parameter whatever their number).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, String, any_, bindparam, false
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import TypeEngine

NONE, ONE, MANY = 0, 1, 2


def arity(values: Sequence[Any] | None) -> int:
    """How many values a condition takes, as its shape: ``NONE``, ``ONE`` or ``MANY``."""
    return min(len(values), MANY) if values else NONE


def match(column: Any, name: str, count: int, element_type: TypeEngine[Any] | None = None) -> ColumnElement[bool]:
    """``column`` equal to the parameter ``name`` (``ONE``) or to one of its values (``MANY``); false
    with ``NONE``. Text values unless ``element_type`` says otherwise (``Uuid()`` for ids)."""
    type_ = element_type if element_type is not None else String()
    if count == NONE:
        return false()
    if count == ONE:
        single: ColumnElement[bool] = column == bindparam(name, type_=type_)
        return single
    several: ColumnElement[bool] = column == any_(bindparam(name, type_=ARRAY(type_)))
    return several


def fill(values: dict[str, Any], name: str, given: Sequence[Any]) -> None:
    """Set the parameter ``name`` of a ``match`` from the values it stands for (nothing when none)."""
    if given:
        values[name] = given[0] if len(given) == 1 else list(given)
