"""Where the scheduler gets the time: the system clock, or a clock tests move by hand."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Tells the current time as a timezone-aware datetime."""

    def now(self) -> datetime:
        """The current time (timezone-aware)."""
        ...


class SystemClock:
    """The real time, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when told to (tests, ``daemon --once --now ...``).

    Args:
        start: the initial time; a naive datetime is taken as UTC.
    """

    def __init__(self, start: datetime):
        self._lock = threading.Lock()
        self._now = _aware(start)

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, when: datetime) -> None:
        """Jump to ``when`` (backwards too: a clock set back is a real-world event)."""
        with self._lock:
            self._now = _aware(when)

    def advance(self, delta: timedelta | float) -> datetime:
        """Move forward by ``delta`` (a timedelta or seconds); returns the new time."""
        step = delta if isinstance(delta, timedelta) else timedelta(seconds=delta)
        with self._lock:
            self._now = self._now + step
            return self._now


FrozenClock = ManualClock


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)
