"""Dynamic partition keys: add (idempotent, ordered), delete, list, has."""

from __future__ import annotations

import pytest

from assettui.storage import Storage

# Each test runs on SQLite and on a fresh PostgreSQL database (see conftest.backend).
pytestmark = pytest.mark.usefixtures("backend")


def test_dynamic_partitions(tmp_path):
    with Storage(tmp_path) as storage:
        parts = storage.dynamic_partitions
        assert parts.add("files", ["b.csv", "a.csv"]) == ["b.csv", "a.csv"]
        assert parts.add("files", ["a.csv", "c.csv"]) == ["c.csv"]
        parts.add("other", ["a.csv"])
        assert parts.get("files") == ["b.csv", "a.csv", "c.csv"]
        assert parts.has("files", "c.csv") and not parts.has("files", "zzz")
        assert parts.delete("files", "a.csv") is True
        assert parts.delete("files", "a.csv") is False
        assert parts.get("files") == ["b.csv", "c.csv"]
        assert parts.get("other") == ["a.csv"]
        assert parts.get("unknown") == []
