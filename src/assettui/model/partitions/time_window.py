"""Time-window partitions: hourly, daily, weekly, monthly and any cron schedule.

Keys are window starts on the wall clock of the definition's timezone: a DST change day has 23
or 25 hourly partitions, and the second key of a repeated hour gets its UTC offset appended
(``2024-11-03-01:00-0800`` in America/Los_Angeles) unless ``fmt`` has ``%z``, as in Dagster. A
daily/weekly/monthly boundary in a skipped hour moves to the gap's end. Windows are indices into
a grid (fixed steps or calendar arithmetic): lookups are O(1), keys are listed in bulk, and
only other cron schedules use croniter.
"""

from __future__ import annotations

import re
import threading
import time as _time
from collections.abc import Iterable
from datetime import date, datetime, tzinfo
from typing import Any

from assettui.errors import DagsterUnknownPartitionError, PartitionError
from assettui.model.partitions.definitions import (
    DynamicPartitionsStore,
    InvalidPartitionsDefinitionError,
    PartitionKeyRange,
    PartitionsDefinition,
    TimeWindow,
)
from assettui.model.partitions.loading_context import current_partition_loading_context
from assettui.model.partitions.time_grid import (
    KeyFormat,
    ScheduleType,
    get_timezone,
    make_grid,
)

DEFAULT_DATE_FORMAT = "%Y-%m-%d"
DEFAULT_HOURLY_FORMAT_WITHOUT_TIMEZONE = "%Y-%m-%d-%H:%M"
_REPR_FIELDS = ("cron_schedule", "start", "end", "timezone", "fmt", "end_offset")


_HOURLY, _DAILY, _WEEKLY, _MONTHLY = ScheduleType


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
    ) -> None:
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
        self._grid, repeats_every_hour = make_grid(cron_schedule, self._start_ts, self._tz)
        self._format = KeyFormat(fmt, self._tz, repeats_every_hour)
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
            current_time = current_partition_loading_context().effective_dt
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

    def get_partition_keys(
        self,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> list[str]:
        return self._keys_for(self._first, self._first + self._count(current_time))

    def get_partition_keys_between_indexes(
        self, start_idx: int, end_idx: int, current_time: datetime | None = None
    ) -> list[str]:
        """Keys number ``start_idx`` (included) to ``end_idx`` (excluded), for paging."""
        start_idx, end_idx = max(0, start_idx), min(end_idx, self._count(current_time))
        if start_idx >= end_idx:
            return []
        return self._keys_for(self._first + start_idx, self._first + end_idx)

    def get_num_partitions(
        self,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> int:
        return self._count(current_time)

    def get_first_partition_key(
        self,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> str | None:
        return self._key(self._first) if self._count(current_time) else None

    def get_last_partition_key(
        self,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> str | None:
        count = self._count(current_time)
        return self._key(self._first + count - 1) if count else None

    def get_first_partition_window(self, current_time: datetime | None = None) -> TimeWindow | None:
        """The first partition's window, or ``None`` when there is no partition yet."""
        return self._window(self._first) if self._count(current_time) else None

    def get_last_partition_window(self, current_time: datetime | None = None) -> TimeWindow | None:
        """The last partition's window, or ``None`` when there is no partition yet."""
        count = self._count(current_time)
        return self._window(self._first + count - 1) if count else None

    def has_partition_key(
        self,
        partition_key: str,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> bool:
        n = self._index_of(partition_key)
        return n is not None and 0 <= n - self._first < self._count(current_time)

    def partition_index(self, partition_key: str) -> int:
        """The key's position from the first partition (negative before it; raises
        DagsterUnknownPartitionError if the key names no window)."""
        return self._checked_index(partition_key) - self._first

    def get_partition_keys_in_range(
        self,
        partition_key_range: PartitionKeyRange,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> list[str]:
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

    def _describe_valid_keys(
        self, current_time: datetime | None, store: DynamicPartitionsStore | None
    ) -> str:
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
        self,
        partition_keys: Iterable[str],
        validate: bool = True,
        current_time: datetime | None = None,
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
        self,
        start_date: datetime | date | str,
        end_date: datetime | date | str | None = None,
        minute_offset: int = 0,
        timezone: str | None = None,
        fmt: str | None = None,
        end_offset: int = 0,
    ) -> None:
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
        start_date: datetime | date | str,
        end_date: datetime | date | str | None = None,
        minute_offset: int = 0,
        hour_offset: int = 0,
        timezone: str | None = None,
        fmt: str | None = None,
        end_offset: int = 0,
    ) -> None:
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
        start_date: datetime | date | str,
        end_date: datetime | date | str | None = None,
        minute_offset: int = 0,
        hour_offset: int = 0,
        day_offset: int = 0,
        timezone: str | None = None,
        fmt: str | None = None,
        end_offset: int = 0,
    ) -> None:
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
        start_date: datetime | date | str,
        end_date: datetime | date | str | None = None,
        minute_offset: int = 0,
        hour_offset: int = 0,
        day_offset: int = 1,
        timezone: str | None = None,
        fmt: str | None = None,
        end_offset: int = 0,
    ) -> None:
        offsets = minute_offset, hour_offset, day_offset
        super().__init__(start_date, fmt, end_date, _MONTHLY, timezone, end_offset, *offsets)
