"""Threads a step left running, and what they try to say after their step ended.

A step may start a thread and return while it still runs. Its later ``context.log`` calls
must not append events to a run that moved on (or ended), and its prints must not land in
the next step's captured output. :func:`step_scope` notes the threads a step started and
left alive; events from a finished step and Python-level writes to ``sys.stdout`` /
``sys.stderr`` from those threads are dropped and counted, and the run reports the counts
in one warning at its end (:func:`late_report`).

Bytes such a thread writes to file descriptors 1 and 2 directly (C extensions,
subprocesses it started) cannot be told apart from the current step's and stay captured.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import weakref
from collections import Counter
from collections.abc import Iterator
from typing import Any, TextIO

_lock = threading.Lock()
# thread -> (run id, step key) of the step that started it and ended while it ran
_left_by: weakref.WeakKeyDictionary[threading.Thread, tuple[str, str]] = weakref.WeakKeyDictionary()
_late_events: Counter[tuple[str, str]] = Counter()
_late_writes: Counter[tuple[str, str]] = Counter()


@contextlib.contextmanager
def step_scope(run_id: str, step_key: str) -> Iterator[None]:
    """Around one step: threads it starts and leaves alive become its leftovers."""
    before = set(threading.enumerate())
    try:
        yield
    finally:
        with _lock:
            for thread in threading.enumerate():
                if thread not in before and thread.is_alive() and not _ours(thread):
                    _left_by[thread] = (run_id, step_key)


def _ours(thread: threading.Thread) -> bool:
    return thread.name.startswith("assettui-")


def count_late_event(run_id: str, step_key: str) -> None:
    """An event emitted for ``step_key`` after the step ended: dropped, counted."""
    with _lock:
        _late_events[(run_id, step_key)] += 1


def _leftover_owner() -> tuple[str, str] | None:
    return _left_by.get(threading.current_thread())


def late_report(run_id: str) -> str | None:
    """One sentence on what ``run_id``'s leftover threads tried to add, or ``None``."""
    with _lock:
        events = {s: n for (r, s), n in _late_events.items() if r == run_id}
        writes = {s: n for (r, s), n in _late_writes.items() if r == run_id}
        alive = Counter(s for t, (r, s) in list(_left_by.items()) if r == run_id and t.is_alive())
    if not events and not writes and not alive:
        return None
    steps = sorted(set(events) | set(writes) | set(alive))
    parts = []
    if events:
        parts.append(f"{sum(events.values())} event(s)")
    if writes:
        parts.append(f"{sum(writes.values())} write(s) to stdout/stderr")
    said = " and ".join(parts)
    message = f"Threads left running by step(s) {', '.join(map(repr, steps))}"
    if said:
        message += f" produced {said} after their step ended; they were dropped."
    else:
        message += " were still running when their step ended."
    if alive:
        message += f" {sum(alive.values())} such thread(s) still run; what they say is dropped too."
    return message


class _LeftoverFilter:
    """A text stream that drops writes from leftover threads and passes the rest on."""

    def __init__(self, stream: TextIO):
        self._stream = stream

    def write(self, text: str) -> int:
        owner = _leftover_owner()
        if owner is not None:
            with _lock:
                _late_writes[owner] += 1
            return len(text)
        return self._stream.write(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def filter_leftover_writes() -> None:
    """Route ``sys.stdout`` and ``sys.stderr`` through the filter (once per process)."""
    if not isinstance(sys.stdout, _LeftoverFilter):
        sys.stdout = _LeftoverFilter(sys.stdout)  # type: ignore[assignment]
    if not isinstance(sys.stderr, _LeftoverFilter):
        sys.stderr = _LeftoverFilter(sys.stderr)  # type: ignore[assignment]


def leftovers_alive() -> bool:
    """Whether any leftover thread still runs (the worker then ends without waiting)."""
    with _lock:
        return any(t.is_alive() and not t.daemon for t in list(_left_by))
