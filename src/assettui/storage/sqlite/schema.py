"""The instance schema, versioned with sqlite-utils ``Migrations``.

The schema version of a database is the number of assettui migrations applied to it. Opening
an older database copies it to ``assettui.db.bak-v<N>`` and then applies the missing
migrations; a database that carries migrations this code does not know (written by a newer
assettui) is refused and left untouched.

Add a migration by appending a function decorated with ``@MIGRATIONS()``; never edit or
reorder one that has shipped.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils
from sqlite_utils import Migrations

from assettui.errors import StorageError
from assettui.storage.sqlite.database import write_transaction

MIGRATION_SET = "assettui"
MIGRATIONS = Migrations(MIGRATION_SET)


def _run(db: sqlite_utils.Database, *statements: str) -> None:
    # One statement at a time: executescript() would commit the migration's transaction.
    for statement in statements:
        db.execute(statement)


@MIGRATIONS()
def m001_initial(db: sqlite_utils.Database) -> None:
    _run(
        db,
        """CREATE TABLE runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            run_id TEXT NOT NULL UNIQUE,
            status TEXT NOT NULL,
            job_name TEXT NOT NULL,
            asset_selection TEXT,
            asset_check_selection TEXT,
            partition TEXT,
            partition_range_start TEXT,
            partition_range_end TEXT,
            tags TEXT NOT NULL DEFAULT '{}',
            run_config TEXT NOT NULL DEFAULT '{}',
            pid INTEGER,
            heartbeat REAL,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            started_at REAL,
            ended_at REAL,
            failure_reason TEXT,
            parent_run_id TEXT,
            root_run_id TEXT,
            backfill_id TEXT
        )""",
        "CREATE INDEX idx_runs_status ON runs (status, id)",
        "CREATE INDEX idx_runs_job ON runs (job_name, id)",
        "CREATE INDEX idx_runs_backfill ON runs (backfill_id, id)",
        "CREATE INDEX idx_runs_created ON runs (created_at)",
        """CREATE TABLE run_tags (
            key TEXT NOT NULL, value TEXT NOT NULL, run_storage_id INTEGER NOT NULL,
            PRIMARY KEY (key, value, run_storage_id)
        ) WITHOUT ROWID""",
        """CREATE TABLE run_assets (
            asset_key TEXT NOT NULL, run_storage_id INTEGER NOT NULL,
            PRIMARY KEY (asset_key, run_storage_id)
        ) WITHOUT ROWID""",
        """CREATE TABLE events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            run_id TEXT,
            timestamp REAL NOT NULL,
            event_type TEXT NOT NULL,
            level TEXT NOT NULL,
            step_key TEXT,
            asset_key TEXT,
            partition TEXT,
            message TEXT NOT NULL DEFAULT '',
            payload TEXT
        )""",
        "CREATE INDEX idx_events_run ON events (run_id, id)",
        # Partial: most events (logs, step lifecycle) have no asset and cost no index write.
        # Feeds by type ("materializations after id N") walk the id range from a recent N.
        "CREATE INDEX idx_events_asset ON events (asset_key, event_type, id) "
        "WHERE asset_key IS NOT NULL",
        """CREATE TABLE assets (
            asset_key TEXT PRIMARY KEY,
            last_materialization_id INTEGER,
            last_materialization_timestamp REAL,
            last_materialization_run_id TEXT,
            last_materialization_partition TEXT,
            last_observation_id INTEGER,
            last_observation_timestamp REAL,
            updated_at REAL NOT NULL
        )""",
        """CREATE TABLE asset_partition_status (
            asset_key TEXT NOT NULL,
            partition TEXT NOT NULL,
            status TEXT NOT NULL,
            last_materialization_id INTEGER,
            last_materialization_run_id TEXT,
            last_materialization_timestamp REAL,
            code_version TEXT,
            last_run_id TEXT,
            last_failure TEXT,
            previous_status TEXT,
            updated_at REAL NOT NULL,
            PRIMARY KEY (asset_key, partition)
        ) WITHOUT ROWID""",
        "CREATE INDEX idx_status_run ON asset_partition_status (last_run_id, status)",
        """CREATE TABLE asset_check_results (
            asset_key TEXT NOT NULL,
            check_name TEXT NOT NULL,
            partition TEXT NOT NULL,
            passed INTEGER,
            severity TEXT,
            event_id INTEGER,
            run_id TEXT,
            timestamp REAL,
            in_progress_run_id TEXT,
            updated_at REAL NOT NULL,
            PRIMARY KEY (asset_key, check_name, partition)
        ) WITHOUT ROWID""",
        "CREATE INDEX idx_checks_in_progress ON asset_check_results (in_progress_run_id)",
        """CREATE TABLE automation_state (
            name TEXT NOT NULL,
            kind TEXT NOT NULL,
            status TEXT NOT NULL,
            cursor TEXT,
            updated_at REAL NOT NULL,
            PRIMARY KEY (name, kind)
        ) WITHOUT ROWID""",
        """CREATE TABLE ticks (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL,
            kind TEXT NOT NULL,
            timestamp REAL NOT NULL,
            status TEXT NOT NULL,
            run_ids TEXT NOT NULL DEFAULT '[]',
            run_keys TEXT NOT NULL DEFAULT '[]',
            skip_reason TEXT,
            error TEXT,
            cursor TEXT,
            updated_at REAL NOT NULL
        )""",
        "CREATE INDEX idx_ticks_instigator ON ticks (name, kind, id)",
        "CREATE INDEX idx_ticks_time ON ticks (name, kind, timestamp)",
        """CREATE TABLE run_keys (
            sensor_name TEXT NOT NULL,
            run_key TEXT NOT NULL,
            run_id TEXT NOT NULL,
            created_at REAL NOT NULL,
            PRIMARY KEY (sensor_name, run_key)
        ) WITHOUT ROWID""",
        """CREATE TABLE dynamic_partitions (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            partitions_def_name TEXT NOT NULL,
            partition_key TEXT NOT NULL,
            created_at REAL NOT NULL,
            UNIQUE (partitions_def_name, partition_key)
        )""",
        "CREATE INDEX idx_dynamic_partitions_order ON dynamic_partitions (partitions_def_name, id)",
        """CREATE TABLE backfills (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            backfill_id TEXT NOT NULL UNIQUE,
            status TEXT NOT NULL,
            asset_selection TEXT NOT NULL DEFAULT '[]',
            partition_keys TEXT NOT NULL DEFAULT '[]',
            partition_filter TEXT,
            tags TEXT NOT NULL DEFAULT '{}',
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            num_partitions INTEGER NOT NULL DEFAULT 0,
            num_requested INTEGER NOT NULL DEFAULT 0,
            num_completed INTEGER NOT NULL DEFAULT 0,
            num_failed INTEGER NOT NULL DEFAULT 0,
            cursor TEXT,
            error TEXT
        )""",
        "CREATE INDEX idx_backfills_status ON backfills (status, id)",
        """CREATE TABLE kv (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL,
            updated_at REAL NOT NULL
        )""",
    )


@MIGRATIONS()
def m002_tick_log_lines(db: sqlite_utils.Database) -> None:
    _run(db, "ALTER TABLE ticks ADD COLUMN log_lines TEXT NOT NULL DEFAULT '[]'")


@MIGRATIONS()
def m003_instigator_leases(db: sqlite_utils.Database) -> None:
    _run(
        db,
        """CREATE TABLE instigator_leases (
            name TEXT NOT NULL,
            kind TEXT NOT NULL,
            owner TEXT NOT NULL,
            expires_at REAL NOT NULL,
            PRIMARY KEY (name, kind)
        ) WITHOUT ROWID""",
    )


@dataclass(frozen=True, slots=True)
class SchemaState:
    """How a database's schema compares with the code's migrations."""

    version: int
    known_version: int
    unknown: tuple[str, ...]
    pending: tuple[str, ...]


def known_migrations(migrations: Migrations = MIGRATIONS) -> list[Migrations._Migration]:
    """Every migration the code knows, in order (through the public API: all are pending on
    an empty database)."""
    return migrations.pending(sqlite_utils.Database(memory=True))


def schema_state(db: sqlite_utils.Database, migrations: Migrations = MIGRATIONS) -> SchemaState:
    """Read (never write) the migrations applied to ``db``."""
    return state_of([m.name for m in migrations.applied(db)], migrations)


def state_of(applied: list[str], migrations: Migrations = MIGRATIONS) -> SchemaState:
    """How the migrations ``applied`` to a database (in order) compare with the code's."""
    known = [m.name for m in known_migrations(migrations)]
    return SchemaState(
        version=len(applied),
        known_version=len(known),
        unknown=tuple(name for name in applied if name not in known),
        pending=tuple(name for name in known if name not in applied),
    )


