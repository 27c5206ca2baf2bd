"""Partitions definitions that are not about time: static, dynamic and multi-dimensional.

Also home of what every partitions definition shares: the abstract
:class:`PartitionsDefinition`, :class:`PartitionKeyRange`, the :class:`DynamicPartitionsStore`
protocol (implemented by the instance) and the dynamic partition request values a sensor returns.

Time-window definitions live in :mod:`assettui.model.partitions.time_window`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from assettui.errors import DagsterUnknownPartitionError, DefinitionError, PartitionError
from assettui.model.partitions.loading_context import current_partition_loading_context

PARTITION_NAME_TAG = "dagster/partition"
ASSET_PARTITION_RANGE_START_TAG = "dagster/asset_partition_range_start"
ASSET_PARTITION_RANGE_END_TAG = "dagster/asset_partition_range_end"
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
            store = current_partition_loading_context().dynamic_partitions_store
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
