"""Return-type annotations checked as Dagster's type checks: ``-> str`` returning an int
fails the step with Dagster's message (builtin types only; other annotations are not
checked)."""

from __future__ import annotations

import functools
import typing
from typing import Any

from assettui.errors import DagsterTypeCheckDidNotPass

# python type -> (Dagster's type name, the word in its message)
_BUILTINS: dict[type, tuple[str, str]] = {
    str: ("String", "string"),
    int: ("Int", "int"),
    float: ("Float", "float"),
    bool: ("Bool", "bool"),
    list: ("[Any]", "list"),
}


@functools.lru_cache(maxsize=4096)
def _checked_return_type(fn: Any) -> type | None:
    try:
        annotation = typing.get_type_hints(fn).get("return")
    except Exception:  # an unresolvable annotation is not checked
        return None
    if annotation in _BUILTINS or annotation is dict:
        return typing.cast(type, annotation)
    return None


def check_return_type(fn: Any, value: Any, output_name: str = "result") -> None:
    """Raise Dagster's type-check failure if ``value`` does not fit ``fn``'s return type.

    Raises:
        DagsterTypeCheckDidNotPass: naming the output, the expected type and the value.
    """
    try:
        expected = _checked_return_type(fn)
    except TypeError:  # an unhashable callable
        return
    if expected is None or isinstance(value, expected):
        return
    if expected is int and isinstance(value, bool):
        return  # as in Dagster, a bool is an int
    where = f'Type check failed for step output "{output_name}"'
    if expected is dict:
        raise DagsterTypeCheckDidNotPass(
            f'{where} - expected type "dict". Description: Value of type {type(value)} failed '
            "type check for Dagster type dict, expected value to be of Python type dict."
        )
    name, word = _BUILTINS[expected]
    raise DagsterTypeCheckDidNotPass(
        f'{where} - expected type "{name}". Description: Value "{value}" of python type '
        f'"{type(value).__name__}" must be a {word}.'
    )


def check_dagster_type(dagster_type: Any, value: Any, output_name: str = "result") -> None:
    """Run a ``DagsterType``'s type check (``Out(dagster_type=...)``, an asset's
    ``dagster_type``) on an output value.

    Raises:
        DagsterTypeCheckDidNotPass: with Dagster's message and the check's description.
    """
    check = getattr(dagster_type, "type_check", None)
    if check is None or getattr(dagster_type, "type_check_fn", None) is None:
        return
    outcome = check(None, value)
    if not outcome.success:
        description = f" Description: {outcome.description}" if outcome.description else ""
        raise DagsterTypeCheckDidNotPass(
            f'Type check failed for step output "{output_name}" - expected type '
            f'"{dagster_type.name}".{description}'
        )
