"""Keeping the status tables current as events are stored (runs inside ``store_events``).

See :mod:`assettui.storage.asset_status` for what the tables mean. Each asset event becomes
one or two upserts keyed by (asset, partition), so a batch costs a handful of index writes
per asset event and nothing for the rest of the log.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import groupby
from typing import Any

from assettui.model.records.events import DagsterEventType, EventRecord, encode_json
from assettui.storage.asset_status import UNPARTITIONED
from assettui.storage.sqlite.database import Database

_UPSERT_PLANNED = """
INSERT INTO asset_partition_status (asset_key, partition, status, last_run_id, updated_at)
VALUES (?, ?, 'in_progress', ?, ?)
ON CONFLICT (asset_key, partition) DO UPDATE SET
  previous_status = CASE WHEN asset_partition_status.status = 'in_progress'
    THEN asset_partition_status.previous_status ELSE asset_partition_status.status END,
  status = 'in_progress', last_run_id = excluded.last_run_id, updated_at = excluded.updated_at
"""
_UPSERT_MATERIALIZED = """
INSERT INTO asset_partition_status (asset_key, partition, status, last_materialization_id,
  last_materialization_run_id, last_materialization_timestamp, code_version, last_run_id,
  updated_at)
VALUES (?, ?, 'materialized', ?, ?, ?, ?, ?, ?)
ON CONFLICT (asset_key, partition) DO UPDATE SET
  status = 'materialized', previous_status = NULL,
  last_materialization_id = excluded.last_materialization_id,
  last_materialization_run_id = excluded.last_materialization_run_id,
  last_materialization_timestamp = excluded.last_materialization_timestamp,
  code_version = excluded.code_version, last_run_id = excluded.last_run_id,
  updated_at = excluded.updated_at
"""
_UPSERT_FAILED = """
INSERT INTO asset_partition_status (asset_key, partition, status, last_run_id, last_failure,
  updated_at)
VALUES (?, ?, 'failed', ?, ?, ?)
ON CONFLICT (asset_key, partition) DO UPDATE SET
  status = 'failed', previous_status = NULL, last_run_id = excluded.last_run_id,
  last_failure = excluded.last_failure, updated_at = excluded.updated_at
"""
_TOUCH_ASSET = """
INSERT INTO assets (asset_key, updated_at) VALUES (?, ?)
ON CONFLICT (asset_key) DO UPDATE SET updated_at = excluded.updated_at
"""
_ASSET_MATERIALIZED = """
INSERT INTO assets (asset_key, last_materialization_id, last_materialization_timestamp,
  last_materialization_run_id, last_materialization_partition, updated_at)
VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (asset_key) DO UPDATE SET
  last_materialization_id = excluded.last_materialization_id,
  last_materialization_timestamp = excluded.last_materialization_timestamp,
  last_materialization_run_id = excluded.last_materialization_run_id,
  last_materialization_partition = excluded.last_materialization_partition,
  updated_at = excluded.updated_at
"""
_ASSET_OBSERVED = """
INSERT INTO assets (asset_key, last_observation_id, last_observation_timestamp, updated_at)
VALUES (?, ?, ?, ?)
ON CONFLICT (asset_key) DO UPDATE SET
  last_observation_id = excluded.last_observation_id,
  last_observation_timestamp = excluded.last_observation_timestamp,
  updated_at = excluded.updated_at
"""
_RUN_TOUCHES_ASSET = """
INSERT INTO run_assets (asset_key, run_storage_id)
SELECT ?, id FROM runs WHERE run_id = ? ON CONFLICT DO NOTHING
"""
_CHECK_PLANNED = """
INSERT INTO asset_check_results (asset_key, check_name, partition, in_progress_run_id,
  updated_at)
VALUES (?, ?, ?, ?, ?)
ON CONFLICT (asset_key, check_name, partition) DO UPDATE SET
  in_progress_run_id = excluded.in_progress_run_id, updated_at = excluded.updated_at
"""
_CHECK_EVALUATED = """
INSERT INTO asset_check_results (asset_key, check_name, partition, passed, severity, event_id,
  run_id, timestamp, in_progress_run_id, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)
ON CONFLICT (asset_key, check_name, partition) DO UPDATE SET
  passed = excluded.passed, severity = excluded.severity, event_id = excluded.event_id,
  run_id = excluded.run_id, timestamp = excluded.timestamp, in_progress_run_id = NULL,
  updated_at = excluded.updated_at
