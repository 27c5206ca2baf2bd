"""Planning a backfill: which runs cover a selection of assets over a list of partitions.

Pure: it reads the asset graph and the partition statuses it is given, and returns a
:class:`BackfillPlan` (a list of runs with the runs each must wait for). No I/O.

The partition keys given belong to the *anchor* definition: the partitions definition of the
first partitioned asset of the selection, in dependency order. Every selected asset is planned
by its own partitions: assets partitioned like the anchor over the given keys, differently
partitioned ones over the partitions mapped from their selected parents (or from the anchor),
unpartitioned ones once.

Assets are grouped into *stages*: an asset stays in its parent's stage when both share the
partitions definition, the backfill policy and an identity mapping (so one run per partition
covers both, in dependency order inside the run); otherwise it goes one stage later and its
runs wait for the parent's runs that cover the partitions it reads. Within a stage, assets
with the default policy get one run per partition; those with
``BackfillPolicy.single_run()`` get one run per contiguous range of partitions
(``multi_run(n)``: ranges of at most ``n``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from assettui.errors import DagsterUnknownPartitionError, PartitionError, SelectionError
from assettui.execution.launch_checks import check_range_readers
from assettui.model.asset_graph import AssetGraph
from assettui.model.asset_key import AssetKey
from assettui.model.partitions.mapping import (
    IdentityPartitionMapping,
    PartitionMapping,
    TimeWindowPartitionMapping,
    default_partition_mapping,
)

POLICIES = ("all", "missing", "failed_and_missing")
FAILED = "failed"  # AssetPartitionStatus.FAILED.value; storage is not imported here
PLAN_VERSION = 1

# (asset -> partition key -> stored status value); a partition absent is missing. The
# unpartitioned "partition" of an asset is the key "".
Statuses = Mapping[AssetKey, Mapping[str, str]]


@dataclass(frozen=True, slots=True)
class PlannedRun:
    """One run of a backfill.

    Attributes:
        asset_keys: the assets it materializes, parents first.
        partition_keys: the partitions it covers (empty: unpartitioned assets).
        is_range: whether it runs ``partition_keys`` as one range run.
        after: indexes (in the plan) of the runs that must succeed before it starts.
    """

    asset_keys: tuple[AssetKey, ...]
    partition_keys: tuple[str, ...] = ()
    is_range: bool = False
    after: tuple[int, ...] = ()

    @property
    def partition_key(self) -> str | None:
        """The run's one partition (``None`` for a range or an unpartitioned run)."""
        return self.partition_keys[0] if self.partition_keys and not self.is_range else None

    @property
    def partition_range(self) -> tuple[str, str] | None:
        """``(first, last)`` of a range run."""
        return (self.partition_keys[0], self.partition_keys[-1]) if self.is_range else None

    @property
    def label(self) -> str:
        """The partition part of the run, as shown to users."""
        if self.is_range:
            return f"{self.partition_keys[0]}...{self.partition_keys[-1]}"
        return self.partition_keys[0] if self.partition_keys else "(unpartitioned)"


@dataclass(frozen=True, slots=True)
class BackfillPlan:
    """The runs of a backfill, each after the runs it waits for.

    Attributes:
        runs: the runs; ``after`` indexes always point to earlier runs.
        partition_keys: the requested partitions (of the anchor definition), in order.
        policy: ``"all"``, ``"missing"`` or ``"failed_and_missing"``.
    """

    runs: tuple[PlannedRun, ...]
    partition_keys: tuple[str, ...]
    policy: str = "all"

    def asset_partitions(self) -> list[tuple[AssetKey, str | None]]:
        """Every (asset, partition) the plan materializes, run by run."""
        return [
            (key, partition)
            for run in self.runs
            for key in run.asset_keys
            for partition in (run.partition_keys or (None,))
        ]

    def to_json(self, **extra: Any) -> str:
        """A compact JSON form (``extra`` keys are stored beside the plan)."""
        names = sorted({k for run in self.runs for k in run.asset_keys})
        index = {key: i for i, key in enumerate(names)}
        data = {
            "v": PLAN_VERSION,
            **extra,
            "policy": self.policy,
            "assets": [k.to_user_string() for k in names],
            "runs": [
                [[index[k] for k in r.asset_keys], list(r.partition_keys), int(r.is_range),
                 list(r.after)]
                for r in self.runs
            ],
        }  # fmt: skip
        return json.dumps(data, separators=(",", ":"))

    @staticmethod
    def from_json(text: str, partition_keys: Sequence[str] = ()) -> tuple[BackfillPlan, dict]:
        """The plan stored by :meth:`to_json`, and the ``extra`` keys stored with it."""
        data = json.loads(text)
        names = [AssetKey.from_user_string(s) for s in data.pop("assets")]
        runs = tuple(
            PlannedRun(tuple(names[i] for i in keys), tuple(parts), bool(is_range), tuple(after))
            for keys, parts, is_range, after in data.pop("runs")
        )
        policy = data.pop("policy")
        data.pop("v", None)
        return BackfillPlan(runs, tuple(partition_keys), policy), data


