"""Partition mappings: which upstream partitions a downstream partition reads, and back.

The API is Dagster's, with plain ordered key lists where Dagster passes ``PartitionsSubset``
objects. Results come in the target definition's order, without duplicates.

Mapping downstream -> upstream may name upstream partitions that do not exist (yet): the
``..._result_...`` method reports them separately; ``get_upstream_partitions_for_partition_keys``
raises for them, as Dagster does when a run loads such an input.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from assettui.errors import PartitionError
from assettui.model.partitions.definitions import (
    DynamicPartitionsStore,
    InvalidPartitionsDefinitionError,
    PartitionsDefinition,
    StaticPartitionsDefinition,
    TimeWindow,
)
from assettui.model.partitions.multi import MultiPartitionKey, MultiPartitionsDefinition
from assettui.model.partitions.time_window import TimeWindowPartitionsDefinition


@dataclass(frozen=True)
class UpstreamPartitionsResult:
    """Upstream keys a downstream selection maps to, and those that do not exist."""

    partition_keys: list[str]
    required_but_nonexistent_partition_keys: list[str] = field(default_factory=list)


class _Ctx(NamedTuple):
    current_time: datetime | None
    store: DynamicPartitionsStore | None


def _ranker(pdef: PartitionsDefinition, ctx: _Ctx) -> Callable[[str], Any]:
    """A sort key putting keys of ``pdef`` in its order (keys it does not have go last)."""
    if isinstance(pdef, TimeWindowPartitionsDefinition):

        def time_rank(key: str) -> float:
            try:
                return pdef.partition_index(key)
            except PartitionError:
                return math.inf

        return time_rank
    if isinstance(pdef, StaticPartitionsDefinition):
        size = len(pdef.partition_keys)
        return lambda key: size if (i := pdef.index_of(key)) is None else i
    if isinstance(pdef, MultiPartitionsDefinition):
        ranks = [(d.name, _ranker(d.partitions_def, ctx)) for d in pdef.partitions_defs]

        def multi_rank(key: str) -> tuple:
            try:
                by_dim = pdef.get_partition_key_from_str(key).keys_by_dimension
            except PartitionError:
                return (math.inf,)
            return tuple(rank(by_dim[name]) for name, rank in ranks)

        return multi_rank
    order = {k: i for i, k in enumerate(pdef.get_partition_keys(*ctx))}
    return lambda key: order.get(key, len(order))


def _ordered(keys: Iterable[str], pdef: PartitionsDefinition | None, ctx: _Ctx) -> list[str]:
    unique = list(dict.fromkeys(keys))
    if pdef is None or len(unique) < 2:
        return unique
    return sorted(unique, key=_ranker(pdef, ctx))


def _split(keys: list[str], pdef: PartitionsDefinition, ctx: _Ctx) -> UpstreamPartitionsResult:
    """``keys`` split into those ``pdef`` has and those it has not."""
    exists = {k: pdef.has_partition_key(k, *ctx) for k in keys}
    return UpstreamPartitionsResult(
        [k for k in keys if exists[k]], [k for k in keys if not exists[k]]
    )


class PartitionMapping:
    """How the partitions of a downstream asset depend on those of an upstream asset."""

    def get_upstream_mapped_partitions_result_for_partition_keys(
        self,
        downstream_partition_keys: Sequence[str] | None,
        downstream_partitions_def: PartitionsDefinition | None,
        upstream_partitions_def: PartitionsDefinition,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> UpstreamPartitionsResult:
        """The upstream keys the downstream keys depend on, and those of them that don't exist.

        Args:
            downstream_partition_keys: the downstream keys (``None``: unpartitioned downstream).
            downstream_partitions_def: the downstream asset's partitions (``None`` if none).
            upstream_partitions_def: the upstream asset's partitions.
            current_time: the time at which partitions exist (default now).
            dynamic_partitions_store: where dynamic partition keys live (the instance).
        """
        ctx = _Ctx(current_time, dynamic_partitions_store)
        keys = list(downstream_partition_keys or [])
        return self._upstream(keys, downstream_partitions_def, upstream_partitions_def, ctx)

    def get_upstream_partitions_for_partition_keys(
        self,
        downstream_partition_keys: Sequence[str] | None,
        downstream_partitions_def: PartitionsDefinition | None,
        upstream_partitions_def: PartitionsDefinition,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> list[str]:
        """The upstream keys the downstream keys depend on, in upstream order.

        Raises:
            PartitionError: if some of them do not exist, naming them.
        """
        result = self.get_upstream_mapped_partitions_result_for_partition_keys(
            downstream_partition_keys,
            downstream_partitions_def,
            upstream_partitions_def,
            current_time,
            dynamic_partitions_store,
        )
        missing = result.required_but_nonexistent_partition_keys
        if missing:
            shown = ", ".join(repr(k) for k in missing[:5]) + (", ..." if len(missing) > 5 else "")
            raise PartitionError(
                f"Partitions {list(downstream_partition_keys or [])[:5]} (of "
                f"{downstream_partitions_def}) depend on upstream partitions that do not exist "
                f"(in {upstream_partitions_def}): {shown}. Select other partitions, or use a "
                "partition mapping that skips them (e.g. TimeWindowPartitionMapping("
                "allow_nonexistent_upstream_partitions=True))."
            )
        return result.partition_keys

    def get_downstream_partitions_for_partition_keys(
        self,
        upstream_partition_keys: Sequence[str],
        upstream_partitions_def: PartitionsDefinition,
        downstream_partitions_def: PartitionsDefinition | None,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> list[str]:
        """The existing downstream keys that depend on the upstream keys, in downstream order."""
        ctx = _Ctx(current_time, dynamic_partitions_store)
        keys = list(upstream_partition_keys)
        return self._downstream(keys, upstream_partitions_def, downstream_partitions_def, ctx)

    def validate_partition_mapping(
        self,
        upstream_partitions_def: PartitionsDefinition | None,
        downstream_partitions_def: PartitionsDefinition | None,
    ) -> None:
        """Checks the mapping fits the two definitions.

        Raises:
            InvalidPartitionsDefinitionError: saying what does not fit.
        """

    @property
    def description(self) -> str:
        """One sentence for the UI."""
        return (type(self).__doc__ or type(self).__name__).splitlines()[0]

    # Subclasses implement these two (keys are lists; ctx is (current_time, store)).
    def _upstream(self, keys: list[str], down: Any, up: Any, ctx: _Ctx) -> UpstreamPartitionsResult:
        raise NotImplementedError(f"{type(self).__name__} cannot map to upstream partitions.")

    def _downstream(self, keys: list[str], up: Any, down: Any, ctx: _Ctx) -> list[str]:
        raise NotImplementedError(f"{type(self).__name__} cannot map to downstream partitions.")

    def _needs(self, pdef: PartitionsDefinition | None, role: str) -> PartitionsDefinition:
        if pdef is None:
            raise PartitionError(f"{type(self).__name__} needs a partitioned {role} asset.")
        return pdef


@dataclass(frozen=True)
class IdentityPartitionMapping(PartitionMapping):
    """Each downstream partition depends on the upstream partition with the same key."""

    def _upstream(self, keys: list[str], down: Any, up: Any, ctx: _Ctx) -> UpstreamPartitionsResult:
        keys = _ordered(keys, self._needs(down, "downstream"), ctx)
        return UpstreamPartitionsResult(keys) if down == up else _split(keys, up, ctx)

    def _downstream(self, keys: list[str], up: Any, down: Any, ctx: _Ctx) -> list[str]:
        keys = _ordered(keys, up, ctx)
        return (
            keys
            if down == up
            else _split(keys, self._needs(down, "downstream"), ctx).partition_keys
        )

    def validate_partition_mapping(
        self,
        upstream_partitions_def: PartitionsDefinition | None,
        downstream_partitions_def: PartitionsDefinition | None,
    ) -> None:
        both = (upstream_partitions_def, downstream_partitions_def)
        time = TimeWindowPartitionsDefinition
        if len({time if isinstance(d, time) else type(d) for d in both}) != 1:
            raise InvalidPartitionsDefinitionError(
                "IdentityPartitionMapping needs upstream and downstream partitioned the same way; "
                f"got {upstream_partitions_def} upstream and {downstream_partitions_def} "
                "downstream. Use another partition mapping."
            )


@dataclass(frozen=True)
class AllPartitionMapping(PartitionMapping):
    """Each downstream partition depends on every upstream partition."""

    def _upstream(self, keys: list[str], down: Any, up: Any, ctx: _Ctx) -> UpstreamPartitionsResult:
        return UpstreamPartitionsResult(up.get_partition_keys(*ctx))

    def _downstream(self, keys: list[str], up: Any, down: Any, ctx: _Ctx) -> list[str]:
        return down.get_partition_keys(*ctx) if keys and down is not None else []


@dataclass(frozen=True)
class LastPartitionMapping(PartitionMapping):
    """Each downstream partition depends on the last partition of the upstream asset."""

    def _upstream(self, keys: list[str], down: Any, up: Any, ctx: _Ctx) -> UpstreamPartitionsResult:
        last = up.get_last_partition_key(*ctx)
        return UpstreamPartitionsResult([last] if last is not None else [])

    def _downstream(self, keys: list[str], up: Any, down: Any, ctx: _Ctx) -> list[str]:
        last = up.get_last_partition_key(*ctx)
        if down is None or last is None or last not in keys:
            return []
        return down.get_partition_keys(*ctx)


@dataclass(frozen=True, init=False)
class SpecificPartitionsPartitionMapping(PartitionMapping):
    """Each downstream partition depends on the given upstream partitions.

    Args:
        partition_keys: the upstream keys.
    """

    partition_keys: tuple[str, ...]

    def __init__(self, partition_keys: Sequence[str]):
        object.__setattr__(self, "partition_keys", tuple(partition_keys))

    def _upstream(self, keys: list[str], down: Any, up: Any, ctx: _Ctx) -> UpstreamPartitionsResult:
        return _split(_ordered(self.partition_keys, up, ctx), up, ctx)

    def _downstream(self, keys: list[str], up: Any, down: Any, ctx: _Ctx) -> list[str]:
        if down is None or not set(keys) & set(self.partition_keys):
            return []
        return down.get_partition_keys(*ctx)


@dataclass(frozen=True, init=False)
class StaticPartitionMapping(PartitionMapping):
    """An explicit correspondence between two static partitions definitions.

    Args:
        downstream_partition_keys_by_upstream_partition_key: for each upstream key, the
            downstream key or keys that depend on it.
    """

    downstream_partition_keys_by_upstream_partition_key: Mapping[str, str | Collection[str]]
    _forward: dict[str, tuple[str, ...]] = field(repr=False, compare=False)
    _inverse: dict[str, list[str]] = field(repr=False, compare=False)

    def __init__(
        self,
        downstream_partition_keys_by_upstream_partition_key: Mapping[str, str | Collection[str]],
    ):
        forward: dict[str, tuple[str, ...]] = {}
        inverse: dict[str, list[str]] = {}
        for up, downs in downstream_partition_keys_by_upstream_partition_key.items():
            forward[up] = (downs,) if isinstance(downs, str) else tuple(downs)
            for down in forward[up]:
                inverse.setdefault(down, []).append(up)
        mapping = dict(downstream_partition_keys_by_upstream_partition_key)
        object.__setattr__(self, "downstream_partition_keys_by_upstream_partition_key", mapping)
        object.__setattr__(self, "_forward", forward)
        object.__setattr__(self, "_inverse", inverse)

    def __hash__(self) -> int:
        return hash(frozenset((k, frozenset(v)) for k, v in self._forward.items()))

    def _upstream(self, keys: list[str], down: Any, up: Any, ctx: _Ctx) -> UpstreamPartitionsResult:
        ups = itertools.chain.from_iterable(self._inverse.get(k, ()) for k in keys)
        return UpstreamPartitionsResult(_ordered(ups, up, ctx))

    def _downstream(self, keys: list[str], up: Any, down: Any, ctx: _Ctx) -> list[str]:
        downs = itertools.chain.from_iterable(self._forward.get(k, ()) for k in keys)
        return _ordered(downs, down, ctx)

    def validate_partition_mapping(
        self,
        upstream_partitions_def: PartitionsDefinition | None,
        downstream_partitions_def: PartitionsDefinition | None,
    ) -> None:
        for role, pdef, keys in (
            ("upstream", upstream_partitions_def, self._forward),
            ("downstream", downstream_partitions_def, self._inverse),
        ):
            if not isinstance(pdef, StaticPartitionsDefinition):
                raise InvalidPartitionsDefinitionError(
                    f"StaticPartitionMapping needs static partitions {role}, got {pdef}."
                )
            extra = sorted(set(keys) - set(pdef.partition_keys))
            if extra:
                raise InvalidPartitionsDefinitionError(
                    f"StaticPartitionMapping names {role} keys {extra} that are not in {pdef}."
                )


@dataclass(frozen=True)
class TimeWindowPartitionMapping(PartitionMapping):
    """A downstream partition depends on the upstream partitions whose windows overlap its own.

    With offsets, the upstream window is moved: ``start_offset=-6, end_offset=0`` from daily to
    daily maps a day to itself and the six days before. Offsets count downstream windows.
    Upstream windows moved by an offset before the first (or after the last) upstream
    partition are cut off there, as in Dagster; when the downstream window itself lies outside
    the upstream partitions, those upstream keys are reported as nonexistent (an error when
    loading an input), unless ``allow_nonexistent_upstream_partitions``.

    Args:
        start_offset: windows to move the start of the upstream window by.
        end_offset: windows to move the end of the upstream window by.
        allow_nonexistent_upstream_partitions: drop upstream keys that do not exist instead of
            reporting them.
    """

    start_offset: int = 0
    end_offset: int = 0
    allow_nonexistent_upstream_partitions: bool = False

    def __post_init__(self) -> None:
        for name in ("start_offset", "end_offset"):
            if not isinstance(getattr(self, name), int):
                raise InvalidPartitionsDefinitionError(
                    f"TimeWindowPartitionMapping {name} must be an int, got {getattr(self, name)!r}."
                )

    def _upstream(self, keys: list[str], down: Any, up: Any, ctx: _Ctx) -> UpstreamPartitionsResult:
        down = self._needs(down, "downstream")
        offsets = (self.start_offset, self.end_offset)
        return UpstreamPartitionsResult(*self._map(down, up, keys, offsets, ctx, to_upstream=True))

    def _downstream(self, keys: list[str], up: Any, down: Any, ctx: _Ctx) -> list[str]:
        down = self._needs(down, "downstream")
        offsets = (-self.end_offset, -self.start_offset)
        return self._map(up, down, keys, offsets, ctx, to_upstream=False)[0]

    def validate_partition_mapping(
        self,
        upstream_partitions_def: PartitionsDefinition | None,
        downstream_partitions_def: PartitionsDefinition | None,
    ) -> None:
        _time_defs(downstream_partitions_def, upstream_partitions_def)

    def _map(
        self,
        from_def: Any,
        to_def: Any,
        keys: list[str],
        offsets: tuple[int, int],
        ctx: _Ctx,
        to_upstream: bool,
    ) -> tuple[list[str], list[str]]:
        """Dagster's mapping of ``from_def`` keys onto ``to_def``: (existing keys, missing keys).

        Offsets move window boundaries in ``from_def`` windows when mapping to upstream, in
        ``to_def`` windows (after aligning to them) when mapping to downstream.
        """
        from_def, to_def = _time_defs(from_def, to_def)
        first = to_def.get_first_partition_window(ctx.current_time)
        last = to_def.get_last_partition_window(ctx.current_time)
        bounds = TimeWindow(first.start, last.end) if first and last else None
        windows: list[tuple[datetime, datetime]] = []
        for window in _merged(from_def.time_windows_for_partition_keys(keys, validate=False)):
            start, end = window.start, window.end
            if to_upstream:
                start, end = (
                    _offsetted(from_def, dt, n, bounds)
                    for dt, n in zip((start, end), offsets, strict=True)
                )
            start, end = to_def.shift_boundary(start, 0), _ceil_boundary(to_def, end)
            if not to_upstream:
                start, end = (
                    _offsetted(to_def, dt, n, bounds)
                    for dt, n in zip((start, end), offsets, strict=True)
                )
            if start.timestamp() < end.timestamp():
                windows.append((start, end))
        found: list[str] = []
        missing: list[str] = []
        for start, end in windows:
            s, e = start.timestamp(), end.timestamp()
            if first and last and s <= last.start.timestamp() and e >= first.end.timestamp():
                clipped = TimeWindow(max(start, first.start), min(end, last.end))
                found += to_def.get_partition_keys_in_time_window(clipped)
            if self.allow_nonexistent_upstream_partitions or not to_upstream:
                continue
            if not (first and last):
                missing += to_def.get_partition_keys_in_time_window(TimeWindow(start, end))
            elif s < first.start.timestamp() or e > last.end.timestamp():
                lo = start if s < first.start.timestamp() else max(start, last.end)
                hi = end if e > last.end.timestamp() else min(end, first.start)
                missing += to_def.get_partition_keys_in_time_window(TimeWindow(lo, hi))
        return list(dict.fromkeys(found)), list(dict.fromkeys(missing))


def _time_defs(
    a: Any, b: Any
) -> tuple[TimeWindowPartitionsDefinition, TimeWindowPartitionsDefinition]:
    for pdef in (a, b):
        if not isinstance(pdef, TimeWindowPartitionsDefinition):
            raise InvalidPartitionsDefinitionError(
                f"TimeWindowPartitionMapping maps time-window partitions; got {pdef}."
            )
    if a.timezone != b.timezone:
        raise InvalidPartitionsDefinitionError(
            f"TimeWindowPartitionMapping needs one timezone; got {a.timezone} and {b.timezone}."
        )
    return a, b


def _merged(windows: Sequence[TimeWindow]) -> list[TimeWindow]:
    """Sorted windows with touching or overlapping ones joined."""
    out: list[TimeWindow] = []
    for window in windows:
        if out and window.start.timestamp() <= out[-1].end.timestamp():
            end = max(out[-1].end, window.end, key=lambda d: d.timestamp())
            out[-1] = TimeWindow(out[-1].start, end)
        else:
            out.append(window)
    return out


def _ceil_boundary(pdef: TimeWindowPartitionsDefinition, dt: datetime) -> datetime:
    floor = pdef.shift_boundary(dt, 0)
    return floor if floor.timestamp() == dt.timestamp() else pdef.shift_boundary(dt, 1)


def _offsetted(
    pdef: TimeWindowPartitionsDefinition, dt: datetime, offset: int, bounds: TimeWindow | None
) -> datetime:
    """``dt`` moved by ``offset`` windows, but not past the target's partitions (Dagster)."""
    if not offset:
        return dt
    moved = pdef.shift_boundary(dt, offset)
    if bounds is not None and offset < 0 and moved.timestamp() < bounds.start.timestamp():
        return bounds.start
    if bounds is not None and offset > 0 and moved.timestamp() > bounds.end.timestamp():
        return bounds.end
    return moved


