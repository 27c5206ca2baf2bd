"""Multi-dimensional partitions: :class:`MultiPartitionsDefinition` and its keys.

Two dimensions (static, dynamic or time-window), each key a :class:`MultiPartitionKey`
such as ``"2024-01-01|eu"``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from assettui.errors import DagsterUnknownPartitionError, PartitionError
from assettui.model.partitions.definitions import (
    INVALID_MULTI_DIMENSION_KEY_CHARACTERS,
    MULTIDIMENSIONAL_PARTITION_PREFIX,
    MULTIPARTITION_KEY_DELIMITER,
    PARTITION_NAME_TAG,
    DynamicPartitionsDefinition,
    DynamicPartitionsStore,
    InvalidPartitionsDefinitionError,
    PartitionKeyRange,
    PartitionsDefinition,
    StaticPartitionsDefinition,
    TimeWindow,
)
from assettui.model.partitions.time_window import TimeWindowPartitionsDefinition


@dataclass(frozen=True)
class PartitionDimensionKey:
    """One dimension's part of a :class:`MultiPartitionKey`."""

    dimension_name: str
    partition_key: str


class MultiPartitionKey(str):
    """A multi-dimensional partition key; as a string, its values joined by ``|``.

    The values are ordered by dimension name, so ``MultiPartitionKey({"date": "2024-01-01",
    "color": "red"})`` is ``"red|2024-01-01"``.

    Args:
        keys_by_dimension: the key of each dimension, by dimension name.
    """

    dimension_keys: list[PartitionDimensionKey]

    def __new__(cls, keys_by_dimension: Mapping[str, str]) -> MultiPartitionKey:
        if not isinstance(keys_by_dimension, Mapping):
            raise PartitionError(
                f"MultiPartitionKey takes a mapping of dimension name to key, "
                f"got {keys_by_dimension!r}."
            )
        for dim, key in keys_by_dimension.items():
            if not isinstance(dim, str) or not isinstance(key, str):
                raise PartitionError(
                    f"MultiPartitionKey dimension names and keys must be strings, "
                    f"got {dim!r}: {key!r}."
                )
        dims = [PartitionDimensionKey(d, keys_by_dimension[d]) for d in sorted(keys_by_dimension)]
        obj = super().__new__(cls, MULTIPARTITION_KEY_DELIMITER.join(d.partition_key for d in dims))
        obj.dimension_keys = dims
        return obj

    def __getnewargs__(self) -> tuple[dict[str, str]]:  # type: ignore[override]  # pickle rebuilds from the mapping
        return (self.keys_by_dimension,)

    @property
    def keys_by_dimension(self) -> dict[str, str]:
        """The key of each dimension, by dimension name."""
        return {d.dimension_name: d.partition_key for d in self.dimension_keys}


@dataclass(frozen=True)
class PartitionDimensionDefinition:
    """A named dimension of a :class:`MultiPartitionsDefinition`."""

    name: str
    partitions_def: PartitionsDefinition


def _check_dimension(name: str, partitions_def: Any) -> None:
    allowed = (StaticPartitionsDefinition, DynamicPartitionsDefinition)
    if not isinstance(partitions_def, (*allowed, TimeWindowPartitionsDefinition)):
        raise InvalidPartitionsDefinitionError(
            f"MultiPartitionsDefinition dimension {name!r} is a {type(partitions_def).__name__}; "
            "each dimension must be static, dynamic or time-window partitions."
        )
    if isinstance(partitions_def, DynamicPartitionsDefinition) and partitions_def.name is None:
        raise InvalidPartitionsDefinitionError(
            f"MultiPartitionsDefinition dimension {name!r}: a dynamic dimension needs a name."
        )
    if isinstance(partitions_def, StaticPartitionsDefinition):
        for key in partitions_def.partition_keys:
            bad = INVALID_MULTI_DIMENSION_KEY_CHARACTERS & set(key)
            if bad:
                raise InvalidPartitionsDefinitionError(
                    f"MultiPartitionsDefinition dimension {name!r}: key {key!r} contains "
                    f"{sorted(bad)}; keys of a multi-partitions dimension cannot contain "
                    "|, [, ] or ,."
                )