def plan_backfill(
    graph: AssetGraph,
    asset_keys: Iterable[AssetKey],
    partition_keys: Sequence[str],
    *,
    policy: str = "all",
    statuses: Statuses | None = None,
    dynamic_partitions_store: Any = None,
) -> BackfillPlan:
    """Plan the runs that backfill ``asset_keys`` over ``partition_keys``.

    Args:
        graph: the asset graph.
        asset_keys: the selected assets.
        partition_keys: partitions of the anchor definition (see the module docstring).
        policy: ``"all"``; ``"missing"`` (only asset partitions without a stored status);
            ``"failed_and_missing"`` (those and the failed ones).
        statuses: stored status per asset partition (needed unless ``policy="all"``).
        dynamic_partitions_store: where dynamic partition keys live (the instance).

    Raises:
        SelectionError: an unknown or external asset, or an empty selection.
        PartitionError: no selected asset is partitioned, a key is not a partition, or a range
            run would go to an asset that reads ``context.partition_key``.
    """
    if policy not in POLICIES:
        raise PartitionError(f"Unknown backfill policy {policy!r}; use one of {POLICIES}.")
    selected = _selected(graph, asset_keys)
    anchor = anchor_partitions_def(graph, selected, partition_keys, dynamic_partitions_store)
    keys = _validated_keys(anchor, partition_keys, dynamic_partitions_store)
    planner = _Planner(graph, selected, anchor, keys, dynamic_partitions_store)
    planner.assign_partitions()
    planner.assign_stages()
    wanted = _filter(policy, statuses or {})
    runs = planner.runs(wanted)
    check_range_readers(
        graph, {k for run in runs if len(run.partition_keys) > 1 for k in run.asset_keys}
    )
    return BackfillPlan(runs, tuple(keys), policy)


def _selected(graph: AssetGraph, asset_keys: Iterable[AssetKey]) -> list[AssetKey]:
    keys = set(asset_keys)
    if not keys:
        raise SelectionError("A backfill needs at least one asset; the selection is empty.")
    for key in keys:
        if graph.get(key).is_external:
            raise SelectionError(
                f"Asset {key.to_user_string()!r} is external and cannot be backfilled; deselect it."
            )
    return graph.toposort(keys)


def anchor_partitions_def(
    graph: AssetGraph,
    selected: Iterable[AssetKey],
    partition_keys: Sequence[str] = (),
    store: Any = None,
) -> Any:
    """The definition backfill partition keys belong to.

    The first partitioned asset's (in dependency order) that holds every one of
    ``partition_keys`` — so ``--select '*'`` over daily keys anchors on the daily assets even
    when a dynamically partitioned asset comes first — else the first partitioned asset's.

    Raises:
        PartitionError: no selected asset is partitioned.
    """
    selected = graph.toposort(selected)
    defs = [graph.get(k).partitions_def for k in selected if graph.get(k).is_partitioned]
    for pdef in defs:
        try:
            if partition_keys and all(
                pdef.has_partition_key(k, dynamic_partitions_store=store) for k in partition_keys
            ):
                return pdef
        except Exception:  # a definition that cannot answer is not the anchor
            continue
    if defs:
        return defs[0]
    names = ", ".join(k.to_user_string() for k in selected[:5])
    raise PartitionError(
        f"None of the selected assets ({names}) is partitioned, so there is nothing to "
        "backfill; use `assettui materialize` instead."
    )