class DimensionDependency(NamedTuple):
    """How one dimension's values map between upstream and downstream (``None``: not multi)."""

    partition_mapping: PartitionMapping
    upstream_dimension_name: str | None = None
    downstream_dimension_name: str | None = None


class _DimensionMapping(PartitionMapping):
    """Maps multi-partition keys dimension by dimension (Dagster's BaseMultiPartitionMapping)."""

    def get_dimension_dependencies(
        self, upstream_partitions_def: Any, downstream_partitions_def: Any
    ) -> list[DimensionDependency]:
        """The dependencies between the dimensions of the two definitions."""
        raise NotImplementedError

    def validate_partition_mapping(
        self,
        upstream_partitions_def: PartitionsDefinition | None,
        downstream_partitions_def: PartitionsDefinition | None,
    ) -> None:
        self.get_dimension_dependencies(upstream_partitions_def, downstream_partitions_def)

    def _upstream(self, keys: list[str], down: Any, up: Any, ctx: _Ctx) -> UpstreamPartitionsResult:
        down = self._needs(down, "downstream")
        deps = self.get_dimension_dependencies(up, down)
        return UpstreamPartitionsResult(*_map_dimensions(deps, down, keys, up, False, ctx))

    def _downstream(self, keys: list[str], up: Any, down: Any, ctx: _Ctx) -> list[str]:
        down = self._needs(down, "downstream")
        deps = self.get_dimension_dependencies(up, down)
        return _map_dimensions(deps, up, keys, down, True, ctx)[0]


