"""Reading the stdout/stderr files a run's steps were captured into, as they grow.

Shared by ``assettui logs`` and the UI's log view: both follow a live run and must show every
line once, and both place each line at the time it was written: a capture file ``X.out`` has
a ``X.out.times`` beside it with one ``<byte offset> <unix time>`` line per chunk written
(see :mod:`assettui.execution.capture`). A file without one (written by an older version)
gives its lines the file's modification time.
"""

from __future__ import annotations

import bisect
import os
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from assettui.storage.instance_storage import Storage

_CHUNK_BYTES = 1 << 20


def times_path(path: Path) -> Path:
    """The chunk-times file of capture file ``path``."""
    return path.with_name(path.name + ".times")


class CapturedLine(NamedTuple):
    """One line a step wrote: ``STDOUT`` or ``STDERR``, its text, when it was written."""

    stream: str
    text: str
    timestamp: float


class _ChunkTimes:
    """The growing offset -> time index of one capture file."""

    def __init__(self, path: Path):
        self.path = times_path(path)
        self.offsets: list[int] = []
        self.times: list[float] = []
        self._read_to = 0
        self._fallback: float | None = None
        self._capture = path

    def time_at(self, offset: int) -> float:
        """When the byte at ``offset`` was written (the time of its chunk)."""
        if not self.offsets or offset >= self.offsets[-1]:
            self._read_more()
        index = bisect.bisect_right(self.offsets, offset) - 1
        if index >= 0:
            return self.times[index]
        if self._fallback is None:
            try:
                self._fallback = self._capture.stat().st_mtime
            except OSError:
                self._fallback = 0.0
        return self._fallback

    def _read_more(self) -> None:
        try:
            with self.path.open("rb") as handle:
                handle.seek(self._read_to)
                data = handle.read()
        except OSError:
            return
        complete = data[: data.rfind(b"\n") + 1]
        self._read_to += len(complete)
        for entry in complete.splitlines():
            offset, _, stamp = entry.partition(b" ")
            try:
                self.offsets.append(int(offset))
                self.times.append(float(stamp))
            except ValueError:
                continue


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
        self._times: dict[Path, _ChunkTimes] = {}
        self._held: list[tuple[str, CapturedLine]] = []

    def lines_until(
        self, step_keys: list[str], horizon: float, *, final: bool = False
    ) -> list[tuple[str, CapturedLine]]:
        """``(step key, line)`` for the new lines of ``step_keys`` written up to ``horizon``,
        in time order; later ones are kept for a later call (all of them when ``final``).

        A follower reads the events stored up to ``horizon`` first, then these: lines and
        events then merge in time order, however the two reads interleave with the run.
        """
        lines = self._held
        for step_key in step_keys:
            lines.extend((step_key, line) for line in self.new_lines(step_key, final=final))
        lines.sort(key=lambda entry: entry[1].timestamp)
        if final:
            self._held = []
            return lines
        cut = bisect.bisect_right([line.timestamp for _, line in lines], horizon)
        self._held = lines[cut:]
        return lines[:cut]

    def new_lines(self, step_key: str, *, final: bool = False) -> Iterator[CapturedLine]:
        """Each new line of the step's stdout, then of its stderr, with its time.

        Args:
            step_key: the step.
            final: the step will write no more: also yield an unterminated last line.
        """
        paths = self.storage.step_log_paths(self.run_id, step_key, create=False)
        yield from self._read(paths.stdout, "STDOUT", final)
        yield from self._read(paths.stderr, "STDERR", final)

    def _read(self, path: Path, stream: str, final: bool) -> Iterator[CapturedLine]:
        try:
            handle = path.open("rb")
        except FileNotFoundError:
            return
        times = self._times.setdefault(path, _ChunkTimes(path))
        with handle:
            handle.seek(self._offsets.get(path, 0))
            while chunk := handle.read(_CHUNK_BYTES):
                # the file offset where the pending partial line (then each line) starts
                start = self._offsets.get(path, 0) - len(self._partial.get(path, b""))
                self._offsets[path] = handle.tell()
                *complete, rest = (self._partial.pop(path, b"") + chunk).split(b"\n")
                if rest:
                    self._partial[path] = rest
                for raw in complete:
                    yield CapturedLine(stream, _text(raw), times.time_at(start))
                    start += len(raw) + 1
        if final and path in self._partial:
            partial = self._partial.pop(path)
            start = self._offsets.get(path, 0) - len(partial)
            yield CapturedLine(stream, _text(partial), times.time_at(start))


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "replace").rstrip("\r")


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
