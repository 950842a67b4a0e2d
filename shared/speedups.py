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

import enum
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from fastapi import params
from fastapi.dependencies import utils as dependency_utils

_WRAPPED = ("field_annotation_is_sequence", "_get_param_model", "_is_json_field", "_get_param_aliases")
_PARAMS = "request_params_to_args"
# Defaults FastAPI would hand over as they are: deepcopy returns these very objects.
_IMMUTABLE = (type(None), bool, int, float, str, enum.Enum)
_PLANS_AT_MOST = 4096  # routes x dependants; overridden dependencies (tests) build new ones per request
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


def _absent_default(field: Any) -> tuple[frozenset[str], Any] | None:
    """For an optional query parameter whose default FastAPI hands over unvalidated and unchanged: the
    names it may come under and that default. None for every other parameter (FastAPI reads those)."""
    info = field.field_info
    if not isinstance(info, params.Query) or info.is_required() or info.validate_default:
        return None
    if dependency_utils._get_param_model(field) is not None or not isinstance(field.default, _IMMUTABLE):
        return None
    return frozenset(key for _, key in dependency_utils._get_param_aliases(field)), field.default


def _absent_params_skipped(function: Callable[..., Any]) -> Callable[..., Any]:
    """FastAPI's ``request_params_to_args``, after the optional query parameters the request does not
    carry are given their defaults at once: FastAPI looks each one up, works out its type and validates
    its absence, about 8 µs a parameter, and a list route declares ten or more filters of which a
    request sends one or two. Every parameter the request carries (and every other kind) is FastAPI's."""
    plans: dict[int, tuple[Sequence[Any], list[tuple[Any, tuple[frozenset[str], Any] | None]]]] = {}

    def request_params_to_args(fields: Sequence[Any], received_params: Mapping[str, Any]) -> Any:
        if not fields:
            return {}, []
        plan = plans.get(id(fields))
        if plan is None or plan[0] is not fields:
            if len(plans) >= _PLANS_AT_MOST:
                plans.clear()
            plan = plans[id(fields)] = (fields, [(field, _absent_default(field)) for field in fields])
        values: dict[str, Any] = {}
        carried = []
        names = received_params.keys()
        for field, absent in plan[1]:
            if absent is not None and absent[0].isdisjoint(names):
                values[field.name] = absent[1]
            else:
                carried.append(field)
        if not carried:
            return values, []
        read, errors = function(carried, received_params)
        values.update(read)
        return values, errors

    request_params_to_args.__wrapped__ = function  # type: ignore[attr-defined]
    return request_params_to_args


def install() -> bool:
    """Wrap FastAPI's per-field type inspections once per process; True when they are wrapped."""
    global _installed
    if _installed:
        return True
    if not all(callable(getattr(dependency_utils, name, None)) for name in (*_WRAPPED, _PARAMS)):
        return False
    for name in _WRAPPED:
        setattr(dependency_utils, name, _per_object(getattr(dependency_utils, name)))
    setattr(dependency_utils, _PARAMS, _absent_params_skipped(getattr(dependency_utils, _PARAMS)))
    _installed = True
    return True
