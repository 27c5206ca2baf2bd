"""The grid under time-window partitions: window boundaries as a function of an index.

Fixed steps (hourly and shorter), calendar arithmetic (daily, weekly, monthly on the wall
clock of a timezone, DST included) or croniter for any other schedule; and the key format
that turns window starts into partition keys and back, fast in bulk.
"""

from __future__ import annotations

import math
import re
import threading
from bisect import bisect_right
from datetime import UTC, date, datetime, timedelta, tzinfo
from enum import Enum
from typing import Any

from assettui.errors import PartitionError
from assettui.model.partitions.definitions import InvalidPartitionsDefinitionError
from assettui.model.timezones import find_timezone, utc_offset, wall_to_timestamp

_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_DST_MARGIN = 3 * 3600  # > any DST change: how far before a chunk to look for one
_SENTINEL = "\x01"
_TIME_DIRECTIVES = frozenset("HIMSpfklRTXr")
_DATE_DIRECTIVES = frozenset("aAbBCdDeFgGhjmuUVwWxyY")


class ScheduleType(Enum):
    """Cadence of a time-window partitions definition."""

    HOURLY = "HOURLY"
    DAILY = "DAILY"
    WEEKLY = "WEEKLY"
    MONTHLY = "MONTHLY"


def get_timezone(name: str) -> tzinfo:
    """The tzinfo of an IANA timezone name (raises InvalidPartitionsDefinitionError if unknown)."""
    tz = find_timezone(name)
    if tz is None:
        raise InvalidPartitionsDefinitionError(
            f"Unknown timezone {name!r}: use an IANA name such as 'UTC', 'Europe/Berlin' or "
            "'America/Los_Angeles'."
        )
    return tz


class KeyFormat:
    """Formats window starts as keys and parses keys back; bulk formatting is fast."""

    def __init__(self, fmt: str, tz: tzinfo, repeats_every_hour: bool):
        self.fmt, self.tz = fmt, tz
        self.suffix = repeats_every_hour and "%z" not in fmt and tz is not UTC
        self.day_cache: dict[int, str] = {}
        self.time_cache: dict[int, tuple[str, ...]] = {}
        self.fast = _SENTINEL not in fmt
        # Date directives are formatted once per day, time directives once per time of day;
        # a directive of neither kind (%z, %c, ...) disables the fast path.
        template, self._time_directives = [], []
        pieces = re.findall(r"([^%]+)|%([-_0^#]?)(.)", fmt)
        if sum(len(lit) or len(flag) + 2 for lit, flag, _ in pieces) != len(fmt):
            self.fast = False  # a lone trailing "%"
        for literal, flag, directive in pieces:
            if literal:
                template.append(literal)
            elif directive == "%":
                template.append("%%")
            elif directive in _TIME_DIRECTIVES:
                template.append(_SENTINEL)
                self._time_directives.append(f"%{flag}{directive}")
            elif directive in _DATE_DIRECTIVES:
                template.append(f"%{flag}{directive}")
            else:
                self.fast = False
        self._template = "".join(template)

    def day_str(self, day: int) -> str:
        text = date.fromordinal(_EPOCH_ORDINAL + day).strftime(self._template)
        out = self.day_cache[day] = text.replace("%", "%%").replace(_SENTINEL, "%s")
        return out

    def time_parts(self, sec: int) -> tuple[str, ...]:
        moment = datetime(2000, 1, 1) + timedelta(seconds=sec)
        out = self.time_cache[sec] = tuple(moment.strftime(d) for d in self._time_directives)
        return out

    def format(self, dt: datetime) -> str:
        if self.suffix and dt.fold == 1:
            first = dt.replace(fold=0).utcoffset()
            if first is not None and first > (dt.utcoffset() or first):
                return dt.strftime(self.fmt + "%z")
        return dt.strftime(self.fmt)

    def parse(self, key: Any) -> float | None:
        """The instant a key names (first instance if repeated), or ``None``."""
        if not isinstance(key, str):
            return None
        for fmt in (self.fmt, self.fmt + "%z") if "%z" not in self.fmt else (self.fmt,):
            try:
                parsed = datetime.strptime(key, fmt)
            except ValueError:
                continue
            return (parsed if parsed.tzinfo else parsed.replace(tzinfo=self.tz)).timestamp()
        return None