def _dimension_def(pdef: PartitionsDefinition, name: str | None) -> PartitionsDefinition:
    if name is None:
        return pdef
    if not isinstance(pdef, MultiPartitionsDefinition):
        raise InvalidPartitionsDefinitionError(f"{pdef} has no dimension {name!r}.")
    return pdef.get_partitions_def_for_dimension(name)


def _map_dimensions(
    deps: list[DimensionDependency],
    a_def: Any,
    a_keys: list[str],
    b_def: Any,
    a_is_upstream: bool,
    ctx: _Ctx,
) -> tuple[list[str], list[str]]:
    """Keys of ``b_def`` related to ``a_keys`` of ``a_def``, and missing ones (b upstream)."""
    by_a_dim = {  # a's dimension -> (b's dimension, mapping)
        (d.upstream_dimension_name if a_is_upstream else d.downstream_dimension_name): (
            d.downstream_dimension_name if a_is_upstream else d.upstream_dimension_name,
            d.partition_mapping,
        )
        for d in deps
    }
    b_multi = isinstance(b_def, MultiPartitionsDefinition)
    names: list[Any] = [b_dim for b_dim, _ in by_a_dim.values()]
    unmapped = [
        d for d in (b_def.partition_dimension_names if b_multi else [None]) if d not in names
    ]
    unmapped_keys = [_dimension_def(b_def, d).get_partition_keys(*ctx) for d in unmapped]
    names += unmapped
    related: dict[tuple[str | None, str], list[str]] = {}
    missing: list[str] = []
    out: list[str] = []
    for key in a_keys:
        values: Mapping[Any, str] = {None: key}
        if isinstance(a_def, MultiPartitionsDefinition):
            values = a_def.get_partition_key_from_str(key).keys_by_dimension
        for a_dim, (b_dim, mapping) in by_a_dim.items():
            if (a_dim, values[a_dim]) in related:
                continue
            value = values[a_dim]
            a_sub, b_sub = _dimension_def(a_def, a_dim), _dimension_def(b_def, b_dim)
            if a_is_upstream:
                related[a_dim, value] = mapping._downstream([value], a_sub, b_sub, ctx)
            else:
                result = mapping._upstream([value], a_sub, b_sub, ctx)
                related[a_dim, value] = result.partition_keys
                missing += result.required_but_nonexistent_partition_keys
        mapped = [related[a_dim, values[a_dim]] for a_dim in by_a_dim]
        for combo in itertools.product(*mapped, *unmapped_keys):
            out.append(
                MultiPartitionKey(dict(zip(names, combo, strict=True))) if b_multi else combo[0]
            )
    return _ordered(out, b_def, ctx), list(dict.fromkeys(missing))


