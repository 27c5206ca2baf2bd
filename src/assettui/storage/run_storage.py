"""Run records in the ``runs`` table: create, guarded status changes, listing.

Status changes are compare-and-set (``UPDATE ... WHERE status IN (allowed predecessors)``), so
two processes racing to move the same run (a worker finishing, the TUI cancelling) cannot
both win. ``run_assets`` maps each asset a run touches to the run (filled from the
asset selection at creation and from the run's asset events), so "runs touching an asset"
is an index range, newest first.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from assettui.errors import InvalidRunTransitionError, RunNotFoundError, StorageError
from assettui.model.asset_key import AssetKey
from assettui.model.records.events import encode_json, now
from assettui.model.records.runs import (
    FINISHED_STATUSES,
    DagsterRun,
    DagsterRunStatus,
    RunRecord,
    RunsFilter,
    allowed_predecessors,
)
from assettui.model.results import AssetCheckKey
from assettui.model.secrets import scrub
from assettui.storage.sqlite.database import Database, write_transaction

_COLUMNS = (
    "r.id, r.run_id, r.status, r.job_name, r.asset_selection, r.asset_check_selection, "
    "r.partition, r.partition_range_start, r.partition_range_end, r.tags, r.run_config, r.pid, "
    "r.heartbeat, r.created_at, r.updated_at, r.started_at, r.ended_at, r.failure_reason, "
    "r.parent_run_id, r.root_run_id, r.backfill_id"
)


class RunStorage:
    """Reads and writes run records.

    Args:
        database: returns the calling thread's connection.
    """

    def __init__(
        self,
        database: Callable[[], Database],
        before_create: Callable[[], None] | None = None,
    ):
        self._db = database
        # raises when no new run may be stored (the instance's database was deleted)
        self._before_create = before_create

    # ------------------------------------------------------------ writes

    def create_run(self, run: DagsterRun) -> DagsterRun:
        """Store a new run; returns it as stored (with creation time).

        Raises:
            StorageError: a run with this id already exists, or the instance's database
                was deleted while open.
        """
        if self._before_create is not None:
            self._before_create()
        db = self._db()
        stamp = now()
        checks = (
            sorted([c.asset_key.to_user_string(), c.name] for c in run.asset_check_selection)
            if run.asset_check_selection is not None
            else None
        )
        selection = (
            sorted(k.to_user_string() for k in run.asset_selection)
            if run.asset_selection is not None
            else None
        )
        with write_transaction(db):
            if db.conn.execute("SELECT 1 FROM runs WHERE run_id = ?", (run.run_id,)).fetchone():
                raise StorageError(
                    f"A run with id {run.run_id!r} already exists; give the new run a fresh id."
                )
            cursor = db.conn.execute(
                "INSERT INTO runs (run_id, status, job_name, asset_selection, "
                "asset_check_selection, partition, partition_range_start, partition_range_end, "
                "tags, run_config, pid, heartbeat, created_at, updated_at, started_at, ended_at, "
                "failure_reason, parent_run_id, root_run_id, backfill_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (
                    run.run_id, DagsterRunStatus(run.status).value, run.job_name,
                    encode_json(selection) if selection is not None else None,
                    encode_json(checks) if checks is not None else None,
                    run.partition_key, run.partition_range_start, run.partition_range_end,
                    encode_json(dict(run.tags)), encode_json(dict(run.run_config)),
                    run.pid, run.heartbeat, stamp, stamp, run.started_at, run.ended_at,
                    run.failure_reason, run.parent_run_id, run.root_run_id, run.backfill_id,
                ),
            )  # fmt: skip
            storage_id = cursor.fetchone()[0]
            db.conn.executemany(
                "INSERT INTO run_tags (key, value, run_storage_id) VALUES (?, ?, ?) "
                "ON CONFLICT DO NOTHING",
                [(k, str(v), storage_id) for k, v in run.tags.items()],
            )
            db.conn.executemany(
                "INSERT INTO run_assets (asset_key, run_storage_id) VALUES (?, ?) "
                "ON CONFLICT DO NOTHING",
                [(key, storage_id) for key in selection or ()],
            )
        stored = self.get_run(run.run_id)
        assert stored is not None
        return stored

    def update_run_status(
        self,
        run_id: str,
        status: DagsterRunStatus,
        *,
        expected: DagsterRunStatus | Iterable[DagsterRunStatus] | None = None,
        failure_reason: str | None = None,
    ) -> DagsterRun:
        """Move a run to ``status`` if the lifecycle allows it (atomic compare-and-set).

        Moving to ``STARTED`` records the start time; to a finished status, the end time.

        Args:
            run_id: the run.
            status: the new status.
            expected: additionally require the run to be in (one of) these statuses now.
            failure_reason: a reason recorded with ``FAILURE``/``CANCELED``.

        Raises:
            RunNotFoundError: no such run.
            InvalidRunTransitionError: the run's current status cannot move to ``status``.
        """
        target = DagsterRunStatus(status)
        sources = allowed_predecessors(target)
        if expected is not None:
            wanted = {expected} if isinstance(expected, DagsterRunStatus) else set(expected)
            sources = sources & frozenset(wanted)
        stamp = now()
        sets = ["status = ?", "updated_at = ?"]
        params: list[Any] = [target.value, stamp]
        if target is DagsterRunStatus.STARTED:
            sets.append("started_at = COALESCE(started_at, ?)")
            params.append(stamp)
        if target in FINISHED_STATUSES:
            sets.append("ended_at = ?")
            params.append(stamp)
        if failure_reason is not None:
            sets.append("failure_reason = ?")
            params.append(scrub(failure_reason))
        marks = ", ".join("?" * len(sources))
        db = self._db()
        with write_transaction(db):
            changed = (
                db.conn.execute(
                    f"UPDATE runs SET {', '.join(sets)} WHERE run_id = ? AND status IN ({marks})",
                    [*params, run_id, *(s.value for s in sources)],
                ).rowcount
                if sources
                else 0
            )
            run = self.get_run(run_id)
        if run is None:
            raise RunNotFoundError(f"No run with id {run_id!r} in this instance.")
        if not changed:
            raise InvalidRunTransitionError(
                f"Run {run_id} cannot go from {run.status.value} to {target.value}"
                + (" (it has finished)." if run.is_finished else ".")
            )
        return run

    def set_run_pid(self, run_id: str, pid: int) -> None:
        """Record the worker process id of a run."""
        self._update(run_id, "pid = ?", pid)

    def heartbeat(self, run_id: str, timestamp: float | None = None) -> None:
        """Record that a run's worker is alive (at ``timestamp``, default now)."""
        self._update(run_id, "heartbeat = ?", timestamp if timestamp is not None else now())

    def add_run_tags(self, run_id: str, tags: Mapping[str, str]) -> DagsterRun:
        """Merge ``tags`` into a run's tags."""
        db = self._db()
        with write_transaction(db):
            run = self.get_run_record(run_id)
            if run is None:
                raise RunNotFoundError(f"No run with id {run_id!r} in this instance.")
            merged = {**run.dagster_run.tags, **{k: str(v) for k, v in tags.items()}}
            db.conn.execute(
                "DELETE FROM run_tags WHERE run_storage_id = ? AND key IN "
                f"({', '.join('?' * len(tags))})",
                [run.storage_id, *tags],
            )
            db.conn.executemany(
                "INSERT INTO run_tags (key, value, run_storage_id) VALUES (?, ?, ?) "
                "ON CONFLICT DO NOTHING",
                [(k, str(v), run.storage_id) for k, v in tags.items()],
            )
            db.conn.execute(
                "UPDATE runs SET tags = ?, updated_at = ? WHERE id = ?",
                (encode_json(merged), now(), run.storage_id),
            )
        stored = self.get_run(run_id)
        assert stored is not None
        return stored

    def add_run_assets(self, run_id: str, asset_keys: Iterable[AssetKey]) -> None:
        """Record that a run touches ``asset_keys`` (beyond its asset selection)."""
        db = self._db()
        with write_transaction(db):
            db.conn.executemany(
                "INSERT INTO run_assets (asset_key, run_storage_id) "
                "SELECT ?, id FROM runs WHERE run_id = ? ON CONFLICT DO NOTHING",
                [(key.to_user_string(), run_id) for key in asset_keys],
            )

    def delete_run(self, run_id: str) -> None:
        """Delete a run, its events, tags and asset links."""
        db = self._db()
        with write_transaction(db):
            record = self.get_run_record(run_id)
            if record is None:
                raise RunNotFoundError(f"No run with id {run_id!r} in this instance.")
            for table in ("run_tags", "run_assets"):
                db.conn.execute(
                    f"DELETE FROM {table} WHERE run_storage_id = ?", (record.storage_id,)
                )
            db.conn.execute("DELETE FROM events WHERE run_id = ?", (run_id,))
            db.conn.execute("DELETE FROM runs WHERE id = ?", (record.storage_id,))

    def _update(self, run_id: str, assignment: str, value: Any) -> None:
        db = self._db()
        with write_transaction(db):
            cursor = db.conn.execute(
                f"UPDATE runs SET {assignment} WHERE run_id = ?", (value, run_id)
            )
        if cursor.rowcount == 0:
            raise RunNotFoundError(f"No run with id {run_id!r} in this instance.")

    # ------------------------------------------------------------ reads

    def get_run(self, run_id: str) -> DagsterRun | None:
        """The run with ``run_id``, or ``None``."""
        record = self.get_run_record(run_id)
        return record.dagster_run if record else None

    def get_run_record(self, run_id: str) -> RunRecord | None:
        """The run record with ``run_id``, or ``None``."""
        row = self._db().execute(f"SELECT {_COLUMNS} FROM runs r WHERE r.run_id = ?", (run_id,))
        found = row.fetchone()
        return _record(found) if found else None

    def list_run_records(
        self,
        filters: RunsFilter | None = None,
        *,
        limit: int | None = None,
        cursor: str | None = None,
        ascending: bool = False,
    ) -> list[RunRecord]:
        """Runs matching ``filters``, newest first (by creation order), paged.

        Args:
            filters: which runs.
            limit: at most this many.
            cursor: the run id of the last run of the previous page.
            ascending: oldest first instead.
        """
        sql, params = self._select(filters, cursor, ascending)
        order_column = "ra.run_storage_id" if filters and filters.asset_key else "r.id"
        sql += f" ORDER BY {order_column} {'ASC' if ascending else 'DESC'}"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [_record(row) for row in self._db().execute(sql, params)]

    def list_runs(
        self,
        filters: RunsFilter | None = None,
        *,
        limit: int | None = None,
        cursor: str | None = None,
        ascending: bool = False,
    ) -> list[DagsterRun]:
        """Like :meth:`list_run_records`, returning the runs."""
        records = self.list_run_records(filters, limit=limit, cursor=cursor, ascending=ascending)
        return [record.dagster_run for record in records]

    def runs_for_asset(
        self, asset_key: AssetKey, *, limit: int | None = None, cursor: str | None = None
    ) -> list[DagsterRun]:
        """Runs that touched ``asset_key``, newest first."""
        return self.list_runs(RunsFilter(asset_key=asset_key), limit=limit, cursor=cursor)

    def count_runs(self, filters: RunsFilter | None = None) -> int:
        """How many runs match ``filters``."""
        sql, params = self._select(filters, None, False, count=True)
        return int(self._db().execute(sql, params).fetchone()[0])

    def count_runs_by_status(self) -> dict[DagsterRunStatus, int]:
        """How many runs are in each status (statuses with no runs are absent)."""
        rows = self._db().execute("SELECT status, COUNT(*) FROM runs GROUP BY status")
        return {DagsterRunStatus(status): count for status, count in rows}

    def _select(
        self, filters: RunsFilter | None, cursor: str | None, ascending: bool, count: bool = False
    ) -> tuple[str, list[Any]]:
        what = "COUNT(*)" if count else _COLUMNS
        clauses: list[str] = []
        params: list[Any] = []
        f = filters or RunsFilter()
        order_column = "r.id"
        if f.asset_key is not None:
            # Drive from the (asset_key, run) index: never a scan of all runs.
            sql = f"SELECT {what} FROM run_assets ra CROSS JOIN runs r ON r.id = ra.run_storage_id"
            clauses.append("ra.asset_key = ?")
            params.append(f.asset_key.to_user_string())
            order_column = "ra.run_storage_id"
        else:
            sql = f"SELECT {what} FROM runs r"
        if f.run_ids is not None:
            clauses.append(f"r.run_id IN ({', '.join('?' * len(f.run_ids))})")
            params.extend(f.run_ids)
        if f.job_name is not None:
            clauses.append("r.job_name = ?")
            params.append(f.job_name)
        if f.statuses:
            clauses.append(f"r.status IN ({', '.join('?' * len(f.statuses))})")
            params.extend(DagsterRunStatus(s).value for s in f.statuses)
        if f.backfill_id is not None:
            clauses.append("r.backfill_id = ?")
            params.append(f.backfill_id)
        for key, value in (f.tags or {}).items():
            values = [value] if isinstance(value, str) else list(value)
            clauses.append(
                "r.id IN (SELECT run_storage_id FROM run_tags WHERE key = ? AND value IN "
                f"({', '.join('?' * len(values))}))"
            )
            params.extend([key, *values])
        for column, bound, op in (
            ("created_at", f.created_after, ">"),
            ("created_at", f.created_before, "<"),
            ("updated_at", f.updated_after, ">"),
            ("updated_at", f.updated_before, "<"),
        ):
            if bound is not None:
                clauses.append(f"r.{column} {op} ?")
                params.append(bound.timestamp() if isinstance(bound, datetime) else bound)
        if f.exclude_subruns:
            clauses.append("r.parent_run_id IS NULL")
        if cursor is not None:
            clauses.append(
                f"{order_column} {'>' if ascending else '<'} (SELECT id FROM runs WHERE run_id = ?)"
            )
            params.append(cursor)
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        return sql, params


