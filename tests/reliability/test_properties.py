"""Arbitrary input to the three parsers users feed by hand fails only with our own errors.

Selection strings, partition keys and cron strings come from keyboards (the CLI, the TUI's
filter, a definitions file). Whatever is typed, the library either accepts it or raises its
own error type (an ``AssettuiError`` subclass with a message) — never a ``KeyError``,
``ValueError`` or ``IndexError`` from deep inside. ``tests/test_selection_properties.py``
and ``tests/test_partitions_properties.py`` check what valid input means; this file only
checks how invalid input fails, across all three.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import assettui as dg
from assettui.automation.cron import next_tick, previous_tick, ticks_between, validate_cron
from assettui.errors import (
    AssettuiError,
    DefinitionError,
    PartitionError,
    ScheduleError,
    SelectionError,
)
from assettui.model.asset_graph import AssetGraph
from assettui.model.selection.asset_selection import AssetSelection

SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def expect_only(errors: tuple[type[BaseException], ...], fn, *args, **kwargs):
    """Call ``fn``; an error must be one of ``errors`` and carry a message."""
    try:
        return fn(*args, **kwargs)
    except errors as exc:
        assert str(exc).strip(), f"{type(exc).__name__} without a message"
        assert isinstance(exc, AssettuiError)
        return None


# ---- selection strings ---------------------------------------------------------------------


def _graph() -> AssetGraph:
    @dg.asset(group_name="raw", tags={"tier": "gold"}, kinds={"polars"}, key_prefix=["lake"])
    def orders():
        return 1

    @dg.asset(group_name="marts", owners=["team:data"])
    def revenue(orders):
        return orders

    @dg.asset_check(asset=revenue)
    def revenue_positive():
        return dg.AssetCheckResult(passed=True)

    ext = dg.AssetSpec("external/feed")
    return dg.Definitions(
        assets=[orders, revenue, ext], asset_checks=[revenue_positive]
    ).resolve_asset_graph()


GRAPH = _graph()

# Fragments of the grammar, broken on purpose: unbalanced quotes and parentheses, operators
# in the wrong place, depth prefixes without an operand, escapes, odd Unicode.
SELECTION_PIECES = st.sampled_from(
    [
        "key:",
        "group:",
        "tag:",
        "kind:",
        "owner:",
        "code_location:",
        "status:",
        '"',
        "'",
        "(",
        ")",
        "*",
        "+",
        "2+",
        "+3",
        "1",
        "999999999999999999999",
        " and ",
        " or ",
        " not ",
        "and",
        "or",
        "not",
        "roots(",
        "sinks(",
        ",",
        "=",
        "lake/orders",
        "revenue",
        '"lake/orders"',
        "external/feed",
        "\\",
        '\\"',
        "/",
        "é",
        "\u200b",
        "\x00",
        "\n",
        "\t",
        "key:*",
        "tag:tier=gold",
        "-",
        "|",
        "&",
    ]
)


@SETTINGS
@given(st.one_of(st.lists(SELECTION_PIECES, max_size=10).map("".join), st.text(max_size=30)))
def test_selection_text_parses_and_resolves_or_raises_selection_error(text: str) -> None:
    selection = expect_only((SelectionError,), AssetSelection.from_string, text)
    if selection is None:
        return
    keys = expect_only((SelectionError,), selection.resolve, GRAPH)
    if keys is not None:
        assert keys <= GRAPH.all_asset_keys
    expect_only((SelectionError,), selection.resolve_checks, GRAPH)
    # the combinators built on a parsed selection resolve the same way
    expect_only((SelectionError,), selection.upstream(depth=1).resolve, GRAPH)
    expect_only((SelectionError,), (selection - AssetSelection.all()).resolve, GRAPH)


@SETTINGS
@given(
    st.lists(
        st.one_of(
            st.text(max_size=12),
            st.lists(st.text(max_size=6), max_size=3),
            st.sampled_from(["lake/orders", "revenue", "external/feed", ""]),
        ),
        max_size=4,
    )
)
def test_key_lists_resolve_or_raise_selection_error(keys: list) -> None:
    """``materialize(selection=[...])`` with keys that may not exist."""
    selection = expect_only((SelectionError, DefinitionError), AssetSelection.from_coercible, keys)
    if selection is not None:
        expect_only((SelectionError,), selection.resolve, GRAPH)


# ---- partition keys ------------------------------------------------------------------------

PARTITIONS_DEFS = {
    "daily": dg.DailyPartitionsDefinition(start_date="2024-01-01", end_date="2024-03-01"),
    "hourly-berlin": dg.HourlyPartitionsDefinition(
        start_date="2024-03-30-00:00", end_date="2024-04-02-00:00", timezone="Europe/Berlin"
    ),
    "weekly": dg.WeeklyPartitionsDefinition(start_date="2024-01-07", end_offset=1),
    "monthly": dg.MonthlyPartitionsDefinition(start_date="2023-01-01", end_date="2024-06-01"),
    "custom-fmt": dg.TimeWindowPartitionsDefinition(
        cron_schedule="30 6 * * 1-5", start="20240102", fmt="%Y%m%d", end="20240301"
    ),
    "static": dg.StaticPartitionsDefinition(["us", "eu", "a|b"]),
    "multi": dg.MultiPartitionsDefinition(
        {
            "date": dg.DailyPartitionsDefinition(start_date="2024-01-01", end_date="2024-01-05"),
            "region": dg.StaticPartitionsDefinition(["us", "eu"]),
        }
    ),
}

# Near-misses of real keys: wrong separators, impossible dates, DST gaps, padding, junk.
KEY_TEXT = st.one_of(
    st.sampled_from(
        [
            "2024-01-01",
            "2024-02-30",
            "2024-13-01",
            "2024-1-1",
            " 2024-01-01",
            "2024-01-01 ",
            "2024-03-31-02:00",
            "2024-03-31-03:00",
            "2024-03-31-25:00",
            "2024-01-07",
            "2024-01-08",
            "2023-02-01",
            "20240102",
            "20240106",
            "99999999",
            "0000-00-00",
            "us",
            "eu",
            "a|b",
            "2024-01-01|us",
            "us|2024-01-01",
            "2024-01-01|",
            "|",
            "9999-12-31",
            "0001-01-01",
            "",
            "..",
            "../x",
            "\x00",
            "2024-01-01\x00",
            "\uff11\uff19\uff19\uff19-01-01",  # full-width digits
            "2024-01-01T00:00:00",
            "-1",
            "1e9",
        ]
    ),
    st.text(max_size=20),
    st.dates().map(lambda d: d.isoformat()),
    st.datetimes().map(lambda d: d.strftime("%Y-%m-%d-%H:%M")),
)


def _window(pdef, key):
    return pdef.time_window_for_partition_key(key)


def _range(pdef, start, end):
    return pdef.get_partition_keys_in_range(dg.PartitionKeyRange(start, end))


@SETTINGS
@given(st.sampled_from(sorted(PARTITIONS_DEFS)), KEY_TEXT, KEY_TEXT)
def test_partition_keys_parse_or_raise_partition_error(name: str, key: str, other: str) -> None:
    pdef = PARTITIONS_DEFS[name]
    now = datetime(2024, 6, 1, tzinfo=UTC)
    has = pdef.has_partition_key(key, current_time=now)
    assert isinstance(has, bool)
    expect_only((PartitionError,), pdef.validate_partition_key, key, current_time=now)
    expect_only((PartitionError,), _range, pdef, key, other)
    expect_only((PartitionError,), pdef.get_tags_for_partition_key, key)
    if hasattr(pdef, "time_window_for_partition_key"):
        expect_only((PartitionError,), _window, pdef, key)
    if hasattr(pdef, "partition_index"):
        expect_only((PartitionError,), pdef.partition_index, key)
    if hasattr(pdef, "get_partition_key_from_str"):
        expect_only((PartitionError,), pdef.get_partition_key_from_str, key)


@SETTINGS
@given(
    st.one_of(st.text(max_size=12), st.sampled_from(["2024-01-01", "2024/01/01", "", "1.5"])),
    st.one_of(st.none(), st.text(max_size=12), st.sampled_from(["2023-01-01", "2024-13-01"])),
    st.sampled_from(["UTC", "Europe/Berlin", "Mars/Olympus", "", "utc", "../etc/passwd"]),
    st.sampled_from(["%Y-%m-%d", "%Y%m%d", "%d", "", "%Q", "x"]),
)
def test_partitions_definitions_build_or_raise_our_error(
    start: str, end: str | None, timezone: str, fmt: str
) -> None:
    """Bad start/end dates, timezones and formats in a definitions file."""
    pdef = expect_only(
        (PartitionError, DefinitionError),
        dg.TimeWindowPartitionsDefinition,
        cron_schedule="0 0 * * *",
        start=start,
        end=end,
        timezone=timezone,
        fmt=fmt,
    )
    if pdef is not None:
        now = datetime(2025, 1, 1, tzinfo=UTC)
        expect_only((PartitionError,), pdef.get_partition_keys, current_time=now)


# ---- cron strings --------------------------------------------------------------------------

CRON_FIELD = st.one_of(
    st.sampled_from(
        [
            "*",
            "0",
            "59",
            "60",
            "61",
            "-1",
            "*/5",
            "*/0",
            "1-5",
            "5-1",
            "1,2,3",
            "L",
            "W",
            "15W",
            "5#3",
            "MON",
            "mon-fri",
            "JAN",
            "FEB-DEC",
            "?",
            "H",
            "H/5",
            "0-59/15",
            "31",
            "32",
            "0x1",
            "1.5",
            ",",
            "--",
            "**",
            "",
            "7",
            "SUN-SAT",
            "1-7/2",
            "L-2",
        ]
    ),
    st.text(alphabet="0123456789*/,-LW#?HMONTUEWDFRISAJ", min_size=1, max_size=6),
)
CRON_TEXT = st.one_of(
    st.lists(CRON_FIELD, min_size=0, max_size=7).map(" ".join),
    st.sampled_from(["@daily", "@hourly", "@reboot", "@every 5m", "@", "  ", "0 0 31 2 *"]),
    st.text(max_size=25),
)
TIMEZONES = st.sampled_from(
    ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Nowhere/City", ""]
)


@SETTINGS
@given(CRON_TEXT, TIMEZONES)
def test_cron_strings_build_a_schedule_or_raise_schedule_error(cron: str, tz: str) -> None:
    schedule = expect_only(
        (ScheduleError, DefinitionError),
        dg.ScheduleDefinition,
        name="s",
        target="*",
        cron_schedule=cron,
        execution_timezone=tz,
    )
    checked = expect_only((ScheduleError,), validate_cron, cron, tz or "UTC")
    if schedule is None:
        return
    # a schedule that was accepted can always be evaluated: the next tick, the previous
    # one, a day of ticks (an impossible date like Feb 31 raises our error, not croniter's)
    start = datetime(2024, 3, 30, 12, tzinfo=UTC)
    tz_name = tz or "UTC"
    expect_only((ScheduleError,), next_tick, cron, tz_name, start)
    expect_only((ScheduleError,), previous_tick, cron, tz_name, start)
    expect_only(
        (ScheduleError,), ticks_between, cron, tz_name, start, datetime(2024, 4, 1, tzinfo=UTC)
    )
    assert checked is None


@pytest.mark.parametrize("cron", ["61 * * * *", "* * * *", "every day", "@reboot", "H * * * *"])
def test_known_bad_cron_strings_are_schedule_errors(cron: str) -> None:
    """The shapes hypothesis finds first, kept as plain examples."""
    with pytest.raises(ScheduleError, match="cron"):
        dg.ScheduleDefinition(name="s", target="*", cron_schedule=cron)


def test_a_date_that_never_occurs_fails_when_evaluated() -> None:
    """Feb 31 is valid cron syntax (Dagster accepts it too); evaluating it says why it fails."""
    dg.ScheduleDefinition(name="s", target="*", cron_schedule="0 0 31 2 *")
    with pytest.raises(ScheduleError, match="does its date ever occur"):
        next_tick("0 0 31 2 *", "UTC", datetime(2024, 1, 1, tzinfo=UTC))
