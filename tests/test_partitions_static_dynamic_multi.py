"""Static, dynamic and multi-dimensional partitions definitions."""

from __future__ import annotations

import pickle
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from assettui.errors import DagsterUnknownPartitionError, DefinitionError, PartitionError
from assettui.model.partitions.definitions import (
    AddDynamicPartitionsRequest,
    DeleteDynamicPartitionsRequest,
    DeletePartitionsRequest,
    DynamicPartitionsDefinition,
    DynamicPartitionsStore,
    PartitionKeyRange,
    StaticPartitionsDefinition,
    TimeWindow,
)
from assettui.model.partitions.multi import MultiPartitionKey, MultiPartitionsDefinition
from assettui.model.partitions.time_window import (
    DailyPartitionsDefinition,
    HourlyPartitionsDefinition,
)


class MemoryStore:
    """A dynamic partitions store kept in a dict, as the instance will keep it in SQLite."""

    def __init__(self, **keys: Sequence[str]):
        self.keys = {name: list(values) for name, values in keys.items()}

    def get_dynamic_partitions(self, partitions_def_name: str) -> Sequence[str]:
        return list(self.keys.get(partitions_def_name, []))

    def has_dynamic_partition(self, partitions_def_name: str, partition_key: str) -> bool:
        return partition_key in self.keys.get(partitions_def_name, [])


NOW = datetime(2024, 1, 4, tzinfo=UTC)
COLORS = StaticPartitionsDefinition(["red", "green", "blue"])
DAILY = DailyPartitionsDefinition("2024-01-01")


# -- static --


def test_static_keys_lookup_and_range():
    oceans = StaticPartitionsDefinition(["arctic", "atlantic", "indian", "pacific"])
    assert oceans.get_partition_keys() == ["arctic", "atlantic", "indian", "pacific"]
    assert oceans.get_num_partitions() == 4
    assert oceans.get_first_partition_key() == "arctic"
    assert oceans.get_last_partition_key() == "pacific"
    assert oceans.has_partition_key("indian")
    assert not oceans.has_partition_key("southern")
    assert oceans.get_partition_keys_in_range(PartitionKeyRange("atlantic", "pacific")) == [
        "atlantic",
        "indian",
        "pacific",
    ]
    with pytest.raises(DagsterUnknownPartitionError, match="southern"):
        oceans.get_partition_keys_in_range(PartitionKeyRange("arctic", "southern"))
    assert oceans.get_tags_for_partition_key("indian") == {"dagster/partition": "indian"}


def test_static_list_returned_is_a_copy():
    keys = COLORS.get_partition_keys()
    keys.append("purple")
    assert COLORS.get_partition_keys() == ["red", "green", "blue"]


def test_static_equality_by_value():
    assert StaticPartitionsDefinition(["a", "b"]) == StaticPartitionsDefinition(("a", "b"))
    assert hash(StaticPartitionsDefinition(["a", "b"])) == hash(
        StaticPartitionsDefinition(["a", "b"])
    )
    assert StaticPartitionsDefinition(["a", "b"]) != StaticPartitionsDefinition(["b", "a"])


@pytest.mark.parametrize(
    ("keys", "needle"),
    [
        (["a", "b", "a"], "unique"),
        (["a", 1], "strings"),
        (["a...b"], "..."),
        (["line\nbreak"], "contains"),
        ("abc", "list"),
    ],
)
def test_static_rejects_bad_keys(keys, needle):
    with pytest.raises(PartitionError, match=needle) as info:
        StaticPartitionsDefinition(keys)
    assert isinstance(info.value, DefinitionError)


def test_validate_partition_key_names_the_key_and_examples():
    with pytest.raises(DagsterUnknownPartitionError) as info:
        COLORS.validate_partition_key("purple")
    assert "purple" in str(info.value) and "'red'" in str(info.value)
    COLORS.validate_partition_key("red")


# -- dynamic --


