"""Partition mappings, both directions, and Dagster's default choice."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from assettui.errors import DefinitionError, PartitionError
from assettui.model.partitions.definitions import (
    DynamicPartitionsDefinition,
    StaticPartitionsDefinition,
)
from assettui.model.partitions.mapping import (
    AllPartitionMapping,
    DimensionPartitionMapping,
    IdentityPartitionMapping,
    LastPartitionMapping,
    MultiPartitionMapping,
    MultiToSingleDimensionPartitionMapping,
    SpecificPartitionsPartitionMapping,
    StaticPartitionMapping,
    TimeWindowPartitionMapping,
    default_partition_mapping,
    infer_partition_mapping,
)
from assettui.model.partitions.multi import MultiPartitionsDefinition
from assettui.model.partitions.time_window import (
    DailyPartitionsDefinition,
    HourlyPartitionsDefinition,
    WeeklyPartitionsDefinition,
)

NOW = datetime(2024, 2, 1, tzinfo=UTC)
DAILY = DailyPartitionsDefinition("2024-01-01")
HOURLY = HourlyPartitionsDefinition("2024-01-01-00:00")
WEEKLY = WeeklyPartitionsDefinition("2024-01-01")
COLORS = StaticPartitionsDefinition(["red", "green", "blue"])
DAILY_COLORS = MultiPartitionsDefinition({"date": DAILY, "color": COLORS})


def days(first: int, last: int) -> list[str]:
    return [f"2024-01-{d:02d}" for d in range(first, last + 1)]


# -- identity, all, last, specific, static --


def test_identity_same_definition_passes_keys_through():
    mapping = IdentityPartitionMapping()
    assert mapping.get_upstream_partitions_for_partition_keys(["blue", "red"], COLORS, COLORS) == [
        "red",
        "blue",
    ]
    assert mapping.get_downstream_partitions_for_partition_keys(["green"], COLORS, COLORS) == [
        "green"
    ]


def test_identity_between_different_definitions_reports_missing_keys():
    mapping = IdentityPartitionMapping()
    fewer = StaticPartitionsDefinition(["red", "blue"])
    result = mapping.get_upstream_mapped_partitions_result_for_partition_keys(
        ["red", "green"], COLORS, fewer
    )
    assert result.partition_keys == ["red"]
    assert result.required_but_nonexistent_partition_keys == ["green"]
    with pytest.raises(PartitionError, match="green"):
        mapping.get_upstream_partitions_for_partition_keys(["red", "green"], COLORS, fewer)
    assert mapping.get_downstream_partitions_for_partition_keys(
        ["green", "red"], COLORS, fewer
    ) == ["red"]
    with pytest.raises(DefinitionError):
        mapping.validate_partition_mapping(COLORS, DAILY)
    mapping.validate_partition_mapping(DAILY, HOURLY)  # both time windows: allowed


def test_all_partition_mapping():
    mapping = AllPartitionMapping()
    assert mapping.get_upstream_partitions_for_partition_keys(None, None, COLORS) == [
        "red",
        "green",
        "blue",
    ]
    up = mapping.get_upstream_partitions_for_partition_keys(
        ["red"], COLORS, DAILY, current_time=NOW
    )
    assert up == days(1, 31)
    down = mapping.get_downstream_partitions_for_partition_keys(["2024-01-05"], DAILY, COLORS)
    assert down == ["red", "green", "blue"]
    assert mapping.get_downstream_partitions_for_partition_keys([], DAILY, COLORS) == []
    assert mapping.get_downstream_partitions_for_partition_keys(["2024-01-05"], DAILY, None) == []


def test_last_partition_mapping():
    mapping = LastPartitionMapping()
    up = mapping.get_upstream_partitions_for_partition_keys(None, None, DAILY, current_time=NOW)
    assert up == ["2024-01-31"]
    assert mapping.get_downstream_partitions_for_partition_keys(
        ["2024-01-31"], DAILY, COLORS, current_time=NOW
    ) == ["red", "green", "blue"]
    assert (
        mapping.get_downstream_partitions_for_partition_keys(
            ["2024-01-30"], DAILY, COLORS, current_time=NOW
        )
        == []
    )


def test_specific_partitions_mapping():
    mapping = SpecificPartitionsPartitionMapping(["blue", "red"])
    assert mapping.get_upstream_partitions_for_partition_keys(["2024-01-02"], DAILY, COLORS) == [
        "red",
        "blue",
    ]
    assert mapping.get_downstream_partitions_for_partition_keys(
        ["green", "blue"], COLORS, StaticPartitionsDefinition(["x", "y"])
    ) == ["x", "y"]
    assert mapping.get_downstream_partitions_for_partition_keys(["green"], COLORS, COLORS) == []


def test_static_partition_mapping_both_ways():
    up = StaticPartitionsDefinition(["a", "b", "c"])
    down = StaticPartitionsDefinition(["x", "y"])
    mapping = StaticPartitionMapping({"a": ["x", "y"], "b": "y"})
    assert mapping.get_upstream_partitions_for_partition_keys(["y"], down, up) == ["a", "b"]
    assert mapping.get_upstream_partitions_for_partition_keys(["x"], down, up) == ["a"]
    assert mapping.get_downstream_partitions_for_partition_keys(["b", "a"], up, down) == ["x", "y"]
    assert mapping.get_downstream_partitions_for_partition_keys(["c"], up, down) == []
    mapping.validate_partition_mapping(up, down)
    with pytest.raises(PartitionError, match="z"):
        StaticPartitionMapping({"a": "z"}).validate_partition_mapping(up, down)
    with pytest.raises(PartitionError, match="static"):
        mapping.validate_partition_mapping(DAILY, down)
    assert mapping == StaticPartitionMapping({"a": ["x", "y"], "b": "y"})
    assert hash(mapping) == hash(StaticPartitionMapping({"a": ["x", "y"], "b": "y"}))


# -- time windows --


def test_time_window_offsets_daily_to_daily():
    last_week = TimeWindowPartitionMapping(start_offset=-6, end_offset=0)
    up = last_week.get_upstream_partitions_for_partition_keys(
        ["2024-01-10"], DAILY, DAILY, current_time=NOW
    )
    assert up == days(4, 10)
    down = last_week.get_downstream_partitions_for_partition_keys(
        ["2024-01-10"], DAILY, DAILY, current_time=NOW
    )
    assert down == days(10, 16)
    several = last_week.get_upstream_partitions_for_partition_keys(
        ["2024-01-20", "2024-01-10"], DAILY, DAILY, current_time=NOW
    )
    assert several == days(4, 10) + days(14, 20)


def test_offsets_before_the_first_upstream_partition_are_cut_off():
    # As in Dagster: an offset never reaches before the upstream's first partition.
    last_week = TimeWindowPartitionMapping(start_offset=-6)
    up = last_week.get_upstream_partitions_for_partition_keys(
        ["2024-01-03"], DAILY, DAILY, current_time=NOW
    )
    assert up == days(1, 3)
    previous = TimeWindowPartitionMapping(start_offset=-1, end_offset=-1)
    assert (
        previous.get_upstream_partitions_for_partition_keys(
            ["2024-01-01"], DAILY, DAILY, current_time=NOW
        )
        == []
    )
    assert previous.get_upstream_partitions_for_partition_keys(
        ["2024-01-02"], DAILY, DAILY, current_time=NOW
    ) == ["2024-01-01"]


def test_offsets_past_the_last_upstream_partition_are_cut_off():
    tomorrow = TimeWindowPartitionMapping(start_offset=1, end_offset=1)
    assert tomorrow.get_upstream_partitions_for_partition_keys(
        ["2024-01-10"], DAILY, DAILY, current_time=NOW
    ) == ["2024-01-11"]
    assert (
        tomorrow.get_upstream_partitions_for_partition_keys(
            ["2024-01-31"], DAILY, DAILY, current_time=NOW
        )
        == []
    )


def test_downstream_before_upstream_start_is_an_error_unless_allowed():
    later = DailyPartitionsDefinition("2024-01-05")
    mapping = TimeWindowPartitionMapping()
    result = mapping.get_upstream_mapped_partitions_result_for_partition_keys(
        ["2024-01-02", "2024-01-06"], DAILY, later, current_time=NOW
    )
    assert result.partition_keys == ["2024-01-06"]
    assert result.required_but_nonexistent_partition_keys == ["2024-01-02"]
    with pytest.raises(PartitionError, match="2024-01-02"):
        mapping.get_upstream_partitions_for_partition_keys(
            ["2024-01-02"], DAILY, later, current_time=NOW
        )
    lenient = TimeWindowPartitionMapping(allow_nonexistent_upstream_partitions=True)
    assert (
        lenient.get_upstream_partitions_for_partition_keys(
            ["2024-01-02"], DAILY, later, current_time=NOW
        )
        == []
    )


def test_upstream_not_yet_complete_is_missing():
    # A downstream partition whose upstream window has not ended yet depends on a missing key.
    shifted = DailyPartitionsDefinition("2024-01-01", end_offset=1)
    mapping = TimeWindowPartitionMapping()
    result = mapping.get_upstream_mapped_partitions_result_for_partition_keys(
        ["2024-02-01"], shifted, DAILY, current_time=NOW
    )
    assert result.partition_keys == []
    assert result.required_but_nonexistent_partition_keys == ["2024-02-01"]


def test_daily_to_hourly_and_back():
    mapping = TimeWindowPartitionMapping()
    hours = mapping.get_upstream_partitions_for_partition_keys(
        ["2024-01-10"], DAILY, HOURLY, current_time=NOW
    )
    assert len(hours) == 24
    assert hours[0] == "2024-01-10-00:00" and hours[-1] == "2024-01-10-23:00"
    assert mapping.get_upstream_partitions_for_partition_keys(
        ["2024-01-10-05:00"], HOURLY, DAILY, current_time=NOW
    ) == ["2024-01-10"]
    assert mapping.get_downstream_partitions_for_partition_keys(
        ["2024-01-10-05:00"], HOURLY, DAILY, current_time=NOW
    ) == ["2024-01-10"]
    assert (
        len(
            mapping.get_downstream_partitions_for_partition_keys(
                ["2024-01-10"], DAILY, HOURLY, current_time=NOW
            )
        )
        == 24
    )


def test_weekly_to_daily_with_offset_counts_downstream_windows():
    previous_week = TimeWindowPartitionMapping(start_offset=-1, end_offset=-1)
    up = previous_week.get_upstream_partitions_for_partition_keys(
        ["2024-01-14"], WEEKLY, DAILY, current_time=NOW
    )
    assert up == days(7, 13)
    mapping = TimeWindowPartitionMapping()
    assert mapping.get_downstream_partitions_for_partition_keys(
        ["2024-01-09"], DAILY, WEEKLY, current_time=NOW
    ) == ["2024-01-07"]
    # A week not complete at NOW has no downstream partition yet.
    assert (
        mapping.get_downstream_partitions_for_partition_keys(
            ["2024-01-30"], DAILY, WEEKLY, current_time=NOW
        )
        == []
    )


def test_time_window_mapping_validation():
    mapping = TimeWindowPartitionMapping()
    berlin = DailyPartitionsDefinition("2024-01-01", timezone="Europe/Berlin")
    with pytest.raises(PartitionError, match="timezone"):
        mapping.get_upstream_partitions_for_partition_keys(["2024-01-02"], DAILY, berlin)
    with pytest.raises(DefinitionError, match="time-window"):
        mapping.validate_partition_mapping(COLORS, DAILY)
    with pytest.raises(PartitionError, match="partitioned downstream"):
        mapping.get_upstream_partitions_for_partition_keys(None, None, DAILY)
    with pytest.raises(PartitionError, match="start_offset"):
        TimeWindowPartitionMapping(start_offset="-1")  # type: ignore[arg-type]


# -- multi <-> single --


def test_daily_downstream_of_daily_x_static_upstream():
    mapping = MultiToSingleDimensionPartitionMapping()
    up = mapping.get_upstream_partitions_for_partition_keys(
        ["2024-01-02"], DAILY, DAILY_COLORS, current_time=NOW
    )
    assert up == ["red|2024-01-02", "green|2024-01-02", "blue|2024-01-02"]
    down = mapping.get_downstream_partitions_for_partition_keys(
        ["green|2024-01-02", "red|2024-01-02"], DAILY_COLORS, DAILY, current_time=NOW
    )
    assert down == ["2024-01-02"]


def test_daily_x_static_downstream_of_daily_upstream():
    mapping = MultiToSingleDimensionPartitionMapping()
    up = mapping.get_upstream_partitions_for_partition_keys(
        ["red|2024-01-02", "blue|2024-01-03"], DAILY_COLORS, DAILY, current_time=NOW
    )
    assert up == ["2024-01-02", "2024-01-03"]
    down = mapping.get_downstream_partitions_for_partition_keys(
        ["2024-01-02"], DAILY, DAILY_COLORS, current_time=NOW
    )
    assert down == ["red|2024-01-02", "green|2024-01-02", "blue|2024-01-02"]


def test_hourly_against_the_daily_dimension_uses_time_windows():
    mapping = MultiToSingleDimensionPartitionMapping()
    up = mapping.get_upstream_partitions_for_partition_keys(
        ["2024-01-02-05:00"], HOURLY, DAILY_COLORS, current_time=NOW
    )
    assert up == ["red|2024-01-02", "green|2024-01-02", "blue|2024-01-02"]
    down = mapping.get_upstream_partitions_for_partition_keys(
        ["blue|2024-01-02"], DAILY_COLORS, HOURLY, current_time=NOW
    )
    assert len(down) == 24 and down[0] == "2024-01-02-00:00"


def test_static_dimension_mapping():
    mapping = MultiToSingleDimensionPartitionMapping(partition_dimension_name="color")
    up = mapping.get_upstream_partitions_for_partition_keys(
        ["green"], COLORS, DAILY_COLORS, current_time=datetime(2024, 1, 3, tzinfo=UTC)
    )
    assert up == ["green|2024-01-01", "green|2024-01-02"]


def test_multi_to_single_missing_upstream_partitions():
    mapping = MultiToSingleDimensionPartitionMapping()
    later = MultiPartitionsDefinition(
        {"date": DailyPartitionsDefinition("2024-01-05"), "color": COLORS}
    )
    daily = DailyPartitionsDefinition("2024-01-01")
    with pytest.raises(PartitionError, match="do not exist"):
        mapping.get_upstream_partitions_for_partition_keys(
            ["2024-01-02"], daily, later, current_time=NOW
        )


def test_multi_to_single_cannot_relate_unrelated_definitions():
    mapping = MultiToSingleDimensionPartitionMapping()
    with pytest.raises(DefinitionError, match="cannot relate"):
        mapping.validate_partition_mapping(DAILY_COLORS, StaticPartitionsDefinition(["x"]))
    with pytest.raises(DefinitionError, match="exactly one"):
        mapping.validate_partition_mapping(DAILY, DAILY)
    with pytest.raises(DefinitionError, match="no dimension"):
        MultiToSingleDimensionPartitionMapping("nope").validate_partition_mapping(
            DAILY_COLORS, DAILY
        )


def test_multi_partition_mapping_dimension_by_dimension():
    sizes = StaticPartitionsDefinition(["s", "m"])
    up_def = MultiPartitionsDefinition({"date": DAILY, "color": COLORS})
    down_def = MultiPartitionsDefinition({"date": DAILY, "size": sizes})
    mapping = MultiPartitionMapping(
        {"date": DimensionPartitionMapping("date", TimeWindowPartitionMapping(start_offset=-1))}
    )
    up = mapping.get_upstream_partitions_for_partition_keys(
        ["2024-01-03|s"], down_def, up_def, current_time=NOW
    )
    assert up == [
        "red|2024-01-02",
        "red|2024-01-03",
        "green|2024-01-02",
        "green|2024-01-03",
        "blue|2024-01-02",
        "blue|2024-01-03",
    ]
    down = mapping.get_downstream_partitions_for_partition_keys(
        ["red|2024-01-03"], up_def, down_def, current_time=NOW
    )
    assert down == ["2024-01-03|s", "2024-01-03|m", "2024-01-04|s", "2024-01-04|m"]
    with pytest.raises(DefinitionError, match="multi-partitions"):
        mapping.validate_partition_mapping(DAILY, down_def)


# -- default --


def test_default_partition_mapping_follows_dagster():
    assert default_partition_mapping(None, DAILY) == AllPartitionMapping()
    assert default_partition_mapping(DAILY, None) == AllPartitionMapping()
    assert default_partition_mapping(DAILY, DAILY) == TimeWindowPartitionMapping()
    assert default_partition_mapping(DAILY, HOURLY) == TimeWindowPartitionMapping()
    assert default_partition_mapping(COLORS, COLORS) == IdentityPartitionMapping()
    assert (
        default_partition_mapping(DAILY, DAILY_COLORS) == MultiToSingleDimensionPartitionMapping()
    )
    assert (
        default_partition_mapping(DAILY_COLORS, DAILY) == MultiToSingleDimensionPartitionMapping()
    )
    assert (
        default_partition_mapping(COLORS, DAILY_COLORS) == MultiToSingleDimensionPartitionMapping()
    )
    assert default_partition_mapping(DAILY_COLORS, DAILY_COLORS) == IdentityPartitionMapping()
    fruits = DynamicPartitionsDefinition(name="fruits")
    assert default_partition_mapping(fruits, fruits) == IdentityPartitionMapping()
    given = LastPartitionMapping()
    assert infer_partition_mapping(given, DAILY, DAILY) is given
    assert infer_partition_mapping(None, DAILY, DAILY) == TimeWindowPartitionMapping()


def test_default_mapping_daily_upstream_of_unpartitioned_reads_everything():
    mapping = default_partition_mapping(None, DAILY)
    assert mapping.get_upstream_partitions_for_partition_keys(
        None, None, DAILY, current_time=NOW
    ) == days(1, 31)


def test_mappings_are_values():
    assert TimeWindowPartitionMapping(start_offset=-1) == TimeWindowPartitionMapping(
        start_offset=-1
    )
    assert hash(TimeWindowPartitionMapping(-1)) == hash(TimeWindowPartitionMapping(-1))
    assert IdentityPartitionMapping().description.startswith("Each downstream partition")
