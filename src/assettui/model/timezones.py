"""Timezones by IANA name, and wall-clock times placed in them across DST changes.

The one place both cron ticks (``automation/cron.py``) and time-window partitions
(``model/partitions/time_grid.py``) look a timezone up and turn a wall time into an instant:

- a wall time that exists twice (the hour repeated when clocks fall back) is its first
  occurrence;
- a wall time that does not exist (inside the hour skipped when clocks spring forward) is
  the end of the gap (02:30 on a night that jumps 02:00 -> 03:00 is 03:00).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo


@lru_cache(maxsize=256)
def find_timezone(name: str) -> tzinfo | None:
    """The tzinfo of an IANA timezone name, or ``None`` if there is no such timezone."""
    if name in ("UTC", "utc", "Etc/UTC"):
        return UTC
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError, OSError, TypeError):
        return None


def utc_offset(ts: float, tz: tzinfo) -> float:
    """The offset from UTC, in seconds, of ``tz`` at the instant ``ts``."""
    off = datetime.fromtimestamp(ts, tz).utcoffset()
    return off.total_seconds() if off is not None else 0.0


def wall_to_timestamp(naive: datetime, tz: tzinfo) -> float:
    """The instant of a wall-clock time in ``tz`` (see the module docstring for DST)."""
    ts = naive.replace(tzinfo=tz, fold=0).timestamp()
    if tz is UTC or datetime.fromtimestamp(ts, tz).replace(tzinfo=None) == naive:
        return ts
    # Skipped by a DST change: fold=1 reads it with the offset after the change, giving an
    # instant before the change, fold=0 one after it; bisect for the change itself.
    other = naive.replace(tzinfo=tz, fold=1).timestamp()
    lo, hi = min(ts, other), max(ts, other)
    off_hi = utc_offset(hi, tz)
    while hi - lo > 1:
        mid = math.floor((lo + hi) / 2)
        lo, hi = (lo, mid) if utc_offset(mid, tz) == off_hi else (mid, hi)
    return hi
