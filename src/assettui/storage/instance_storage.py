"""``Storage``: one instance folder and its database, one connection per thread and process.

The database is the folder's SQLite file, or a PostgreSQL database named by a storage URL
(``--storage``, ``ASSETTUI_STORAGE``, ``[tool.assettui] storage``) that several machines
share; captured step output and values stay in the folder either way.

``Storage`` composes the storage areas (runs, event log, asset status, automation state,
dynamic partitions, backfills, settings); each area lives in its own module and is reached as
an attribute (``storage.runs.create_run(...)``, ``storage.event_log.store_events(...)``).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlite_utils import Migrations

from assettui.errors import StorageError
from assettui.model.records.events import DagsterEventType, NewEvent
from assettui.model.records.runs import DagsterRunStatus
from assettui.storage.asset_status import AssetStatusQueries
from assettui.storage.automation_state import AutomationStorage
from assettui.storage.backfills import BackfillStorage
from assettui.storage.dynamic_partitions import DynamicPartitionsStorage
from assettui.storage.event_log import EventLog
from assettui.storage.postgres.connection import (
    PgDatabase,
    change_count,
    ensure_changes_table,
    is_postgres_url,
    masked,
)
from assettui.storage.postgres.schema import migrate as migrate_postgres
from assettui.storage.private import PRIVATE_FILE, narrow, open_private
from assettui.storage.run_storage import RunStorage
from assettui.storage.settings import SettingsStorage
from assettui.storage.sqlite.database import (
    Database,
    InstancePaths,
    StepLogPaths,
    apply_pragmas,
    connect,
    ensure_home,
    read_only_message,
    step_log_paths,
    write_transaction,
)
from assettui.storage.sqlite.schema import MIGRATIONS, check_not_newer, migrate, schema_state

STORAGE_ENV = "ASSETTUI_STORAGE"


def storage_url(url: str | None = None) -> str | None:
    """The PostgreSQL URL the instance uses (``url``, else ``$ASSETTUI_STORAGE``), or ``None``
    for the instance folder's SQLite file.

    Raises:
        StorageError: the URL is neither empty, ``sqlite`` nor ``postgresql://...``.
    """
    chosen = (url if url is not None else os.environ.get(STORAGE_ENV, "")).strip()
    if not chosen or chosen == "sqlite" or chosen.startswith("sqlite:"):
        return None
    if is_postgres_url(chosen):
        return chosen
    raise StorageError(
        f"Unknown storage URL {masked(chosen)!r}: use postgresql://user@host:port/database "
        "(the password through PGPASSWORD), or leave it unset for the instance folder's "
        "SQLite file."
    )


_END_EVENTS = {
    DagsterRunStatus.SUCCESS: (DagsterEventType.RUN_SUCCESS, "INFO"),
    DagsterRunStatus.FAILURE: (DagsterEventType.RUN_FAILURE, "ERROR"),
    DagsterRunStatus.CANCELED: (DagsterEventType.RUN_CANCELED, "WARNING"),
}


class Storage:
    """The instance storage at ``home`` (created if needed, migrated on open).

    Each thread and each process gets its own connection on first use; a ``Storage`` may be
    passed to a subprocess (it pickles as its home path and storage URL).

    Args:
        home: the instance folder; the database is ``<home>/assettui.db`` unless ``url``
            (or ``$ASSETTUI_STORAGE``) names a PostgreSQL database.
        url: a ``postgresql://`` storage URL (see :func:`storage_url`).
        migrations: the migration set (tests pass an extended one).

    Raises:
        StorageError: the database cannot be opened, is newer than this code, or a
            migration failed.
    """

    def __init__(
        self,
        home: str | os.PathLike[str],
        *,
        url: str | None = None,
        migrations: Migrations = MIGRATIONS,
    ):
        self.paths: InstancePaths = ensure_home(home)
        self.url = storage_url(url)
        self._migrations = migrations
        self._lock = threading.Lock()
        # (pid, opening thread, connection): closed when that thread has ended.
        self._connections: list[tuple[int, threading.Thread, Database]] = []
        self._generation = 0  # bumped by reopen(): every thread then opens a new connection
        self._local = threading.local()
        self._reopen_lock = threading.Lock()
        self._open()
        self.runs = RunStorage(self.database, before_create=self.check_present)
        self.event_log = EventLog(self.database)
        self.asset_status = AssetStatusQueries(self.database)
        self.automation = AutomationStorage(self.database)
        self.dynamic_partitions = DynamicPartitionsStorage(self.database)
        self.backfills = BackfillStorage(self.database)
        self.settings = SettingsStorage(self.database)

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return "postgresql" if self.url else "sqlite"

    def describe(self) -> str:
        """The database, as it may be shown (a URL without its password)."""
        return masked(self.url) if self.url else str(self.paths.database)

    def _open(self) -> None:
        """Open (creating and migrating if needed) the database at this storage's path."""
        if self.url is not None:
            pg = PgDatabase(self.url)
            try:
                ensure_changes_table(pg)
                self.schema_version = migrate_postgres(
                    pg, self.describe(), self._migrations
                ).version
            except BaseException:
                pg.close()
                raise
            self._identity = (0, 0)
            self._adopt(pg)
            return
        if not os.access(self.paths.home, os.W_OK):
            # Refused up front, whatever the command: reading could work or not depending on
            # the WAL files another process left behind.
            raise StorageError(read_only_message(self.paths.database))
        if not self.paths.database.exists():  # created private; SQLite's own files follow it
            open_private(self.paths.database).close()
        db = connect(self.paths.database)
        try:
            # Refuse a newer database before anything (even the WAL pragma) touches it.
            check_not_newer(schema_state(db, self._migrations), self.paths.database)
            apply_pragmas(db)
            self.schema_version = migrate(db, self.paths.database, self._migrations).version
        except BaseException:
            db.close()
            raise
        for suffix in ("", "-wal", "-shm"):
            narrow(Path(f"{self.paths.database}{suffix}"), PRIVATE_FILE)
        stat = self.paths.database.stat()
        self._identity = (stat.st_dev, stat.st_ino)
        self._adopt(db)

    def gone(self) -> str | None:
        """Why the database on disk is no longer the one this storage has open (its folder
        or file was deleted or replaced), or ``None`` while it is. One ``stat``; always
        ``None`` on PostgreSQL."""
        if self.url is not None:
            return None
        try:
            stat = self.paths.database.stat()
        except OSError:
            what = "folder" if not self.paths.home.exists() else "database"
            return (
                f"The instance {what} {self.paths.database if what == 'database' else self.home}"
                " was deleted while assettui had it open. Nothing is written until it is back:"
                " restore it (or create the folder again for a new instance) and assettui "
                "re-opens it."
            )
        if (stat.st_dev, stat.st_ino) != self._identity:
            return (
                f"The instance database {self.paths.database} was replaced while assettui had "
                "it open; assettui re-opens it."
            )
        return None

    def check_present(self) -> None:
        """Raise :class:`StorageError` if the database this storage opened is gone."""
        message = self.gone()
        if message is not None:
            raise StorageError(message)

    def reopen(self) -> None:
        """Open the database at this storage's path again (it was restored, replaced or is
        to be created anew); every thread's next query uses the new file. Does nothing
        while the database this storage has open is still in place."""
        # Other threads may be inside a query: each closes its own old connection when it
        # next asks for one (closing it from here could crash SQLite mid-call).
        with self._reopen_lock:
            if self.gone() is None:
                return  # another thread re-opened it already
            self.paths = ensure_home(self.paths.home)
            with self._lock:
                self._generation += 1
            self._drop_stale_connection()
            self._open()

    @property
    def home(self) -> Path:
        """The instance folder."""
        return self.paths.home

    def database(self) -> Database:
        """This thread's connection (opened on first use, and again after a fork)."""
        db = getattr(self._local, "db", None)
        if (
            db is None
            or self._local.pid != os.getpid()
            or self._local.generation != self._generation
        ):
            self._drop_stale_connection()
            db = self._connect()
            self._adopt(db)
        return db

    def _connect(self) -> Database:
        if self.url is not None:
            return PgDatabase(self.url)
        db = connect(self.paths.database)
        apply_pragmas(db)
        return db

    def _drop_stale_connection(self) -> None:
        """Close this thread's connection if it belongs to an earlier :meth:`reopen`."""
        db = getattr(self._local, "db", None)
        if db is None or self._local.pid != os.getpid():
            return
        if self._local.generation == self._generation:
            return
        with self._lock:
            self._connections = [c for c in self._connections if c[2] is not db]
        self._local.db = None
        db.close()

    def _adopt(self, db: Database) -> None:
        self._local.db = db
        self._local.generation = self._generation
        pid = self._local.pid = os.getpid()
        with self._lock:
            # Short-lived threads (the UI's workers) each open a connection: close the ones
            # whose thread has ended, so connections stay bounded by the live threads.
            ended = [c for c in self._connections if c[0] == pid and not c[1].is_alive()]
            self._connections = [c for c in self._connections if c[0] == pid and c[1].is_alive()]
            self._connections.append((pid, threading.current_thread(), db))
        for _, _, stale in ended:
            stale.close()

    def change_token(self) -> tuple[int, int, int]:
        """A value that changes whenever anyone commits a write to the instance.

        Cheap enough to call twice a second: SQLite's ``data_version`` (bumped by other
        connections' commits) and this connection's own change count. Compare tokens taken
        on the same thread. Re-opening the database (:meth:`reopen`) changes it too.
        """
        db = self.database()
        if isinstance(db, PgDatabase):  # every write transaction bumps a counter row
            return self._generation, change_count(db), 0
        version = db.execute("PRAGMA data_version").fetchone()[0]
        return self._generation, int(version), db.conn.total_changes

    @contextmanager
    def transaction(self) -> Iterator[Database]:
        """Group several storage writes of this thread into one atomic transaction.

        Every write made inside (``create_run``, ``claim_run_key``, ``create_tick``, ...)
        commits when the block ends, or none does if it raises.
        """
        with write_transaction(self.database()) as db:
            yield db

    def end_run(
        self,
        run_id: str,
        status: DagsterRunStatus,
        message: str,
        *,
        error: Mapping[str, Any] | None = None,
        reason: str | None = None,
        expected: DagsterRunStatus | None = None,
    ) -> NewEvent | None:
        """End an unfinished run: its end event and its status, in one transaction.

        The only way a run ends, whoever ends it (its worker, the launcher, the queue, the
        run monitor, a backfill). A run being canceled ends CANCELED whatever ended it.

        Args:
            run_id: the run.
            status: SUCCESS, FAILURE or CANCELED.
            message: the end event's message.
            error: the failure's error payload (see ``events.error_payload``).
            reason: the run's ``failure_reason`` (FAILURE/CANCELED; default ``message``).
            expected: end it only if it is in this status now.

        Returns:
            The end event stored, or None if the run was missing, already finished or not
            in ``expected``.
        """
        with self.transaction():
            run = self.runs.get_run(run_id)
            if run is None or run.is_finished:
                return None
            if expected is not None and run.status is not expected:
                return None
            if run.status is DagsterRunStatus.CANCELING and status is not DagsterRunStatus.CANCELED:
                status, message, error = DagsterRunStatus.CANCELED, "The run was canceled.", None
                reason = "canceled"
            event_type, level = _END_EVENTS[status]
            event = NewEvent(
                run_id=run_id,
                event_type=event_type,
                message=message,
                level=level,
                payload={"error": dict(error)} if error else None,
                timestamp=time.time(),
            )
            self.event_log.store_events([event])
            if status is not DagsterRunStatus.SUCCESS and reason is None:
                reason = message
            self.runs.update_run_status(run_id, status, failure_reason=reason)
        return event

    def step_log_paths(self, run_id: str, step_key: str, *, create: bool = True) -> StepLogPaths:
        """Where a step's stdout/stderr are captured (see :func:`step_log_paths`)."""
        return step_log_paths(self.paths.home, run_id, step_key, create=create)

    def close(self) -> None:
        """Close every connection this process opened through this storage."""
        pid = os.getpid()
        with self._lock:
            mine = [db for owner, _, db in self._connections if owner == pid]
            self._connections = []
        for db in mine:
            db.close()
        self._local = threading.local()

    def __enter__(self) -> Storage:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __reduce__(self) -> tuple[Any, ...]:
        return (_reopen, (str(self.paths.home), self.url))

    def __repr__(self) -> str:
        where = f", url={self.describe()!r}" if self.url else ""
        return f"Storage({str(self.paths.home)!r}{where})"


def _reopen(home: str, url: str | None) -> Storage:
    # "" (not None) so a pickled SQLite storage stays SQLite whatever $ASSETTUI_STORAGE says
    return Storage(home, url=url or "")
