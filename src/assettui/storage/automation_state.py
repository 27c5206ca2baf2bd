"""Schedule and sensor state: on/off and cursor, tick history, claimed sensor run keys.

A tick and the runs it requests must commit together: the scheduler opens
``Storage.transaction()``, claims each run key with :meth:`AutomationStorage.claim_run_key`
(false when the key was claimed before, ever), creates the runs and records the tick, and
everything commits at once or not at all.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from assettui.errors import StorageError
from assettui.model.records.events import encode_json, now
from assettui.storage.sqlite.database import Database, write_transaction


class InstigatorType(Enum):
    """What drives runs: a schedule or a sensor."""

    SCHEDULE = "schedule"
    SENSOR = "sensor"


class InstigatorStatus(Enum):
    """Whether a schedule/sensor is on; ``DECLARED_IN_CODE``: follow its default status."""

    RUNNING = "on"
    STOPPED = "off"
    DECLARED_IN_CODE = "default"


class TickStatus(Enum):
    """The outcome of one tick (Dagster's names)."""

    STARTED = "STARTED"
    SKIPPED = "SKIPPED"
    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"


@dataclass(frozen=True, slots=True)
class InstigatorState:
    """The stored state of one schedule or sensor."""

    name: str
    kind: InstigatorType
    status: InstigatorStatus
    cursor: str | None
    updated_at: float


@dataclass(frozen=True, slots=True)
class TickRecord:
    """One evaluation of a schedule or sensor."""

    tick_id: int
    name: str
    kind: InstigatorType
    timestamp: float
    status: TickStatus
    run_ids: tuple[str, ...]
    run_keys: tuple[str, ...]
    skip_reason: str | None
    error: str | None
    cursor: str | None
    log_lines: tuple[str, ...] = ()  # what the sensor logged (context.log) during the tick


_TICK_COLUMNS = (
    "id, name, kind, timestamp, status, run_ids, run_keys, skip_reason, error, cursor, log_lines"
)
_UNSET: Any = object()


class AutomationStorage:
    """Reads and writes ``automation_state``, ``ticks`` and ``run_keys``.

    Args:
        database: returns the calling thread's connection.
    """

    def __init__(self, database: Callable[[], Database]):
        self._db = database

    # ------------------------------------------------------------ on/off and cursor

    def get_state(self, name: str, kind: InstigatorType) -> InstigatorState | None:
        """The stored state of a schedule/sensor (``None``: never stored, use code defaults)."""
        row = (
            self._db()
            .execute(
                "SELECT name, kind, status, cursor, updated_at FROM automation_state "
                "WHERE name = ? AND kind = ?",
                (name, InstigatorType(kind).value),
            )
            .fetchone()
        )
        return _state(row) if row else None

    def list_states(self, kind: InstigatorType | None = None) -> list[InstigatorState]:
        """All stored states (of one kind), sorted by name."""
        sql = "SELECT name, kind, status, cursor, updated_at FROM automation_state"
        params: list[str] = []
        if kind is not None:
            sql += " WHERE kind = ?"
            params.append(InstigatorType(kind).value)
        return [_state(row) for row in self._db().execute(sql + " ORDER BY name, kind", params)]

    def acquire_lease(self, name: str, kind: InstigatorType, owner: str, seconds: float) -> bool:
        """Take the exclusive right to evaluate and commit a tick of ``name`` for ``seconds``.

        One transaction reads and takes it, so of two schedulers (two processes, or hosts
        sharing the instance) only one evaluates a given tick. A lease that expired, or whose
        owner process on this host is gone, is taken over.

        Args:
            owner: ``<host>:<pid>:<scheduler id>`` of the taker.
        """
        db = self._db()
        kind_value = InstigatorType(kind).value
        stamp = now()
        with write_transaction(db):
            row = db.conn.execute(
                "SELECT owner, expires_at FROM instigator_leases WHERE name = ? AND kind = ?",
                (name, kind_value),
            ).fetchone()
            if row is not None and row[0] != owner and row[1] > stamp and _alive(row[0]):
                return False
            db.conn.execute(
                "INSERT INTO instigator_leases (name, kind, owner, expires_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (name, kind) DO UPDATE SET "
                "owner = excluded.owner, expires_at = excluded.expires_at",
                (name, kind_value, owner, stamp + seconds),
            )
        return True

    def release_lease(self, name: str, kind: InstigatorType, owner: str) -> None:
        """Give back a lease taken with :meth:`acquire_lease` (only its owner's)."""
        db = self._db()
        with write_transaction(db):
            db.conn.execute(
                "DELETE FROM instigator_leases WHERE name = ? AND kind = ? AND owner = ?",
                (name, InstigatorType(kind).value, owner),
            )

    def set_status(
        self, name: str, kind: InstigatorType, status: InstigatorStatus
    ) -> InstigatorState:
        """Turn a schedule/sensor on or off (its cursor is kept)."""
        return self._upsert(name, kind, status=InstigatorStatus(status))

    def set_cursor(self, name: str, kind: InstigatorType, cursor: str | None) -> InstigatorState:
        """Store a schedule/sensor cursor (its on/off status is kept)."""
        return self._upsert(name, kind, cursor=cursor)

    def _upsert(
        self, name: str, kind: InstigatorType, *, status: Any = _UNSET, cursor: Any = _UNSET
    ) -> InstigatorState:
        db = self._db()
        kind_value = InstigatorType(kind).value
        with write_transaction(db):
            current = self.get_state(name, kind)
            new_status = (
                status
                if status is not _UNSET
                else (current.status if current else InstigatorStatus.DECLARED_IN_CODE)
            )
            new_cursor = cursor if cursor is not _UNSET else (current.cursor if current else None)
            db.conn.execute(
                "INSERT INTO automation_state (name, kind, status, cursor, updated_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (name, kind) DO UPDATE SET "
                "status = excluded.status, cursor = excluded.cursor, "
                "updated_at = excluded.updated_at",
                (name, kind_value, InstigatorStatus(new_status).value, new_cursor, now()),
            )
            state = self.get_state(name, kind)
        assert state is not None
        return state

    # ------------------------------------------------------------ ticks

    def create_tick(
        self,
        name: str,
        kind: InstigatorType,
        timestamp: float,
        *,
        status: TickStatus = TickStatus.STARTED,
        run_ids: Sequence[str] = (),
        run_keys: Sequence[str] = (),
        skip_reason: str | None = None,
        error: str | None = None,
        cursor: str | None = None,
        log_lines: Sequence[str] = (),
    ) -> TickRecord:
        """Record a tick (usually ``STARTED``, then finished with :meth:`update_tick`)."""
        db = self._db()
        with write_transaction(db):
            tick_id = db.conn.execute(
                "INSERT INTO ticks (name, kind, timestamp, status, run_ids, run_keys, "
                "skip_reason, error, cursor, log_lines, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (name, InstigatorType(kind).value, timestamp, TickStatus(status).value,
                 encode_json(list(run_ids)), encode_json(list(run_keys)), skip_reason, error,
                 cursor, encode_json(list(log_lines)), now()),
            ).fetchone()[0]  # fmt: skip
        tick = self.get_tick(int(tick_id or 0))
        assert tick is not None
        return tick

    def update_tick(
        self,
        tick_id: int,
        *,
        status: TickStatus | None = None,
        run_ids: Sequence[str] | None = None,
        run_keys: Sequence[str] | None = None,
        skip_reason: str | None = None,
        error: str | None = None,
        cursor: str | None = None,
    ) -> TickRecord:
        """Change the given fields of a tick.

        Raises:
            StorageError: no tick with this id.
        """
        sets = ["updated_at = ?"]
        params: list[Any] = [now()]
        for column, value in (
            ("status", TickStatus(status).value if status is not None else None),
            ("run_ids", encode_json(list(run_ids)) if run_ids is not None else None),
            ("run_keys", encode_json(list(run_keys)) if run_keys is not None else None),
            ("skip_reason", skip_reason),
            ("error", error),
            ("cursor", cursor),
        ):
            if value is not None:
                sets.append(f"{column} = ?")
                params.append(value)
        db = self._db()
        with write_transaction(db):
            db.conn.execute(f"UPDATE ticks SET {', '.join(sets)} WHERE id = ?", [*params, tick_id])
            tick = self.get_tick(tick_id)
        if tick is None:
            raise StorageError(f"No tick with id {tick_id} in this instance.")
        return tick

    def get_tick(self, tick_id: int) -> TickRecord | None:
        """One tick by id."""
        row = (
            self._db()
            .execute(f"SELECT {_TICK_COLUMNS} FROM ticks WHERE id = ?", (tick_id,))
            .fetchone()
        )
        return _tick(row) if row else None

    def list_ticks(
        self,
        name: str,
        kind: InstigatorType,
        *,
        limit: int | None = None,
        before_id: int | None = None,
        statuses: Iterable[TickStatus] | None = None,
        after_timestamp: float | None = None,
        before_timestamp: float | None = None,
    ) -> list[TickRecord]:
        """Ticks of one schedule/sensor, newest first, paged by ``before_id``."""
        clauses = ["name = ?", "kind = ?"]
        params: list[Any] = [name, InstigatorType(kind).value]
        if before_id is not None:
            clauses.append("id < ?")
            params.append(before_id)
        if statuses is not None:
            values = [TickStatus(s).value for s in statuses]
            clauses.append(f"status IN ({', '.join('?' * len(values))})")
            params.extend(values)
        if after_timestamp is not None:
            clauses.append("timestamp > ?")
            params.append(after_timestamp)
        if before_timestamp is not None:
            clauses.append("timestamp < ?")
            params.append(before_timestamp)
        sql = (
            f"SELECT {_TICK_COLUMNS} FROM ticks INDEXED BY idx_ticks_instigator "
            f"WHERE {' AND '.join(clauses)} ORDER BY id DESC"
        )
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [_tick(row) for row in self._db().execute(sql, params)]

    def latest_tick(self, name: str, kind: InstigatorType) -> TickRecord | None:
        """The newest tick of a schedule/sensor."""
        ticks = self.list_ticks(name, kind, limit=1)
        return ticks[0] if ticks else None

    def delete_ticks_before(self, timestamp: float) -> int:
        """Delete ticks older than ``timestamp`` (keeps history bounded)."""
        db = self._db()
        with write_transaction(db):
            return db.conn.execute("DELETE FROM ticks WHERE timestamp < ?", (timestamp,)).rowcount

    # ------------------------------------------------------------ sensor run keys

    def claim_run_key(self, sensor_name: str, run_key: str, run_id: str) -> bool:
        """Claim ``run_key`` of a sensor for ``run_id``; false if it was ever claimed before.

        Call it inside ``Storage.transaction()`` together with creating the run and the tick,
        so a crash cannot claim a key without its run (or launch a run twice).
        """
        db = self._db()
        with write_transaction(db):
            cursor = db.conn.execute(
                "INSERT INTO run_keys (sensor_name, run_key, run_id, created_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (sensor_name, run_key, run_id, now()),
            )
        return cursor.rowcount == 1

    def run_id_for_key(self, sensor_name: str, run_key: str) -> str | None:
        """The run that claimed a sensor's run key, if any."""
        row = (
            self._db()
            .execute(
                "SELECT run_id FROM run_keys WHERE sensor_name = ? AND run_key = ?",
                (sensor_name, run_key),
            )
            .fetchone()
        )
        return row[0] if row else None


def _state(row: tuple[Any, ...]) -> InstigatorState:
    name, kind, status, cursor, updated_at = row
    return InstigatorState(
        name, InstigatorType(kind), InstigatorStatus(status), cursor, float(updated_at)
    )


def _alive(owner: str) -> bool:
    """Whether a lease owner ``<host>:<pid>:<id>`` may still be running (only a process on
    this host can be known to be gone)."""
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return True
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _tick(row: tuple[Any, ...]) -> TickRecord:
    tick_id, name, kind, timestamp, status, run_ids, run_keys, skip_reason, error, cursor = row[:10]
    return TickRecord(
        tick_id=tick_id,
        name=name,
        kind=InstigatorType(kind),
        timestamp=timestamp,
        status=TickStatus(status),
        run_ids=tuple(json.loads(run_ids)),
        run_keys=tuple(json.loads(run_keys)),
        skip_reason=skip_reason,
        error=error,
        cursor=cursor,
        log_lines=tuple(json.loads(row[10] or "[]")),
    )
