"""Time-window partitions: hand-checked keys and windows, DST, offsets, formats, errors."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from assettui.errors import DagsterUnknownPartitionError, DefinitionError, PartitionError
from assettui.model.partitions.definitions import PartitionKeyRange, TimeWindow
from assettui.model.partitions.time_window import (
    DailyPartitionsDefinition,
    HourlyPartitionsDefinition,
    MonthlyPartitionsDefinition,
    ScheduleType,
    TimeWindowPartitionsDefinition,
    WeeklyPartitionsDefinition,
)

LA = ZoneInfo("America/Los_Angeles")
BERLIN = ZoneInfo("Europe/Berlin")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def hours(window: TimeWindow) -> float:
    return (window.end.timestamp() - window.start.timestamp()) / 3600


# -- UTC cadences --


def test_daily_keys_end_at_the_last_complete_day():
    daily = DailyPartitionsDefinition(start_date="2024-01-01")
    now = utc(2024, 1, 5, 12)
    assert daily.get_partition_keys(current_time=now) == [
        "2024-01-01",
        "2024-01-02",
        "2024-01-03",
        "2024-01-04",
    ]
    assert daily.get_num_partitions(current_time=now) == 4
    assert daily.get_first_partition_key(current_time=now) == "2024-01-01"
    assert daily.get_last_partition_key(current_time=now) == "2024-01-04"
    # The window ending exactly now is complete.
    assert daily.get_last_partition_key(current_time=utc(2024, 1, 5)) == "2024-01-04"


def test_daily_window_and_lookup():
    daily = DailyPartitionsDefinition("2024-01-01")
    window = daily.time_window_for_partition_key("2024-03-10")
    assert window == TimeWindow(utc(2024, 3, 10), utc(2024, 3, 11))
    start, end = window  # unpacks like Dagster's NamedTuple
    assert (start, end) == (utc(2024, 3, 10), utc(2024, 3, 11))
    now = utc(2024, 6, 1)
    assert daily.has_partition_key("2024-05-31", current_time=now)
    assert not daily.has_partition_key("2024-06-01", current_time=now)  # not complete yet
    assert not daily.has_partition_key("2023-12-31", current_time=now)  # before the start
    assert not daily.has_partition_key("2024-1-5", current_time=now)  # not the key format
    assert not daily.has_partition_key("garbage", current_time=now)


def test_hourly_utc():
    hourly = HourlyPartitionsDefinition(start_date="2024-01-01-00:00")
    assert hourly.get_partition_keys(current_time=utc(2024, 1, 1, 3, 30)) == [
        "2024-01-01-00:00",
        "2024-01-01-01:00",
        "2024-01-01-02:00",
    ]
    assert hourly.time_window_for_partition_key("2024-01-01-01:00") == TimeWindow(
        utc(2024, 1, 1, 1), utc(2024, 1, 1, 2)
    )


def test_hourly_minute_offset_and_date_only_start():
    hourly = HourlyPartitionsDefinition(start_date="2024-01-01", minute_offset=15)
    assert hourly.get_partition_keys(current_time=utc(2024, 1, 1, 2, 20)) == [
        "2024-01-01-00:15",
        "2024-01-01-01:15",
    ]


def test_weekly_starts_on_sunday_by_default():
    weekly = WeeklyPartitionsDefinition(start_date="2024-01-01")  # a Monday
    assert weekly.get_partition_keys(current_time=utc(2024, 1, 22)) == ["2024-01-07", "2024-01-14"]
    assert weekly.time_window_for_partition_key("2024-01-07") == TimeWindow(
        utc(2024, 1, 7), utc(2024, 1, 14)
    )
    assert not weekly.has_partition_key("2024-01-08", current_time=utc(2024, 2, 1))


def test_weekly_day_offset_monday():
    weekly = WeeklyPartitionsDefinition(start_date="2024-01-01", day_offset=1)
    keys = weekly.get_partition_keys(current_time=utc(2024, 1, 22))
    assert keys == ["2024-01-01", "2024-01-08", "2024-01-15"]


def test_monthly_starts_on_the_first_following_first_of_month():
    monthly = MonthlyPartitionsDefinition(start_date="2024-01-15")
    assert monthly.get_partition_keys(current_time=utc(2024, 5, 10)) == [
        "2024-02-01",
        "2024-03-01",
        "2024-04-01",
    ]
    assert monthly.time_window_for_partition_key("2024-02-01") == TimeWindow(
        utc(2024, 2, 1), utc(2024, 3, 1)
    )


def test_monthly_day_offset():
    monthly = MonthlyPartitionsDefinition(start_date="2024-01-15", day_offset=15)
    keys = monthly.get_partition_keys(current_time=utc(2024, 5, 10))
    assert keys == ["2024-01-15", "2024-02-15", "2024-03-15"]


def test_daily_hour_and_minute_offsets():
    daily = DailyPartitionsDefinition("2024-01-01", hour_offset=6, minute_offset=30)
    keys = daily.get_partition_keys(current_time=utc(2024, 1, 3, 7))
    assert keys == ["2024-01-01", "2024-01-02"]
    assert daily.time_window_for_partition_key("2024-01-02").start == utc(2024, 1, 2, 6, 30)


# -- end_offset, end, fmt, start forms --


@pytest.mark.parametrize(
    ("end_offset", "last"),
    [(0, "2024-01-04"), (1, "2024-01-05"), (2, "2024-01-06"), (-1, "2024-01-03")],
)
def test_end_offset(end_offset, last):
    daily = DailyPartitionsDefinition("2024-01-01", end_offset=end_offset)
    keys = daily.get_partition_keys(current_time=utc(2024, 1, 5, 12))
    assert keys[0] == "2024-01-01"
    assert keys[-1] == last
    assert len(keys) == 4 + end_offset


def test_end_offset_with_future_start():
    daily = DailyPartitionsDefinition("2024-02-01", end_offset=1)
    assert daily.get_partition_keys(current_time=utc(2024, 1, 1)) == ["2024-02-01"]
    assert (
        DailyPartitionsDefinition("2024-02-01").get_partition_keys(current_time=utc(2024, 1, 1))
        == []
    )


def test_end_date_is_exclusive_and_caps_keys():
    daily = DailyPartitionsDefinition("2024-01-01", end_date="2024-01-03")
    assert daily.get_partition_keys(current_time=utc(2030, 1, 1)) == ["2024-01-01", "2024-01-02"]
    daily_offset = DailyPartitionsDefinition("2024-01-01", end_date="2024-01-03", end_offset=5)
    assert daily_offset.get_num_partitions(current_time=utc(2024, 1, 2)) == 2
    with pytest.raises(DagsterUnknownPartitionError, match="2024-01-05"):
        daily.get_partition_keys_in_range(PartitionKeyRange("2024-01-01", "2024-01-05"))


def test_custom_fmt_is_used_for_keys_and_start():
    daily = DailyPartitionsDefinition("20240101", fmt="%Y%m%d")
    assert daily.get_partition_keys(current_time=utc(2024, 1, 3)) == ["20240101", "20240102"]
    assert daily.time_window_for_partition_key("20240102").start == utc(2024, 1, 2)
    hourly = HourlyPartitionsDefinition("2024-01-01", fmt="%Y/%m/%d %Hh")
    assert hourly.get_partition_keys(current_time=utc(2024, 1, 1, 2)) == [
        "2024/01/01 00h",
        "2024/01/01 01h",
    ]


def test_start_as_datetime_takes_the_definitions_timezone():
    # As in Dagster, a datetime's own tzinfo is replaced by the definition's timezone.
    daily = DailyPartitionsDefinition(datetime(2024, 1, 1), timezone="America/Los_Angeles")
    assert daily.start == datetime(2024, 1, 1, tzinfo=LA)
    assert daily.get_first_partition_key(current_time=utc(2024, 1, 3)) == "2024-01-01"


def test_naive_current_time_is_read_in_the_definitions_timezone():
    daily = DailyPartitionsDefinition("2024-01-01", timezone="America/Los_Angeles")
    # 2024-01-03 01:00 in LA: only the 1st and 2nd are complete.
    assert daily.get_last_partition_key(current_time=datetime(2024, 1, 3, 1)) == "2024-01-02"


# -- DST --


def test_hourly_spring_forward_has_23_partitions_and_skips_the_missing_hour():
    hourly = HourlyPartitionsDefinition("2024-03-09-00:00", timezone="America/Los_Angeles")
    keys = hourly.get_partition_keys(current_time=utc(2024, 3, 12))
    day = [k for k in keys if k.startswith("2024-03-10")]
    assert len(day) == 23
    assert "2024-03-10-02:00" not in day
    assert day[:3] == ["2024-03-10-00:00", "2024-03-10-01:00", "2024-03-10-03:00"]
    window = hourly.time_window_for_partition_key("2024-03-10-01:00")
    assert window.start == utc(2024, 3, 10, 9) and window.end == utc(2024, 3, 10, 10)
    assert not hourly.has_partition_key("2024-03-10-02:00", current_time=utc(2024, 3, 12))


def test_hourly_fall_back_has_25_partitions_and_suffixes_the_repeated_hour():
    hourly = HourlyPartitionsDefinition("2024-11-02-00:00", timezone="America/Los_Angeles")
    now = utc(2024, 11, 5)
    keys = hourly.get_partition_keys(current_time=now)
    day = [k for k in keys if k.startswith("2024-11-03")]
    assert len(day) == 25
    # Dagster's dst_safe_strftime: the second 01:00 gets its UTC offset (PST, -0800) appended.
    assert day[:4] == [
        "2024-11-03-00:00",
        "2024-11-03-01:00",
        "2024-11-03-01:00-0800",
        "2024-11-03-02:00",
    ]
    first = hourly.time_window_for_partition_key("2024-11-03-01:00")
    second = hourly.time_window_for_partition_key("2024-11-03-01:00-0800")
    # Compare instants: Python never finds an ambiguous wall time equal across zones.
    assert first == TimeWindow(utc(2024, 11, 3, 8), utc(2024, 11, 3, 9))
    assert second == TimeWindow(utc(2024, 11, 3, 9), utc(2024, 11, 3, 10))
    assert first != second
    assert hourly.has_partition_key("2024-11-03-01:00-0800", current_time=now)
    assert hourly.get_partition_key_for_timestamp(utc(2024, 11, 3, 9, 30).timestamp()) == (
        "2024-11-03-01:00-0800"
    )


def test_berlin_hourly_both_changes():
    hourly = HourlyPartitionsDefinition("2024-01-01-00:00", timezone="Europe/Berlin")
    keys = hourly.get_partition_keys(current_time=utc(2025, 1, 1))
    assert len([k for k in keys if k.startswith("2024-03-31")]) == 23
    autumn = [k for k in keys if k.startswith("2024-10-27")]
    assert len(autumn) == 25
    assert autumn[2:5] == ["2024-10-27-02:00", "2024-10-27-02:00+0100", "2024-10-27-03:00"]
    # From 2023-12-31 23:00 UTC (Berlin midnight) to 2025-01-01 00:00 UTC.
    assert len(keys) == len(set(keys)) == 366 * 24 + 1


def test_fmt_with_utc_offset_never_gets_a_second_suffix():
    hourly = HourlyPartitionsDefinition(
        "2024-11-03-00:00-0700", timezone="America/Los_Angeles", fmt="%Y-%m-%d-%H:%M%z"
    )
    day = hourly.get_partition_keys(current_time=utc(2024, 11, 3, 12))[:4]
    assert day == [
        "2024-11-03-00:00-0700",
        "2024-11-03-01:00-0700",
        "2024-11-03-01:00-0800",
        "2024-11-03-02:00-0800",
    ]


def test_daily_windows_in_dst_zone_are_wall_clock_days():
    daily = DailyPartitionsDefinition("2024-01-01", timezone="America/Los_Angeles")
    spring = daily.time_window_for_partition_key("2024-03-10")
    autumn = daily.time_window_for_partition_key("2024-11-03")
    assert spring.start == datetime(2024, 3, 10, tzinfo=LA)
    assert hours(spring) == 23
    assert hours(autumn) == 25
    assert hours(daily.time_window_for_partition_key("2024-07-01")) == 24
    keys = daily.get_partition_keys(current_time=utc(2025, 1, 1, 12))
    assert len(keys) == 366


def test_weekly_and_monthly_windows_across_dst_in_berlin():
    weekly = WeeklyPartitionsDefinition("2024-01-01", timezone="Europe/Berlin")
    assert hours(weekly.time_window_for_partition_key("2024-03-24")) == 168
    assert hours(weekly.time_window_for_partition_key("2024-03-31")) == 167
    assert hours(weekly.time_window_for_partition_key("2024-10-27")) == 169
    monthly = MonthlyPartitionsDefinition("2024-01-01", timezone="America/Los_Angeles")
    assert hours(monthly.time_window_for_partition_key("2024-11-01")) == 30 * 24 + 1
    assert hours(monthly.time_window_for_partition_key("2024-03-01")) == 31 * 24 - 1


def test_boundary_in_skipped_hour_moves_to_the_end_of_the_gap():
    daily = DailyPartitionsDefinition(
        "2024-03-01", hour_offset=2, minute_offset=30, timezone="America/Los_Angeles"
    )
    window = daily.time_window_for_partition_key("2024-03-10")
    assert window.start == datetime(2024, 3, 10, 3, 0, tzinfo=LA)  # 02:30 does not exist
    assert window.end == datetime(2024, 3, 11, 2, 30, tzinfo=LA)
    assert daily.time_window_for_partition_key("2024-03-09").end == window.start


# -- other queries --


def test_key_for_timestamp_and_ranges():
    daily = DailyPartitionsDefinition("2024-01-01")
    assert daily.get_partition_key_for_timestamp(utc(2024, 1, 5, 12).timestamp()) == "2024-01-05"
    midnight = utc(2024, 1, 5).timestamp()
    assert daily.get_partition_key_for_timestamp(midnight) == "2024-01-05"
    assert daily.get_partition_key_for_timestamp(midnight, end_closed=True) == "2024-01-04"
    window = TimeWindow(utc(2024, 1, 2, 12), utc(2024, 1, 4, 6))
    assert daily.get_partition_key_range_for_time_window(window) == PartitionKeyRange(
        "2024-01-02", "2024-01-04"
    )
    assert daily.get_partition_keys_in_time_window(
        TimeWindow(utc(2024, 1, 2), utc(2024, 1, 4))
    ) == [
        "2024-01-02",
        "2024-01-03",
    ]
    assert daily.get_partition_keys_in_range(PartitionKeyRange("2024-01-02", "2024-01-04")) == [
        "2024-01-02",
        "2024-01-03",
        "2024-01-04",
    ]
    windows = daily.time_windows_for_partition_keys(
        ["2024-01-03", "2024-01-02", "2030-01-01"], current_time=utc(2024, 2, 1)
    )
    assert [w.start for w in windows] == [utc(2024, 1, 2), utc(2024, 1, 3)]


def test_paging_by_index():
    hourly = HourlyPartitionsDefinition("2024-01-01-00:00")
    now = utc(2024, 2, 1)
    page = hourly.get_partition_keys_between_indexes(24, 27, current_time=now)
    assert page == ["2024-01-02-00:00", "2024-01-02-01:00", "2024-01-02-02:00"]
    assert hourly.get_partition_keys_between_indexes(10_000, 10_010, current_time=now) == []
    assert hourly.partition_index("2024-01-02-00:00") == 24


def test_arbitrary_cron_schedule():
    twice = TimeWindowPartitionsDefinition(
        start="2024-01-01",
        fmt="%Y-%m-%d %H:%M",
        cron_schedule="0 9,17 * * 1-5",
        timezone="Europe/Berlin",
    )
    keys = twice.get_partition_keys(current_time=utc(2024, 1, 8, 12))
    assert keys[:3] == ["2024-01-01 09:00", "2024-01-01 17:00", "2024-01-02 09:00"]
    assert keys[-1] == "2024-01-05 17:00"  # Friday 17:00 -> Monday 09:00 is complete
    assert len(keys) == 10
    assert twice.time_window_for_partition_key("2024-01-05 17:00").end == datetime(
        2024, 1, 8, 9, tzinfo=BERLIN
    )
    assert twice.has_partition_key("2024-01-03 17:00", current_time=utc(2024, 1, 8, 12))
    assert not twice.has_partition_key("2024-01-03 12:00", current_time=utc(2024, 1, 8, 12))
    assert twice.get_partition_key_for_timestamp(utc(2023, 12, 29, 20).timestamp()) == (
        "2023-12-29 17:00"
    )


def test_every_fifteen_minutes():
    quarter = TimeWindowPartitionsDefinition(
        start="2024-01-01-00:00", fmt="%Y-%m-%d-%H:%M", cron_schedule="*/15 * * * *"
    )
    assert quarter.get_partition_keys(current_time=utc(2024, 1, 1, 0, 50)) == [
        "2024-01-01-00:00",
        "2024-01-01-00:15",
        "2024-01-01-00:30",
    ]


def test_huge_definitions_answer_without_listing():
    # Minutely partitions over 24 years: ~12.6 million. Lookups must not scan them.
    minutely = TimeWindowPartitionsDefinition(
        start="2000-01-01-00:00", fmt="%Y-%m-%d-%H:%M", cron_schedule="* * * * *"
    )
    now = utc(2024, 1, 1)
    assert minutely.get_num_partitions(current_time=now) == int(
        (now - utc(2000, 1, 1)).total_seconds() // 60
    )
    assert minutely.get_last_partition_key(current_time=now) == "2023-12-31-23:59"
    assert minutely.has_partition_key("2015-06-01-12:34", current_time=now)
    assert minutely.time_window_for_partition_key("2015-06-01-12:34").start == utc(
        2015, 6, 1, 12, 34
    )


def test_cadence_properties_and_cron_schedule():
    daily = DailyPartitionsDefinition("2024-01-01", hour_offset=3)
    assert daily.cron_schedule == "0 3 * * *"
    assert daily.schedule_type is ScheduleType.DAILY
    assert (daily.minute_offset, daily.hour_offset) == (0, 3)
    assert daily.get_cron_schedule(minute_of_hour=15) == "15 3 * * *"
    weekly = WeeklyPartitionsDefinition("2024-01-01", day_offset=2)
    assert weekly.cron_schedule == "0 0 * * 2"
    assert weekly.day_offset == 2
    assert weekly.get_cron_schedule(hour_of_day=6) == "0 6 * * 2"
    assert MonthlyPartitionsDefinition("2024-01-01").cron_schedule == "0 0 1 * *"
    hourly = HourlyPartitionsDefinition("2024-01-01-00:00")
    assert hourly.schedule_type is ScheduleType.HOURLY
    with pytest.raises(PartitionError):
        hourly.get_cron_schedule(hour_of_day=3)


def test_equality_hash_and_immutability():
    a, b = DailyPartitionsDefinition("2024-01-01"), DailyPartitionsDefinition("2024-01-01")
    assert a == b and hash(a) == hash(b)
    assert a != DailyPartitionsDefinition("2024-01-02")
    assert a != DailyPartitionsDefinition("2024-01-01", timezone="Europe/Berlin")
    same = TimeWindowPartitionsDefinition(
        start="2024-01-01", fmt="%Y-%m-%d", cron_schedule="0 0 * * *"
    )
    assert same == a
    assert {a: 1}[b] == 1
    with pytest.raises(AttributeError):
        a.fmt = "%Y"  # type: ignore[misc]
    assert str(a) == "Daily, starting 2024-01-01 UTC."
    assert "DailyPartitionsDefinition(cron_schedule='0 0 * * *'" in repr(a)


# -- errors --


def test_bad_start_date_is_a_partition_and_definition_error():
    with pytest.raises(PartitionError, match="not-a-date") as info:
        DailyPartitionsDefinition("not-a-date")
    assert isinstance(info.value, DefinitionError)
    assert "%Y-%m-%d" in str(info.value)


def test_unknown_timezone():
    with pytest.raises(PartitionError, match="Mars/Olympus_Mons"):
        DailyPartitionsDefinition("2024-01-01", timezone="Mars/Olympus_Mons")
    with pytest.raises(PartitionError, match="Unknown timezone"):
        HourlyPartitionsDefinition("2024-01-01", timezone="Not/AZone")
    assert HourlyPartitionsDefinition("2024-01-01", timezone=None).timezone == "UTC"


def test_bad_offsets_and_cron():
    with pytest.raises(PartitionError, match="hour_offset"):
        DailyPartitionsDefinition("2024-01-01", hour_offset=24)
    with pytest.raises(PartitionError, match="day_offset"):
        WeeklyPartitionsDefinition("2024-01-01", day_offset=7)
    with pytest.raises(PartitionError, match="cron"):
        TimeWindowPartitionsDefinition(start="2024-01-01", fmt="%Y-%m-%d", cron_schedule="daily")


def test_unknown_key_errors_name_the_key_and_the_valid_range():
    daily = DailyPartitionsDefinition("2024-01-01")
    now = utc(2024, 1, 10)
    with pytest.raises(DagsterUnknownPartitionError) as info:
        daily.validate_partition_key("2023-12-31", current_time=now)
    message = str(info.value)
    assert "2023-12-31" in message and "2024-01-01" in message and "2024-01-09" in message
    with pytest.raises(DagsterUnknownPartitionError, match="garbage"):
        daily.time_window_for_partition_key("garbage")
    daily.validate_partition_key("2024-01-05", current_time=now)


def test_defaults_start_and_end():
    daily = DailyPartitionsDefinition("2024-01-01")
    assert (daily.timezone, daily.fmt, daily.end_offset) == ("UTC", "%Y-%m-%d", 0)
    assert daily.start == utc(2024, 1, 1)
    assert daily.end is None
    assert DailyPartitionsDefinition("2024-01-01", end_date="2024-02-01").end == utc(2024, 2, 1)
    assert DailyPartitionsDefinition("2024-01-01T00:00:00+00:00").start == utc(2024, 1, 1)


def test_daily_where_midnight_is_skipped_starts_at_the_gaps_end():
    # Sao Paulo's DST began at midnight on 2018-11-04: that day starts at 01:00.
    daily = DailyPartitionsDefinition("2018-11-01", timezone="America/Sao_Paulo")
    window = daily.time_window_for_partition_key("2018-11-04")
    assert window.start == utc(2018, 11, 4, 3)  # 01:00 -02:00
    assert hours(window) == 23
    assert hours(daily.time_window_for_partition_key("2018-11-03")) == 24
    assert "2018-11-04" in daily.get_partition_keys(current_time=utc(2018, 11, 7))


@pytest.mark.parametrize("fmt", ["%d/%m/%Y %I%p", "%Y%%%m%d-%H", "%A %d %B %Y, %H:%M", "%y%j.%H"])
def test_bulk_listing_formats_like_strftime(fmt):
    start = datetime(2024, 3, 29)
    hourly = TimeWindowPartitionsDefinition(
        start=start, fmt=fmt, cron_schedule="0 * * * *", timezone="Europe/Berlin"
    )
    keys = hourly.get_partition_keys(current_time=utc(2024, 4, 2))
    first = datetime(2024, 3, 29, tzinfo=BERLIN).timestamp()
    expected = [
        datetime.fromtimestamp(first + 3600 * i, BERLIN).strftime(fmt) for i in range(len(keys))
    ]
    assert keys == expected
    assert all(hourly.has_partition_key(k, current_time=utc(2024, 4, 2)) for k in keys)


def test_pickle_and_copy_keep_the_definition():
    import copy
    import pickle

    for pdef in (
        DailyPartitionsDefinition("2024-01-01", end_date="2024-03-01", timezone="Europe/Berlin"),
        HourlyPartitionsDefinition("2024-11-03-01:00-0800", timezone="America/Los_Angeles"),
        TimeWindowPartitionsDefinition(
            start="2024-01-01", fmt="%Y-%m-%d %H", cron_schedule="0 9 * * 1"
        ),
    ):
        pdef.get_partition_keys(current_time=utc(2024, 2, 1))  # fill the caches first
        for clone in (pickle.loads(pickle.dumps(pdef)), copy.deepcopy(pdef)):
            assert clone == pdef and type(clone) is type(pdef)
            now = utc(2024, 12, 1)
            assert clone.get_partition_keys(current_time=now) == pdef.get_partition_keys(
                current_time=now
            )
