"""Time-window partitions: hourly, daily, weekly, monthly and any cron schedule.

Keys are window starts on the wall clock of the definition's timezone: a DST change day has 23
or 25 hourly partitions, and the second key of a repeated hour gets its UTC offset appended
(``2024-11-03-01:00-0800`` in America/Los_Angeles) unless ``fmt`` has ``%z``, as in Dagster. A
daily/weekly/monthly boundary in a skipped hour moves to the gap's end. Windows are indices into
a grid (fixed steps or calendar arithmetic): lookups are O(1), keys are listed in bulk, and
only other cron schedules use croniter.
"""

from __future__ import annotations

import math
import re
import threading
import time as _time
from bisect import bisect_right
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta, tzinfo
from enum import Enum
from typing import Any
from zoneinfo import ZoneInfo

from assettui.errors import DagsterUnknownPartitionError, PartitionError
from assettui.model.partitions import (
    InvalidPartitionsDefinitionError,
    PartitionKeyRange,
    PartitionsDefinition,
    TimeWindow,
)

DEFAULT_DATE_FORMAT = "%Y-%m-%d"
DEFAULT_HOURLY_FORMAT_WITHOUT_TIMEZONE = "%Y-%m-%d-%H:%M"
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_DST_MARGIN = 3 * 3600  # > any DST change: how far before a chunk to look for one
_SENTINEL = "\x01"
_REPR_FIELDS = ("cron_schedule", "start", "end", "timezone", "fmt", "end_offset")
_TIME_DIRECTIVES = frozenset("HIMSpfklRTXr")
_DATE_DIRECTIVES = frozenset("aAbBCdDeFgGhjmuUVwWxyY")


class ScheduleType(Enum):
    """Cadence of a time-window partitions definition."""

    HOURLY = "HOURLY"
    DAILY = "DAILY"
    WEEKLY = "WEEKLY"
    MONTHLY = "MONTHLY"


_HOURLY, _DAILY, _WEEKLY, _MONTHLY = ScheduleType


def get_timezone(name: str) -> tzinfo:
    """The tzinfo of an IANA timezone name (raises InvalidPartitionsDefinitionError if unknown)."""
    if name in ("UTC", "utc"):
        return UTC
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError, OSError, TypeError):
        raise InvalidPartitionsDefinitionError(
            f"Unknown timezone {name!r}: use an IANA name such as 'UTC', 'Europe/Berlin' or "
            "'America/Los_Angeles'."
        ) from None


def _offset(ts: float, tz: tzinfo) -> float:
    off = datetime.fromtimestamp(ts, tz).utcoffset()
    return off.total_seconds() if off is not None else 0.0


def _wall_to_ts(naive: datetime, tz: tzinfo) -> float:
    """The instant of a wall-clock time: the first one if repeated, the gap's end if skipped."""
    ts = naive.replace(tzinfo=tz, fold=0).timestamp()
    if tz is UTC or datetime.fromtimestamp(ts, tz).replace(tzinfo=None) == naive:
        return ts
    # Skipped by a DST change: fold=1 reads it with the offset after the change, giving an
    # instant before the change, fold=0 one after it; bisect for the change itself.
    other = naive.replace(tzinfo=tz, fold=1).timestamp()
    lo, hi = min(ts, other), max(ts, other)
    off_hi = _offset(hi, tz)
    while hi - lo > 1:
        mid = math.floor((lo + hi) / 2)
        lo, hi = (lo, mid) if _offset(mid, tz) == off_hi else (mid, hi)
    return hi


class _KeyFormat:
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


class _Grid:
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

    def fast_keys(self, n0: int, n1: int, off: float, fmt: _KeyFormat) -> list[str] | None:
        return None  # keys of windows n0..n1-1 when the UTC offset is `off` throughout

    def keys(self, n0: int, n1: int, fmt: _KeyFormat) -> list[str]:
        out: list[str] = []
        while n0 < n1:
            m = n1 if self.tz is UTC else min(n0 + self.chunk, n1)
            keys = None
            if fmt.fast:
                off = _offset(self.boundary(n0) - _DST_MARGIN, self.tz)
                if off == _offset(self.boundary(m - 1), self.tz):  # no DST change in the chunk
                    keys = self.fast_keys(n0, m, off, fmt)
            if keys is None:
                dts = (datetime.fromtimestamp(self.boundary(k), self.tz) for k in range(n0, m))
                keys = [fmt.format(dt) for dt in dts]
            out.extend(keys)
            n0 = m
        return out


