"""Partitions definitions that are not about time: static, dynamic and multi-dimensional.

Also home of what every partitions definition shares: the abstract
:class:`PartitionsDefinition`, :class:`PartitionKeyRange`, the :class:`DynamicPartitionsStore`
protocol (implemented by the instance) and the dynamic partition request values a sensor returns.

Time-window definitions live in :mod:`assettui.model.partitions.time_window`.
"""

from __future__ import annotations

import itertools
import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from assettui.errors import DagsterUnknownPartitionError, DefinitionError, PartitionError

if TYPE_CHECKING:
    from assettui.model.partitions.time_window import TimeWindowPartitionsDefinition

PARTITION_NAME_TAG = "dagster/partition"
MULTIDIMENSIONAL_PARTITION_PREFIX = "dagster/partition/"
MULTIPARTITION_KEY_DELIMITER = "|"

# Dagster rejects these in every partition key: "..." separates the ends of a range in the UI,
# the control characters do not display.
INVALID_PARTITION_SUBSTRINGS = ("...", "\a", "\b", "\f", "\n", "\r", "\t", "\v", "\0")
# ...and these in the static keys of a multi-partitions dimension, where "|" joins dimensions.
INVALID_MULTI_DIMENSION_KEY_CHARACTERS = frozenset({"|", ",", "[", "]"})


class InvalidPartitionsDefinitionError(PartitionError, DefinitionError):
    """A partitions definition was declared wrongly (bad keys, start date, timezone, dimensions).

    Both a :class:`PartitionError` and a :class:`DefinitionError`, so code catching Dagster's
    ``DagsterInvalidDefinitionError`` keeps working.
    """


@runtime_checkable
class DynamicPartitionsStore(Protocol):
    """Where the keys of dynamic partitions definitions live (the instance implements it)."""

    def get_dynamic_partitions(self, partitions_def_name: str) -> Sequence[str]:
        """The keys of the dynamic partitions definition named ``partitions_def_name``, in order."""
        ...

    def has_dynamic_partition(self, partitions_def_name: str, partition_key: str) -> bool:
        """Whether ``partition_key`` has been added to ``partitions_def_name``."""
        ...


@dataclass(frozen=True)
class PartitionKeyRange:
    """An inclusive range of partition keys, from ``start`` to ``end``."""

    start: str
    end: str

    def __iter__(self) -> Iterator[Any]:  # unpacking works as with Dagster's NamedTuple
        return iter((self.start, self.end))


@dataclass(frozen=True, eq=False)
class TimeWindow:
    """A half-open interval ``[start, end)`` of timezone-aware datetimes.

    Equal when the instants are equal (so the two 01:00 windows of a fall-back night differ).
    """

    start: datetime
    end: datetime

    def __iter__(self) -> Iterator[Any]:  # unpacking works as with Dagster's NamedTuple
        return iter((self.start, self.end))

    def _instants(self) -> tuple[float, float]:
        return (self.start.timestamp(), self.end.timestamp())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TimeWindow) and self._instants() == other._instants()

    def __hash__(self) -> int:
        return hash(self._instants())


@dataclass(frozen=True)
class AddDynamicPartitionsRequest:
    """A request (returned by a sensor) to add keys to a dynamic partitions definition."""

    partitions_def_name: str
    partition_keys: Sequence[str]


@dataclass(frozen=True)
class DeleteDynamicPartitionsRequest:
    """A request (returned by a sensor) to delete keys from a dynamic partitions definition."""

    partitions_def_name: str
    partition_keys: Sequence[str]


DeletePartitionsRequest = DeleteDynamicPartitionsRequest


def validate_partition_key_strings(partition_keys: Sequence[str], what: str) -> list[str]:
    """Checks keys are strings without Dagster's forbidden substrings; returns them as a list.

    Raises:
        InvalidPartitionsDefinitionError: naming the offending key.
    """
    if isinstance(partition_keys, str):
        raise InvalidPartitionsDefinitionError(
            f"{what} takes a list of partition keys, got the string {partition_keys!r}; "
            f"write [{partition_keys!r}]."
        )
    keys = list(partition_keys)
    for key in keys:
        if not isinstance(key, str):
            raise InvalidPartitionsDefinitionError(
                f"{what}: partition keys must be strings, got {key!r} ({type(key).__name__})."
            )
        bad = [sub for sub in INVALID_PARTITION_SUBSTRINGS if sub in key]
        if bad:
            raise InvalidPartitionsDefinitionError(
                f"{what}: partition key {key!r} contains {bad!r}, which partition keys may not "
                "contain ('...' and control characters)."
            )
    return keys