def _validated_keys(anchor: Any, partition_keys: Sequence[str], store: Any) -> list[str]:
    keys = list(dict.fromkeys(partition_keys))
    for key in keys:
        if not anchor.has_partition_key(key, dynamic_partitions_store=store):
            raise DagsterUnknownPartitionError(
                f"{key!r} is not a partition of {anchor}. "
                f"{anchor._describe_valid_keys(None, store)}"
            )
    return keys


def _filter(policy: str, statuses: Statuses):  # type: ignore[no-untyped-def]
    if policy == "all":
        return lambda key, partition: True
    accepted = {FAILED} if policy == "failed_and_missing" else set()

    def wanted(key: AssetKey, partition: str | None) -> bool:
        status = statuses.get(key, {}).get(partition or "")
        return status is None or status in accepted

    return wanted


def _is_identity(mapping: PartitionMapping) -> bool:
    if isinstance(mapping, IdentityPartitionMapping):
        return True
    return (
        isinstance(mapping, TimeWindowPartitionMapping)
        and mapping.start_offset == 0
        and mapping.end_offset == 0
    )


class _Planner:
    """The working state of one planning call."""

    def __init__(
        self, graph: AssetGraph, selected: list[AssetKey], anchor: Any, keys: list[str], store: Any
    ):
        self.graph = graph
        self.selected = selected
        self.in_selection = set(selected)
        self.anchor = anchor
        self.keys = keys
        self.store = store
        self.parts: dict[AssetKey, list[str] | None] = {}
        self.stage: dict[AssetKey, int] = {}
        self.group: dict[AssetKey, tuple[int, int, int | None]] = {}
        self._pdefs: list[Any] = []

    def _pdef_id(self, pdef: Any) -> int:
        if pdef is None:
            return -1
        for i, known in enumerate(self._pdefs):
            if known is pdef or known == pdef:
                return i
        self._pdefs.append(pdef)
        return len(self._pdefs) - 1

    def _mapping(self, child: AssetKey, parent: AssetKey) -> PartitionMapping:
        mapping = self.graph.get(child).partition_mapping_for(parent)
        if mapping is not None:
            return mapping
        return default_partition_mapping(
            self.graph.get(child).partitions_def, self.graph.get(parent).partitions_def
        )

    def _parents(self, key: AssetKey) -> list[AssetKey]:
        return [p for p in self.graph.get(key).parent_keys if p in self.in_selection]

    def assign_partitions(self) -> None:
        for key in self.selected:
            pdef = self.graph.get(key).partitions_def
            if pdef is None:
                self.parts[key] = None
            elif pdef is self.anchor or pdef == self.anchor:
                self.parts[key] = self.keys
            else:
                self.parts[key] = self._mapped_partitions(key, pdef)

    def _mapped_partitions(self, key: AssetKey, pdef: Any) -> list[str]:
        sources = [(p, self.parts[p]) for p in self._parents(key) if self.parts[p] is not None]
        found: dict[str, None] = {}
        try:
            if not sources:
                mapping = default_partition_mapping(pdef, self.anchor)
                found.update(
                    dict.fromkeys(
                        mapping.get_downstream_partitions_for_partition_keys(
                            self.keys, self.anchor, pdef, dynamic_partitions_store=self.store
                        )
                    )
                )
            for parent, parent_parts in sources:
                mapping = self._mapping(key, parent)
                found.update(
                    dict.fromkeys(
                        mapping.get_downstream_partitions_for_partition_keys(
                            parent_parts or [],
                            self.graph.get(parent).partitions_def,
                            pdef,
                            dynamic_partitions_store=self.store,
                        )
                    )
                )
        except (NotImplementedError, PartitionError) as exc:
            if not sources:
                # partitioned independently of the backfilled keys (e.g. dynamic partitions
                # next to daily ones): nothing of it is part of this backfill
                return []
            raise PartitionError(
                f"Cannot tell which partitions of {key.to_user_string()!r} ({pdef}) the "
                f"backfilled partitions map to: {exc}. Backfill it separately."
            ) from exc
        return list(found)

    def assign_stages(self) -> None:
        for key in self.selected:
            node = self.graph.get(key)
            policy = node.backfill_policy
            chunk: int | None = 1
            if node.is_partitioned and policy is not None:
                chunk = policy.max_partitions_per_run
            group = (0, self._pdef_id(node.partitions_def), chunk)
            stage = 0
            for parent in self._parents(key):
                same = self.group[parent][1:] == group[1:] and (
                    not node.is_partitioned or _is_identity(self._mapping(key, parent))
                )
                stage = max(stage, self.stage[parent] + (0 if same else 1))
            self.stage[key] = stage
            self.group[key] = (stage, group[1], group[2])

    def runs(self, wanted: Any) -> tuple[PlannedRun, ...]:
        groups: dict[tuple[int, int, int | None], list[AssetKey]] = {}
        for key in self.selected:
            groups.setdefault(self.group[key], []).append(key)
        runs: list[PlannedRun] = []
        run_of: dict[tuple[AssetKey, str | None], int] = {}
        for group_key in sorted(groups, key=lambda g: g[0]):
            members = groups[group_key]
            for assets, parts, is_range in self._group_runs(group_key, members, wanted):
                index = len(runs)
                for key in assets:
                    for partition in parts or (None,):
                        run_of[(key, partition)] = index
                after = self._after(assets, parts, run_of, index)
                runs.append(PlannedRun(tuple(assets), tuple(parts), is_range, after))
        return tuple(runs)

    def _group_runs(
        self, group_key: tuple[int, int, int | None], members: list[AssetKey], wanted: Any
    ) -> Iterable[tuple[list[AssetKey], list[str], bool]]:
        _, pdef_id, chunk = group_key
        if pdef_id == -1:
            todo = [k for k in members if wanted(k, None)]
            if todo:
                yield todo, [], False
            return
        todo_parts = {k: [p for p in self.parts[k] or () if wanted(k, p)] for k in members}
        if chunk == 1:
            by_partition: dict[str, list[AssetKey]] = {}
            for key in members:  # members are in dependency order, so each run's are too
                for partition in todo_parts[key]:
                    by_partition.setdefault(partition, []).append(key)
            position: dict[str, int] = {}
            for key in members:
                for partition in self.parts[key] or ():
                    position.setdefault(partition, len(position))
            for partition in sorted(by_partition, key=position.__getitem__):
                yield by_partition[partition], [partition], False
            return
        pdef = self._pdefs[pdef_id]
        order = {
            key: i
            for i, key in enumerate(pdef.get_partition_keys(dynamic_partitions_store=self.store))
        }
        union = sorted({p for parts in todo_parts.values() for p in parts}, key=order.__getitem__)
        for block in _contiguous(union, order, chunk):
            block_set = set(block)
            assets = [k for k in members if block_set.intersection(todo_parts[k])]
            yield assets, block, True

    def _after(
        self,
        assets: list[AssetKey],
        parts: list[str],
        run_of: dict[tuple[AssetKey, str | None], int],
        index: int,
    ) -> tuple[int, ...]:
        after: set[int] = set()
        for key in assets:
            for parent in self._parents(key):
                if self.stage[parent] == self.stage[key]:
                    continue  # same stage: same partitions, same run (or already done)
                for partition in self._needed(key, parent, parts):
                    run = run_of.get((parent, partition))
                    if run is not None and run != index:
                        after.add(run)
        return tuple(sorted(after))

    def _needed(self, key: AssetKey, parent: AssetKey, parts: list[str]) -> Iterable[str | None]:
        parent_parts = self.parts[parent]
        if parent_parts is None:
            return (None,)
        if not self.graph.get(key).is_partitioned:
            return parent_parts  # unpartitioned downstream reads every upstream partition
        mapping = self._mapping(key, parent)
        if _is_identity(mapping) and self.group[key][1] == self.group[parent][1]:
            return parts
        result = mapping.get_upstream_mapped_partitions_result_for_partition_keys(
            parts,
            self.graph.get(key).partitions_def,
            self.graph.get(parent).partitions_def,
            dynamic_partitions_store=self.store,
        )
        return result.partition_keys


def _contiguous(keys: list[str], order: Mapping[str, int], chunk: int | None) -> list[list[str]]:
    """Split ordered keys into runs of consecutive partitions, each at most ``chunk`` long."""
    blocks: list[list[str]] = []
    for key in keys:
        if (
            blocks
            and order[key] == order[blocks[-1][-1]] + 1
            and (chunk is None or len(blocks[-1]) < chunk)
        ):
            blocks[-1].append(key)
        else:
            blocks.append([key])
    return blocks
