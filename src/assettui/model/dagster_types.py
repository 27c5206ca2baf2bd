"""``Nothing``: Dagster's type of an output that carries no value.

``@asset(dagster_type=Nothing)`` or ``AssetOut(dagster_type=Nothing)`` says the asset's
function returns nothing worth storing (it writes to a database itself); downstream assets
then depend on it with ``deps=[...]``. assettui accepts the marker wherever a
``dagster_type`` is accepted; :func:`is_nothing` lets execution skip the IO manager for it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class TypeCheck:
    """The outcome of a type check (Dagster's ``TypeCheck``)."""

    success: bool
    description: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DagsterType:
    """A named type of values passed between assets and ops.

    Args:
        type_check_fn: ``fn(context, value)`` returning a bool or a :class:`TypeCheck`; a
            failing check fails the step producing the value. ``Nothing`` carries no value.
        name: the type's name.
        description: what values of the type are.
    """

    type_check_fn: Callable[[Any, Any], Any] | None = None
    name: str = ""
    description: str | None = None
    typing_type: Any = None

    def __init__(
        self,
        type_check_fn: Callable[[Any, Any], Any] | str | None = None,
        name: str | None = None,
        description: str | None = None,
        typing_type: Any = None,
        **_unused: Any,
    ):
        if isinstance(type_check_fn, str):  # the older positional form DagsterType(name)
            type_check_fn, name = None, type_check_fn
        object.__setattr__(self, "type_check_fn", type_check_fn)
        object.__setattr__(self, "name", name or "")
        object.__setattr__(self, "description", description)
        object.__setattr__(self, "typing_type", typing_type)

    @property
    def is_nothing(self) -> bool:
        return self.name == "Nothing"

    @property
    def display_name(self) -> str:
        return self.name

    def type_check(self, context: Any, value: Any) -> TypeCheck:
        """Run the type check on ``value`` (a type without one accepts anything)."""
        if self.type_check_fn is None:
            return TypeCheck(True)
        outcome = self.type_check_fn(context, value)
        if isinstance(outcome, TypeCheck):
            return outcome
        return TypeCheck(bool(outcome))

    def __repr__(self) -> str:
        return self.name


Nothing = DagsterType(name="Nothing", description="An output that carries no value.")


def is_nothing(dagster_type: Any) -> bool:
    """Whether ``dagster_type`` is ``Nothing`` (Dagster's instance or the ``None`` type)."""
    return isinstance(dagster_type, DagsterType) and dagster_type.is_nothing
