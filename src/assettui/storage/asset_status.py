"""Per-asset and per-asset-partition status, kept current as events are stored.

Three tables answer "what is the state of everything" without reading the log:

- ``assets``: one row per asset key ever seen, with its latest materialization and
  observation event ids;
- ``asset_partition_status``: one row per (asset, partition) — ``''`` is the partition of
  an unpartitioned asset — with status ``in_progress``, ``materialized`` or ``failed``, and the
  last materialization's event id, run, timestamp and code version (what staleness needs;
  staleness itself is computed by the caller, never stored). A partition without a row is
  missing;
- ``asset_check_results``: the latest evaluation per (asset, check, partition), plus the run
  currently executing it.

When a run ends (``RUN_SUCCESS``, ``RUN_CANCELED``) its still ``in_progress`` rows return to
the status they had before the run planned them (rows the run created are removed, i.e. back
to missing); when it fails (``RUN_FAILURE``) they become ``failed``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from assettui.model.asset_key import AssetKey
from assettui.model.metadata.values import metadata_from_json
from assettui.model.records.events import (
    EVENT_COLUMNS,
    EventRecord,
    record_from_row,
)
from assettui.model.results import AssetCheckEvaluation, AssetCheckSeverity
from assettui.storage.sqlite.database import Database

UNPARTITIONED = ""


class AssetPartitionStatus(Enum):
    """The stored status of one asset partition (a partition without a row is missing)."""

    MATERIALIZED = "materialized"
    IN_PROGRESS = "in_progress"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class PartitionStatusRecord:
    """The status row of one asset partition (``partition`` is ``None`` if unpartitioned)."""

    asset_key: AssetKey
    partition: str | None
    status: AssetPartitionStatus
    last_materialization_id: int | None
    last_materialization_run_id: str | None
    last_materialization_timestamp: float | None
    code_version: str | None
    last_run_id: str | None
    last_failure: str | None
    updated_at: float


@dataclass(frozen=True, slots=True)
class AssetSummary:
    """The ``assets`` row of one asset: its latest materialization and observation."""

    asset_key: AssetKey
    last_materialization_id: int | None
    last_materialization_timestamp: float | None
    last_materialization_run_id: str | None
    last_materialization_partition: str | None
    last_observation_id: int | None
    last_observation_timestamp: float | None


@dataclass(frozen=True, slots=True)
class CheckResultRecord:
    """The latest known state of one asset check for one partition."""

    asset_key: AssetKey
    check_name: str
    partition: str | None
    evaluation: AssetCheckEvaluation | None
    event_id: int | None
    run_id: str | None
    timestamp: float | None
    in_progress_run_id: str | None

    @property
    def passed(self) -> bool | None:
        return self.evaluation.passed if self.evaluation is not None else None


# ---------------------------------------------------------------- reads

_STATUS_COLUMNS = (
    "partition, status, last_materialization_id, last_materialization_run_id, "
    "last_materialization_timestamp, code_version, last_run_id, last_failure, updated_at"
)
_SUMMARY_COLUMNS = (
    "asset_key, last_materialization_id, last_materialization_timestamp, "
    "last_materialization_run_id, last_materialization_partition, last_observation_id, "
    "last_observation_timestamp"
)


class AssetStatusQueries:
    """Reads of the status tables (each one indexed query).

    Args:
        database: returns the calling thread's connection.
    """

    def __init__(self, database: Callable[[], Database]):
        self._db = database

    def asset_keys(self) -> list[AssetKey]:
        """Every asset key that has had an asset event, sorted."""
        rows = self._db().execute("SELECT asset_key FROM assets ORDER BY asset_key")
        return [AssetKey.from_user_string(row[0]) for row in rows]

    def asset_summaries(self, asset_keys: Iterable[AssetKey] | None = None) -> list[AssetSummary]:
        """The ``assets`` rows of ``asset_keys`` (all assets when ``None``)."""
        sql = f"SELECT {_SUMMARY_COLUMNS} FROM assets"
        params: list[str] = []
        if asset_keys is not None:
            params = [key.to_user_string() for key in asset_keys]
            sql += f" WHERE asset_key IN ({_marks(len(params))})"
        rows = self._db().execute(sql + " ORDER BY asset_key", params)
        return [AssetSummary(AssetKey.from_user_string(row[0]), *row[1:]) for row in rows]

    def latest_materializations(
        self, asset_keys: Iterable[AssetKey] | None = None
    ) -> dict[AssetKey, EventRecord]:
        """The latest materialization event of each asset (all assets when ``None``).

        Assets never materialized are absent from the result.
        """
        columns = ", ".join(f"e.{c.strip()}" for c in EVENT_COLUMNS.split(","))
        # CROSS JOIN fixes the loop order: walk the small assets table, look events up by id.
        sql = (
            f"SELECT {columns} FROM assets a CROSS JOIN events e "
            "ON e.id = a.last_materialization_id"
        )
        params: list[str] = []
        if asset_keys is not None:
            params = [key.to_user_string() for key in asset_keys]
            sql += f" WHERE a.asset_key IN ({_marks(len(params))})"
        result: dict[AssetKey, EventRecord] = {}
        for row in self._db().execute(sql, params):
            record = record_from_row(row)
            assert record.asset_key is not None
            result[record.asset_key] = record
        return result

    def partition_statuses(
        self, asset_key: AssetKey, *, after_partition: str | None = None, limit: int | None = None
    ) -> list[PartitionStatusRecord]:
        """Status rows of one asset's partitions, ordered by partition key, paged.

        Args:
            asset_key: the asset.
            after_partition: return partitions sorting after this key (the page cursor).
            limit: at most this many rows.
        """
        sql = f"SELECT {_STATUS_COLUMNS} FROM asset_partition_status WHERE asset_key = ?"
        params: list[Any] = [asset_key.to_user_string()]
        if after_partition is not None:
            sql += " AND partition > ?"
            params.append(after_partition)
        sql += " ORDER BY partition"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        rows = self._db().execute(sql, params).fetchall()
        return [_status_record(asset_key, row) for row in rows]

    def partition_status(
        self, asset_key: AssetKey, partition: str | None = None
    ) -> PartitionStatusRecord | None:
        """The status row of one partition (``None``: missing)."""
        row = (
            self._db()
            .execute(
                f"SELECT {_STATUS_COLUMNS} FROM asset_partition_status "
                "WHERE asset_key = ? AND partition = ?",
                (asset_key.to_user_string(), partition or UNPARTITIONED),
            )
            .fetchone()
        )
        return _status_record(asset_key, row) if row else None

    def status_counts(self, asset_key: AssetKey) -> dict[AssetPartitionStatus, int]:
        """How many partitions of an asset have each stored status."""
        rows = self._db().execute(
            "SELECT status, COUNT(*) FROM asset_partition_status WHERE asset_key = ? "
            "GROUP BY status",
            (asset_key.to_user_string(),),
        )
        return {AssetPartitionStatus(status): count for status, count in rows}

    def materialized_partitions(self, asset_key: AssetKey) -> set[str]:
        """Partitions of an asset that have a materialization (whatever happened since)."""
        rows = self._db().execute(
            "SELECT partition FROM asset_partition_status WHERE asset_key = ? "
            "AND last_materialization_id IS NOT NULL",
            (asset_key.to_user_string(),),
        )
        return {row[0] for row in rows if row[0] != UNPARTITIONED}

    def latest_check_results(
        self, asset_key: AssetKey, partition: str | None = None
    ) -> list[CheckResultRecord]:
        """The latest state of each check of an asset, sorted by check name.

        Args:
            asset_key: the checked asset.
            partition: only this partition; when ``None``, the newest evaluation of each
                check across partitions.
        """
        sql = (
            "SELECT c.check_name, c.partition, c.event_id, c.run_id, c.timestamp, "
            "c.in_progress_run_id, e.payload FROM asset_check_results c "
            "LEFT JOIN events e ON e.id = c.event_id WHERE c.asset_key = ?"
        )
        params: list[Any] = [asset_key.to_user_string()]
        if partition is not None:
            sql += " AND c.partition = ?"
            params.append(partition)
        latest: dict[str, CheckResultRecord] = {}
        for row in self._db().execute(sql + " ORDER BY c.check_name", params):
            record = _check_record(asset_key, row)
            current = latest.get(record.check_name)
            if current is None or (record.event_id or 0) > (current.event_id or 0):
                latest[record.check_name] = record
        return [latest[name] for name in sorted(latest)]


def _marks(count: int) -> str:
    return ", ".join("?" * count)


def _status_record(asset_key: AssetKey, row: tuple[Any, ...]) -> PartitionStatusRecord:
    return PartitionStatusRecord(
        asset_key,
        row[0] or None,
        AssetPartitionStatus(row[1]),
        *row[2:],
    )


def _check_record(asset_key: AssetKey, row: tuple[Any, ...]) -> CheckResultRecord:
    check_name, partition, event_id, run_id, timestamp, in_progress, payload = row
    evaluation = None
    if payload:
        data = json.loads(payload)
        evaluation = AssetCheckEvaluation(
            asset_key=asset_key,
            check_name=check_name,
            passed=bool(data.get("passed")),
            metadata=metadata_from_json(data.get("metadata")),
            severity=AssetCheckSeverity(data.get("severity", "ERROR")),
            description=data.get("description"),
            blocking=bool(data.get("blocking", False)),
        )
    return CheckResultRecord(
        asset_key=asset_key,
        check_name=check_name,
        partition=partition or None,
        evaluation=evaluation,
        event_id=event_id,
        run_id=run_id,
        timestamp=timestamp,
        in_progress_run_id=in_progress,
    )
