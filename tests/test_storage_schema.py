"""Opening an instance: folder and pragmas, versioned migrations, backups, newer databases."""

from __future__ import annotations

import hashlib
import sqlite3
import stat

import pytest
from sqlite_utils import Migrations

from assettui.errors import StorageError
from assettui.storage import DagsterRun, Storage
from assettui.storage.sqlite.schema import MIGRATIONS


def _extended():
    """The shipped migrations plus one more, as the next assettui release would have."""
    migrations = Migrations(MIGRATIONS.name)
    for migration in MIGRATIONS._migrations:
        migrations(name=migration.name)(migration.fn)

    @migrations()
    def m999_add_notes(db):
        db.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
        db.execute("ALTER TABLE runs ADD COLUMN note TEXT")

    return migrations


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_new_instance_layout_and_pragmas(tmp_path):
    home = tmp_path / "nested" / "home"
    with Storage(home) as storage:
        assert stat.S_IMODE(home.stat().st_mode) == 0o700
        assert storage.paths.database == home.resolve() / "assettui.db"
        db = storage.database()
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA busy_timeout").fetchone()[0] >= 30_000
        assert db.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
        assert storage.schema_version == len(MIGRATIONS._migrations)
        assert {"runs", "events", "asset_partition_status", "ticks", "kv"} <= set(db.table_names())
    assert not list(home.glob("*.bak-*"))


def test_reopening_is_a_no_op(tmp_path):
    with Storage(tmp_path) as storage:
        run = storage.runs.create_run(DagsterRun())
    with Storage(tmp_path) as storage:
        assert storage.runs.get_run(run.run_id) == run
    assert not list(tmp_path.glob("*.bak-*"))


def test_older_database_is_backed_up_then_migrated(tmp_path):
    with Storage(tmp_path) as storage:
        run = storage.runs.create_run(DagsterRun())
        old_version = storage.schema_version
    with Storage(tmp_path, migrations=_extended()) as storage:
        assert storage.schema_version == old_version + 1
        assert "notes" in storage.database().table_names()
        assert storage.runs.get_run(run.run_id) == run  # data kept
    backup = tmp_path / f"assettui.db.bak-v{old_version}"
    assert backup.exists()
    conn = sqlite3.connect(backup)
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert "notes" not in tables and "runs" in tables
    assert conn.execute("SELECT run_id FROM runs").fetchall() == [(run.run_id,)]
    conn.close()


def test_newer_database_is_refused_and_left_untouched(tmp_path):
    with Storage(tmp_path, migrations=_extended()):
        pass
    database = tmp_path / "assettui.db"
    before = _digest(database)
    with pytest.raises(StorageError, match="newer than this assettui") as info:
        Storage(tmp_path)
    assert "m999_add_notes" in str(info.value) and str(database) in str(info.value)
    assert _digest(database) == before
    assert not list(tmp_path.glob("*.bak-*"))


def test_a_failing_migration_rolls_back(tmp_path):
    with Storage(tmp_path):
        pass
    broken = Migrations(MIGRATIONS.name)
    for migration in MIGRATIONS._migrations:
        broken(name=migration.name)(migration.fn)

    @broken()
    def m999_broken(db):
        db.execute("CREATE TABLE half_done (id INTEGER)")
        db.execute("THIS IS NOT SQL")

    with pytest.raises(StorageError, match="Migrating"):
        Storage(tmp_path, migrations=broken)
    with Storage(tmp_path) as storage:
        assert "half_done" not in storage.database().table_names()


def test_each_thread_gets_its_own_connection(tmp_path):
    import threading

    with Storage(tmp_path) as storage:
        seen = []
        thread = threading.Thread(target=lambda: seen.append(storage.database()))
        thread.start()
        thread.join()
        assert seen[0] is not storage.database()
        assert storage.database() is storage.database()
