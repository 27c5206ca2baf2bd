"""SVG snapshots of the main screen at 120x40 and 80x24.

Update them after an intended change with ``pytest tests/tui/test_snapshots.py --snapshot-update``
and look at the SVGs under ``tests/tui/__snapshots__/`` before committing.
"""

from __future__ import annotations

import pytest
from tests.tui.conftest import wait_loaded, wait_until

from assettui.model.asset_key import AssetKey
from assettui.tui.widgets.asset_graph import AssetGraph


def _ready(select: str | None = None, keys: tuple[str, ...] = ()):
    async def run_before(pilot) -> None:
        app = pilot.app
        await wait_loaded(pilot, app)
        await wait_until(pilot, lambda: len(app.states) == 4)
        await wait_until(pilot, lambda: app.query_one("#details").data is not None)
        if select:
            app.query_one(AssetGraph).select(AssetKey(select))
            await wait_until(pilot, lambda: app.query_one("#details").data is not None)
        if keys:
            await pilot.press(*keys)
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
def test_main_screen(snap_compare, make_app, size):
    assert snap_compare(make_app(), terminal_size=size, run_before=_ready("clean_orders"))


def test_help_screen(snap_compare, make_app):
    assert snap_compare(
        make_app(), terminal_size=(80, 24), run_before=_ready(keys=("question_mark",))
    )


def test_load_error_panel(snap_compare, make_app, project_dir):
    (project_dir / "definitions.py").write_text("import assettui as dg\n\ndefs = dg.Definitions(\n")

    async def run_before(pilot) -> None:
        await wait_loaded(pilot, pilot.app)

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=run_before)


RUN_ID = "5e1f00d2-0000-4000-8000-000000000001"
T0 = 1_767_261_600.0  # 2026-01-01 10:00 UTC: fixed, so the snapshot is too


def _stored_run(home) -> None:
    from assettui.model.records.events import DagsterEventType as E
    from assettui.storage import DagsterRun, DagsterRunStatus, NewEvent, Storage

    steps = (("raw_orders", 0.0, 1.5), ("clean_orders", 1.5, 4.0), ("orders_report", 4.0, 4.6))
    with Storage(home) as storage:
        storage.runs.create_run(
            DagsterRun(
                run_id=RUN_ID,
                status=DagsterRunStatus.SUCCESS,
                asset_selection=frozenset(AssetKey(s) for s, _, _ in steps),
                tags={"assettui/launched_by": "ui", "team": "shop"},
                run_config={"ops": {"clean_orders": {"config": {"threshold": 3}}}},
                started_at=T0,
                ended_at=T0 + 4.8,
            )
        )
        events = [NewEvent(RUN_ID, E.RUN_START, "Started run.", "DEBUG", timestamp=T0)]
        for step, start, end in steps:
            events += [
                NewEvent(RUN_ID, E.STEP_START, f"Started {step}.", "DEBUG", step, timestamp=T0 + start),
                NewEvent(RUN_ID, E.STEP_SUCCESS, f"Finished {step}.", "DEBUG", step, timestamp=T0 + end),
            ]  # fmt: skip
        events.append(NewEvent(RUN_ID, E.RUN_SUCCESS, "The run finished.", timestamp=T0 + 4.8))
        storage.event_log.store_events(events)


@pytest.mark.parametrize("size", [(160, 48), (80, 24)], ids=["160x48", "80x24"])
def test_run_detail_with_its_step_timeline(snap_compare, make_app, home, size):
    from assettui.tui.screens.run_detail import RunDetailScreen

    _stored_run(home)

    async def run_before(pilot) -> None:
        app = pilot.app
        await wait_loaded(pilot, app)
        app.push_screen(RunDetailScreen(app.storage, app.launcher, RUN_ID))
        await wait_until(pilot, lambda: getattr(app.screen, "data", None) is not None)
        await wait_until(pilot, lambda: len(app.screen.query_one("#run-log").log_lines.lines) > 5)
        await pilot.pause(0.3)

    assert snap_compare(make_app(), terminal_size=size, run_before=run_before)


def _stored_check_evaluations(home) -> None:
    from assettui.model.metadata.values import metadata_to_json, normalize_metadata
    from assettui.model.records.events import DagsterEventType as E
    from assettui.storage import DagsterRun, DagsterRunStatus, NewEvent, Storage

    with Storage(home) as storage:
        storage.runs.create_run(DagsterRun(run_id=RUN_ID, status=DagsterRunStatus.SUCCESS))
        events = [
            NewEvent(
                RUN_ID, E.ASSET_CHECK_EVALUATION, f"Check {name}", step_key=name,
                asset_key=AssetKey("orders"), timestamp=T0 + offset,
                payload={"check_name": name, "passed": passed, "severity": "ERROR",
                         "metadata": metadata_to_json(normalize_metadata(metadata))},
            )
            for name, passed, metadata, offset in (
                ("orders_complete", True, {"rows": 3}, 0.0),
                ("orders_small", False, {"largest": 3}, 1.0),
                ("orders_complete", False, {"rows": 2}, 60.0),
            )
        ]  # fmt: skip
        storage.event_log.store_events(events)


@pytest.mark.parametrize("size", [(160, 48), (80, 24)], ids=["160x48", "80x24"])
def test_checks_screen(snap_compare, make_app, home, project_dir, size):
    from tests.tui.test_checks_screen import CHECKED

    (project_dir / "definitions.py").write_text(CHECKED)
    _stored_check_evaluations(home)

    async def run_before(pilot) -> None:
        app = pilot.app
        await wait_loaded(pilot, app)
        app.query_one(AssetGraph).select(AssetKey("orders"))
        app.action_checks()
        await wait_until(pilot, lambda: bool(getattr(app.screen, "data", None)
                                             and app.screen.data.history))  # fmt: skip
        await pilot.pause(0.3)

    assert snap_compare(make_app(), terminal_size=size, run_before=run_before)


def test_main_screen_with_runs_and_log_at_160x48(snap_compare, make_app, home):
    _stored_run(home)
    assert snap_compare(
        make_app(), terminal_size=(160, 48), run_before=_ready("clean_orders", keys=("r",))
    )
