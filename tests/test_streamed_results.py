"""A multi-asset yielding its assets one by one has each recorded as it is yielded (as
Dagster does): later work in the same step already sees the earlier materializations, and a
failure after them fails only what was not yet recorded."""

from __future__ import annotations

from assettui.execution.launcher import RunLauncher
from assettui.model.asset_key import AssetKey
from assettui.model.records.events import DagsterEventType as E
from assettui.model.records.runs import DagsterRunStatus
from assettui.project import find_project, resolve_home

PROJECT = """
import assettui as dg


@dg.multi_asset(specs=[dg.AssetSpec("first", skippable=True), dg.AssetSpec("second", skippable=True), dg.AssetSpec("third", skippable=True)])
def staged(context):
    yield dg.MaterializeResult(asset_key="first")
    seen = None
    for _ in range(100):  # the run's own instance already has it, while the step still runs
        seen = context.instance.get_latest_materialization_event(dg.AssetKey("first"))
        if seen is not None:
            break
        time.sleep(0.05)
    yield dg.MaterializeResult(asset_key="second", metadata={"saw_first": seen is not None})
    raise RuntimeError("third could not be built")


defs = dg.Definitions(assets=[staged])
"""


def test_yielded_assets_are_recorded_as_they_come_and_kept_on_failure(write_project) -> None:
    target = find_project(write_project(PROJECT))
    launcher = RunLauncher(resolve_home(target, None), target)
    run_id = launcher.launch([AssetKey("first"), AssetKey("second"), AssetKey("third")])
    run = launcher.wait(run_id, timeout=60)
    assert run is not None and run.status is DagsterRunStatus.FAILURE
    events = launcher.storage.event_log.run_events(run_id)
    materialized = [e.asset_key for e in events if e.event_type is E.ASSET_MATERIALIZATION]
    assert materialized == [AssetKey("first"), AssetKey("second")]
    second = next(
        e
        for e in events
        if e.event_type is E.ASSET_MATERIALIZATION and e.asset_key == AssetKey("second")
    )
    assert second.payload["metadata"]["saw_first"]["value"] is True
    failed = {e.asset_key for e in events if e.event_type is E.ASSET_FAILED_TO_MATERIALIZE}
    assert failed == {AssetKey("third")}