def _infer_single_to_multi(
    up: Any, down: Any, dimension_name: str | None
) -> DimensionDependency | str:
    """Dagster's rule relating a single-dimension definition to one dimension of a multi one;
    a reason string when they cannot be related."""
    multis = [d for d in (up, down) if isinstance(d, MultiPartitionsDefinition)]
    if len(multis) != 1:
        return (
            f"exactly one of upstream and downstream must be multi-partitioned; got {len(multis)}"
        )
    multi, single = (up, down) if multis[0] is up else (down, up)
    dims = [d for d in multi.partitions_defs if dimension_name in (None, d.name)]
    if not dims:
        return f"no dimension {dimension_name!r} in {multi}"
    matching = [d for d in dims if d.partitions_def == single]
    time_dims = [d for d in dims if isinstance(d.partitions_def, TimeWindowPartitionsDefinition)]
    if len(matching) == 1:
        mapping: PartitionMapping = IdentityPartitionMapping()
        name = matching[0].name
    elif matching:
        return f"several dimensions of {multi} match {single}: give partition_dimension_name"
    elif len(time_dims) == 1 and isinstance(single, TimeWindowPartitionsDefinition):
        mapping, name = TimeWindowPartitionMapping(), time_dims[0].name
    else:
        return f"{single} is neither a dimension of {multi} nor time windows against its time dimension"
    return DimensionDependency(mapping, *((name, None) if multi is up else (None, name)))