def test_dynamic_keys_come_from_the_store():
    fruits = DynamicPartitionsDefinition(name="fruits")
    store = MemoryStore(fruits=["apple", "banana"])
    assert isinstance(store, DynamicPartitionsStore)
    assert fruits.get_partition_keys(dynamic_partitions_store=store) == ["apple", "banana"]
    assert fruits.has_partition_key("apple", dynamic_partitions_store=store)
    assert not fruits.has_partition_key("cherry", dynamic_partitions_store=store)
    assert fruits.get_num_partitions(dynamic_partitions_store=store) == 2
    assert fruits.get_last_partition_key(dynamic_partitions_store=store) == "banana"
    store.keys["fruits"].append("cherry")
    assert fruits.get_partition_keys(dynamic_partitions_store=store)[-1] == "cherry"


def test_dynamic_without_store_says_what_to_pass():
    with pytest.raises(PartitionError, match="dynamic_partitions_store"):
        DynamicPartitionsDefinition(name="fruits").get_partition_keys()


def test_dynamic_requests():
    fruits = DynamicPartitionsDefinition(name="fruits")
    assert fruits.build_add_request(["apple"]) == AddDynamicPartitionsRequest("fruits", ["apple"])
    delete = fruits.build_delete_request(["apple"])
    assert delete == DeleteDynamicPartitionsRequest("fruits", ["apple"])
    assert DeletePartitionsRequest is DeleteDynamicPartitionsRequest
    with pytest.raises(PartitionError, match=r"\.\.\."):
        fruits.build_add_request(["a...b"])


def test_dynamic_validation_and_equality():
    with pytest.raises(PartitionError, match="exactly one"):
        DynamicPartitionsDefinition()
    assert DynamicPartitionsDefinition(name="a") == DynamicPartitionsDefinition(name="a")
    assert DynamicPartitionsDefinition(name="a") != DynamicPartitionsDefinition(name="b")
    store = MemoryStore(fruits=["apple"])
    with pytest.raises(DagsterUnknownPartitionError, match="add_dynamic_partitions"):
        DynamicPartitionsDefinition(name="fruits").validate_partition_key(
            "pear", dynamic_partitions_store=store
        )


def test_dynamic_partition_fn():
    legacy = DynamicPartitionsDefinition(partition_fn=lambda now: ["x", "y"])
    assert legacy.get_partition_keys() == ["x", "y"]
    assert legacy.has_partition_key("y")


# -- multi --


def test_multi_partition_key_is_a_string_ordered_by_dimension_name():
    key = MultiPartitionKey({"date": "2024-01-01", "color": "red"})
    assert key == "red|2024-01-01"
    assert isinstance(key, str)
    assert key.keys_by_dimension == {"color": "red", "date": "2024-01-01"}
    assert [d.dimension_name for d in key.dimension_keys] == ["color", "date"]
    assert pickle.loads(pickle.dumps(key)).keys_by_dimension == key.keys_by_dimension
    assert {key: 1}["red|2024-01-01"] == 1


def test_multi_keys_are_the_product_in_dimension_name_order():
    multi = MultiPartitionsDefinition({"date": DAILY, "color": COLORS})
    assert multi.partition_dimension_names == ["color", "date"]
    keys = multi.get_partition_keys(current_time=NOW)
    assert keys[:4] == ["red|2024-01-01", "red|2024-01-02", "red|2024-01-03", "green|2024-01-01"]
    assert len(keys) == 9 == multi.get_num_partitions(current_time=NOW)
    assert all(isinstance(k, MultiPartitionKey) for k in keys)
    assert keys[0].keys_by_dimension == {"color": "red", "date": "2024-01-01"}


def test_multi_lookup_and_parsing():
    multi = MultiPartitionsDefinition({"date": DAILY, "color": COLORS})
    assert multi.has_partition_key("blue|2024-01-02", current_time=NOW)
    assert not multi.has_partition_key("blue|2024-01-09", current_time=NOW)
    assert not multi.has_partition_key("purple|2024-01-02", current_time=NOW)
    assert not multi.has_partition_key("blue", current_time=NOW)
    parsed = multi.get_partition_key_from_str("green|2024-01-03")
    assert parsed.keys_by_dimension == {"color": "green", "date": "2024-01-03"}
    with pytest.raises(PartitionError, match="one value per dimension"):
        multi.get_partition_key_from_str("a|b|c")
    with pytest.raises(DagsterUnknownPartitionError, match="purple"):
        multi.validate_partition_key("purple|2024-01-02", current_time=NOW)