def check_not_newer(state: SchemaState, where: Path | str, other: str = "ASSETTUI_HOME") -> None:
    """Refuse a database written by a newer assettui (``where`` names it; ``other`` is what
    to use instead).

    Raises:
        StorageError: the database has migrations this code does not know.
    """
    if state.unknown:
        raise StorageError(
            f"The instance database {where} has schema version {state.version}, newer than "
            f"this assettui knows ({state.known_version}; unknown migrations: "
            f"{', '.join(state.unknown)}). It was left unchanged: upgrade assettui, or use "
            f"another {other}."
        )


def migrate(
    db: sqlite_utils.Database, path: Path, migrations: Migrations = MIGRATIONS
) -> SchemaState:
    """Bring ``db`` (the file at ``path``) up to the code's schema version.

    A database that already has some migrations is first copied to
    ``<path>.bak-v<version>``. Migrations run under one ``BEGIN IMMEDIATE`` lock, so processes
    opening a new instance at the same moment apply each migration exactly once.

    Raises:
        StorageError: the database is newer than the code, or a migration failed.
    """
    state = schema_state(db, migrations)
    check_not_newer(state, path)
    if not state.pending:
        return state
    if state.version > 0:
        backup(db, path.with_name(f"{path.name}.bak-v{state.version}"))
    try:
        with write_transaction(db):
            # Re-read under the lock: another process may have migrated meanwhile.
            locked_state = schema_state(db, migrations)
            check_not_newer(locked_state, path)
            migrations.apply(db)
    except sqlite3.Error as exc:
        raise StorageError(
            f"Migrating the instance database {path} failed: {exc}. The database was rolled "
            "back; a backup of the previous version sits next to it."
        ) from exc
    return schema_state(db, migrations)


def backup(db: sqlite_utils.Database, target: Path) -> None:
    """Copy the database to ``target`` with SQLite's online backup (safe under WAL)."""
    if target.exists():
        return
    partial = target.with_name(target.name + ".partial")
    dest = sqlite3.connect(str(partial))
    try:
        db.conn.backup(dest)
    finally:
        dest.close()
    partial.replace(target)
