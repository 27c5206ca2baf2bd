"""Where a run's events go: batched into the instance's event log.

Events are buffered and written in batches (one short transaction each); a live sink also
flushes every ``flush_interval`` seconds from a background thread, so a long step's log
lines appear in the UI while it runs.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from assettui.model.records.events import DagsterEventType, NewEvent

# What a live run stores at once: the run starting, each value written, each step failing.
# Everything else (logs, step starts, ...) waits for the next batch (at most 0.1 s).
LIVE_EAGER_TYPES = frozenset(
    {
        DagsterEventType.RUN_START,
        DagsterEventType.ASSET_MATERIALIZATION,
        DagsterEventType.ASSET_CHECK_EVALUATION,
        DagsterEventType.STEP_FAILURE,
    }
)


class EventSink:
    """Buffers :class:`NewEvent` values and stores them in batches.

    Args:
        store: writes one batch (the event log's ``store_events``).
        max_batch: flush when this many events are waiting.
        flush_interval: with :meth:`start_flusher`, flush at least this often (seconds).
        keep: also keep every event in :attr:`events` (for in-process results).
        eager_types: event types stored as soon as they are emitted (with those before
            them), so a process killed right after, e.g., writing an asset value still
            leaves its materialization in the log.
    """

    def __init__(
        self,
        store: Callable[[list[NewEvent]], Any],
        max_batch: int = 1000,
        flush_interval: float = 0.1,
        keep: bool = False,
        eager_types: frozenset[Any] = frozenset(),
    ):
        self._store = store
        self._max_batch = max_batch
        self._interval = flush_interval
        self._pending: list[NewEvent] = []
        self._lock = threading.Lock()
        self._keep = keep
        self._eager = eager_types
        self.events: list[NewEvent] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def emit(self, event: NewEvent) -> None:
        with self._lock:
            self._pending.append(event)
            if self._keep:
                self.events.append(event)
            full = len(self._pending) >= self._max_batch or event.event_type in self._eager
        if full:
            self.flush()

    def record(self, event: NewEvent) -> None:
        """Keep ``event``, stored by someone else, with this sink's events (if it keeps them)."""
        if self._keep:
            with self._lock:
                self.events.append(event)

    def flush(self) -> None:
        """Store the waiting events; if storing fails they stay queued for the next flush."""
        with self._lock:
            batch, self._pending = self._pending, []
            if batch:
                try:
                    self._store(batch)
                except BaseException:
                    self._pending = batch + self._pending
                    raise

    def start_flusher(self) -> None:
        """Flush in the background every ``flush_interval`` seconds until :meth:`close`."""
        if self._thread is not None:
            return

        def loop() -> None:
            while not self._stop.wait(self._interval):
                try:
                    self.flush()
                except Exception:  # a failed flush is retried on the next tick
                    time.sleep(self._interval)

        self._thread = threading.Thread(target=loop, name="assettui-event-flusher", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self.flush()
