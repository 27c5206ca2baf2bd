"""Backfill planning: runs per partition, range runs, mixed partitioning, filters, errors."""

from __future__ import annotations

import pytest
from benchmarks.backfill_planning import plan_seconds

import assettui as dg
from assettui.automation.backfill_plan import BackfillPlan, anchor_partitions_def, plan_backfill
from assettui.errors import PartitionError, SelectionError
from assettui.model.asset_graph import AssetGraph
from assettui.model.asset_key import AssetKey

DAILY = dg.DailyPartitionsDefinition(start_date="2024-01-01", end_date="2024-03-01")
DAYS = [f"2024-01-{d:02d}" for d in range(1, 8)]  # Monday 1st to Sunday 7th


def _graph(*assets) -> AssetGraph:
    return AssetGraph.from_assets(assets)


def _chain():
    @dg.asset(partitions_def=DAILY)
    def raw():
        return 1

    @dg.asset(partitions_def=DAILY)
    def clean(raw):
        return raw

    @dg.asset(partitions_def=DAILY)
    def report(clean):
        return clean

    return raw, clean, report


def _names(run) -> list[str]:
    return [k.to_user_string() for k in run.asset_keys]


def _check_order(plan: BackfillPlan) -> None:
    for index, run in enumerate(plan.runs):
        assert all(dep < index for dep in run.after)


def test_one_run_per_partition_with_the_chain_in_order() -> None:
    graph = _graph(*_chain())
    plan = plan_backfill(graph, graph.all_asset_keys, DAYS[:3])
    assert [(r.partition_key, _names(r), r.after) for r in plan.runs] == [
        (day, ["raw", "clean", "report"], ()) for day in DAYS[:3]
    ]
    assert len(plan.asset_partitions()) == 9
    assert plan.partition_keys == tuple(DAYS[:3])


def test_unpartitioned_downstream_runs_once_after_every_partition_run() -> None:
    raw, clean, report = _chain()

    @dg.asset
    def summary(report):
        return report

    graph = _graph(raw, clean, report, summary)
    plan = plan_backfill(graph, graph.all_asset_keys, DAYS)
    assert len(plan.runs) == 8
    last = plan.runs[-1]
    assert _names(last) == ["summary"] and last.partition_keys == ()
    assert last.partition_key is None and last.label == "(unpartitioned)"
    assert last.after == tuple(range(7))
    _check_order(plan)


def test_single_run_policy_makes_one_range_run() -> None:
    @dg.asset(partitions_def=DAILY, backfill_policy=dg.BackfillPolicy.single_run())
    def bulk():
        return 1

    @dg.asset(partitions_def=DAILY, backfill_policy=dg.BackfillPolicy.single_run())
    def bulk_child(bulk):
        return bulk

    graph = _graph(bulk, bulk_child)
    plan = plan_backfill(graph, graph.all_asset_keys, DAYS)
    assert len(plan.runs) == 1
    run = plan.runs[0]
    assert run.is_range and run.partition_range == ("2024-01-01", "2024-01-07")
    assert run.partition_key is None and _names(run) == ["bulk", "bulk_child"]


def test_multi_run_policy_chunks_and_gaps_split_ranges() -> None:
    @dg.asset(partitions_def=DAILY, backfill_policy=dg.BackfillPolicy.multi_run(3))
    def chunked():
        return 1

    graph = _graph(chunked)
    plan = plan_backfill(graph, graph.all_asset_keys, DAYS)
    assert [r.partition_range for r in plan.runs] == [
        ("2024-01-01", "2024-01-03"),
        ("2024-01-04", "2024-01-06"),
        ("2024-01-07", "2024-01-07"),
    ]
    # a missing-only filter leaves a gap: ranges never span a partition that is not run
    statuses = {AssetKey("chunked"): {"2024-01-02": "materialized"}}
    plan = plan_backfill(graph, graph.all_asset_keys, DAYS[:4], policy="missing", statuses=statuses)
    assert [r.partition_keys for r in plan.runs] == [("2024-01-01",), ("2024-01-03", "2024-01-04")]


