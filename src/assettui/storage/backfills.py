"""Backfills: a selection of assets over a list of partitions, driven by the scheduler."""

from __future__ import annotations

import json
import secrets
import string
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from assettui.errors import StorageError
from assettui.model.asset_key import AssetKey
from assettui.model.records.events import encode_json, now
from assettui.storage.sqlite.database import Database, write_transaction


class BulkActionStatus(Enum):
    """The status of a backfill (Dagster's names)."""

    REQUESTED = "REQUESTED"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELING = "CANCELING"
    CANCELED = "CANCELED"


@dataclass(frozen=True, slots=True)
class BackfillRecord:
    """One stored backfill and its progress counters."""

    backfill_id: str
    status: BulkActionStatus
    asset_selection: tuple[AssetKey, ...]
    partition_keys: tuple[str, ...]
    partition_filter: str | None
    tags: Mapping[str, str] = field(default_factory=dict)
    created_at: float = 0.0
    updated_at: float = 0.0
    num_partitions: int = 0
    num_requested: int = 0
    num_completed: int = 0
    num_failed: int = 0
    cursor: str | None = None
    error: str | None = None

    @property
    def is_finished(self) -> bool:
        return self.status in (
            BulkActionStatus.COMPLETED,
            BulkActionStatus.FAILED,
            BulkActionStatus.CANCELED,
        )


_COLUMNS = (
    "backfill_id, status, asset_selection, partition_keys, partition_filter, tags, created_at, "
    "updated_at, num_partitions, num_requested, num_completed, num_failed, cursor, error"
)


def new_backfill_id() -> str:
    """Eight random lowercase letters, as Dagster's backfill ids."""
    return "".join(secrets.choice(string.ascii_lowercase) for _ in range(8))


class BackfillStorage:
    """Reads and writes the ``backfills`` table.

    Args:
        database: returns the calling thread's connection.
    """

    def __init__(self, database: Callable[[], Database]):
        self._db = database

    def create_backfill(
        self,
        asset_selection: Iterable[AssetKey],
        partition_keys: Sequence[str],
        *,
        backfill_id: str | None = None,
        partition_filter: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> BackfillRecord:
        """Store a new ``REQUESTED`` backfill."""
        backfill_id = backfill_id or new_backfill_id()
        stamp = now()
        db = self._db()
        with write_transaction(db):
            db.conn.execute(
                "INSERT INTO backfills (backfill_id, status, asset_selection, partition_keys, "
                "partition_filter, tags, created_at, updated_at, num_partitions) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (backfill_id, BulkActionStatus.REQUESTED.value,
                 encode_json([k.to_user_string() for k in asset_selection]),
                 encode_json(list(partition_keys)), partition_filter, encode_json(dict(tags or {})),
                 stamp, stamp, len(partition_keys)),
            )  # fmt: skip
        record = self.get_backfill(backfill_id)
        assert record is not None
        return record

    def update_backfill(
        self,
        backfill_id: str,
        *,
        status: BulkActionStatus | None = None,
        num_requested: int | None = None,
        num_completed: int | None = None,
        num_failed: int | None = None,
        cursor: str | None = None,
        error: str | None = None,
    ) -> BackfillRecord:
        """Change the given fields of a backfill.

        Raises:
            StorageError: no backfill with this id.
        """
        sets = ["updated_at = ?"]
        params: list[Any] = [now()]
        for column, value in (
            ("status", BulkActionStatus(status).value if status is not None else None),
            ("num_requested", num_requested),
            ("num_completed", num_completed),
            ("num_failed", num_failed),
            ("cursor", cursor),
            ("error", error),
        ):
            if value is not None:
                sets.append(f"{column} = ?")
                params.append(value)
        db = self._db()
        with write_transaction(db):
            db.conn.execute(
                f"UPDATE backfills SET {', '.join(sets)} WHERE backfill_id = ?",
                [*params, backfill_id],
            )
        record = self.get_backfill(backfill_id)
        if record is None:
            raise StorageError(f"No backfill with id {backfill_id!r} in this instance.")
        return record

    def get_backfill(self, backfill_id: str) -> BackfillRecord | None:
        """One backfill by id."""
        row = (
            self._db()
            .execute(f"SELECT {_COLUMNS} FROM backfills WHERE backfill_id = ?", (backfill_id,))
            .fetchone()
        )
        return _record(row) if row else None

    def list_backfills(
        self,
        *,
        statuses: Iterable[BulkActionStatus] | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> list[BackfillRecord]:
        """Backfills, newest first, paged by the id of the last one seen."""
        clauses: list[str] = []
        params: list[Any] = []
        if statuses is not None:
            values = [BulkActionStatus(s).value for s in statuses]
            clauses.append(f"status IN ({', '.join('?' * len(values))})")
            params.extend(values)
        if cursor is not None:
            clauses.append("id < (SELECT id FROM backfills WHERE backfill_id = ?)")
            params.append(cursor)
        sql = f"SELECT {_COLUMNS} FROM backfills"
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        sql += " ORDER BY id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [_record(row) for row in self._db().execute(sql, params)]


def _record(row: tuple[Any, ...]) -> BackfillRecord:
    (backfill_id, status, selection, partition_keys, partition_filter, tags, created_at,
     updated_at, num_partitions, num_requested, num_completed, num_failed, cursor, error) = row  # fmt: skip
    return BackfillRecord(
        backfill_id=backfill_id,
        status=BulkActionStatus(status),
        asset_selection=tuple(AssetKey.from_user_string(k) for k in json.loads(selection)),
        partition_keys=tuple(json.loads(partition_keys)),
        partition_filter=partition_filter,
        tags=json.loads(tags),
        created_at=created_at,
        updated_at=updated_at,
        num_partitions=num_partitions,
        num_requested=num_requested,
        num_completed=num_completed,
        num_failed=num_failed,
        cursor=cursor,
        error=error,
    )
