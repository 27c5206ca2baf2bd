"""One error boundary for every command: a database that is corrupt, locked past the busy
timeout, or in a folder that cannot be written becomes one message naming the file and what
to do, and exit code 1 — never a traceback, and the file is left as it was."""

from __future__ import annotations

import errno
import os
import sqlite3
import sys
from collections.abc import Callable
from typing import Any

import click

from assettui.errors import StorageError
from assettui.storage.instance_storage import STORAGE_ENV
from assettui.storage.postgres.connection import first_line, masked
from assettui.storage.sqlite.database import (
    BUSY_TIMEOUT_MS,
    last_opened_database,
    read_only_message,
)


def _database() -> str:
    path = last_opened_database()
    return str(path) if path else "the instance database (assettui.db)"


def _not_writable(database: str) -> bool:
    """Whether the database's folder exists but cannot be written (``os.access`` also sees a
    read-only mount, for root too)."""
    folder = os.path.dirname(database)
    return os.path.isdir(folder) and not os.access(folder, os.W_OK)


def _postgres_error(exc: BaseException) -> bool:
    return type(exc).__module__.split(".")[0] == "psycopg"


def explain(exc: BaseException) -> str | None:
    """The message for an instance fault, or ``None`` for anything else."""
    if _postgres_error(exc):
        url = os.environ.get(STORAGE_ENV, "")
        return (
            f"The PostgreSQL instance storage at {masked(url)} failed: {first_line(exc)}. "
            "Check that "
            "the server is running and reachable, then run the command again; what was "
            "committed before is kept."
        )
    database = _database()
    if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc).lower():
        return (
            f"{database} stayed locked by another process for more than "
            f"{BUSY_TIMEOUT_MS // 1000} s. Wait for it to finish (or stop it) and try again; "
            "nothing was changed."
        )
    if isinstance(exc, sqlite3.OperationalError) and "readonly" in str(exc).lower():
        return (
            f"{database} cannot be written: its folder or file is read-only. Make it "
            "writable, or point --home / ASSETTUI_HOME at a writable folder."
        )
    if isinstance(exc, sqlite3.DatabaseError) and _not_writable(database):
        return read_only_message(database)
    if isinstance(exc, sqlite3.DatabaseError):
        return (
            f"{database} cannot be read as an assettui database ({exc}): it may be "
            "corrupt. It was left untouched: move it away (or restore a backup, "
            "assettui.db.bak-v*) and run the command again to start a new instance."
        )
    if isinstance(exc, OSError) and exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        where = exc.filename or "the instance folder"
        return (
            f"Cannot write {where}: {exc.strerror}. Make it writable, or point --home / "
            "ASSETTUI_HOME at a writable folder."
        )
    return None


def guarded(command: Callable[[], Any]) -> Any:
    """Run ``command``; an instance fault is printed as one clear line and exit code 1."""
    try:
        return command()
    except StorageError as exc:  # its message names the database and what to do
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except Exception as exc:
        if not isinstance(exc, sqlite3.Error | OSError) and not _postgres_error(exc):
            raise
        message = explain(exc)
        if message is None:
            raise
        click.echo(f"error: {message}", err=True)
        sys.exit(1)
