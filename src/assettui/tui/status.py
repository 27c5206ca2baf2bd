"""Asset status for the UI: a glyph and a colour per status, and where the states come from.

Every status has a glyph as well as a colour, so the graph reads with ``NO_COLOR``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from assettui.model.asset_graph import AssetGraph
from assettui.model.asset_key import AssetKey
from assettui.storage import AssetPartitionStatus, DagsterRunStatus, RunsFilter, Storage

STATUSES = ("fresh", "stale", "missing", "failed", "running", "queued", "external")

GLYPHS: Mapping[str, str] = {
    "fresh": "●",
    "stale": "◐",
    "missing": "○",
    "failed": "✖",
    "running": "▶",
    "queued": "◷",
    "external": "◇",
}

COLOURS: Mapping[str, str] = {
    "fresh": "green",
    "stale": "yellow",
    "missing": "bright_black",
    "failed": "red",
    "running": "cyan",
    "queued": "magenta",
    "external": "blue",
}

# Styles for the roles graph_layout emits.
ROLE_STYLES: Mapping[str, str] = {
    "": "",
    "edge": "bright_black",
    "edge.lit": "bold $accent",
    "box": "bright_black",
    "box.lit": "$accent",
    "box.sel": "bold $accent",
    "title": "",
    "title.sel": "bold reverse",
    "sub": "dim",
    "lane": "bright_black",
    "name": "",
    "name.sel": "bold reverse",
    "name.lit": "$accent",
    **{f"status.{s}": f"bold {c}" for s, c in COLOURS.items()},
}


@dataclass(frozen=True)
class NodeState:
    """What the graph shows of one asset's state.

    Attributes:
        status: one of :data:`STATUSES`.
        materialized: partitions materialized (1 or 0 when unpartitioned).
        failed: partitions failed.
        in_progress: partitions being materialized.
        total: partitions in the definition (``None`` when unpartitioned).
        reason: why the asset is stale or failed, when known.
    """

    status: str
    materialized: int = 0
    failed: int = 0
    in_progress: int = 0
    total: int | None = None
    reason: str | None = None

    @property
    def glyph(self) -> str:
        return GLYPHS.get(self.status, "?")

    def counts_label(self) -> str:
        """``"3/7"`` for a partitioned asset, ``""`` otherwise."""
        return f"{self.materialized}/{self.total}" if self.total is not None else ""


MISSING = NodeState("missing")


def load_states(graph: AssetGraph, storage: Storage) -> dict[AssetKey, NodeState]:
    """The state of every asset of ``graph`` (call from a worker thread: it reads storage).

    Uses the engine's ``asset_states`` when it is available, else :func:`compute_states`.
    """
    try:
        from assettui.execution.asset_state import asset_states
    except ImportError:
        return compute_states(graph, storage)
    states: dict[AssetKey, NodeState] = {}
    for key, state in asset_states(graph, storage).items():
        partitioned = graph.has(key) and graph.get(key).is_partitioned
        states[key] = NodeState(
            status=str(state.status),
            materialized=int(getattr(state, "materialized", 0) or 0),
            failed=int(getattr(state, "failed", 0) or 0),
            in_progress=int(getattr(state, "in_progress", 0) or 0),
            total=getattr(state, "total", None) if partitioned else None,
            reason=getattr(state, "reason", None),
        )
    return states


def compute_states(graph: AssetGraph, storage: Storage) -> dict[AssetKey, NodeState]:
    """States from the status tables: stale when an upstream is newer or the code changed."""
    waiting = RunsFilter(statuses=[DagsterRunStatus.QUEUED, DagsterRunStatus.NOT_STARTED])
    queued_runs = {r.run_id for r in storage.runs.list_runs(waiting)}
    states: dict[AssetKey, NodeState] = {}
    stamps: dict[AssetKey, float] = {}
    for key in graph.toposorted_asset_keys:
        node = graph.get(key)
        if node.is_external:
            states[key] = NodeState("external")
            continue
        if node.is_partitioned:
            states[key] = _partitioned_state(graph, storage, key)
            continue
        record = storage.asset_status.partition_status(key)
        if record is None:
            states[key] = MISSING
            continue
        if record.last_materialization_timestamp:
            stamps[key] = record.last_materialization_timestamp
        if record.status is AssetPartitionStatus.IN_PROGRESS:
            status = "queued" if record.last_run_id in queued_runs else "running"
            states[key] = NodeState(status, int(key in stamps), 0, 1)
        elif record.status is AssetPartitionStatus.FAILED:
            states[key] = NodeState("failed", int(key in stamps), 1)
        else:
            stale = (
                node.code_version is not None and record.code_version != node.code_version
            ) or any(stamps.get(p, 0.0) > stamps[key] for p in node.parent_keys)
            states[key] = NodeState("stale" if stale else "fresh", 1)
    return states


def _partitioned_state(graph: AssetGraph, storage: Storage, key: AssetKey) -> NodeState:
    counts = storage.asset_status.status_counts(key)
    done = counts.get(AssetPartitionStatus.MATERIALIZED, 0)
    failed = counts.get(AssetPartitionStatus.FAILED, 0)
    running = counts.get(AssetPartitionStatus.IN_PROGRESS, 0)
    try:
        total = graph.get(key).partitions_def.get_num_partitions(
            dynamic_partitions_store=_DynamicPartitions(storage)
        )
    except Exception:  # a partitions definition the UI cannot count is shown without a total
        total = done + failed + running
    if running:
        status = "running"
    elif failed:
        status = "failed"
    elif done and done >= total:
        status = "fresh"
    else:
        status = "missing"
    return NodeState(status, done, failed, running, total)


class _DynamicPartitions:
    """The dynamic-partitions store protocol over a Storage."""

    def __init__(self, storage: Storage):
        self._storage = storage

    def get_dynamic_partitions(self, partitions_def_name: str) -> list[str]:
        return self._storage.dynamic_partitions.get(partitions_def_name)

    def has_dynamic_partition(self, partitions_def_name: str, partition_key: str) -> bool:
        return self._storage.dynamic_partitions.has(partitions_def_name, partition_key)
