"""A small key-value table for instance settings (JSON values)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from assettui.model.records.events import encode_json, now
from assettui.storage.sqlite.database import Database, write_transaction


class SettingsStorage:
    """Reads and writes the ``kv`` table.

    Args:
        database: returns the calling thread's connection.
    """

    def __init__(self, database: Callable[[], Database]):
        self._db = database

    def get(self, key: str, default: Any = None) -> Any:
        """The value of ``key``, or ``default``."""
        row = self._db().execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    def set(self, key: str, value: Any) -> None:
        """Store a JSON-serializable ``value`` under ``key``."""
        db = self._db()
        with write_transaction(db):
            db.conn.execute(
                "INSERT INTO kv (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) "
                "DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                (key, encode_json(value), now()),
            )

    def delete(self, key: str) -> None:
        """Forget ``key``."""
        db = self._db()
        with write_transaction(db):
            db.conn.execute("DELETE FROM kv WHERE key = ?", (key,))

    def all(self) -> dict[str, Any]:
        """Every setting."""
        rows = self._db().execute("SELECT key, value FROM kv ORDER BY key")
        return {key: json.loads(value) for key, value in rows}