@dataclass(frozen=True)
class MultiToSingleDimensionPartitionMapping(_DimensionMapping):
    """Relates a single-dimension definition to one dimension of a multi-partitions definition.

    Works both ways (multi upstream and single downstream, or the reverse). The single
    definition must equal one dimension (identity on it), or be time windows against the
    multi's one time dimension (a time-window mapping on it, e.g. daily against daily x
    static). A key depends on every key with a related value in that dimension.

    Args:
        partition_dimension_name: the dimension of the multi definition to relate; needed
            only when several match.
    """

    partition_dimension_name: str | None = None

    def get_dimension_dependencies(
        self, upstream_partitions_def: Any, downstream_partitions_def: Any
    ) -> list[DimensionDependency]:
        dependency = _infer_single_to_multi(
            upstream_partitions_def, downstream_partitions_def, self.partition_dimension_name
        )
        if isinstance(dependency, str):
            raise InvalidPartitionsDefinitionError(
                f"MultiToSingleDimensionPartitionMapping cannot relate {upstream_partitions_def} "
                f"upstream to {downstream_partitions_def} downstream: {dependency}."
            )
        return [dependency]


@dataclass(frozen=True)
class DimensionPartitionMapping:
    """For :class:`MultiPartitionMapping`: a downstream dimension and the mapping onto it.

    Args:
        dimension_name: the name of the downstream dimension.
        partition_mapping: how the upstream dimension's keys map onto it.
    """

    dimension_name: str
    partition_mapping: PartitionMapping


