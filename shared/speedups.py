"""FastAPI's request parameters without re-inspecting their types on every request.

FastAPI 0.165 works out, for every query parameter of every request, whether its annotation is a
sequence, a JSON field or a Pydantic model, walking the type with ``typing.get_origin`` each time:
about a third of the CPU a list request spent in Python before its database read (profiled with
cProfile on ``GET /api/v1/visits``, bench/README.md). The answers depend only on the declared field,
which lives as long as the app, so they are remembered per field (by identity, holding the field so
its id is never reused). Nothing else changes: the same functions answer, once.

FastAPI is pinned in pyproject.toml; ``install`` checks that the functions it wraps still exist and
leaves FastAPI alone when they do not (tests/platform/test_speedups.py fails then, to say so).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.dependencies import utils as dependency_utils

_WRAPPED = ("field_annotation_is_sequence", "_get_param_model", "_is_json_field", "_get_param_aliases")
_installed = False


def _per_object(function: Callable[..., Any]) -> Callable[..., Any]:
    """``function`` of one argument, remembered per argument object (called with keyword arguments as
    well, it is simply called: FastAPI passes them only for header parameters). What it answers is
    only read by FastAPI (a bool, a model class, a list of alias pairs it iterates)."""
    answers: dict[int, tuple[Any, Any]] = {}

    def remembered(argument: Any, **options: Any) -> Any:
        if options:
            return function(argument, **options)
        hit = answers.get(id(argument))
        if hit is not None and hit[0] is argument:
            return hit[1]
        answer = function(argument)
        answers[id(argument)] = (argument, answer)
        return answer

    remembered.__wrapped__ = function  # type: ignore[attr-defined]
    return remembered


def install() -> bool:
    """Wrap FastAPI's per-field type inspections once per process; True when they are wrapped."""
    global _installed
    if _installed:
        return True
    if not all(callable(getattr(dependency_utils, name, None)) for name in _WRAPPED):
        return False
    for name in _WRAPPED:
        setattr(dependency_utils, name, _per_object(getattr(dependency_utils, name)))
    _installed = True
    return True
