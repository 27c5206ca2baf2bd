"""The append-only event log: batched writes and the indexed reads the UI tails.

A batch of events is written in one short ``BEGIN IMMEDIATE`` transaction that also brings
the status tables up to date (:mod:`assettui.storage.asset_status`). Writers are serialized
by SQLite, so event ids are allocated and committed in the same order: a reader polling
"events after id N" never skips an event committed later under a smaller id.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from assettui.model.asset_key import AssetKey
from assettui.model.records.events import (
    EVENT_COLUMNS,
    DagsterEventType,
    EventRecord,
    NewEvent,
    event_row,
    now,
    record_from_new,
    record_from_row,
)
from assettui.model.secrets import known_secrets, scrub, scrub_value
from assettui.storage.sqlite.database import Database, write_transaction
from assettui.storage.status_updates import apply_to_status, delete_status

_INSERT = (
    "INSERT INTO events (run_id, timestamp, event_type, level, step_key, asset_key, partition, "
    "message, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_STATUS_TYPES = frozenset(
    {
        DagsterEventType.ASSET_MATERIALIZATION_PLANNED,
        DagsterEventType.ASSET_MATERIALIZATION,
        DagsterEventType.ASSET_FAILED_TO_MATERIALIZE,
        DagsterEventType.ASSET_OBSERVATION,
        DagsterEventType.ASSET_CHECK_EVALUATION_PLANNED,
        DagsterEventType.ASSET_CHECK_EVALUATION,
        DagsterEventType.RUN_SUCCESS,
        DagsterEventType.RUN_FAILURE,
        DagsterEventType.RUN_CANCELED,
    }
)
# What a wipe removes: an asset's own history, not the runs' lifecycle around it.
WIPED_EVENT_TYPES = (
    DagsterEventType.ASSET_MATERIALIZATION,
    DagsterEventType.ASSET_MATERIALIZATION_PLANNED,
    DagsterEventType.ASSET_FAILED_TO_MATERIALIZE,
    DagsterEventType.ASSET_OBSERVATION,
)


class EventLog:
    """Appends to and reads from the ``events`` table.

    Args:
        database: returns the calling thread's connection.
    """

    def __init__(self, database: Callable[[], Database]):
        self._db = database

    def store_events(self, events: Sequence[NewEvent]) -> list[EventRecord]:
        """Append ``events`` in one transaction and update the status tables with them.

        Returns:
            The stored records, with their storage ids, in order.
        """
        if not events:
            return []
        if known_secrets():  # no secret value is ever written (messages, errors, payloads)
            events = [
                dataclasses.replace(e, message=scrub(e.message), payload=scrub_value(e.payload))
                for e in events
            ]
        db = self._db()
        stamp = now()
        rows = [event_row(event, stamp) for event in events]
        with write_transaction(db):
            db.conn.executemany(_INSERT, rows)
            # Inside the write lock nobody else inserts: the batch's ids are contiguous.
            last = db.conn.execute("SELECT MAX(id) FROM events")
            last_id = int(last.fetchone()[0])
            first_id = last_id - len(events) + 1
            records = [
                record_from_new(event, first_id + offset, stamp)
                for offset, event in enumerate(events)
            ]
            relevant = [r for r in records if r.event_type in _STATUS_TYPES]
            if relevant:
                apply_to_status(db, relevant, stamp)
        return records

    def store_event(self, event: NewEvent) -> EventRecord:
        """Append one event (prefer :meth:`store_events` for several)."""
        return self.store_events([event])[0]

    def latest_storage_id(self) -> int:
        """The id of the newest event (0 for an empty log)."""
        row = self._db().execute("SELECT MAX(id) FROM events").fetchone()
        return int(row[0] or 0)

    def events_after(
        self,
        after_id: int = 0,
        *,
        run_id: str | None = None,
        event_types: Iterable[DagsterEventType] | None = None,
        limit: int | None = 1000,
    ) -> list[EventRecord]:
        """Events with a storage id greater than ``after_id``, oldest first (the tail query).

        Args:
            after_id: the last id the caller has seen.
            run_id: only this run's events.
            event_types: only these types.
            limit: at most this many events (``None``: all).
        """
        clauses = ["id > ?"]
        params: list[Any] = [after_id]
        if run_id is not None:
            clauses.append("run_id = ?")
            params.append(run_id)
        if event_types is not None:
            types = [DagsterEventType(t).value for t in event_types]
            clauses.append(f"event_type IN ({', '.join('?' * len(types))})")
            params.extend(types)
        # A run's tail must walk (run_id, id), never the id range of the whole log.
        index = " INDEXED BY idx_events_run" if run_id is not None else ""
        sql = f"SELECT {EVENT_COLUMNS} FROM events{index} WHERE {' AND '.join(clauses)} ORDER BY id"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [record_from_row(row) for row in self._db().execute(sql, params)]

    def run_events(
        self,
        run_id: str,
        *,
        event_types: Iterable[DagsterEventType] | None = None,
        after_id: int = 0,
        limit: int | None = None,
    ) -> list[EventRecord]:
        """All (or a page of) the events of one run, oldest first."""
        return self.events_after(after_id, run_id=run_id, event_types=event_types, limit=limit)

    def get_event(self, storage_id: int) -> EventRecord | None:
        """One event by storage id."""
        row = (
            self._db()
            .execute(f"SELECT {EVENT_COLUMNS} FROM events WHERE id = ?", (storage_id,))
            .fetchone()
        )
        return record_from_row(row) if row else None

    def asset_events(
        self,
        asset_key: AssetKey,
        event_type: DagsterEventType = DagsterEventType.ASSET_MATERIALIZATION,
        *,
        partitions: Iterable[str] | None = None,
        before_id: int | None = None,
        after_id: int | None = None,
        limit: int | None = None,
        ascending: bool = False,
    ) -> list[EventRecord]:
        """History of one asset's events of one type (materializations by default), paged.

        Args:
            asset_key: the asset.
            event_type: which events.
            partitions: only these partitions.
            before_id: page cursor for newest-first paging (ids strictly below).
            after_id: ids strictly above.
            limit: at most this many.
            ascending: oldest first instead of newest first.
        """
        clauses = ["asset_key = ?", "event_type = ?"]
        params: list[Any] = [asset_key.to_user_string(), DagsterEventType(event_type).value]
        if partitions is not None:
            keys = list(partitions)
            clauses.append(f"partition IN ({', '.join('?' * len(keys))})")
            params.extend(keys)
        if before_id is not None:
            clauses.append("id < ?")
            params.append(before_id)
        if after_id is not None:
            clauses.append("id > ?")
            params.append(after_id)
        order = "ASC" if ascending else "DESC"
        sql = (
            f"SELECT {EVENT_COLUMNS} FROM events INDEXED BY idx_events_asset "
            f"WHERE {' AND '.join(clauses)} ORDER BY id {order}"
        )
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [record_from_row(row) for row in self._db().execute(sql, params)]

    def wipe_asset_history(self, asset_keys: Iterable[AssetKey]) -> int:
        """Delete the materialization/observation history and status rows of ``asset_keys``.

        Returns:
            How many events were deleted.
        """
        keys = [key.to_user_string() for key in asset_keys]
        types = [t.value for t in WIPED_EVENT_TYPES]
        db = self._db()
        deleted = 0
        with write_transaction(db):
            for key in keys:
                cursor = db.conn.execute(
                    f"DELETE FROM events WHERE asset_key = ? AND event_type IN "
                    f"({', '.join('?' * len(types))})",
                    [key, *types],
                )
                deleted += cursor.rowcount
            delete_status(db, keys)
        return deleted