"""


def _failure_text(record: EventRecord) -> str:
    error = record.payload.get("error")
    return encode_json(error) if error else record.message


def apply_to_status(db: Database, records: Sequence[EventRecord], now: float) -> None:
    """Update the status tables for freshly stored ``records`` (inside their transaction).

    Consecutive events of one type are applied with one ``executemany`` per statement: order
    only matters between events touching the same row, and a run of one type keeps it.
    """
    conn = db.conn
    for kind, group in groupby(records, key=lambda record: record.event_type):
        segment = list(group)
        if kind in _RUN_END_TYPES:
            for record in segment:
                if record.run_id is not None:
                    _finish_run(conn, record.run_id, kind, record, now)
            continue
        assets = [r for r in segment if r.asset_key is not None]
        if not assets:
            continue
        statements = _statements(kind, assets, now)
        for sql, rows in statements:
            conn.executemany(sql, rows)
        if kind in _RUN_ASSET_TYPES:
            links = {(r.asset_key.to_user_string(), r.run_id) for r in assets if r.run_id}  # type: ignore[union-attr]
            conn.executemany(_RUN_TOUCHES_ASSET, sorted(links))


_RUN_ASSET_TYPES = frozenset(
    {
        DagsterEventType.ASSET_MATERIALIZATION_PLANNED,
        DagsterEventType.ASSET_MATERIALIZATION,
        DagsterEventType.ASSET_FAILED_TO_MATERIALIZE,
    }
)


def _statements(
    kind: DagsterEventType, records: list[EventRecord], now: float
) -> list[tuple[str, list[tuple[Any, ...]]]]:
    """The upserts (SQL and one parameter row per event) for asset events of one type."""
    rows = [
        (r, r.asset_key.to_user_string(), r.partition or UNPARTITIONED)  # type: ignore[union-attr]
        for r in records
    ]
    if kind is DagsterEventType.ASSET_MATERIALIZATION_PLANNED:
        return [
            (_UPSERT_PLANNED, [(key, part, r.run_id, now) for r, key, part in rows]),
            (_TOUCH_ASSET, [(key, now) for _, key, _ in rows]),
        ]
    if kind is DagsterEventType.ASSET_MATERIALIZATION:
        return [
            (_UPSERT_MATERIALIZED,
             [(key, part, r.storage_id, r.run_id, r.timestamp, r.payload.get("code_version"),
               r.run_id, now) for r, key, part in rows]),
            (_ASSET_MATERIALIZED,
             [(key, r.storage_id, r.timestamp, r.run_id, r.partition, now)
              for r, key, _ in rows]),
        ]  # fmt: skip
    if kind is DagsterEventType.ASSET_FAILED_TO_MATERIALIZE:
        return [
            (_UPSERT_FAILED,
             [(key, part, r.run_id, _failure_text(r), now) for r, key, part in rows]),
            (_TOUCH_ASSET, [(key, now) for _, key, _ in rows]),
        ]  # fmt: skip
    if kind is DagsterEventType.ASSET_OBSERVATION:
        return [(_ASSET_OBSERVED, [(key, r.storage_id, r.timestamp, now) for r, key, _ in rows])]
    if kind is DagsterEventType.ASSET_CHECK_EVALUATION_PLANNED:
        return [
            (_CHECK_PLANNED,
             [(key, str(r.payload.get("check_name", "")), part, r.run_id, now)
              for r, key, part in rows]),
        ]  # fmt: skip
    if kind is DagsterEventType.ASSET_CHECK_EVALUATION:
        return [
            (_CHECK_EVALUATED,
             [(key, str(r.payload.get("check_name", "")), part,
               1 if r.payload.get("passed") else 0, r.payload.get("severity", "ERROR"),
               r.storage_id, r.run_id, r.timestamp, now) for r, key, part in rows]),
        ]  # fmt: skip
    return []


_RUN_END_TYPES = frozenset(
    {DagsterEventType.RUN_FAILURE, DagsterEventType.RUN_CANCELED, DagsterEventType.RUN_SUCCESS}
)


def _finish_run(
    conn: Any, run_id: str, kind: DagsterEventType, record: EventRecord, now: float
) -> None:
    """Settle the rows a run left ``in_progress`` (see the module docstring)."""
    if kind is DagsterEventType.RUN_FAILURE:
        conn.execute(
            "UPDATE asset_partition_status SET status = 'failed', previous_status = NULL, "
            "last_failure = ?, updated_at = ? WHERE last_run_id = ? AND status = 'in_progress'",
            (_failure_text(record), now, run_id),
        )
    else:
        conn.execute(
            "DELETE FROM asset_partition_status WHERE last_run_id = ? AND status = 'in_progress' "
            "AND previous_status IS NULL",
            (run_id,),
        )
        conn.execute(
            "UPDATE asset_partition_status SET status = previous_status, previous_status = NULL, "
            "updated_at = ? WHERE last_run_id = ? AND status = 'in_progress'",
            (now, run_id),
        )
    conn.execute(
        "UPDATE asset_check_results SET in_progress_run_id = NULL, updated_at = ? "
        "WHERE in_progress_run_id = ?",
        (now, run_id),
    )


def delete_status(db: Database, asset_keys: Iterable[str]) -> None:
    """Forget the status rows of ``asset_keys`` (user strings); part of a wipe."""
    for key in asset_keys:
        db.conn.execute("DELETE FROM asset_partition_status WHERE asset_key = ?", (key,))
        db.conn.execute("DELETE FROM assets WHERE asset_key = ?", (key,))