@dataclass(frozen=True, init=False)
class MultiPartitionMapping(_DimensionMapping):
    """Maps between two multi-partitions definitions dimension by dimension.

    Downstream dimensions that no upstream dimension maps onto depend on all their keys.

    Args:
        downstream_mappings_by_upstream_dimension: upstream dimension name -> the downstream
            dimension and the mapping onto it.
    """

    downstream_mappings_by_upstream_dimension: Mapping[str, DimensionPartitionMapping]

    def __init__(
        self, downstream_mappings_by_upstream_dimension: Mapping[str, DimensionPartitionMapping]
    ):
        mappings = dict(downstream_mappings_by_upstream_dimension)
        object.__setattr__(self, "downstream_mappings_by_upstream_dimension", mappings)

    def __hash__(self) -> int:
        return hash(tuple(sorted(self.downstream_mappings_by_upstream_dimension.items())))

    def get_dimension_dependencies(
        self, upstream_partitions_def: Any, downstream_partitions_def: Any
    ) -> list[DimensionDependency]:
        both = (("upstream", upstream_partitions_def), ("downstream", downstream_partitions_def))
        for role, pdef in both:
            if not isinstance(pdef, MultiPartitionsDefinition):
                raise InvalidPartitionsDefinitionError(
                    f"MultiPartitionMapping needs multi-partitions {role}, got {pdef}."
                )
        deps = []
        for up_dim, dim_mapping in self.downstream_mappings_by_upstream_dimension.items():
            _dimension_def(upstream_partitions_def, up_dim)
            _dimension_def(downstream_partitions_def, dim_mapping.dimension_name)
            mapping = dim_mapping.partition_mapping
            deps.append(DimensionDependency(mapping, up_dim, dim_mapping.dimension_name))
        return deps


