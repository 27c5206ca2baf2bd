"""How ops and graphs declare their inputs and outputs (Dagster 1.x names).

``In`` / ``Out`` for ops, ``DynamicOut`` for an output yielding any number of
``DynamicOutput`` values (one per mapping key), ``GraphIn`` / ``GraphOut`` for graphs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from assettui.errors import DagsterInvalidDefinitionError
from assettui.model.metadata.values import MetadataValue, normalize_metadata

_NO_DEFAULT = object()
_MAPPING_KEY = re.compile(r"^[A-Za-z0-9_]+$")


@dataclass(frozen=True)
class In:
    """An op input; ``default_value`` is used when nothing is wired to it."""

    dagster_type: Any = None
    description: str | None = None
    default_value: Any = _NO_DEFAULT
    metadata: Mapping[str, Any] = field(default_factory=dict)
    asset_key: Any = None

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
    code_version: str | None = None

    @property
    def is_dynamic(self) -> bool:
        return False


@dataclass(frozen=True)
class DynamicOut(Out):
    """An output that yields :class:`DynamicOutput` values, each mapped downstream."""

    @property
    def is_dynamic(self) -> bool:
        return True


class DynamicOutput:
    """One value of a :class:`DynamicOut`, identified by its ``mapping_key``.

    Raises:
        DagsterInvalidDefinitionError: for a mapping key that is not letters, digits and ``_``.
    """

    def __init__(
        self,
        value: Any,
        mapping_key: str | None = None,
        output_name: str = "result",
        metadata: Mapping[str, Any] | None = None,
    ):
        if mapping_key is None:
            raise DagsterInvalidDefinitionError(
                "DynamicOutput needs a mapping_key naming this value among the op's outputs: "
                "DynamicOutput(value, mapping_key='...') (letters, digits and underscores)."
            )
        if not isinstance(mapping_key, str) or not _MAPPING_KEY.match(mapping_key):
            raise DagsterInvalidDefinitionError(
                f"DynamicOutput mapping_key {mapping_key!r} is invalid: use only letters, "
                "digits and underscores (e.g. a file name with '.' replaced by '_')."
            )
        self.value = value
        self.mapping_key = mapping_key
        self.output_name = output_name
        self.metadata: dict[str, MetadataValue] = normalize_metadata(metadata)

    def __repr__(self) -> str:
        return f"DynamicOutput(mapping_key={self.mapping_key!r}, output_name={self.output_name!r})"


@dataclass(frozen=True)
class GraphIn:
    """An input of a graph, wired to inputs of the ops inside it."""

    description: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class GraphOut:
    """An output of a graph, taken from an output of an op inside it."""

    description: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
