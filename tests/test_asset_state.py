"""Asset states for the UI: fresh, stale, missing, failed, queued."""

from __future__ import annotations

import assettui as dg
from assettui.execution.asset_state import asset_states
from assettui.model.records.runs import DagsterRun, DagsterRunStatus


def _assets(code_version: str = "1"):
    @dg.asset(code_version=code_version)
    def up():
        return 1

    @dg.asset
    def down(up):
        return up

    @dg.asset
    def bad():
        raise RuntimeError("no")

    return [up, down, bad]


def _states(assets, instance):
    graph = dg.Definitions(assets=assets).resolve_asset_graph()
    return {k.to_user_string(): s for k, s in asset_states(graph, instance.storage).items()}


def test_missing_then_fresh_then_stale_by_upstream() -> None:
    instance = dg.DagsterInstance.ephemeral()
    assets = _assets()
    assert _states(assets, instance)["down"].status == "missing"
    dg.materialize(assets[:2], instance=instance)
    states = _states(assets, instance)
    assert states["up"].status == "fresh" and states["down"].status == "fresh"
    dg.materialize(assets[:1], instance=instance)
    states = _states(assets, instance)
    assert states["down"].status == "stale"
    assert "upstream up" in states["down"].reason


def test_code_version_change_makes_stale_and_failure_is_failed() -> None:
    instance = dg.DagsterInstance.ephemeral()
    dg.materialize(_assets("1")[:2], instance=instance)
    states = _states(_assets("2"), instance)
    assert states["up"].status == "stale" and "code version" in states["up"].reason
    dg.materialize(_assets()[2:], instance=instance, raise_on_error=False)
    assert _states(_assets(), instance)["bad"].status == "failed"


def test_queued_run_marks_its_assets_queued() -> None:
    instance = dg.DagsterInstance.ephemeral()
    instance.storage.runs.create_run(
        DagsterRun(status=DagsterRunStatus.QUEUED, asset_selection=frozenset({dg.AssetKey("up")}))
    )
    assert _states(_assets(), instance)["up"].status == "queued"


def test_partition_states_materialized_missing_failed_and_stale() -> None:
    from assettui.execution.asset_state import partition_states

    daily = dg.DailyPartitionsDefinition(start_date="2026-01-01", end_date="2026-01-05")

    @dg.asset(partitions_def=daily)
    def up(context):
        if context.partition_key == "2026-01-04":
            raise RuntimeError("bad day")
        return 1

    @dg.asset(partitions_def=daily)
    def down(up):
        return up

    instance = dg.DagsterInstance.ephemeral()
    for day in ("2026-01-01", "2026-01-02"):
        dg.materialize([up, down], partition_key=day, instance=instance)
    dg.materialize([up], partition_key="2026-01-02", instance=instance)
    dg.materialize([up], partition_key="2026-01-04", instance=instance, raise_on_error=False)
    graph = dg.Definitions(assets=[up, down]).resolve_asset_graph()
    keys = daily.get_partition_keys()
    assert partition_states(graph, instance.storage, down.key, keys) == {
        "2026-01-01": "materialized",
        "2026-01-02": "stale",
        "2026-01-03": "missing",
        "2026-01-04": "missing",
    }
    assert partition_states(graph, instance.storage, up.key, keys)["2026-01-04"] == "failed"
