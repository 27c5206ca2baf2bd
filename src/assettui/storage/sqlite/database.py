"""Opening the instance database: file layout, connection pragmas and write transactions.

Several processes (the TUI, run workers, a headless daemon) share one SQLite file, so every
connection runs in WAL mode (readers never block the writer) with a long busy timeout (a
writer waits for the lock instead of failing), and every write starts with
``BEGIN IMMEDIATE``: the write lock is taken up front, so a transaction never has to upgrade a
read snapshot (which fails at once, without waiting) and autoincrement ids are committed in
the order they are allocated.
"""

from __future__ import annotations

import itertools
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import sqlite_utils

from assettui.errors import StorageError
from assettui.storage.postgres.connection import PgDatabase
from assettui.storage.private import PRIVATE_FOLDER, make_private_folder, narrow

# What the storage areas query through: a SQLite connection, or a PostgreSQL one that takes
# the same SQL (see assettui.storage.postgres.connection).
Database = sqlite_utils.Database | PgDatabase

DATABASE_FILENAME = "assettui.db"
# Writers must wait (not fail) while another process holds the lock for many seconds.
BUSY_TIMEOUT_MS = 60_000

T = TypeVar("T")
_savepoints = itertools.count()


@dataclass(frozen=True, slots=True)
class InstancePaths:
    """Where an instance keeps its files.

    Attributes:
        home: the instance folder (created with mode ``0o700``).
        database: the SQLite file, ``<home>/assettui.db``.
        logs: captured step output, ``<home>/logs/<run_id>/<step>.{out,err}``.
        storage: the default IO manager's folder, ``<home>/storage``.
    """

    home: Path
    database: Path
    logs: Path
    storage: Path


@dataclass(frozen=True, slots=True)
class StepLogPaths:
    """The files a step's captured stdout and stderr go to."""

    stdout: Path
    stderr: Path


def read_only_message(database: str | os.PathLike[str]) -> str:
    """What to say of a database whose folder cannot be written (a mount or permissions)."""
    return (
        f"{database} cannot be opened for writing: its folder is read-only (a read-only "
        "mount or its permissions). Make it writable, or point --home / ASSETTUI_HOME at a "
        "writable folder; nothing was changed."
    )


def instance_paths(home: str | os.PathLike[str]) -> InstancePaths:
    """The file layout of the instance at ``home`` (nothing is created)."""
    root = Path(home).expanduser().resolve()
    return InstancePaths(
        home=root,
        database=root / DATABASE_FILENAME,
        logs=root / "logs",
        storage=root / "storage",
    )


def ensure_home(home: str | os.PathLike[str]) -> InstancePaths:
    """Create the instance folder (mode ``0o700``: runs and logs may hold secrets).

    Raises:
        StorageError: the folder cannot be created.
    """
    paths = instance_paths(home)
    try:
        make_private_folder(paths.home)
        narrow(paths.home, PRIVATE_FOLDER)  # an existing folder may have been made wider
    except OSError as exc:
        raise StorageError(
            f"Cannot create the instance folder {paths.home}: {exc}. "
            "Check permissions or point ASSETTUI_HOME elsewhere."
        ) from exc
    return paths


def step_log_paths(
    home: str | os.PathLike[str], run_id: str, step_key: str, *, create: bool = True
) -> StepLogPaths:
    """The stdout/stderr capture files of one step (their folder is created unless
    ``create`` is false: a reader must not make an instance folder that was deleted again).

    Args:
        home: the instance folder.
        run_id: the run.
        step_key: the step (an asset step's key); ``/`` is replaced so it stays one file.
    """
    folder = instance_paths(home).logs / run_id
    if create:
        make_private_folder(folder)
    safe = step_key.replace("/", "__").replace(os.sep, "__")
    return StepLogPaths(stdout=folder / f"{safe}.out", stderr=folder / f"{safe}.err")


_last_opened: list[Path] = []  # the database this process opened last (for error messages)


def last_opened_database() -> Path | None:
    """The instance database this process opened most recently."""
    return _last_opened[-1] if _last_opened else None


def connect(path: str | os.PathLike[str]) -> sqlite_utils.Database:
    """Open one connection to the database at ``path`` with assettui's pragmas.

    The connection is in autocommit mode (``isolation_level=None``): transactions are always
    explicit, through :func:`write_transaction`, so no read snapshot lingers between calls.
    ``check_same_thread`` is off only so :meth:`Storage.close` can close connections that
    other threads opened; each thread still uses its own connection.

    Raises:
        StorageError: the file cannot be opened as a SQLite database.
    """
    _last_opened[:] = [Path(path)]
    try:
        conn = sqlite3.connect(
            str(path),
            timeout=BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,
            check_same_thread=False,
        )
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    except sqlite3.Error as exc:
        raise StorageError(f"Cannot open the instance database {path}: {exc}.") from exc
    return sqlite_utils.Database(conn, execute_plugins=False)


def apply_pragmas(db: sqlite_utils.Database) -> None:
    """Put a connection in WAL mode with ``synchronous=NORMAL`` (durable in WAL, and fast)."""
    # journal_mode=WAL is persistent in the file; setting it again is a no-op read.
    mode = _with_busy_retry(lambda: db.execute("PRAGMA journal_mode = WAL").fetchone()[0])
    if str(mode).lower() != "wal":
        raise StorageError(
            f"The instance database could not switch to WAL mode (got {mode!r}); "
            "is it on a network file system? Put ASSETTUI_HOME on a local disk."
        )
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("PRAGMA foreign_keys = OFF")
    db.execute("PRAGMA temp_store = MEMORY")


def _with_busy_retry(fn: Callable[[], T], attempts: int = 50) -> T:
    """Run ``fn``, retrying briefly when SQLite reports a lock the busy handler cannot wait on.

    Switching a brand-new file to WAL needs an exclusive lock that some SQLite builds report
    as busy without invoking the busy handler when several processes create it at once.
    """
    for attempt in range(attempts):
        try:
            return fn()
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


@contextmanager
def write_transaction(db: Database) -> Iterator[Database]:
    """A write transaction: ``BEGIN IMMEDIATE`` ... ``COMMIT``, rolled back on error.

    Nested use (inside another :func:`write_transaction` on the same connection) becomes a
    savepoint, so a caller can group several storage writes into one atomic unit.
    """
    conn = db.conn
    if conn.in_transaction:
        name = f"assettui_sp_{next(_savepoints)}"
        conn.execute(f"SAVEPOINT {name}")
        try:
            yield db
        except BaseException:
            if conn.in_transaction:
                conn.execute(f"ROLLBACK TO SAVEPOINT {name}")
                conn.execute(f"RELEASE SAVEPOINT {name}")
            raise
        else:
            conn.execute(f"RELEASE SAVEPOINT {name}")
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    else:
        try:
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