@dataclass(frozen=True, init=False)
class MultiPartitionsDefinition(PartitionsDefinition):
    """The cross product of two partitions definitions.

    Keys are :class:`MultiPartitionKey` values; dimensions are ordered by name and the keys
    are the product of the dimensions' keys in that order (the first dimension varies slowest).

    Args:
        partitions_defs: exactly two dimensions: name -> static, dynamic or time-window
            partitions definition.

    Raises:
        InvalidPartitionsDefinitionError: for a number of dimensions other than two, or a
            dimension of the wrong kind.
    """

    partitions_defs: tuple[PartitionDimensionDefinition, ...]

    def __init__(self, partitions_defs: Mapping[str, PartitionsDefinition]):
        if not isinstance(partitions_defs, Mapping) or len(partitions_defs) != 2:
            count = len(partitions_defs) if isinstance(partitions_defs, Mapping) else "no mapping"
            raise InvalidPartitionsDefinitionError(
                "MultiPartitionsDefinition takes exactly two dimensions, as a mapping of "
                f"dimension name to partitions definition (like Dagster); got {count}."
            )
        for name, pdef in partitions_defs.items():
            if not isinstance(name, str) or not name:
                raise InvalidPartitionsDefinitionError(
                    f"MultiPartitionsDefinition dimension names must be non-empty strings, "
                    f"got {name!r}."
                )
            _check_dimension(name, pdef)
        dims = tuple(
            PartitionDimensionDefinition(name, partitions_defs[name])
            for name in sorted(partitions_defs)
        )
        object.__setattr__(self, "partitions_defs", dims)

    @property
    def partition_dimension_names(self) -> list[str]:
        """The dimension names, sorted."""
        return [d.name for d in self.partitions_defs]

    def get_partitions_def_for_dimension(self, dimension_name: str) -> PartitionsDefinition:
        """The partitions definition of one dimension.

        Raises:
            PartitionError: if there is no such dimension.
        """
        for dim in self.partitions_defs:
            if dim.name == dimension_name:
                return dim.partitions_def
        raise PartitionError(
            f"No dimension {dimension_name!r} in {self}; dimensions are "
            f"{self.partition_dimension_names}."
        )

    def get_partition_key_from_str(self, partition_key_str: str) -> MultiPartitionKey:
        """Parses ``"a|b"`` into a :class:`MultiPartitionKey` of this definition's dimensions.

        Raises:
            PartitionError: if the string does not have one value per dimension.
        """
        if isinstance(partition_key_str, MultiPartitionKey):
            return partition_key_str
        parts = str(partition_key_str).split(MULTIPARTITION_KEY_DELIMITER)
        if len(parts) != len(self.partitions_defs):
            raise DagsterUnknownPartitionError(
                f"Partition key {partition_key_str!r} does not have one value per dimension of "
                f"{self} (expected '{'|'.join(self.partition_dimension_names)}' values)."
            )
        return MultiPartitionKey({d.name: parts[i] for i, d in enumerate(self.partitions_defs)})

    def _dimension_keys(
        self, current_time: datetime | None, store: DynamicPartitionsStore | None
    ) -> list[list[str]]:
        return [
            d.partitions_def.get_partition_keys(current_time, store) for d in self.partitions_defs
        ]

    def get_partition_keys(
        self,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> list[str]:
        names = self.partition_dimension_names
        sequences = self._dimension_keys(current_time, dynamic_partitions_store)
        return [
            MultiPartitionKey(dict(zip(names, combo, strict=True)))
            for combo in itertools.product(*sequences)
        ]

    def get_num_partitions(
        self,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> int:
        return math.prod(
            d.partitions_def.get_num_partitions(current_time, dynamic_partitions_store)
            for d in self.partitions_defs
        )

    def has_partition_key(
        self,
        partition_key: str,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> bool:
        try:
            key = self.get_partition_key_from_str(partition_key)
        except PartitionError:
            return False
        if set(key.keys_by_dimension) != set(self.partition_dimension_names):
            return False
        by_dim = key.keys_by_dimension
        return all(
            d.partitions_def.has_partition_key(
                by_dim[d.name], current_time, dynamic_partitions_store
            )
            for d in self.partitions_defs
        )

    def get_partition_keys_in_range(
        self,
        partition_key_range: PartitionKeyRange,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> list[str]:
        """The product of each dimension's range between the two keys' values (like Dagster)."""
        start = self.get_partition_key_from_str(partition_key_range.start).keys_by_dimension
        end = self.get_partition_key_from_str(partition_key_range.end).keys_by_dimension
        sequences = [
            d.partitions_def.get_partition_keys_in_range(
                PartitionKeyRange(start[d.name], end[d.name]), dynamic_partitions_store
            )
            for d in self.partitions_defs
        ]
        names = self.partition_dimension_names
        return [
            MultiPartitionKey(dict(zip(names, combo, strict=True)))
            for combo in itertools.product(*sequences)
        ]

    def get_multipartition_keys_with_dimension_value(
        self,
        dimension_name: str,
        dimension_partition_key: str,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> list[MultiPartitionKey]:
        """Every key whose ``dimension_name`` value is ``dimension_partition_key``, in order."""
        self.get_partitions_def_for_dimension(dimension_name)
        sequences = [
            [dimension_partition_key]
            if d.name == dimension_name
            else d.partitions_def.get_partition_keys(current_time, dynamic_partitions_store)
            for d in self.partitions_defs
        ]
        names = self.partition_dimension_names
        return [
            MultiPartitionKey(dict(zip(names, combo, strict=True)))
            for combo in itertools.product(*sequences)
        ]

    def _time_window_dims(self) -> list[PartitionDimensionDefinition]:
        return [
            d
            for d in self.partitions_defs
            if isinstance(d.partitions_def, TimeWindowPartitionsDefinition)
        ]

    @property
    def has_time_window_dimension(self) -> bool:
        """Whether one of the dimensions is a time-window partitions definition."""
        return bool(self._time_window_dims())

    @property
    def time_window_dimension(self) -> PartitionDimensionDefinition:
        """The one time-window dimension.

        Raises:
            PartitionError: unless exactly one dimension is time-window partitioned.
        """
        dims = self._time_window_dims()
        if len(dims) != 1:
            raise PartitionError(f"{self} has {len(dims)} time-window dimensions, not one.")
        return dims[0]

    @property
    def time_window_partitions_def(self) -> TimeWindowPartitionsDefinition:
        """The partitions definition of the time-window dimension."""
        return self.time_window_dimension.partitions_def  # type: ignore[return-value]

    @property
    def primary_dimension(self) -> PartitionDimensionDefinition:
        """The time-window dimension if there is one, else the first by name."""
        dims = self._time_window_dims()
        return dims[0] if len(dims) == 1 else self.partitions_defs[0]

    @property
    def secondary_dimension(self) -> PartitionDimensionDefinition:
        """The dimension that is not the primary one."""
        primary = self.primary_dimension
        return next(d for d in self.partitions_defs if d.name != primary.name)

    def time_window_for_partition_key(self, partition_key: str) -> TimeWindow:
        """The time window of the time dimension's value of ``partition_key``."""
        key = self.get_partition_key_from_str(partition_key)
        dim = self.time_window_dimension
        return self.time_window_partitions_def.time_window_for_partition_key(
            key.keys_by_dimension[dim.name]
        )

    def get_tags_for_partition_key(self, partition_key: str) -> dict[str, str]:
        key = self.get_partition_key_from_str(partition_key)
        tags = {PARTITION_NAME_TAG: str(key)}
        for dim in key.dimension_keys:
            tags[f"{MULTIDIMENSIONAL_PARTITION_PREFIX}{dim.dimension_name}"] = dim.partition_key
        return tags

    def _describe_valid_keys(
        self, current_time: datetime | None, store: DynamicPartitionsStore | None
    ) -> str:
        parts = [f"{d.name}: {d.partitions_def}" for d in self.partitions_defs]
        return (
            f"Keys are '{'|'.join(self.partition_dimension_names)}' with values of "
            f"{'; '.join(parts)}."
        )

    def __str__(self) -> str:
        dims = ", ".join(f"{d.name}={d.partitions_def}" for d in self.partitions_defs)
        return f"MultiPartitionsDefinition({dims})"
