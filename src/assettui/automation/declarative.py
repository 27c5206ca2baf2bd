"""Evaluating ``AutomationCondition`` trees: which assets (and partitions) to launch now.

Each pass evaluates, in topological order, every materializable asset that has a condition.
A node maps a set of candidate partitions (``""`` for an unpartitioned asset) to the subset
for which it is true: ``&`` narrows the candidates child by child, ``|`` unions, ``~``
subtracts. Stateful nodes keep their true sets between passes: ``newly_true()`` remembers
its operand's previous true set, ``since()`` its own (the trigger adds partitions, the reset
removes them, a reset on the same pass wins), and both look at every partition of the asset
so no transition is missed. Dependency nodes evaluate their operand on each parent's
partitions that the asset's candidates map to.

Everything remembered lives in one JSON cursor, stored as the cursor of the
``default_automation_condition_sensor`` (as in Dagster) together with the tick and the runs
each evaluation requests — one transaction, see :mod:`assettui.automation.scheduler`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from assettui.automation.cron import previous_tick
from assettui.errors import AssettuiError
from assettui.model.asset_graph import AssetGraph
from assettui.model.asset_key import AssetKey
from assettui.model.automation.conditions import (
    AllDepsCondition,
    AndAutomationCondition,
    AnyDepsCondition,
    AutomationCondition,
    CodeVersionChangedAutomationCondition,
    CronTickPassedCondition,
    ExecutionFailedAutomationCondition,
    InitialEvaluationAutomationCondition,
    InLatestTimeWindowCondition,
    InProgressAutomationCondition,
    MissingAutomationCondition,
    NewlyRequestedAutomationCondition,
    NewlyTrueCondition,
    NewlyUpdatedAutomationCondition,
    NotAutomationCondition,
    OrAutomationCondition,
    SinceCondition,
    WillBeRequestedAutomationCondition,
)
from assettui.model.partitions.definitions import PartitionKeyRange
from assettui.model.partitions.mapping import PartitionMapping
from assettui.model.partitions.multi import MultiPartitionsDefinition
from assettui.model.partitions.time_window import TimeWindowPartitionsDefinition
from assettui.model.records.runs import DagsterRunStatus, RunsFilter
from assettui.model.selection.asset_selection import AssetSelection
from assettui.storage.asset_status import AssetPartitionStatus
from assettui.storage.instance_storage import Storage

AUTOMATION_SENSOR_NAME = "default_automation_condition_sensor"
# At least this long between two evaluations of the automation conditions.
DEFAULT_AUTOMATION_INTERVAL_SECONDS = 30.0
UNPARTITIONED = ""
_UNFINISHED = [
    DagsterRunStatus.QUEUED,
    DagsterRunStatus.NOT_STARTED,
    DagsterRunStatus.STARTING,
    DagsterRunStatus.STARTED,
    DagsterRunStatus.CANCELING,
]


@dataclass(frozen=True)
class AssetEvaluation:
    """One asset's evaluation: what was requested and how many partitions each node held."""

    asset_key: AssetKey
    requested: tuple[str, ...]
    true_counts: Mapping[str, int]


@dataclass(frozen=True)
class AutomationEvaluation:
    """The result of one evaluation pass.

    Attributes:
        requested: asset -> partitions to launch (``""`` for an unpartitioned asset).
        cursor: the new cursor to store.
        evaluations: per asset, for showing why it was (not) requested.
    """

    requested: Mapping[AssetKey, frozenset[str]]
    cursor: str
    evaluations: tuple[AssetEvaluation, ...]


@dataclass
class _AssetData:
    universe: tuple[str, ...]
    materialized: dict[str, int]
    failed: set[str]
    in_progress: set[str]


@dataclass
class _Scope:
    owner: AssetKey
    target: AssetKey
    previous: Mapping[str, list[str]]
    current: dict[str, list[str]]
    counts: dict[str, int]
    initial: bool


