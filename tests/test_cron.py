"""Cron ticks in a timezone: DST gaps and repeats, downtime, bad input."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from assettui.automation.cron import next_tick, previous_tick, ticks_between, validate_cron
from assettui.errors import ScheduleError

BERLIN = "Europe/Berlin"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_daily_berlin_ticks_at_six_local_across_spring_forward():
    ticks = ticks_between("0 6 * * *", BERLIN, utc(2026, 3, 27), utc(2026, 3, 31))
    assert [t.astimezone(UTC) for t in ticks] == [
        utc(2026, 3, 27, 5),  # CET, UTC+1
        utc(2026, 3, 28, 5),
        utc(2026, 3, 29, 4),  # CEST from 29 March, UTC+2
        utc(2026, 3, 30, 4),
    ]
    assert all(t.astimezone(ZoneInfo(BERLIN)).strftime("%H:%M") == "06:00" for t in ticks)


def test_daily_berlin_ticks_at_six_local_across_fall_back():
    ticks = ticks_between("0 6 * * *", BERLIN, utc(2026, 10, 23), utc(2026, 10, 27))
    assert [t.astimezone(UTC) for t in ticks] == [
        utc(2026, 10, 23, 4),
        utc(2026, 10, 24, 4),
        utc(2026, 10, 25, 5),  # back to CET on 25 October
        utc(2026, 10, 26, 5),
    ]


def test_time_inside_the_spring_forward_gap_runs_once_at_the_next_valid_time():
    ticks = ticks_between("30 2 * * *", BERLIN, utc(2026, 3, 28), utc(2026, 3, 30, 12))
    assert [t.astimezone(UTC) for t in ticks] == [
        utc(2026, 3, 28, 1, 30),
        utc(2026, 3, 29, 1, 0),  # 02:30 does not exist: 03:00 CEST
        utc(2026, 3, 30, 0, 30),
    ]


def test_several_gap_times_collapse_into_one_tick():
    ticks = ticks_between("*/15 * * * *", BERLIN, utc(2026, 3, 29, 0, 40), utc(2026, 3, 29, 1, 20))
    local = [t.astimezone(ZoneInfo(BERLIN)).strftime("%H:%M%z") for t in ticks]
    assert local == ["01:45+0100", "03:00+0200", "03:15+0200"]


def test_repeated_time_runs_once_at_its_first_occurrence():
    ticks = ticks_between("30 2 * * *", BERLIN, utc(2026, 10, 24, 12), utc(2026, 10, 25, 12))
    assert [t.astimezone(UTC) for t in ticks] == [utc(2026, 10, 25, 0, 30)]


def test_hourly_during_fall_back_skips_the_repeated_hour():
    ticks = ticks_between("30 * * * *", BERLIN, utc(2026, 10, 24, 23), utc(2026, 10, 25, 3))
    assert [t.astimezone(UTC) for t in ticks] == [
        utc(2026, 10, 24, 23, 30),
        utc(2026, 10, 25, 0, 30),
        utc(2026, 10, 25, 2, 30),
    ]


def test_previous_tick_inside_the_repeated_hour():
    # 01:10 UTC is 02:10 CET, the second 02:xx: the last tick was 02:30 CEST.
    assert previous_tick("30 * * * *", BERLIN, utc(2026, 10, 25, 1, 10)) == utc(2026, 10, 25, 0, 30)


def test_downtime_catch_up_is_bounded_by_the_limit():
    after, until = utc(2026, 3, 1), utc(2026, 3, 4)
    assert len(ticks_between("0 * * * *", "UTC", after, until)) == 72
    assert ticks_between("0 * * * *", "UTC", after, until, limit=1) == [utc(2026, 3, 4)]
    assert ticks_between("0 * * * *", "UTC", after, until, limit=3) == [
        utc(2026, 3, 3, 22),
        utc(2026, 3, 3, 23),
        utc(2026, 3, 4),
    ]


def test_several_cron_strings_union():
    ticks = ticks_between(["0 6 * * *", "0 18 * * *"], "UTC", utc(2026, 1, 1), utc(2026, 1, 2))
    assert ticks == [utc(2026, 1, 1, 6), utc(2026, 1, 1, 18)]


@pytest.mark.parametrize(
    ("cron", "tz", "fragment"),
    [
        ("not a cron", "UTC", "not a valid cron"),
        ("61 * * * *", "UTC", "not a valid cron"),
        ("0 6 * * *", "Mars/Olympus", "unknown timezone"),
        ("0 0 30 2 *", "UTC", "no tick"),
    ],
)
def test_bad_input_is_a_schedule_error(cron, tz, fragment):
    with pytest.raises(ScheduleError, match=fragment):
        validate_cron(cron, tz)


def test_naive_times_are_refused():
    with pytest.raises(ScheduleError, match="timezone-aware"):
        next_tick("0 * * * *", "UTC", datetime(2026, 1, 1))


_FIELD = st.one_of(
    st.just("*"),
    st.integers(0, 70).map(str),
    st.builds(lambda a, b: f"{a}-{b}", st.integers(0, 40), st.integers(0, 40)),
    st.builds(lambda n: f"*/{n}", st.integers(0, 30)),
    st.sampled_from(["L", "MON", "jan", "1,15", "?", "#", "5#2", "", "-", "x"]),
)
_ZONES = sorted(zoneinfo.available_timezones() - {"Factory"})[:400] or ["UTC"]
_TIMES = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2090, 1, 1)).map(
    lambda d: d.replace(tzinfo=UTC)
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    fields=st.lists(_FIELD, min_size=0, max_size=7),
    tz=st.sampled_from(["UTC", "Bad/Zone", *_ZONES]),
    at=_TIMES,
)
def test_any_cron_input_gives_ticks_or_a_schedule_error(fields, tz, at):
    cron = " ".join(fields)
    try:
        after = next_tick(cron, tz, at)
        before = previous_tick(cron, tz, at)
    except ScheduleError:
        return
    assert after > at
    if before is not None:
        assert before <= at
        # Nothing ticks strictly between the previous tick and ``at``.
        assert next_tick(cron, tz, before) > at


@settings(max_examples=100, deadline=None)
@given(
    minute=st.integers(0, 59),
    hour=st.integers(0, 23),
    tz=st.sampled_from(["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "UTC"]),
    start=_TIMES,
    days=st.integers(1, 40),
)
def test_daily_ticks_are_increasing_and_one_per_local_day(minute, hour, tz, start, days):
    ticks = ticks_between(f"{minute} {hour} * * *", tz, start, start + timedelta(days=days))
    assert ticks == sorted(set(ticks))
    local_days = [t.astimezone(ZoneInfo(tz)).date() for t in ticks]
    assert len(local_days) == len(set(local_days))


def test_cron_ticks_and_time_partitions_place_a_skipped_wall_time_alike():
    """One timezone lookup and one DST rule for both: 02:30 on the night Berlin jumps from
    02:00 to 03:00 is 03:00 local (01:00 UTC) for a cron tick and for a partition's start."""
    import assettui as dg
    from assettui.model.timezones import find_timezone, wall_to_timestamp

    berlin = find_timezone("Europe/Berlin")
    assert berlin is not None and find_timezone("Mars/Olympus") is None
    gap_end = datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    assert wall_to_timestamp(datetime(2026, 3, 29, 2, 30), berlin) == gap_end.timestamp()

    tick = next_tick("30 2 * * *", "Europe/Berlin", datetime(2026, 3, 28, 12, tzinfo=UTC))
    daily = dg.DailyPartitionsDefinition(
        start_date="2026-03-27", hour_offset=2, minute_offset=30, timezone="Europe/Berlin"
    )
    window = daily.time_window_for_partition_key("2026-03-29")
    assert tick == gap_end
    assert window.start.timestamp() == gap_end.timestamp()
