"""Opening a DuckDB file that another process may be writing.

DuckDB lets one process at a time open a database file for writing. Steps running in
parallel processes therefore take turns: opening retries while another process holds the
file, up to a timeout, and then fails with a message naming the file. Inside one process a
lock per file serializes the threads.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from assettui.errors import ExecutionError

DEFAULT_LOCK_TIMEOUT = 60.0
_process_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def _duckdb() -> Any:
    try:
        import duckdb
    except ImportError as exc:
        raise ExecutionError(
            "The DuckDB integration needs duckdb, which is not installed. "
            "Install it with: pip install 'assettui[duckdb]'"
        ) from exc
    return duckdb


def _process_lock(database: str) -> threading.Lock:
    key = database if database == ":memory:" else str(Path(database).resolve())
    with _locks_guard:
        return _process_locks.setdefault(key, threading.Lock())


def _is_lock_conflict(exc: Exception) -> bool:
    text = str(exc).lower()
    return "lock" in text and ("conflicting" in text or "could not set lock" in text)


@contextmanager
def duckdb_connection(
    database: str,
    config: Mapping[str, Any] | None = None,
    *,
    read_only: bool = False,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
) -> Iterator[Any]:
    """A connection to ``database``, waiting while another process holds the file."""
    duckdb = _duckdb()
    if database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    with _process_lock(database):
        deadline = time.monotonic() + lock_timeout
        delay = 0.05
        while True:
            try:
                conn = duckdb.connect(database, read_only=read_only, config=dict(config or {}))
                break
            except duckdb.Error as exc:
                if not _is_lock_conflict(exc):
                    raise ExecutionError(f"Cannot open DuckDB database {database}: {exc}") from exc
                if time.monotonic() >= deadline:
                    raise ExecutionError(
                        f"DuckDB database {database} stayed locked by another process for "
                        f"{lock_timeout:g} s (DuckDB allows one writer at a time): {exc}. "
                        "Close the other program using it, or raise lock_timeout."
                    ) from exc
                time.sleep(delay)
                delay = min(delay * 2, 1.0)
        try:
            yield conn
        finally:
            conn.close()
