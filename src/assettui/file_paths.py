"""``file_relative_path``: a path next to the calling Python file (Dagster's helper)."""

from __future__ import annotations

import os
from pathlib import Path


def file_relative_path(dunderfile: str, relative_path: str) -> str:
    """The absolute path of ``relative_path`` taken from the folder of ``dunderfile``.

    Args:
        dunderfile: always ``__file__``.
        relative_path: a path relative to that file's folder.

    Returns:
        The resolved absolute path, as a string.

    Raises:
        TypeError: if either argument is not a string.
    """
    for name, value in (("dunderfile", dunderfile), ("relative_path", relative_path)):
        if not isinstance(value, str):
            raise TypeError(
                f"file_relative_path: {name} must be a str, got {type(value).__name__}."
            )
    return os.fspath(Path(dunderfile, "..", relative_path).resolve())
