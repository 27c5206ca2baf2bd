"""What state each asset is in: fresh, stale, missing, failed, running or queued.

Computed from the status table (one query over it, never a scan of the event log) and the
queued runs. An asset is *stale* when an upstream asset was materialized after it, or its
current code version differs from the one its last materialization recorded.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from assettui.model.asset_graph import AssetGraph
from assettui.model.asset_key import AssetKey
from assettui.model.records.runs import DagsterRunStatus, RunsFilter
from assettui.storage.instance import DagsterInstance
from assettui.storage.instance_storage import Storage


class AssetStatus(StrEnum):
    """An asset's state; each member equals (and formats as) the string used before the enum."""

    FRESH = "fresh"
    STALE = "stale"
    MISSING = "missing"
    FAILED = "failed"
    RUNNING = "running"
    QUEUED = "queued"


FRESH, STALE, MISSING, FAILED, RUNNING, QUEUED = AssetStatus
STATUSES = (FRESH, STALE, MISSING, FAILED, RUNNING, QUEUED)


@dataclass(frozen=True)
class PartitionRow:
    status: str  # materialized | failed | in_progress
    timestamp: float | None
    code_version: str | None
    run_id: str | None


@dataclass(frozen=True)
class AssetState:
    """One asset's state, with partition counts for partitioned assets.

    Attributes:
        status: one of fresh, stale, missing, failed, running, queued.
        reason: why it is stale/failed, when it is.
        last_materialized: timestamp of the newest materialization (any partition).
        last_run_id: the run of that materialization.
        total / materialized / failed / in_progress: partition counts (1 for unpartitioned).
    """

    key: AssetKey
    status: str
    reason: str | None = None
    last_materialized: float | None = None
    last_run_id: str | None = None
    total: int = 1
    materialized: int = 0
    failed: int = 0
    in_progress: int = 0

    @property
    def missing(self) -> int:
        return max(0, self.total - self.materialized - self.failed - self.in_progress)


def _status_counts(storage: Storage) -> dict[AssetKey, dict[str, int]]:
    """Per asset, how many of its partitions are in each stored status (one grouped read)."""
    out: dict[AssetKey, dict[str, int]] = {}
    cursor = storage.database().execute(
        "SELECT asset_key, status, COUNT(*) FROM asset_partition_status GROUP BY asset_key, status"
    )
    for asset_key, status, count in cursor:
        out.setdefault(AssetKey.from_user_string(asset_key), {})[status] = count
    return out


def _latest_rows(storage: Storage) -> dict[AssetKey, PartitionRow]:
    """Per asset, its most recently materialized partition's row (one grouped read)."""
    if storage.dialect == "postgresql":
        sql = (
            "SELECT DISTINCT ON (asset_key) asset_key, status, last_materialization_timestamp, "
            "code_version, last_materialization_run_id FROM asset_partition_status "
            "WHERE last_materialization_timestamp IS NOT NULL "
            "ORDER BY asset_key, last_materialization_timestamp DESC"
        )
    else:  # SQLite returns the bare columns of the row holding MAX(...) in each group
        sql = (
            "SELECT asset_key, status, MAX(last_materialization_timestamp), code_version, "
            "last_materialization_run_id FROM asset_partition_status "
            "WHERE last_materialization_timestamp IS NOT NULL GROUP BY asset_key"
        )
    cursor = storage.database().execute(sql)
    return {
        AssetKey.from_user_string(key): PartitionRow(status, ts, code_version, run_id)
        for key, status, ts, code_version, run_id in cursor
    }


def queued_asset_keys(storage: Storage) -> set[AssetKey]:
    keys: set[AssetKey] = set()
    for run in storage.runs.list_runs(
        RunsFilter(
            statuses=[
                DagsterRunStatus.QUEUED,
                DagsterRunStatus.NOT_STARTED,
                DagsterRunStatus.STARTING,
            ]
        )
    ):
        keys.update(run.asset_selection or ())
    return keys


