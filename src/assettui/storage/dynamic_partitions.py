"""Dynamic partition keys (``DynamicPartitionsDefinition``), kept in the order they were added."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from assettui.model.records.events import now
from assettui.storage.sqlite.database import Database, write_transaction


class DynamicPartitionsStorage:
    """Reads and writes the ``dynamic_partitions`` table.

    Args:
        database: returns the calling thread's connection.
    """

    def __init__(self, database: Callable[[], Database]):
        self._db = database

    def add(self, partitions_def_name: str, partition_keys: Iterable[str]) -> list[str]:
        """Add keys to a dynamic partitions definition; keys already present are ignored.

        Returns:
            The keys that were new, in the order given.
        """
        db = self._db()
        added: list[str] = []
        stamp = now()
        with write_transaction(db):
            for key in partition_keys:
                cursor = db.conn.execute(
                    "INSERT INTO dynamic_partitions "
                    "(partitions_def_name, partition_key, created_at) VALUES (?, ?, ?) "
                    "ON CONFLICT DO NOTHING",
                    (partitions_def_name, str(key), stamp),
                )
                if cursor.rowcount == 1:
                    added.append(str(key))
        return added

    def delete(self, partitions_def_name: str, partition_key: str) -> bool:
        """Remove one key; returns whether it existed."""
        db = self._db()
        with write_transaction(db):
            cursor = db.conn.execute(
                "DELETE FROM dynamic_partitions WHERE partitions_def_name = ? "
                "AND partition_key = ?",
                (partitions_def_name, partition_key),
            )
        return cursor.rowcount > 0

    def get(self, partitions_def_name: str) -> list[str]:
        """The keys of a dynamic partitions definition, oldest first."""
        rows = self._db().execute(
            "SELECT partition_key FROM dynamic_partitions WHERE partitions_def_name = ? "
            "ORDER BY id",
            (partitions_def_name,),
        )
        return [row[0] for row in rows]

    def has(self, partitions_def_name: str, partition_key: str) -> bool:
        """Whether a key exists in a dynamic partitions definition."""
        row = (
            self._db()
            .execute(
                "SELECT 1 FROM dynamic_partitions WHERE partitions_def_name = ? "
                "AND partition_key = ?",
                (partitions_def_name, partition_key),
            )
            .fetchone()
        )
        return row is not None
