"""Reading the stdout/stderr files a run's steps were captured into, as they grow.

Shared by ``assettui logs`` and the UI's log view: both follow a live run and must show every
line once.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from assettui.storage.instance_storage import Storage

_CHUNK_BYTES = 1 << 20


class CapturedOutput:
    """Reads the growing stdout/stderr capture files of a run's steps, whole lines only.

    Each call returns only what was written since the previous one, so a follower prints
    every line exactly once; a line still missing its newline waits for the next call
    (or is printed as is once the run has ended).

    Args:
        storage: the instance storage.
        run_id: the run whose steps' output to read.
    """

    def __init__(self, storage: Storage, run_id: str):
        self.storage = storage
        self.run_id = run_id
        self._offsets: dict[Path, int] = {}
        self._partial: dict[Path, bytes] = {}

    def new_lines(self, step_key: str, *, final: bool = False) -> Iterator[tuple[str, str]]:
        """``(stream, text)`` for each new line of the step's stdout, then its stderr.

        Args:
            step_key: the step.
            final: the step will write no more: also yield an unterminated last line.
        """
        paths = self.storage.step_log_paths(self.run_id, step_key)
        yield from self._read(paths.stdout, "STDOUT", final)
        yield from self._read(paths.stderr, "STDERR", final)

    def _read(self, path: Path, stream: str, final: bool) -> Iterator[tuple[str, str]]:
        try:
            handle = path.open("rb")
        except FileNotFoundError:
            return
        with handle:
            handle.seek(self._offsets.get(path, 0))
            while chunk := handle.read(_CHUNK_BYTES):
                self._offsets[path] = handle.tell()
                *complete, rest = (self._partial.pop(path, b"") + chunk).split(b"\n")
                if rest:
                    self._partial[path] = rest
                for raw in complete:
                    yield stream, raw.decode("utf-8", "replace").rstrip("\r")
        if final and path in self._partial:
            yield stream, self._partial.pop(path).decode("utf-8", "replace").rstrip("\r")


def output_signature(storage: Storage, run_id: str) -> tuple[tuple[str, int], ...]:
    """The names and sizes of a run's capture files: changes whenever a step prints."""
    try:
        entries = list(os.scandir(storage.paths.logs / run_id))
    except OSError:
        return ()
    sizes = []
    for entry in entries:
        try:
            sizes.append((entry.name, entry.stat().st_size))
        except OSError:
            continue  # removed meanwhile
    return tuple(sorted(sizes))