def asset_states(
    graph: AssetGraph, storage: Storage, keys: Iterable[AssetKey] | None = None
) -> dict[AssetKey, AssetState]:
    """The state of every asset of ``graph`` (or of ``keys``)."""
    counts_by_key = _status_counts(storage)
    latest = _latest_rows(storage)
    newest = {k: r.timestamp for k, r in latest.items() if r.timestamp is not None}
    queued = queued_asset_keys(storage)
    store = DagsterInstance(storage)
    states: dict[AssetKey, AssetState] = {}
    for key in keys if keys is not None else graph.toposorted_asset_keys:
        node = graph.get(key)
        stored = counts_by_key.get(key, {})
        counts = {s: stored.get(s, 0) for s in ("materialized", "failed", "in_progress")}
        total = _partition_count(node.partitions_def, store) if node.is_partitioned else 1
        last = latest.get(key)
        status, reason = _status(node, key, counts, total, last, newest)
        if status in (MISSING, STALE, FRESH) and key in queued:
            status = QUEUED
        states[key] = AssetState(
            key=key,
            status=status,
            reason=reason,
            last_materialized=last.timestamp if last else None,
            last_run_id=last.run_id if last else None,
            total=total,
            materialized=counts["materialized"],
            failed=counts["failed"],
            in_progress=counts["in_progress"],
        )
    return states


def _partition_count(pdef: Any, store: Any) -> int:
    try:
        return int(pdef.get_num_partitions(dynamic_partitions_store=store))
    except TypeError:
        return int(pdef.get_num_partitions())
    except Exception:
        return 0


def _status(
    node: Any,
    key: AssetKey,
    counts: dict[str, int],
    total: int,
    last: PartitionRow | None,
    newest: dict[AssetKey, float],
) -> tuple[str, str | None]:
    if counts["in_progress"]:
        return RUNNING, None
    if counts["failed"]:
        if not node.is_partitioned:
            return FAILED, "the last materialization failed"
        failed = counts["failed"]
        return FAILED, f"{failed} of {total} partition{'s' if total != 1 else ''} failed"
    if last is None or (node.is_partitioned and counts["materialized"] < total):
        if node.is_external and last is None:
            return FRESH, None  # external assets are not materialized here
        return MISSING, None
    if node.code_version is not None and last.code_version != node.code_version:
        return STALE, f"code version changed ({last.code_version} -> {node.code_version})"
    mine = last.timestamp or 0
    for parent in sorted(node.parent_keys):
        if newest.get(parent, 0) > mine:
            return STALE, f"upstream {parent.to_user_string()} was materialized after it"
    return FRESH, None


def partition_states(
    graph: AssetGraph, storage: Storage, key: AssetKey, partition_keys: list[str]
) -> dict[str, str]:
    """The state of each of ``partition_keys`` of ``key``: materialized, failed, missing,
    in_progress or stale (an upstream partition re-materialized after it, or code changed)."""
    node = graph.get(key)
    own = _partition_rows(storage, key)
    upstream_newest: dict[str, float] = {}
    for parent in (p for p in node.parent_keys if graph.has(p)):
        partitioned = graph.get(parent).is_partitioned
        for part, (_status, ts, _cv) in _partition_rows(storage, parent).items():
            slot = part if partitioned else "*"
            if (ts or 0) > upstream_newest.get(slot, 0):
                upstream_newest[slot] = ts or 0
    any_upstream = upstream_newest.get("*", 0)
    code_version = node.code_version
    out: dict[str, str] = {}
    for pkey in partition_keys:
        row = own.get(pkey)
        if row is None:
            out[pkey] = "missing"
            continue
        status, mine, row_code_version = row
        if status == "materialized" and (
            (code_version is not None and row_code_version != code_version)
            or max(upstream_newest.get(pkey, 0), any_upstream) > (mine or 0)
        ):
            status = "stale"
        out[pkey] = status
    return out


def _partition_rows(
    storage: Storage, key: AssetKey
) -> dict[str, tuple[str, float | None, str | None]]:
    """partition -> (status, last materialization time, code version): one indexed read,
    kept as plain tuples because this runs over up to hundreds of thousands of rows."""
    cursor = storage.database().execute(
        "SELECT partition, status, last_materialization_timestamp, code_version "
        "FROM asset_partition_status WHERE asset_key = ?",
        (key.to_user_string(),),
    )
    return {row[0]: (row[1], row[2], row[3]) for row in cursor}
