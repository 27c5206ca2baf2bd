"""``Storage``: one instance folder, one SQLite file, one connection per thread and process.

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

import sqlite_utils
from sqlite_utils import Migrations

from assettui.model.records.events import DagsterEventType, NewEvent
from assettui.model.records.runs import DagsterRunStatus
from assettui.storage.asset_status import AssetStatusQueries
from assettui.storage.automation_state import AutomationStorage
from assettui.storage.backfills import BackfillStorage
from assettui.storage.dynamic_partitions import DynamicPartitionsStorage
from assettui.storage.event_log import EventLog
from assettui.storage.private import PRIVATE_FILE, narrow, open_private
from assettui.storage.run_storage import RunStorage
from assettui.storage.settings import SettingsStorage
from assettui.storage.sqlite.database import (
    InstancePaths,
    StepLogPaths,
    apply_pragmas,
    connect,
    ensure_home,
    step_log_paths,
    write_transaction,
)
from assettui.storage.sqlite.schema import MIGRATIONS, check_not_newer, migrate, schema_state

_END_EVENTS = {
    DagsterRunStatus.SUCCESS: (DagsterEventType.RUN_SUCCESS, "INFO"),
    DagsterRunStatus.FAILURE: (DagsterEventType.RUN_FAILURE, "ERROR"),
    DagsterRunStatus.CANCELED: (DagsterEventType.RUN_CANCELED, "WARNING"),
}


class Storage:
    """The instance storage at ``home`` (created if needed, migrated on open).

    Each thread and each process gets its own connection on first use; a ``Storage`` may be
    passed to a subprocess (it pickles as its home path).

    Args:
        home: the instance folder; the database is ``<home>/assettui.db``.
        migrations: the migration set (tests pass an extended one).

    Raises:
        StorageError: the database cannot be opened, is newer than this code, or a
            migration failed.
    """

    def __init__(self, home: str | os.PathLike[str], *, migrations: Migrations = MIGRATIONS):
        self.paths: InstancePaths = ensure_home(home)
        self._migrations = migrations
        self._local = threading.local()
        self._lock = threading.Lock()
        # (pid, opening thread, connection): closed when that thread has ended.
        self._connections: list[tuple[int, threading.Thread, sqlite_utils.Database]] = []
        if not self.paths.database.exists():  # created private; SQLite's own files follow it
            open_private(self.paths.database).close()
        db = connect(self.paths.database)
        try:
            # Refuse a newer database before anything (even the WAL pragma) touches it.
            check_not_newer(schema_state(db, migrations), self.paths.database)
            apply_pragmas(db)
            self.schema_version = migrate(db, self.paths.database, migrations).version
        except BaseException:
            db.close()
            raise
        for suffix in ("", "-wal", "-shm"):
            narrow(Path(f"{self.paths.database}{suffix}"), PRIVATE_FILE)
        self._adopt(db)
        self.runs = RunStorage(self.database)
        self.event_log = EventLog(self.database)
        self.asset_status = AssetStatusQueries(self.database)
        self.automation = AutomationStorage(self.database)
        self.dynamic_partitions = DynamicPartitionsStorage(self.database)
        self.backfills = BackfillStorage(self.database)
        self.settings = SettingsStorage(self.database)

    @property
    def home(self) -> Path:
        """The instance folder."""
        return self.paths.home

    def database(self) -> sqlite_utils.Database:
        """This thread's connection (opened on first use, and again after a fork)."""
        db = getattr(self._local, "db", None)
        if db is None or self._local.pid != os.getpid():
            db = connect(self.paths.database)
            apply_pragmas(db)
            self._adopt(db)
        return db

    def _adopt(self, db: sqlite_utils.Database) -> None:
        self._local.db = db
        pid = self._local.pid = os.getpid()
        with self._lock:
            # Short-lived threads (the UI's workers) each open a connection: close the ones
            # whose thread has ended, so connections stay bounded by the live threads.
            ended = [c for c in self._connections if c[0] == pid and not c[1].is_alive()]
            self._connections = [c for c in self._connections if c[0] == pid and c[1].is_alive()]
            self._connections.append((pid, threading.current_thread(), db))
        for _, _, stale in ended:
            stale.close()

    def change_token(self) -> tuple[int, int]:
        """A value that changes whenever anyone commits a write to the instance.

        Cheap enough to call twice a second: SQLite's ``data_version`` (bumped by other
        connections' commits) and this connection's own change count. Compare tokens taken
        on the same thread.
        """
        db = self.database()
        version = db.execute("PRAGMA data_version").fetchone()[0]
        return int(version), db.conn.total_changes

    @contextmanager
    def transaction(self) -> Iterator[sqlite_utils.Database]:
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

    def step_log_paths(self, run_id: str, step_key: str) -> StepLogPaths:
        """Where a step's stdout/stderr are captured (see :func:`step_log_paths`)."""
        return step_log_paths(self.paths.home, run_id, step_key)

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
        return (Storage, (str(self.paths.home),))

    def __repr__(self) -> str:
        return f"Storage({str(self.paths.home)!r})"
