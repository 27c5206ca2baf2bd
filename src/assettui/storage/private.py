"""The instance keeps secrets (run config, logs, values), so what it creates is private to
its user: folders ``0700``, files ``0600``, whatever the umask, and an instance folder that
already exists with wider permissions is narrowed when opened."""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO, Any

PRIVATE_FOLDER = 0o700
PRIVATE_FILE = 0o600


def make_private_folder(folder: Path) -> None:
    """Create ``folder`` and any missing parents, each ``0700`` (an existing one is kept)."""
    missing: list[Path] = []
    current = folder
    while not current.exists():
        missing.append(current)
        current = current.parent
    for path in reversed(missing):
        try:
            path.mkdir(mode=PRIVATE_FOLDER)
        except FileExistsError:  # another process made it meanwhile
            continue
        os.chmod(path, PRIVATE_FOLDER)  # mkdir's mode passes through the umask


def narrow(path: Path, mode: int) -> None:
    """Give an existing file or folder ``mode`` if it allows more (it may be another's)."""
    try:
        if path.stat().st_mode & 0o777 & ~mode:
            os.chmod(path, mode)
    except (FileNotFoundError, PermissionError):
        pass


def open_private(path: Path, mode: str = "ab") -> IO[Any]:
    """Open ``path`` for appending (or writing), creating it ``0600``."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if "a" in mode else os.O_TRUNC)
    fd = os.open(path, flags, PRIVATE_FILE)
    try:
        os.fchmod(fd, PRIVATE_FILE)  # an existing file may be wider than a new one would be
    except OSError:
        pass
    return os.fdopen(fd, mode)