class Grid:
    """Window boundaries (instants) as an increasing function of an integer index."""

    tz: tzinfo = UTC
    chunk = 1  # windows per bulk-formatting chunk: spans about a week at most

    def boundary(self, n: int) -> float:
        raise NotImplementedError

    def estimate(self, ts: float) -> int:
        """An index whose boundary is at most a few windows from ``ts``."""
        raise NotImplementedError

    def ceil(self, ts: float) -> int:
        """The smallest n with ``boundary(n) >= ts``."""
        n = self.estimate(ts)
        while self.boundary(n) < ts:
            n += 1
        while self.boundary(n - 1) >= ts:
            n -= 1
        return n

    def floor(self, ts: float) -> int:
        """The largest n with ``boundary(n) <= ts``."""
        n = self.estimate(ts)
        while self.boundary(n) > ts:
            n -= 1
        while self.boundary(n + 1) <= ts:
            n += 1
        return n

    def fast_keys(self, n0: int, n1: int, off: float, fmt: KeyFormat) -> list[str] | None:
        return None  # keys of windows n0..n1-1 when the UTC offset is `off` throughout

    def keys(self, n0: int, n1: int, fmt: KeyFormat) -> list[str]:
        out: list[str] = []
        while n0 < n1:
            m = n1 if self.tz is UTC else min(n0 + self.chunk, n1)
            keys = None
            if fmt.fast:
                off = utc_offset(self.boundary(n0) - _DST_MARGIN, self.tz)
                if off == utc_offset(self.boundary(m - 1), self.tz):  # no DST change in the chunk
                    keys = self.fast_keys(n0, m, off, fmt)
            if keys is None:
                dts = (datetime.fromtimestamp(self.boundary(k), self.tz) for k in range(n0, m))
                keys = [fmt.format(dt) for dt in dts]
            out.extend(keys)
            n0 = m
        return out