def _record(row: tuple[Any, ...]) -> RunRecord:
    (storage_id, run_id, status, job_name, selection, checks, partition, range_start, range_end,
     tags, run_config, pid, heartbeat, created_at, updated_at, started_at, ended_at,
     failure_reason, parent_run_id, root_run_id, backfill_id) = row  # fmt: skip
    run = DagsterRun(
        job_name=job_name,
        run_id=run_id,
        status=DagsterRunStatus(status),
        asset_selection=(
            frozenset(AssetKey.from_user_string(k) for k in json.loads(selection))
            if selection is not None
            else None
        ),
        asset_check_selection=(
            frozenset(AssetCheckKey(AssetKey.from_user_string(a), n) for a, n in json.loads(checks))
            if checks is not None
            else None
        ),
        partition_key=partition,
        partition_range_start=range_start,
        partition_range_end=range_end,
        tags=json.loads(tags),
        run_config=json.loads(run_config),
        pid=pid,
        heartbeat=heartbeat,
        created_at=created_at,
        updated_at=updated_at,
        started_at=started_at,
        ended_at=ended_at,
        failure_reason=failure_reason,
        parent_run_id=parent_run_id,
        root_run_id=root_run_id,
        backfill_id=backfill_id,
    )
    return RunRecord(
        storage_id=storage_id,
        dagster_run=run,
        create_timestamp=datetime.fromtimestamp(created_at, tz=UTC),
        update_timestamp=datetime.fromtimestamp(updated_at, tz=UTC),
        start_time=started_at,
        end_time=ended_at,
    )