@dataclass
class _Previous:
    timestamp: float | None = None
    max_storage_id: int | None = None
    evaluation_id: int = 0
    assets: Mapping[str, Any] = field(default_factory=dict)

    @staticmethod
    def parse(cursor: str | None) -> _Previous:
        if not cursor:
            return _Previous()
        try:
            data = json.loads(cursor)
            return _Previous(
                timestamp=data.get("timestamp"),
                max_storage_id=data.get("max_storage_id"),
                evaluation_id=int(data.get("evaluation_id", 0)),
                assets=data.get("assets") or {},
            )
        except (ValueError, TypeError, AttributeError):
            return _Previous()  # an unreadable cursor starts over rather than failing


def automated_asset_keys(graph: AssetGraph) -> list[AssetKey]:
    """Materializable assets with an automation condition, in topological order."""
    return [
        key
        for key in graph.toposorted_asset_keys
        if graph.get(key).is_materializable
        and isinstance(graph.get(key).automation_condition, AutomationCondition)
    ]


def evaluate_automation(
    storage: Storage,
    defs: Any,
    now: datetime,
    cursor: str | None,
    *,
    instance: Any = None,
) -> AutomationEvaluation:
    """Evaluate every asset's automation condition at ``now``.

    Args:
        storage: the instance storage (asset status, runs).
        defs: the Definitions.
        now: the evaluation time.
        cursor: the cursor stored by the previous evaluation.
        instance: the dynamic partitions store.
    """
    return _Evaluator(storage, defs, now, _Previous.parse(cursor), instance).run()


