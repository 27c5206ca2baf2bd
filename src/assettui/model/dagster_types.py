"""``Nothing``: Dagster's type of an output that carries no value.

``@asset(dagster_type=Nothing)`` or ``AssetOut(dagster_type=Nothing)`` says the asset's
function returns nothing worth storing (it writes to a database itself); downstream assets
then depend on it with ``deps=[...]``. assettui accepts the marker wherever a
``dagster_type`` is accepted; :func:`is_nothing` lets execution skip the IO manager for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class DagsterType:
    """A named type of values passed between assets (only ``Nothing`` has a meaning here).

    Args:
        name: the type's name.
        description: what values of the type are.
    """

    name: str
    description: str | None = None

    @property
    def is_nothing(self) -> bool:
        return self.name == "Nothing"

    def __repr__(self) -> str:
        return self.name


Nothing = DagsterType("Nothing", "An output that carries no value.")


def is_nothing(dagster_type: Any) -> bool:
    """Whether ``dagster_type`` is ``Nothing`` (Dagster's instance or the ``None`` type)."""
    return isinstance(dagster_type, DagsterType) and dagster_type.is_nothing
