"""The instance schema on PostgreSQL: the same migrations as on SQLite, applied in order.

Each migration function of :data:`~assettui.storage.sqlite.schema.MIGRATIONS` runs against a
:class:`~assettui.storage.postgres.connection.PgDatabase` (which spells its DDL the
PostgreSQL way), recorded by name in ``_assettui_migrations``, all under the instance's
write lock: processes opening a new database at once apply each migration exactly once. A
database that carries migrations this code does not know is refused and left untouched.
"""

from __future__ import annotations

from sqlite_utils import Migrations

from assettui.errors import StorageError
from assettui.storage.postgres.connection import PgDatabase
from assettui.storage.sqlite.database import write_transaction
from assettui.storage.sqlite.schema import (
    MIGRATIONS,
    SchemaState,
    check_not_newer,
    known_migrations,
    state_of,
)

MIGRATIONS_TABLE = "_assettui_migrations"


def _applied(db: PgDatabase, migrations: Migrations) -> list[str]:
    exists = db.execute("SELECT to_regclass(?)", (MIGRATIONS_TABLE,)).fetchone()[0]
    if exists is None:
        return []
    rows = db.execute(
        f"SELECT name FROM {MIGRATIONS_TABLE} WHERE migration_set = ? ORDER BY id",
        (migrations.name,),
    )
    return [row[0] for row in rows]


def schema_state(db: PgDatabase, migrations: Migrations = MIGRATIONS) -> SchemaState:
    """Read (never write) the migrations applied to the database."""
    return state_of(_applied(db, migrations), migrations)


def _check_not_newer(state: SchemaState, where: str) -> None:
    check_not_newer(state, where, other="database")


def migrate(db: PgDatabase, where: str, migrations: Migrations = MIGRATIONS) -> SchemaState:
    """Bring the database up to the code's schema version (see the module docstring).

    Raises:
        StorageError: the database is newer than the code, or a migration failed.
    """
    import psycopg

    state = schema_state(db, migrations)
    _check_not_newer(state, where)
    if not state.pending:
        return state
    try:
        with write_transaction(db):
            db.execute(
                f"CREATE TABLE IF NOT EXISTS {MIGRATIONS_TABLE} (id INTEGER PRIMARY KEY "
                "AUTOINCREMENT, migration_set TEXT NOT NULL, name TEXT NOT NULL, "
                "applied_at DOUBLE PRECISION NOT NULL DEFAULT EXTRACT(EPOCH FROM now()))"
            )
            locked = schema_state(db, migrations)  # another process may have migrated
            _check_not_newer(locked, where)
            for migration in known_migrations(migrations):
                if migration.name in locked.pending:
                    # the migrations only call db.execute, which PgDatabase takes
                    migration.fn(db)  # type: ignore[arg-type]
                    db.execute(
                        f"INSERT INTO {MIGRATIONS_TABLE} (migration_set, name) VALUES (?, ?)",
                        (migrations.name, migration.name),
                    )
    except psycopg.Error as exc:
        raise StorageError(
            f"Migrating the instance database {where} failed: {exc}. It was rolled back."
        ) from exc
    return schema_state(db, migrations)