class _FixedGrid(_Grid):
    """Windows of a fixed length (hourly, every k minutes); assumes DST shifts by whole hours."""

    def __init__(self, step: int, minute_mod: int, minute: int, start_ts: float, tz: tzinfo):
        self.step, self.tz, self.chunk = step, tz, max(1, 7 * 86400 // step)
        local = datetime.fromtimestamp(start_ts, tz)
        behind = (local.minute - minute) % minute_mod * 60 + local.second + local.microsecond / 1e6
        self.anchor = round(start_ts - behind)
        self._runs: dict[tuple[int, int], list[tuple[str, ...]]] = {}  # formatted times of a day

    def boundary(self, n):
        return self.anchor + n * self.step

    def estimate(self, ts):
        return math.floor((ts - self.anchor) / self.step)

    def fast_keys(self, n0, n1, off, fmt):
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


class _CalendarGrid(_Grid):
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

    def boundary(self, n):
        return _wall_to_ts(self.wall(n), self.tz)

    def estimate(self, ts):
        local = datetime.fromtimestamp(ts, self.tz)
        if self.schedule is ScheduleType.DAILY:
            return local.toordinal()
        if self.schedule is ScheduleType.WEEKLY:
            return (local.toordinal() - self.week_base) // 7
        return local.year * 12 + local.month - 1


class _CronGrid(_Grid):
    """Any other cron schedule: croniter ticks, cached both ways from the first one."""

    def __init__(self, cron: str, start_ts: float, tz: tzinfo):
        from croniter import croniter

        origin, self.tz = datetime.fromtimestamp(start_ts, tz), tz
        self._next = croniter(cron, origin - timedelta(microseconds=1))
        self._prev = croniter(cron, origin)
        self._fwd: list[float] = [self._next.get_next(float)]  # boundary(0), boundary(1), ...
        self._bwd: list[float] = []  # boundary(-1), boundary(-2), ...
        self._lock = threading.Lock()

    def boundary(self, n):
        with self._lock:
            while n >= len(self._fwd):
                self._fwd.append(self._next.get_next(float))
            while -n > len(self._bwd):
                self._bwd.append(self._prev.get_prev(float))
        return self._fwd[n] if n >= 0 else self._bwd[-n - 1]

    def estimate(self, ts):
        if ts < self._fwd[0]:
            return -1  # walk back from the origin
        while self._fwd[-1] <= ts:
            self.boundary(len(self._fwd))
        return bisect_right(self._fwd, ts) - 1


def _make_grid(cron: str, start_ts: float, tz: tzinfo) -> tuple[_Grid, bool]:
    """The grid of a cron schedule and whether it repeats every hour (for the %z suffix)."""
    parts = cron.split() if isinstance(cron, str) else []
    if len(parts) == 5:
        minute, hour, dom, month, dow = parts
        if hour == dom == month == dow == "*":
            if minute.isdigit() and int(minute) < 60:
                return _FixedGrid(3600, 60, int(minute), start_ts, tz), True
            every = re.fullmatch(r"\*(?:/(\d+))?", minute)
            if every and 60 % (k := int(every.group(1) or 1)) == 0:
                return _FixedGrid(60 * k, k, 0, start_ts, tz), True
        m, h = (int(minute), int(hour)) if minute.isdigit() and hour.isdigit() else (99, 99)
        if m < 60 and h < 24 and month == "*":
            if dom == "*" and dow == "*":
                return _CalendarGrid(ScheduleType.DAILY, m, h, 0, tz), False
            if dom == "*" and dow.isdigit() and int(dow) <= 7:
                return _CalendarGrid(ScheduleType.WEEKLY, m, h, int(dow) % 7, tz), False
            if dow == "*" and dom.isdigit() and 1 <= int(dom) <= 28:
                return _CalendarGrid(ScheduleType.MONTHLY, m, h, int(dom), tz), False
    from croniter import croniter

    if not parts or not croniter.is_valid(cron):
        raise InvalidPartitionsDefinitionError(
            f"Invalid cron schedule {cron!r} for a TimeWindowPartitionsDefinition; expected "
            "five fields like '0 0 * * *'."
        )
    return _CronGrid(cron, start_ts, tz), len(parts) > 1 and parts[1] == "*"


def _parse_bound(value: Any, tz: tzinfo, fmt: str, what: str) -> float:
    """The instant of a start/end argument (a datetime's own tzinfo is replaced, as in Dagster)."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=tz).timestamp()
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=tz).timestamp()
    formats = (fmt, fmt + "%z", DEFAULT_DATE_FORMAT, DEFAULT_HOURLY_FORMAT_WITHOUT_TIMEZONE, None)
    for form in formats:  # None: ISO
        try:
            parsed = datetime.strptime(value, form) if form else datetime.fromisoformat(value)
            return (parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)).timestamp()
        except (ValueError, TypeError):
            continue
    raise InvalidPartitionsDefinitionError(
        f"{what} {value!r} is neither a datetime nor a string in the format {fmt!r} "
        f"(like {datetime(2024, 1, 31).strftime(fmt)!r}) or ISO."
    )


def _check_offset(value: Any, low: int, high: int, name: str) -> None:
    if value is not None and (not isinstance(value, int) or not low <= value <= high):
        raise InvalidPartitionsDefinitionError(
            f"{name} must be an integer from {low} to {high}, got {value!r}."
        )


# cron template and pattern recognising it, per cadence (Dagster's rules)
_CADENCES = {
    ScheduleType.HOURLY: ("{m} * * * *", r"\d+ \* \* \* \*"),
    ScheduleType.DAILY: ("{m} {h} * * *", r"\d+ \d+ \* \* \*"),
    ScheduleType.WEEKLY: ("{m} {h} * * {d}", r"\d+ \d+ \* \* \d+"),
    ScheduleType.MONTHLY: ("{m} {h} {d} * *", r"\d+ \d+ \d+ \* \*"),
}


def cron_schedule_for(schedule_type: ScheduleType, minute: int, hour: int, day: int | None) -> str:
    """The cron schedule of a cadence with offsets (Dagster's rule)."""
    day = day if day is not None else 1 if schedule_type is ScheduleType.MONTHLY else 0
    return _CADENCES[schedule_type][0].format(m=minute, h=hour, d=day)


class TimeWindowPartitionsDefinition(PartitionsDefinition):
    """Partitions that are the time windows between the ticks of a cron schedule.

    Each key is the window's start formatted with ``fmt``. The first partition starts at the
    first tick at or after ``start``; the last one is the last window that has ended at the
    current time, moved by ``end_offset`` windows (positive: later, negative: earlier); no
    window ends after ``end``. Bad arguments raise ``InvalidPartitionsDefinitionError``.

    Args:
        start: a datetime (its tzinfo is replaced by ``timezone``, as in Dagster) or a string
            in ``fmt`` (ISO dates are accepted too).
        fmt: the key format. With hourly or finer windows in a DST timezone, the second
            occurrence of a repeated hour gets the UTC offset appended unless ``fmt`` has ``%z``.
        end: windows end at or before this (exclusive); ``None`` for no end.
        schedule_type: a cadence, combined with the offsets when ``cron_schedule`` is not given.
        timezone: IANA timezone name of the windows (default ``"UTC"``).
        end_offset: windows added (positive) or removed (negative) at the end.
        minute_offset: minutes past the hour at which windows start.
        hour_offset: hours past midnight at which windows start.
        day_offset: weekday (0 = Sunday) or day of the month windows start on.
        cron_schedule: the window boundaries, e.g. ``"0 0 * * *"``.
    """

    _default_fmt: str | None = None

    def __init__(
        self,
        start: datetime | date | str,
        fmt: str | None = None,
        end: datetime | date | str | None = None,
        schedule_type: ScheduleType | None = None,
        timezone: str | None = None,
        end_offset: int = 0,
        minute_offset: int | None = None,
        hour_offset: int | None = None,
        day_offset: int | None = None,
        cron_schedule: str | None = None,
    ):
        self.timezone = timezone or "UTC"
        self._tz = get_timezone(self.timezone)
        fmt = fmt or self._default_fmt
        if not isinstance(fmt, str) or not fmt:
            raise InvalidPartitionsDefinitionError(f"fmt must be a strftime format, got {fmt!r}.")
        _check_offset(end_offset, -(10**9), 10**9, "end_offset")
        _check_offset(minute_offset, 0, 59, "minute_offset")
        _check_offset(hour_offset, 0, 23, "hour_offset")
        if cron_schedule is None:
            if not isinstance(schedule_type, ScheduleType):
                raise InvalidPartitionsDefinitionError("Give cron_schedule= or schedule_type=.")
            weekly = schedule_type is ScheduleType.WEEKLY
            _check_offset(day_offset, 0 if weekly else 1, 6 if weekly else 31, "day_offset")
            minute, hour = minute_offset or 0, hour_offset or 0
            cron_schedule = cron_schedule_for(schedule_type, minute, hour, day_offset)
        elif schedule_type is not None or minute_offset or hour_offset or day_offset:
            raise InvalidPartitionsDefinitionError("Give cron_schedule or offsets, not both.")
        self.cron_schedule, self.fmt, self.end_offset = cron_schedule, fmt, end_offset
        self._start_ts = _parse_bound(start, self._tz, fmt, "start")
        self._end_ts = None if end in (None, "") else _parse_bound(end, self._tz, fmt, "end")
        self.start = datetime.fromtimestamp(self._start_ts, self._tz)
        self.end = None if self._end_ts is None else datetime.fromtimestamp(self._end_ts, self._tz)
        self._grid, repeats_every_hour = _make_grid(cron_schedule, self._start_ts, self._tz)
        self._format = _KeyFormat(fmt, self._tz, repeats_every_hour)
        self._first = self._grid.ceil(self._start_ts)  # grid index of the first partition
        end_n = None if self._end_ts is None else self._grid.floor(self._end_ts)
        self._end_count = None if end_n is None else max(0, end_n - self._first)
        self._keys: list[str] = []  # keys of grid windows _first, _first+1, ... so far
        self._index: dict[str, int] = {}  # key -> grid index for _keys[:len(_index)]
        self._lock = threading.Lock()
        self._id = (cron_schedule, self._start_ts, self._end_ts, self.timezone, fmt, end_offset)
        self._frozen = True

    def __setattr__(self, name: str, value: Any) -> None:
        if getattr(self, "_frozen", False):  # a value: only derived caches change, in place
            raise AttributeError(f"{type(self).__name__} is immutable")
        super().__setattr__(name, value)

    def __getstate__(self) -> tuple:  # pickle the arguments, not the caches and locks
        return self._id

    def __setstate__(self, state: tuple) -> None:
        cron, start, end, tz_name, fmt, end_offset = state
        tz = get_timezone(tz_name)
        end = None if end is None else datetime.fromtimestamp(end, tz)
        start = datetime.fromtimestamp(start, tz)
        TimeWindowPartitionsDefinition.__init__(
            self, start, fmt, end, None, tz_name, end_offset, cron_schedule=cron
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TimeWindowPartitionsDefinition):
            return NotImplemented
        return self._id == other._id

    def __hash__(self) -> int:
        return hash(self._id)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in zip(_REPR_FIELDS, self._id, strict=True))
        return f"{type(self).__name__}({args})"

    def __str__(self) -> str:
        kind = self.schedule_type
        text = f"{kind.value.capitalize() if kind else self.cron_schedule}, starting "
        text += f"{self._format.format(self.start)} {self.timezone}."
        if self.end_offset:
            text += f" End offsetted by {self.end_offset} partition(s)."
        return text

    # -- index arithmetic: partition i is grid window _first + i --

    def _count(self, current_time: datetime | None) -> int:
        if current_time is None:
            now = _time.time()
        else:  # a naive time is read in the definition's timezone, as in Dagster
            now = (current_time.replace(tzinfo=current_time.tzinfo or self._tz)).timestamp()
        count = max(0, self._grid.floor(now) - self._first) + max(0, self.end_offset)
        if self._end_count is not None:
            count = min(count, self._end_count)
        return max(0, count + min(0, self.end_offset))

    def _dt(self, n: int) -> datetime:
        return datetime.fromtimestamp(self._grid.boundary(n), self._tz)

    def _window(self, n: int) -> TimeWindow:
        return TimeWindow(self._dt(n), self._dt(n + 1))

    def _keys_for(self, n0: int, n1: int) -> list[str]:
        """Keys of grid windows n0..n1-1 (cached when they are partitions)."""
        if n0 < self._first:
            return self._grid.keys(n0, n1, self._format)
        with self._lock:
            have = len(self._keys)
            if n1 - self._first > have:
                self._keys.extend(self._grid.keys(self._first + have, n1, self._format))
            return self._keys[n0 - self._first : n1 - self._first]

    def _key(self, n: int) -> str:
        i = n - self._first
        return self._keys[i] if 0 <= i < len(self._keys) else self._format.format(self._dt(n))

    def _index_of(self, key: Any) -> int | None:
        """The grid index of the window ``key`` names, or ``None``."""
        if len(self._index) < len(self._keys):
            with self._lock:
                first, done = self._first, len(self._index)
                self._index.update((k, first + done + i) for i, k in enumerate(self._keys[done:]))
        n = self._index.get(key) if isinstance(key, str) else None
        if n is None and (ts := self._format.parse(key)) is not None:
            try:
                n = self._grid.ceil(ts)
                n = n if self._key(n) == key else None
            except (PartitionError, OverflowError, ValueError, OSError):
                # a date at the edge of the calendar (9999-12-31): no window starts there
                return None
        return n

    def _checked_index(self, key: str) -> int:
        n = self._index_of(key)
        if n is None:
            raise DagsterUnknownPartitionError(
                f"{key!r} is not a partition key of {self} Keys look like "
                f"{self._key(self._first)!r} (format {self.fmt!r}, timezone {self.timezone})."
            )
        return n

    def get_partition_keys(self, current_time=None, dynamic_partitions_store=None) -> list[str]:
        return self._keys_for(self._first, self._first + self._count(current_time))

    def get_partition_keys_between_indexes(
        self, start_idx: int, end_idx: int, current_time: datetime | None = None
    ) -> list[str]:
        """Keys number ``start_idx`` (included) to ``end_idx`` (excluded), for paging."""
        start_idx, end_idx = max(0, start_idx), min(end_idx, self._count(current_time))
        if start_idx >= end_idx:
            return []
        return self._keys_for(self._first + start_idx, self._first + end_idx)

    def get_num_partitions(self, current_time=None, dynamic_partitions_store=None) -> int:
        return self._count(current_time)

    def get_first_partition_key(self, current_time=None, dynamic_partitions_store=None):
        return self._key(self._first) if self._count(current_time) else None

    def get_last_partition_key(self, current_time=None, dynamic_partitions_store=None):
        count = self._count(current_time)
        return self._key(self._first + count - 1) if count else None

    def get_first_partition_window(self, current_time: datetime | None = None) -> TimeWindow | None:
        """The first partition's window, or ``None`` when there is no partition yet."""
        return self._window(self._first) if self._count(current_time) else None

    def get_last_partition_window(self, current_time: datetime | None = None) -> TimeWindow | None:
        """The last partition's window, or ``None`` when there is no partition yet."""
        count = self._count(current_time)
        return self._window(self._first + count - 1) if count else None

    def has_partition_key(self, partition_key, current_time=None, dynamic_partitions_store=None):
        n = self._index_of(partition_key)
        return n is not None and 0 <= n - self._first < self._count(current_time)

    def partition_index(self, partition_key: str) -> int:
        """The key's position from the first partition (negative before it; raises
        DagsterUnknownPartitionError if the key names no window)."""
        return self._checked_index(partition_key) - self._first

    def get_partition_keys_in_range(self, partition_key_range, dynamic_partitions_store=None):
        """Keys from ``start`` to ``end`` included; both must lie within the start/end dates.

        Raises:
            DagsterUnknownPartitionError: for a key outside the definition.
        """
        n0 = self._checked_index(partition_key_range.start)
        n1 = self._checked_index(partition_key_range.end)
        past_end = self._end_count is not None and n1 - self._first >= self._end_count
        if n0 < self._first or past_end:
            raise DagsterUnknownPartitionError(
                f"Partition range {partition_key_range.start}...{partition_key_range.end} goes "
                f"outside {self} {self._describe_valid_keys(None, None)}"
            )
        return self._keys_for(n0, n1 + 1) if n1 >= n0 else []

    def _describe_valid_keys(self, current_time, store) -> str:
        count = self._count(current_time)
        first = self._key(self._first)
        if not count:
            return f"It has no partitions yet (the first will be {first!r})."
        last = self._key(self._first + count - 1)
        return f"Valid keys run from {first!r} to {last!r} (format {self.fmt!r}, {self.timezone})."

    # -- time windows --

    def time_window_for_partition_key(self, partition_key: str) -> TimeWindow:
        """The window a key names (it need not exist yet).

        Raises:
            DagsterUnknownPartitionError: if the key is not the start of a window in ``fmt``.
        """
        return self._window(self._checked_index(partition_key))

    def time_windows_for_partition_keys(
        self, partition_keys: Iterable[str], validate: bool = True, current_time=None
    ) -> list[TimeWindow]:
        """The keys' windows in time order; with ``validate``, only existing partitions'."""
        indexes = sorted({self._checked_index(k) for k in partition_keys})
        if validate:
            count = self._count(current_time)
            indexes = [n for n in indexes if 0 <= n - self._first < count]
        return [self._window(n) for n in indexes]

    def get_partition_key_for_timestamp(self, timestamp: float, end_closed: bool = False) -> str:
        """The key of the window containing ``timestamp``; with ``end_closed`` a boundary
        belongs to the window it ends."""
        n = self._grid.floor(timestamp)
        return self._key(n - 1 if end_closed and self._grid.boundary(n) == timestamp else n)

    def get_partition_keys_in_time_window(self, time_window: TimeWindow) -> list[str]:
        """Keys of the windows starting in ``[time_window.start, time_window.end)``."""
        n0 = self._grid.ceil(time_window.start.timestamp())
        n1 = self._grid.ceil(time_window.end.timestamp())
        return self._keys_for(n0, n1) if n1 > n0 else []

    def get_partition_key_range_for_time_window(
        self, time_window: TimeWindow, respect_bounds: bool = True
    ) -> PartitionKeyRange:
        """The keys of the first and last windows overlapping ``time_window`` (raises
        PartitionError if ``respect_bounds`` and it ends before the first partition)."""
        n0 = self._grid.floor(time_window.start.timestamp())
        n1 = self._grid.ceil(time_window.end.timestamp()) - 1
        if respect_bounds and n1 < self._first:
            raise PartitionError(f"{time_window} ends before the first partition of {self}")
        return PartitionKeyRange(self._key(n0), self._key(n1))

    def shift_boundary(self, dt: datetime, offset: int) -> datetime:
        """The window boundary ``offset`` windows after the last boundary at or before ``dt``."""
        return self._dt(self._grid.floor(dt.timestamp()) + offset)

    @property
    def schedule_type(self) -> ScheduleType | None:
        """The cadence, when the cron schedule is a plain hourly/daily/weekly/monthly one."""
        kinds = (
            kind for kind, (_, rx) in _CADENCES.items() if re.fullmatch(rx, self.cron_schedule)
        )
        return next(kinds, None)

    def _cron_field(self, index: int) -> int:
        value = self.cron_schedule.split()[index]
        if not value.isdigit():
            raise PartitionError(f"Cron schedule {self.cron_schedule!r} has no such offset.")
        return int(value)

    @property
    def minute_offset(self) -> int:
        """Minutes past the hour at which windows start."""
        return self._cron_field(0)

    @property
    def hour_offset(self) -> int:
        """Hours past midnight at which windows start."""
        return self._cron_field(1)

    @property
    def day_offset(self) -> int:
        """Weekday (0 = Sunday) of weekly windows, or day of the month of monthly ones."""
        return self._cron_field(4 if self.schedule_type is ScheduleType.WEEKLY else 2)

    def get_cron_schedule(
        self,
        minute_of_hour: int | None = None,
        hour_of_day: int | None = None,
        day_of_week: int | None = None,
        day_of_month: int | None = None,
    ) -> str:
        """The cron schedule with the given offsets replacing the definition's, for
        schedules (raises PartitionError for an offset the cadence does not have)."""
        kind, fields = self.schedule_type, self.cron_schedule.split()
        weekly = kind is ScheduleType.WEEKLY
        if (
            (
                kind is None
                and (minute_of_hour, hour_of_day, day_of_week, day_of_month) != (None,) * 4
            )
            or (hour_of_day is not None and kind is ScheduleType.HOURLY)
            or (day_of_week is not None and not weekly)
            or (day_of_month is not None and kind is not ScheduleType.MONTHLY)
        ):
            raise PartitionError(f"Cannot set these offsets on {self.cron_schedule!r} partitions.")
        day = day_of_week if weekly else day_of_month
        for index, value in ((0, minute_of_hour), (1, hour_of_day), (4 if weekly else 2, day)):
            if value is not None:
                fields[index] = str(value)
        return " ".join(fields)


class HourlyPartitionsDefinition(TimeWindowPartitionsDefinition):
    """Hourly partitions, keys like ``2024-01-31-13:00``.

    Args:
        start_date: the first partition's start (datetime, or string in ``fmt`` or ISO).
        end_date: partitions end at or before this (exclusive).
        minute_offset: minutes past the hour at which partitions start.
        timezone: IANA timezone (default UTC).
        fmt: key format (default ``%Y-%m-%d-%H:%M``).
        end_offset: partitions added (positive) or removed (negative) at the end.
    """

    _default_fmt = DEFAULT_HOURLY_FORMAT_WITHOUT_TIMEZONE

    def __init__(
        self, start_date, end_date=None, minute_offset=0, timezone=None, fmt=None, end_offset=0
    ):
        super().__init__(start_date, fmt, end_date, _HOURLY, timezone, end_offset, minute_offset)


class DailyPartitionsDefinition(TimeWindowPartitionsDefinition):
    """Daily partitions, keys like ``2024-01-31``.

    Args:
        start_date: the first partition's start (datetime, or string in ``fmt`` or ISO).
        end_date: partitions end at or before this (exclusive).
        minute_offset: minutes past the hour at which partitions start.
        hour_offset: hours past midnight at which partitions start.
        timezone: IANA timezone (default UTC).
        fmt: key format (default ``%Y-%m-%d``).
        end_offset: partitions added (positive) or removed (negative) at the end.
    """

    _default_fmt = DEFAULT_DATE_FORMAT

    def __init__(
        self,
        start_date,
        end_date=None,
        minute_offset=0,
        hour_offset=0,
        timezone=None,
        fmt=None,
        end_offset=0,
    ):
        super().__init__(
            start_date, fmt, end_date, _DAILY, timezone, end_offset, minute_offset, hour_offset
        )


class WeeklyPartitionsDefinition(TimeWindowPartitionsDefinition):
    """Weekly partitions, starting on Sundays unless ``day_offset`` says otherwise.

    Args:
        start_date: partitions start at the first week boundary at or after this.
        end_date: partitions end at or before this (exclusive).
        minute_offset: minutes past the hour at which partitions start.
        hour_offset: hours past midnight at which partitions start.
        day_offset: the weekday partitions start on, 0 (Sunday) to 6 (Saturday).
        timezone: IANA timezone (default UTC).
        fmt: key format (default ``%Y-%m-%d``).
        end_offset: partitions added (positive) or removed (negative) at the end.
    """

    _default_fmt = DEFAULT_DATE_FORMAT

    def __init__(
        self,
        start_date,
        end_date=None,
        minute_offset=0,
        hour_offset=0,
        day_offset=0,
        timezone=None,
        fmt=None,
        end_offset=0,
    ):
        offsets = minute_offset, hour_offset, day_offset
        super().__init__(start_date, fmt, end_date, _WEEKLY, timezone, end_offset, *offsets)


class MonthlyPartitionsDefinition(TimeWindowPartitionsDefinition):
    """Monthly partitions, starting on day ``day_offset`` (default the 1st) of each month.

    Args:
        start_date: partitions start at the first month boundary at or after this.
        end_date: partitions end at or before this (exclusive).
        minute_offset: minutes past the hour at which partitions start.
        hour_offset: hours past midnight at which partitions start.
        day_offset: day of the month partitions start on, 1 to 31 (past 28, months without
            that day are skipped, as cron does).
        timezone: IANA timezone (default UTC).
        fmt: key format (default ``%Y-%m-%d``).
        end_offset: partitions added (positive) or removed (negative) at the end.
    """

    _default_fmt = DEFAULT_DATE_FORMAT

    def __init__(
        self,
        start_date,
        end_date=None,
        minute_offset=0,
        hour_offset=0,
        day_offset=1,
        timezone=None,
        fmt=None,
        end_offset=0,
    ):
        offsets = minute_offset, hour_offset, day_offset
        super().__init__(start_date, fmt, end_date, _MONTHLY, timezone, end_offset, *offsets)