def default_partition_mapping(
    downstream_partitions_def: PartitionsDefinition | None,
    upstream_partitions_def: PartitionsDefinition | None,
) -> PartitionMapping:
    """Dagster's default mapping from a downstream to an upstream partitions definition.

    All partitions when either side is unpartitioned; multi <-> single on the matching
    dimension; a time-window mapping between two time-window definitions; identity otherwise.
    """
    down, up = downstream_partitions_def, upstream_partitions_def
    if down is None or up is None:
        return AllPartitionMapping()
    if isinstance(_infer_single_to_multi(up, down, None), DimensionDependency):
        return MultiToSingleDimensionPartitionMapping()
    if isinstance(up, TimeWindowPartitionsDefinition) and isinstance(
        down, TimeWindowPartitionsDefinition
    ):
        return TimeWindowPartitionMapping()
    return IdentityPartitionMapping()


def infer_partition_mapping(
    partition_mapping: PartitionMapping | None,
    downstream_partitions_def: PartitionsDefinition | None,
    upstream_partitions_def: PartitionsDefinition | None,
) -> PartitionMapping:
    """The given mapping, or else Dagster's default for the two definitions."""
    if partition_mapping is not None:
        return partition_mapping
    return default_partition_mapping(downstream_partitions_def, upstream_partitions_def)
