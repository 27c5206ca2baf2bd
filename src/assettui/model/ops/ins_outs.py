"""``In`` and ``Out``: how an op declares its inputs and outputs (Dagster 1.x names)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

_NO_DEFAULT = object()


@dataclass(frozen=True)
class In:
    """An op input; ``default_value`` is used when nothing is wired to it."""

    dagster_type: Any = None
    description: str | None = None
    default_value: Any = _NO_DEFAULT
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @property
    def has_default_value(self) -> bool:
        return self.default_value is not _NO_DEFAULT


@dataclass(frozen=True)
class Out:
    """An op output; ``is_required=False`` lets the op skip it."""

    dagster_type: Any = None
    description: str | None = None
    is_required: bool = True
    io_manager_key: str = "io_manager"
    metadata: Mapping[str, Any] = field(default_factory=dict)