def test_per_partition_then_range_then_per_partition_never_loops() -> None:
    @dg.asset(partitions_def=DAILY)
    def first():
        return 1

    @dg.asset(partitions_def=DAILY, backfill_policy=dg.BackfillPolicy.single_run())
    def middle(first):
        return first

    @dg.asset(partitions_def=DAILY)
    def last(middle):
        return middle

    graph = _graph(first, middle, last)
    plan = plan_backfill(graph, graph.all_asset_keys, DAYS[:3])
    assert [(r.label, _names(r), r.after) for r in plan.runs] == [
        ("2024-01-01", ["first"], ()),
        ("2024-01-02", ["first"], ()),
        ("2024-01-03", ["first"], ()),
        ("2024-01-01...2024-01-03", ["middle"], (0, 1, 2)),
        ("2024-01-01", ["last"], (3,)),
        ("2024-01-02", ["last"], (3,)),
        ("2024-01-03", ["last"], (3,)),
    ]


def test_differently_partitioned_downstream_gets_the_mapped_partitions() -> None:
    weekly = dg.WeeklyPartitionsDefinition(start_date="2024-01-01")

    @dg.asset(partitions_def=DAILY)
    def events():
        return 1

    @dg.asset(partitions_def=weekly)
    def week_rollup(events):
        return events

    graph = _graph(events, week_rollup)
    plan = plan_backfill(graph, graph.all_asset_keys, [*DAYS, "2024-01-08"])
    rollups = [r for r in plan.runs if _names(r) == ["week_rollup"]]
    # Dagster's weekly partitions start on Sunday: the 1st-6th lie in the week of Dec 31st
    # (before the first weekly partition), the 7th and 8th in the week of Jan 7th.
    assert [r.partition_key for r in rollups] == ["2024-01-07"]
    run_index = {r.partition_key: i for i, r in enumerate(plan.runs) if _names(r) == ["events"]}
    assert rollups[0].after == (run_index["2024-01-07"], run_index["2024-01-08"])
    _check_order(plan)


def test_missing_and_failed_filters_use_the_stored_statuses() -> None:
    graph = _graph(*_chain())
    statuses = {
        AssetKey("raw"): {"2024-01-01": "materialized", "2024-01-02": "failed"},
        AssetKey("clean"): {"2024-01-01": "materialized"},
        AssetKey("report"): {"2024-01-01": "materialized", "2024-01-02": "materialized"},
    }
    keys = graph.all_asset_keys
    missing = plan_backfill(graph, keys, DAYS[:3], policy="missing", statuses=statuses)
    assert [(r.partition_key, _names(r)) for r in missing.runs] == [
        ("2024-01-02", ["clean"]),
        ("2024-01-03", ["raw", "clean", "report"]),
    ]
    both = plan_backfill(graph, keys, DAYS[:3], policy="failed_and_missing", statuses=statuses)
    assert [(r.partition_key, _names(r)) for r in both.runs] == [
        ("2024-01-02", ["raw", "clean"]),
        ("2024-01-03", ["raw", "clean", "report"]),
    ]
    done = {k: dict.fromkeys(DAYS, "materialized") for k in keys}
    assert plan_backfill(graph, keys, DAYS, policy="missing", statuses=done).runs == ()


def test_bad_input_gets_a_clear_error() -> None:
    raw, clean, report = _chain()

    @dg.asset
    def plain():
        return 1

    external = dg.AssetSpec("outside")
    graph = _graph(raw, clean, report, plain, external)
    with pytest.raises(PartitionError, match=r"2024-13-01"):
        plan_backfill(graph, [AssetKey("raw")], ["2024-13-01"])
    with pytest.raises(PartitionError, match=r"2023-12-31"):
        plan_backfill(graph, [AssetKey("raw")], ["2023-12-31"])
    with pytest.raises(PartitionError, match=r"plain.*materialize"):
        plan_backfill(graph, [AssetKey("plain")], DAYS)
    with pytest.raises(SelectionError, match="outside"):
        plan_backfill(graph, [AssetKey("outside"), AssetKey("raw")], DAYS)
    with pytest.raises(SelectionError, match="empty"):
        plan_backfill(graph, [], DAYS)
    with pytest.raises(PartitionError, match="policy"):
        plan_backfill(graph, [AssetKey("raw")], DAYS, policy="some")
    assert anchor_partitions_def(graph, [AssetKey("plain"), AssetKey("clean")]) == DAILY


def test_the_plan_survives_its_json_form() -> None:
    raw, clean, report = _chain()

    @dg.asset
    def summary(report):
        return report

    graph = _graph(raw, clean, report, summary)
    plan = plan_backfill(graph, graph.all_asset_keys, DAYS)
    again, extra = BackfillPlan.from_json(plan.to_json(max_concurrent=3), DAYS)
    assert again == plan and extra == {"max_concurrent": 3}


def test_plan_seconds_measures_a_real_plan() -> None:
    assert plan_seconds(n=50) > 0