class _Evaluator:
    def __init__(
        self, storage: Storage, defs: Any, now: datetime, previous: _Previous, instance: Any
    ):
        self.storage = storage
        self.defs = defs
        self.graph: AssetGraph = defs.resolve_asset_graph()
        self.now = now
        self.previous = previous
        self.instance = instance
        # Read before evaluating: events landing during the pass count as new next time.
        self.max_storage_id = storage.event_log.latest_storage_id()
        self.requested: dict[AssetKey, set[str]] = {}
        self._data: dict[AssetKey, _AssetData] = {}
        self._runs_in_progress: dict[AssetKey, set[str]] | None = None
        self._selections: dict[int, frozenset[AssetKey]] = {}

    def run(self) -> AutomationEvaluation:
        assets_state: dict[str, Any] = {}
        evaluations = []
        for key in automated_asset_keys(self.graph):
            condition: AutomationCondition = self.graph.get(key).automation_condition
            name = key.to_user_string()
            before = self.previous.assets.get(name) or {}
            condition_id = condition.unique_id()
            initial = self.previous.timestamp is None or before.get("id") != condition_id
            scope = _Scope(
                owner=key,
                target=key,
                previous={} if initial else before.get("nodes", {}),
                current={},
                counts={},
                initial=initial,
            )
            universe = set(self._asset(key).universe)
            true = self._eval(condition, scope, universe, "0")
            self.requested[key] = true
            code_version = self.graph.get(key).code_version
            assets_state[name] = {
                "id": condition_id,
                "nodes": scope.current,
                "requested": sorted(true),
                "code_version": code_version,
                "counts": scope.counts,
            }
            evaluations.append(AssetEvaluation(key, tuple(sorted(true)), dict(scope.counts)))
        cursor = json.dumps(
            {
                "evaluation_id": self.previous.evaluation_id + 1,
                "timestamp": self.now.timestamp(),
                "max_storage_id": self.max_storage_id,
                "assets": assets_state,
            },
            separators=(",", ":"),
        )
        requested = {k: frozenset(v) for k, v in self.requested.items() if v}
        return AutomationEvaluation(requested, cursor, tuple(evaluations))

    # ---- data --------------------------------------------------------------------------

    def _asset(self, key: AssetKey) -> _AssetData:
        data = self._data.get(key)
        if data is not None:
            return data
        node = self.graph.get(key)
        pdef = node.partitions_def
        if pdef is None:
            universe: tuple[str, ...] = (UNPARTITIONED,)
        else:
            universe = tuple(
                pdef.get_partition_keys(
                    current_time=self.now, dynamic_partitions_store=self.instance
                )
            )
        materialized: dict[str, int] = {}
        failed: set[str] = set()
        in_progress: set[str] = set()
        for record in self.storage.asset_status.partition_statuses(key):
            partition = record.partition if record.partition is not None else UNPARTITIONED
            if record.last_materialization_id is not None:
                materialized[partition] = record.last_materialization_id
            if record.status is AssetPartitionStatus.FAILED:
                failed.add(partition)
            elif record.status is AssetPartitionStatus.IN_PROGRESS:
                in_progress.add(partition)
        in_progress |= self._in_progress_from_runs().get(key, set())
        data = _AssetData(universe, materialized, failed, in_progress)
        self._data[key] = data
        return data

    def _in_progress_from_runs(self) -> dict[AssetKey, set[str]]:
        """Partitions of unfinished runs (queued ones too: they have not planned events yet)."""
        if self._runs_in_progress is not None:
            return self._runs_in_progress
        result: dict[AssetKey, set[str]] = {}
        for run in self.storage.runs.list_runs(RunsFilter(statuses=_UNFINISHED)):
            keys: Iterable[AssetKey] = run.asset_selection or ()
            if run.asset_selection is None:
                try:
                    keys = self.defs.resolve_job_def(run.job_name).asset_keys
                except AssettuiError:
                    keys = ()
            for key in keys:
                if not self.graph.has(key):
                    continue
                result.setdefault(key, set()).update(self._run_partitions(key, run))
        self._runs_in_progress = result
        return result

    def _run_partitions(self, key: AssetKey, run: Any) -> set[str]:
        pdef = self.graph.get(key).partitions_def
        if pdef is None:
            return {UNPARTITIONED}
        if run.partition_key is not None:
            return {run.partition_key}
        try:
            if run.partition_range is not None:
                start, end = run.partition_range
                return set(
                    pdef.get_partition_keys_in_range(
                        PartitionKeyRange(start, end), dynamic_partitions_store=self.instance
                    )
                )
        except AssettuiError:
            pass
        return set(self._asset_universe(key))

    def _asset_universe(self, key: AssetKey) -> tuple[str, ...]:
        data = self._data.get(key)
        if data is not None:
            return data.universe
        pdef = self.graph.get(key).partitions_def
        if pdef is None:
            return (UNPARTITIONED,)
        return tuple(
            pdef.get_partition_keys(current_time=self.now, dynamic_partitions_store=self.instance)
        )

    # ---- evaluation ----------------------------------------------------------------------

    def _eval(
        self, node: AutomationCondition, scope: _Scope, candidate: set[str], path: str
    ) -> set[str]:
        true = self._eval_node(node, scope, candidate, path)
        scope.counts[path] = len(true)
        return true

    def _eval_node(
        self, node: AutomationCondition, scope: _Scope, candidate: set[str], path: str
    ) -> set[str]:
        data = self._asset(scope.target)
        if isinstance(node, AndAutomationCondition):
            current = set(candidate)
            for index, child in enumerate(node.operands):
                current = self._eval(child, scope, current, f"{path}.{index}")
            return current
        if isinstance(node, OrAutomationCondition):
            result: set[str] = set()
            for index, child in enumerate(node.operands):
                result |= self._eval(child, scope, set(candidate), f"{path}.{index}")
            return result
        if isinstance(node, NotAutomationCondition):
            return candidate - self._eval(node.operand, scope, set(candidate), f"{path}.0")
        if isinstance(node, NewlyTrueCondition):
            now_true = self._eval(node.operand, scope, set(data.universe), f"{path}.0")
            before = set(scope.previous.get(path, ()))
            scope.current[path] = sorted(now_true)
            return (now_true - before) & candidate
        if isinstance(node, SinceCondition):
            universe = set(data.universe)
            trigger = self._eval(node.trigger_condition, scope, universe, f"{path}.0")
            reset = self._eval(node.reset_condition, scope, universe, f"{path}.1")
            true = (set(scope.previous.get(path, ())) | trigger) - reset
            scope.current[path] = sorted(true)
            return true & candidate
        if isinstance(node, (AnyDepsCondition, AllDepsCondition)):
            return self._eval_deps(node, scope, candidate, path)
        return self._eval_operand(node, scope, data, candidate)

    def _eval_operand(
        self, node: AutomationCondition, scope: _Scope, data: _AssetData, candidate: set[str]
    ) -> set[str]:
        if isinstance(node, MissingAutomationCondition):
            return {p for p in candidate if p not in data.materialized}
        if isinstance(node, InProgressAutomationCondition):
            return candidate & data.in_progress
        if isinstance(node, ExecutionFailedAutomationCondition):
            return candidate & data.failed
        if isinstance(node, NewlyUpdatedAutomationCondition):
            since = self.previous.max_storage_id
            if since is None:
                return set()
            return {p for p in candidate if data.materialized.get(p, 0) > since}
        if isinstance(node, NewlyRequestedAutomationCondition):
            before = self.previous.assets.get(scope.target.to_user_string()) or {}
            return candidate & set(before.get("requested", ()))
        if isinstance(node, WillBeRequestedAutomationCondition):
            return candidate & self.requested.get(scope.target, set())
        if isinstance(node, InitialEvaluationAutomationCondition):
            return set(candidate) if scope.initial else set()
        if isinstance(node, CodeVersionChangedAutomationCondition):
            before = self.previous.assets.get(scope.target.to_user_string()) or {}
            current = self.graph.get(scope.target).code_version
            changed = "code_version" in before and before["code_version"] != current
            return set(candidate) if changed else set()
        if isinstance(node, CronTickPassedCondition):
            return set(candidate) if self._cron_passed(node) else set()
        if isinstance(node, InLatestTimeWindowCondition):
            return self._in_latest_time_window(scope.target, candidate, node.lookback_seconds)
        raise AssettuiError(
            f"Automation condition {type(node).__name__} ({node}) cannot be evaluated."
        )

    def _cron_passed(self, node: CronTickPassedCondition) -> bool:
        if self.previous.timestamp is None:
            return False  # as Dagster: the first evaluation never sees a tick pass
        tick = previous_tick(node.cron_schedule, node.cron_timezone, self.now)
        return tick is not None and tick.timestamp() > self.previous.timestamp

    def _in_latest_time_window(
        self, key: AssetKey, candidate: set[str], lookback_seconds: float | None
    ) -> set[str]:
        pdef = self.graph.get(key).partitions_def
        time_def, dimension = _time_dimension(pdef)
        if time_def is None:
            return set(candidate)
        last = time_def.get_last_partition_window(current_time=self.now)
        if last is None:
            return set()
        earliest_end = last.end.timestamp() - (lookback_seconds or 0)
        result = set()
        for partition in candidate:
            time_key = partition
            if dimension is not None:
                time_key = pdef.get_partition_key_from_str(partition).keys_by_dimension[dimension]
            try:
                window = time_def.time_window_for_partition_key(time_key)
            except AssettuiError:
                continue
            if window.end.timestamp() >= earliest_end and window.start < last.end:
                result.add(partition)
        return result

    def _eval_deps(
        self,
        node: AnyDepsCondition | AllDepsCondition,
        scope: _Scope,
        candidate: set[str],
        path: str,
    ) -> set[str]:
        parents = self._dep_keys(scope.target, node)
        is_all = isinstance(node, AllDepsCondition)
        result = set(candidate) if is_all else set()
        for parent in parents:
            mapping = self._map_to_parent(scope.target, parent, candidate)
            wanted = set().union(*mapping.values()) if mapping else set()
            parent_scope = replace(scope, target=parent)
            true = self._eval(
                node.operand, parent_scope, wanted, f"{path}.0@{parent.to_user_string()}"
            )
            matched = {child for child, mapped in mapping.items() if mapped & true}
            result = result & matched if is_all else result | matched
        return result

    def _dep_keys(self, key: AssetKey, node: AnyDepsCondition | AllDepsCondition) -> list[AssetKey]:
        parents = set(self.graph.parents(key))
        if node.allow_selection is not None:
            parents &= self._resolve(node.allow_selection)
        if node.ignore_selection is not None:
            parents -= self._resolve(node.ignore_selection)
        return sorted(parents, key=lambda k: k.to_user_string())

    def _resolve(self, selection: Any) -> frozenset[AssetKey]:
        cached = self._selections.get(id(selection))
        if cached is None:
            resolved = AssetSelection.from_coercible(selection).resolve(self.graph)
            cached = frozenset(resolved)
            self._selections[id(selection)] = cached
        return cached

    def _map_to_parent(
        self, child: AssetKey, parent: AssetKey, partitions: set[str]
    ) -> dict[str, set[str]]:
        """Which partitions of ``parent`` each partition of ``child`` depends on."""
        child_def = self.graph.get(child).partitions_def
        parent_def = self.graph.get(parent).partitions_def
        if parent_def is None:
            return {p: {UNPARTITIONED} for p in partitions}
        parent_universe = set(self._asset(parent).universe)
        mapping_def = self.graph.get(child).partition_mapping_for(parent)
        if isinstance(mapping_def, PartitionMapping):
            return self._explicit_mapping(
                mapping_def, child_def, parent_def, partitions, parent_universe
            )
        if child_def is None:
            return {p: parent_universe for p in partitions}
        if child_def == parent_def:
            return {p: {p} & parent_universe for p in partitions}
        if isinstance(child_def, TimeWindowPartitionsDefinition) and isinstance(
            parent_def, TimeWindowPartitionsDefinition
        ):
            mapping = {}
            for p in partitions:
                try:
                    window = child_def.time_window_for_partition_key(p)
                    keys = set(parent_def.get_partition_keys_in_time_window(window))
                except AssettuiError:
                    keys = set()
                mapping[p] = keys & parent_universe
            return mapping
        # Other combinations depend on every parent partition (Dagster's AllPartitionMapping).
        return {p: parent_universe for p in partitions}

    def _explicit_mapping(
        self,
        mapping_def: PartitionMapping,
        child_def: Any,
        parent_def: Any,
        partitions: set[str],
        parent_universe: set[str],
    ) -> dict[str, set[str]]:
        """Partitions through a partition mapping declared on the dependency (``AssetIn``)."""
        result: dict[str, set[str]] = {}
        for p in partitions:
            try:
                mapped = mapping_def.get_upstream_mapped_partitions_result_for_partition_keys(
                    [p] if child_def is not None else None,
                    child_def,
                    parent_def,
                    current_time=self.now,
                    dynamic_partitions_store=self.instance,
                ).partition_keys
            except AssettuiError:
                mapped = []
            result[p] = set(mapped) & parent_universe
        return result


def _time_dimension(pdef: Any) -> tuple[TimeWindowPartitionsDefinition | None, str | None]:
    if isinstance(pdef, TimeWindowPartitionsDefinition):
        return pdef, None
    if isinstance(pdef, MultiPartitionsDefinition) and pdef.has_time_window_dimension:
        dimension = pdef.time_window_dimension
        time_def = dimension.partitions_def
        assert isinstance(time_def, TimeWindowPartitionsDefinition)
        return time_def, dimension.name
    return None, None


def explain(
    condition: AutomationCondition, cursor: str | None, asset_key: AssetKey
) -> list[tuple[str, int, str, int | None]]:
    """``(path, depth, label, true count)`` of each node at the last evaluation of an asset."""
    previous = _Previous.parse(cursor)
    counts = (previous.assets.get(asset_key.to_user_string()) or {}).get("counts", {})
    return [(path, path.count("."), str(node), counts.get(path)) for path, node in condition.walk()]
