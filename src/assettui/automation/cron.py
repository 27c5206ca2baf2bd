"""Cron ticks in a timezone, correct across daylight-saving changes.

croniter walks *wall-clock* times (naive datetimes, where DST does not exist); each wall
time is then placed in the timezone here:

- a wall time that does not exist (inside a spring-forward gap) runs once, at the first
  valid time after it (02:30 on a night that jumps 02:00 -> 03:00 runs at 03:00);
- a wall time that exists twice (fall-back) runs once, at its first occurrence;
- several wall times that land on the same instant run once.

Mapping wall times to instants this way never goes backwards, which is what lets
:func:`previous_tick` walk back from a wall time just after ``at``.

The functions return UTC datetimes: two aware datetimes in the same zone compare by wall
time, ignoring ``fold``, which is wrong inside a repeated hour (PEP 495). Convert with
``astimezone(get_zone(tz))`` only to show a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from functools import lru_cache

from croniter import croniter

from assettui.errors import ScheduleError
from assettui.model.automation.schedules import check_cron_schedule, check_timezone
from assettui.model.timezones import find_timezone, wall_to_timestamp

# More ticks than any caller asks for at once; stops a runaway walk.
_MAX_STEPS = 10_000


def get_zone(timezone: str) -> tzinfo:
    """The tzinfo of an IANA name.

    Raises:
        ScheduleError: an unknown timezone.
    """
    zone = find_timezone(timezone)
    if zone is None:
        check_timezone(timezone, "Timezone")  # raises, naming the timezone
    assert zone is not None
    return zone


def _crons(cron_schedule: str | Sequence[str]) -> tuple[str, ...]:
    key = cron_schedule if isinstance(cron_schedule, str) else tuple(cron_schedule)
    return _checked_crons(key)


@lru_cache(maxsize=1024)
def _checked_crons(cron_schedule: str | tuple[str, ...]) -> tuple[str, ...]:
    return check_cron_schedule(cron_schedule, None, "Cron schedule")


def resolve_wall_time(naive: datetime, zone: tzinfo) -> datetime:
    """The instant a cron wall time runs at in ``zone`` (see the module docstring)."""
    return datetime.fromtimestamp(wall_to_timestamp(naive, zone), zone)


def _wall(at: datetime, zone: tzinfo) -> datetime:
    if at.tzinfo is None:
        raise ScheduleError(f"Times given to the scheduler must be timezone-aware, got {at}.")
    return at.astimezone(zone).replace(tzinfo=None)


def _iterate(cron: str, start: datetime, forward: bool) -> croniter:
    try:
        return croniter(cron, start)
    except Exception as exc:  # croniter raises several unrelated types for bad input
        raise ScheduleError(f"Cron schedule {cron!r} cannot be evaluated: {exc}") from exc


def _step(it: croniter, cron: str, forward: bool) -> datetime:
    try:
        value = it.get_next(datetime) if forward else it.get_prev(datetime)
    except Exception as exc:  # e.g. '0 0 30 2 *' never happens
        raise ScheduleError(
            f"Cron schedule {cron!r} has no tick to run (does its date ever occur?): {exc}"
        ) from exc
    assert isinstance(value, datetime)
    return value


def next_tick(cron_schedule: str | Sequence[str], timezone: str, after: datetime) -> datetime:
    """The first tick strictly after ``after`` (in UTC).

    Raises:
        ScheduleError: a bad cron string or timezone, or a schedule that never ticks.
    """
    zone = get_zone(timezone)
    best: datetime | None = None
    for cron in _crons(cron_schedule):
        it = _iterate(cron, _wall(after, zone), forward=True)
        for _ in range(_MAX_STEPS):
            tick = resolve_wall_time(_step(it, cron, True), zone).astimezone(UTC)
            if tick > after:
                break
        else:  # pragma: no cover - only a clock far inside a repeated hour
            raise ScheduleError(f"Cron schedule {cron!r} did not tick after {after}.")
        best = tick if best is None or tick < best else best
    assert best is not None
    return best


def previous_tick(
    cron_schedule: str | Sequence[str], timezone: str, at: datetime
) -> datetime | None:
    """The latest tick at or before ``at`` (in UTC; ``None`` if there is none).

    Raises:
        ScheduleError: a bad cron string or timezone.
    """
    zone = get_zone(timezone)
    # After a fall-back the wall clock read later times before; start past all of them.
    earlier = (at - timedelta(hours=3)).astimezone(zone).utcoffset() or timedelta(0)
    rewind = max(timedelta(0), earlier - (at.astimezone(zone).utcoffset() or timedelta(0)))
    start = _wall(at, zone) + rewind + timedelta(microseconds=1)
    best: datetime | None = None
    for cron in _crons(cron_schedule):
        it = _iterate(cron, start, forward=False)
        tick: datetime | None = None
        for _ in range(_MAX_STEPS):
            try:
                candidate = resolve_wall_time(_step(it, cron, False), zone).astimezone(UTC)
            except ScheduleError:
                break  # no earlier tick at all
            if candidate <= at:
                tick = candidate
                break
        if tick is not None and (best is None or tick > best):
            best = tick
    return best


def ticks_between(
    cron_schedule: str | Sequence[str],
    timezone: str,
    after: datetime,
    until: datetime,
    *,
    limit: int | None = None,
) -> list[datetime]:
    """The ticks ``t`` with ``after < t <= until``, oldest first (in UTC).

    Args:
        limit: keep only the most recent ``limit`` ticks (computed walking back from
            ``until``, so a long downtime costs ``limit`` steps, not one per missed tick).
    """
    if limit is not None:
        found: list[datetime] = []
        cursor = until
        while len(found) < limit:
            tick = previous_tick(cron_schedule, timezone, cursor)
            if tick is None or tick <= after:
                break
            found.append(tick)
            cursor = tick - timedelta(microseconds=1)
        return found[::-1]
    ticks: list[datetime] = []
    cursor = after
    for _ in range(_MAX_STEPS):
        tick = next_tick(cron_schedule, timezone, cursor)
        if tick > until:
            break
        ticks.append(tick)
        cursor = tick
    return ticks


def validate_cron(cron_schedule: str | Sequence[str], timezone: str = "UTC") -> None:
    """Raise :class:`ScheduleError` unless the cron schedule and timezone can be evaluated."""
    check_cron_schedule(cron_schedule, timezone, "Cron schedule")
    next_tick(cron_schedule, timezone, datetime(2000, 1, 1, tzinfo=UTC))