class FixedGrid(Grid):
    """Windows of a fixed length (hourly, every k minutes); assumes DST shifts by whole hours."""

    def __init__(self, step: int, minute_mod: int, minute: int, start_ts: float, tz: tzinfo):
        self.step, self.tz, self.chunk = step, tz, max(1, 7 * 86400 // step)
        local = datetime.fromtimestamp(start_ts, tz)
        behind = (local.minute - minute) % minute_mod * 60 + local.second + local.microsecond / 1e6
        self.anchor = round(start_ts - behind)
        self._runs: dict[tuple[int, int], list[tuple[str, ...]]] = {}  # formatted times of a day

    def boundary(self, n: int) -> float:
        return self.anchor + n * self.step

    def estimate(self, ts: float) -> int:
        return math.floor((ts - self.anchor) / self.step)

    def fast_keys(self, n0: int, n1: int, off: float, fmt: KeyFormat) -> list[str] | None:
        out, step, local = [], self.step, self.anchor + n0 * self.step + int(off)
        while n0 < n1:  # one local day at a time: its date part, then its times of day
            day, sec = divmod(local, 86400)
            n = min(n1 - n0, -(-(86400 - sec) // step))
            run = self._runs.get((sec, n))
            if run is None:
                run = self._runs[sec, n] = [
                    fmt.time_parts(t) for t in range(sec, sec + n * step, step)
                ]
            prefix = fmt.day_cache.get(day) or fmt.day_str(day)
            out += [prefix % t for t in run]
            n0, local = n0 + n, local + n * step
        return out


class CalendarGrid(Grid):
    """Daily, weekly or monthly windows starting at a wall-clock time of day."""

    def __init__(self, schedule: ScheduleType, minute: int, hour: int, day: int, tz: tzinfo):
        self.schedule, self.minute, self.hour, self.day, self.tz = schedule, minute, hour, day, tz
        self.week_base = 1 + (day - 1) % 7  # first ordinal on cron weekday `day` (0 = Sunday)

    def wall(self, n: int) -> datetime:
        try:
            if self.schedule is ScheduleType.DAILY:
                day = date.fromordinal(n)
            elif self.schedule is ScheduleType.WEEKLY:
                day = date.fromordinal(self.week_base + 7 * n)
            else:
                day = date(n // 12, n % 12 + 1, self.day)
        except (ValueError, OverflowError):
            raise PartitionError(f"Partition index {n} is outside the supported years.") from None
        return datetime(day.year, day.month, day.day, self.hour, self.minute)

    def boundary(self, n: int) -> float:
        return wall_to_timestamp(self.wall(n), self.tz)

    def estimate(self, ts: float) -> int:
        local = datetime.fromtimestamp(ts, self.tz)
        if self.schedule is ScheduleType.DAILY:
            return local.toordinal()
        if self.schedule is ScheduleType.WEEKLY:
            return (local.toordinal() - self.week_base) // 7
        return local.year * 12 + local.month - 1


class CronGrid(Grid):
    """Any other cron schedule: croniter ticks, cached both ways from the first one."""

    def __init__(self, cron: str, start_ts: float, tz: tzinfo):
        from croniter import croniter

        origin, self.tz = datetime.fromtimestamp(start_ts, tz), tz
        self._next = croniter(cron, origin - timedelta(microseconds=1))
        self._prev = croniter(cron, origin)
        self._fwd: list[float] = [self._next.get_next(float)]  # boundary(0), boundary(1), ...
        self._bwd: list[float] = []  # boundary(-1), boundary(-2), ...
        self._lock = threading.Lock()

    def boundary(self, n: int) -> float:
        with self._lock:
            while n >= len(self._fwd):
                self._fwd.append(self._next.get_next(float))
            while -n > len(self._bwd):
                self._bwd.append(self._prev.get_prev(float))
        return self._fwd[n] if n >= 0 else self._bwd[-n - 1]

    def estimate(self, ts: float) -> int:
        if ts < self._fwd[0]:
            return -1  # walk back from the origin
        while self._fwd[-1] <= ts:
            self.boundary(len(self._fwd))
        return bisect_right(self._fwd, ts) - 1


def make_grid(cron: str, start_ts: float, tz: tzinfo) -> tuple[Grid, bool]:
    """The grid of a cron schedule and whether it repeats every hour (for the %z suffix)."""
    parts = cron.split() if isinstance(cron, str) else []
    if len(parts) == 5:
        minute, hour, dom, month, dow = parts
        if hour == dom == month == dow == "*":
            if minute.isdigit() and int(minute) < 60:
                return FixedGrid(3600, 60, int(minute), start_ts, tz), True
            every = re.fullmatch(r"\*(?:/(\d+))?", minute)
            if every and 60 % (k := int(every.group(1) or 1)) == 0:
                return FixedGrid(60 * k, k, 0, start_ts, tz), True
        m, h = (int(minute), int(hour)) if minute.isdigit() and hour.isdigit() else (99, 99)
        if m < 60 and h < 24 and month == "*":
            if dom == "*" and dow == "*":
                return CalendarGrid(ScheduleType.DAILY, m, h, 0, tz), False
            if dom == "*" and dow.isdigit() and int(dow) <= 7:
                return CalendarGrid(ScheduleType.WEEKLY, m, h, int(dow) % 7, tz), False
            if dow == "*" and dom.isdigit() and 1 <= int(dom) <= 28:
                return CalendarGrid(ScheduleType.MONTHLY, m, h, int(dom), tz), False
    from croniter import croniter

    if not parts or not croniter.is_valid(cron):
        raise InvalidPartitionsDefinitionError(
            f"Invalid cron schedule {cron!r} for a TimeWindowPartitionsDefinition; expected "
            "five fields like '0 0 * * *'."
        )
    return CronGrid(cron, start_ts, tz), len(parts) > 1 and parts[1] == "*"