def test_multi_time_dimension_helpers():
    multi = MultiPartitionsDefinition({"date": DAILY, "color": COLORS})
    assert multi.has_time_window_dimension
    assert multi.time_window_dimension.name == "date"
    assert multi.time_window_partitions_def == DAILY
    assert multi.primary_dimension.name == "date"
    assert multi.secondary_dimension.name == "color"
    assert multi.get_partitions_def_for_dimension("color") == COLORS
    assert multi.time_window_for_partition_key("red|2024-01-02") == TimeWindow(
        datetime(2024, 1, 2, tzinfo=UTC), datetime(2024, 1, 3, tzinfo=UTC)
    )
    static_only = MultiPartitionsDefinition({"a": COLORS, "b": StaticPartitionsDefinition(["x"])})
    assert not static_only.has_time_window_dimension
    with pytest.raises(PartitionError):
        static_only.time_window_partitions_def  # noqa: B018


def test_multi_range_tags_and_dimension_value():
    multi = MultiPartitionsDefinition({"date": DAILY, "color": COLORS})
    in_range = multi.get_partition_keys_in_range(
        PartitionKeyRange("red|2024-01-01", "green|2024-01-02")
    )
    assert in_range == ["red|2024-01-01", "red|2024-01-02", "green|2024-01-01", "green|2024-01-02"]
    assert multi.get_tags_for_partition_key("red|2024-01-01") == {
        "dagster/partition": "red|2024-01-01",
        "dagster/partition/color": "red",
        "dagster/partition/date": "2024-01-01",
    }
    with_red = multi.get_multipartition_keys_with_dimension_value("color", "red", current_time=NOW)
    assert with_red == ["red|2024-01-01", "red|2024-01-02", "red|2024-01-03"]


def test_multi_with_dynamic_dimension():
    fruits = DynamicPartitionsDefinition(name="fruits")
    multi = MultiPartitionsDefinition({"fruit": fruits, "color": COLORS})
    store = MemoryStore(fruits=["apple"])
    keys = multi.get_partition_keys(dynamic_partitions_store=store)
    assert keys == ["red|apple", "green|apple", "blue|apple"]
    assert multi.has_partition_key("red|apple", dynamic_partitions_store=store)


def test_multi_equality():
    a = MultiPartitionsDefinition({"date": DAILY, "color": COLORS})
    b = MultiPartitionsDefinition(
        {"color": COLORS, "date": DailyPartitionsDefinition("2024-01-01")}
    )
    assert a == b and hash(a) == hash(b)
    assert a != MultiPartitionsDefinition({"day": DAILY, "color": COLORS})


@pytest.mark.parametrize(
    ("dims", "needle"),
    [
        ({"a": COLORS}, "exactly two"),
        ({"a": COLORS, "b": DAILY, "c": StaticPartitionsDefinition(["x"])}, "exactly two"),
        ({"a": COLORS, "b": StaticPartitionsDefinition(["x|y"])}, "x|y"),
        ({"a": COLORS, "b": StaticPartitionsDefinition(["x,y"])}, "x,y"),
        ({"a": COLORS, "b": DynamicPartitionsDefinition(partition_fn=lambda t: [])}, "name"),
        (
            {"a": COLORS, "b": MultiPartitionsDefinition({"c": COLORS, "d": DAILY})},
            "static, dynamic or time-window",
        ),
    ],
)
def test_multi_rejects_bad_dimensions(dims, needle):
    with pytest.raises(PartitionError, match=needle.replace("|", r"\|")) as info:
        MultiPartitionsDefinition(dims)
    assert isinstance(info.value, DefinitionError)


def test_multi_two_time_dimensions_have_no_single_time_dimension():
    multi = MultiPartitionsDefinition(
        {"day": DAILY, "hour": HourlyPartitionsDefinition("2024-01-01")}
    )
    assert multi.has_time_window_dimension
    with pytest.raises(PartitionError, match="time-window dimensions"):
        multi.time_window_dimension  # noqa: B018