class PartitionsDefinition(ABC):
    """The set of partitions of an asset or job. Subclasses are immutable values."""

    @abstractmethod
    def get_partition_keys(
        self,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> list[str]:
        """The partition keys, in order.

        Args:
            current_time: the time at which to list (time-window definitions only); default now.
            dynamic_partitions_store: where dynamic partition keys live (usually the instance).
        """

    def get_num_partitions(
        self,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> int:
        """How many partitions there are."""
        return len(self.get_partition_keys(current_time, dynamic_partitions_store))

    def get_first_partition_key(
        self,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> str | None:
        """The first key, or ``None`` when there are no partitions."""
        keys = self.get_partition_keys(current_time, dynamic_partitions_store)
        return keys[0] if keys else None

    def get_last_partition_key(
        self,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> str | None:
        """The last key, or ``None`` when there are no partitions."""
        keys = self.get_partition_keys(current_time, dynamic_partitions_store)
        return keys[-1] if keys else None

    def has_partition_key(
        self,
        partition_key: str,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> bool:
        """Whether ``partition_key`` is one of this definition's keys."""
        return partition_key in self.get_partition_keys(current_time, dynamic_partitions_store)

    def get_partition_keys_in_range(
        self,
        partition_key_range: PartitionKeyRange,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> list[str]:
        """The keys from ``partition_key_range.start`` to ``.end``, both included.

        Raises:
            DagsterUnknownPartitionError: if either end is not a key of this definition.
        """
        keys = self.get_partition_keys(dynamic_partitions_store=dynamic_partitions_store)
        index = {key: i for i, key in enumerate(keys)}
        missing = [
            k for k in (partition_key_range.start, partition_key_range.end) if k not in index
        ]
        if missing:
            raise DagsterUnknownPartitionError(
                f"Partition range {partition_key_range.start}...{partition_key_range.end} is not "
                f"valid: {missing} not in {self}. "
                f"{self._describe_valid_keys(None, dynamic_partitions_store)}"
            )
        return keys[index[partition_key_range.start] : index[partition_key_range.end] + 1]

    def validate_partition_key(
        self,
        partition_key: str,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> None:
        """Checks ``partition_key`` is one of this definition's keys.

        Raises:
            DagsterUnknownPartitionError: naming the key and the valid keys.
        """
        if not self.has_partition_key(partition_key, current_time, dynamic_partitions_store):
            raise DagsterUnknownPartitionError(
                f"Unknown partition key {partition_key!r} for {self}. "
                f"{self._describe_valid_keys(current_time, dynamic_partitions_store)}"
            )

    def get_tags_for_partition_key(self, partition_key: str) -> dict[str, str]:
        """The run tags that mark a run of ``partition_key``."""
        return {PARTITION_NAME_TAG: partition_key}

    def _describe_valid_keys(
        self, current_time: datetime | None, store: DynamicPartitionsStore | None
    ) -> str:
        keys = self.get_partition_keys(current_time, store)
        if not keys:
            return "It has no partitions."
        shown = ", ".join(repr(k) for k in keys[:5])
        more = f" and {len(keys) - 5} more" if len(keys) > 5 else ""
        return f"Valid keys: {shown}{more}."


@dataclass(frozen=True, init=False)
class StaticPartitionsDefinition(PartitionsDefinition):
    """A fixed list of partition keys.

    Args:
        partition_keys: unique strings, without ``...`` or control characters.

    Raises:
        InvalidPartitionsDefinitionError: for duplicate, non-string or forbidden keys.
    """

    partition_keys: tuple[str, ...]
    _index: dict[str, int] = field(repr=False, compare=False, hash=False)

    def __init__(self, partition_keys: Sequence[str]):
        keys = validate_partition_key_strings(partition_keys, "StaticPartitionsDefinition")
        index: dict[str, int] = {}
        duplicates = []
        for i, key in enumerate(keys):
            if key in index:
                duplicates.append(key)
            index[key] = i
        if duplicates:
            raise InvalidPartitionsDefinitionError(
                f"StaticPartitionsDefinition: partition keys must be unique; duplicated: "
                f"{sorted(set(duplicates))}."
            )
        object.__setattr__(self, "partition_keys", tuple(keys))
        object.__setattr__(self, "_index", index)

    def get_partition_keys(
        self,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> list[str]:
        return list(self.partition_keys)

    def get_num_partitions(
        self,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> int:
        return len(self.partition_keys)

    def has_partition_key(
        self,
        partition_key: str,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> bool:
        return partition_key in self._index

    def index_of(self, partition_key: str) -> int | None:
        """The position of ``partition_key`` in the list, or ``None``."""
        return self._index.get(partition_key)

    def __str__(self) -> str:
        shown = ", ".join(repr(k) for k in self.partition_keys[:5])
        more = ", ..." if len(self.partition_keys) > 5 else ""
        return f"StaticPartitionsDefinition([{shown}{more}])"


@dataclass(frozen=True, init=False)
class DynamicPartitionsDefinition(PartitionsDefinition):
    """Partitions whose keys are added and deleted at run time, stored in the instance.

    Args:
        partition_fn: deprecated in Dagster: a function of the current time returning the keys.
        name: the name under which the keys are stored (``instance.add_dynamic_partitions``).

    Raises:
        InvalidPartitionsDefinitionError: unless exactly one of ``name``/``partition_fn`` is given.
    """

    partition_fn: Callable[[datetime | None], Sequence[str]] | None
    name: str | None

    def __init__(
        self,
        partition_fn: Callable[[datetime | None], Sequence[str]] | None = None,
        name: str | None = None,
    ):
        if (partition_fn is None) == (name is None):
            raise InvalidPartitionsDefinitionError(
                "DynamicPartitionsDefinition needs exactly one of name=... (the usual form, keys "
                "kept in the instance) or partition_fn=..."
            )
        if name is not None and (not isinstance(name, str) or not name):
            raise InvalidPartitionsDefinitionError(
                f"DynamicPartitionsDefinition name must be a non-empty string, got {name!r}."
            )
        object.__setattr__(self, "partition_fn", partition_fn)
        object.__setattr__(self, "name", name)

    def _store(self, store: DynamicPartitionsStore | None) -> DynamicPartitionsStore:
        if store is None:
            raise PartitionError(
                f"The keys of dynamic partitions {self.name!r} live in the instance: pass "
                "dynamic_partitions_store=<the instance> to read them."
            )
        return store

    def get_partition_keys(
        self,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> list[str]:
        if self.partition_fn is not None:
            return [getattr(p, "name", p) for p in self.partition_fn(current_time)]
        store = self._store(dynamic_partitions_store)
        return list(store.get_dynamic_partitions(partitions_def_name=self._validated_name()))

    def has_partition_key(
        self,
        partition_key: str,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> bool:
        if self.partition_fn is not None:
            return partition_key in self.get_partition_keys(current_time)
        store = self._store(dynamic_partitions_store)
        return store.has_dynamic_partition(
            partitions_def_name=self._validated_name(), partition_key=partition_key
        )

    def _validated_name(self) -> str:
        if self.name is None:
            raise PartitionError(
                "This DynamicPartitionsDefinition has a partition_fn and no name; give it a name."
            )
        return self.name

    def build_add_request(self, partition_keys: Sequence[str]) -> AddDynamicPartitionsRequest:
        """A request to add ``partition_keys``, for a sensor to return."""
        keys = validate_partition_key_strings(partition_keys, f"Dynamic partitions {self.name!r}")
        return AddDynamicPartitionsRequest(self._validated_name(), keys)

    def build_delete_request(self, partition_keys: Sequence[str]) -> DeleteDynamicPartitionsRequest:
        """A request to delete ``partition_keys``, for a sensor to return."""
        keys = validate_partition_key_strings(partition_keys, f"Dynamic partitions {self.name!r}")
        return DeleteDynamicPartitionsRequest(self._validated_name(), keys)

    def _describe_valid_keys(
        self, current_time: datetime | None, store: DynamicPartitionsStore | None
    ) -> str:
        if self.partition_fn is None and store is None:
            return "Pass the instance as dynamic_partitions_store to see its keys."
        hint = super()._describe_valid_keys(current_time, store)
        return f"{hint} Add keys with instance.add_dynamic_partitions({self.name!r}, [...])."

    def __str__(self) -> str:
        return f'Dynamic partitions "{self.name}"'


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
    from assettui.model.partitions.time_window import TimeWindowPartitionsDefinition

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
        from assettui.model.partitions.time_window import TimeWindowPartitionsDefinition

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
