"""Properties of time-window partitions over random dates, cadences and timezones."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings, strategies as st

from assettui.model.partitions.mapping import TimeWindowPartitionMapping
from assettui.model.partitions.time_window import (
    DailyPartitionsDefinition,
    HourlyPartitionsDefinition,
    MonthlyPartitionsDefinition,
    TimeWindowPartitionsDefinition,
    WeeklyPartitionsDefinition,
)

TIMEZONES = [
    "UTC",
    "America/Los_Angeles",
    "Europe/Berlin",
    "Australia/Sydney",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "America/Sao_Paulo",
]

starts = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2030, 12, 31))


@st.composite
def definitions(draw) -> tuple[TimeWindowPartitionsDefinition, datetime]:
    """A definition and a current time some windows after its start."""
    tz = draw(st.sampled_from(TIMEZONES))
    start = draw(starts)
    minute = draw(st.integers(0, 59))
    hour = draw(st.integers(0, 23))
    kind = draw(st.sampled_from(["hourly", "daily", "weekly", "monthly"]))
    if kind == "hourly":
        pdef: TimeWindowPartitionsDefinition = HourlyPartitionsDefinition(
            start, minute_offset=minute, timezone=tz
        )
        span = timedelta(hours=draw(st.integers(0, 24 * 40)))
    elif kind == "daily":
        pdef = DailyPartitionsDefinition(start, minute_offset=minute, hour_offset=hour, timezone=tz)
        span = timedelta(days=draw(st.integers(0, 800)))
    elif kind == "weekly":
        day = draw(st.integers(0, 6))
        pdef = WeeklyPartitionsDefinition(start, hour_offset=hour, day_offset=day, timezone=tz)
        span = timedelta(weeks=draw(st.integers(0, 120)))
    else:
        day = draw(st.integers(1, 28))
        pdef = MonthlyPartitionsDefinition(start, hour_offset=hour, day_offset=day, timezone=tz)
        span = timedelta(days=draw(st.integers(0, 1500)))
    return pdef, start.replace(tzinfo=UTC) + span + timedelta(days=2)


@settings(max_examples=80, deadline=None)
@given(definitions())
def test_keys_round_trip_and_increase(case):
    pdef, now = case
    keys = pdef.get_partition_keys(current_time=now)
    assert len(keys) == len(set(keys)) == pdef.get_num_partitions(current_time=now)
    windows = [pdef.time_window_for_partition_key(k) for k in keys]
    for i, (key, window) in enumerate(zip(keys, windows, strict=True)):
        assert window.start.timestamp() < window.end.timestamp() <= now.timestamp()
        assert pdef.get_partition_key_for_timestamp(window.start.timestamp()) == key
        assert pdef.partition_index(key) == i
        assert pdef.has_partition_key(key, current_time=now)
    for earlier, later in itertools.pairwise(windows):
        assert earlier.end.timestamp() == later.start.timestamp()  # contiguous, increasing
    if keys:
        assert windows[0].start.timestamp() >= pdef.start.timestamp()
        after = windows[-1].end.timestamp()
        assert not pdef.has_partition_key(
            pdef.get_partition_key_for_timestamp(after), current_time=now
        )


@settings(max_examples=80, deadline=None)
@given(definitions(), st.floats(0, 1))
def test_timestamp_falls_in_its_keys_window(case, fraction):
    pdef, now = case
    span = now.timestamp() - pdef.start.timestamp()
    ts = pdef.start.timestamp() + fraction * span
    window = pdef.time_window_for_partition_key(pdef.get_partition_key_for_timestamp(ts))
    assert window.start.timestamp() <= ts < window.end.timestamp()


@settings(max_examples=40, deadline=None)
@given(definitions(), st.integers(0, 10))
def test_paging_matches_the_full_list(case, page_start):
    pdef, now = case
    keys = pdef.get_partition_keys(current_time=now)
    page = pdef.get_partition_keys_between_indexes(page_start, page_start + 5, current_time=now)
    assert page == keys[page_start : page_start + 5]


@settings(max_examples=40, deadline=None)
@given(
    st.sampled_from(TIMEZONES),
    st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2029, 1, 1)),
    st.integers(-3, 0),
)
def test_daily_to_hourly_mapping_covers_the_day(tz, moment, offset):
    daily = DailyPartitionsDefinition("2000-01-01", timezone=tz)
    hourly = HourlyPartitionsDefinition("2000-01-01-00:00", timezone=tz)
    now = datetime(2030, 1, 1, tzinfo=UTC)
    day = daily.get_partition_key_for_timestamp(moment.replace(tzinfo=UTC).timestamp())
    mapping = TimeWindowPartitionMapping(start_offset=offset)
    hours = mapping.get_upstream_partitions_for_partition_keys(
        [day], daily, hourly, current_time=now
    )
    first = daily.time_window_for_partition_key(day).start.timestamp()
    span = daily.time_window_for_partition_key(day).end.timestamp() - first
    windows = [hourly.time_window_for_partition_key(h) for h in hours]
    assert windows[-1].end.timestamp() == first + span
    assert len(hours) == len(set(hours))
    assert [w.start.timestamp() for w in windows] == sorted(w.start.timestamp() for w in windows)
    back = mapping.get_downstream_partitions_for_partition_keys(
        hours[-1:], hourly, daily, current_time=now
    )
    assert day in back
