"""Backfill from the app: select a partition range, `b`, the dialog counts the runs, and the
embedded scheduler thread drives the stored backfill through real worker processes."""

from __future__ import annotations

import pytest
from tests.tui.conftest import wait_loaded, wait_until

from assettui.automation.backfill import get_backfill_progress
from assettui.storage import BulkActionStatus, DagsterRunStatus, RunsFilter
from assettui.tui.app import AssetTuiApp
from assettui.tui.screens.backfill_dialog import BackfillDialog
from assettui.tui.widgets.partition_calendar import PartitionCalendar

PARTITIONED = """
import assettui as dg


@dg.asset(partitions_def=dg.DailyPartitionsDefinition(start_date="2026-01-01", end_date="2026-01-08"))
def daily_orders(context):
    return context.partition_key


defs = dg.Definitions(assets=[daily_orders])
"""


@pytest.mark.slow
async def test_range_backfill_runs_through_the_engine(project_dir, target, home):
    (project_dir / "definitions.py").write_text(PARTITIONED)
    app = AssetTuiApp(target, home, run_scheduler=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_loaded(pilot, app)
        await pilot.press("p")
        await wait_until(pilot, lambda: bool(app.screen.query(PartitionCalendar)))
        calendar = app.screen.query_one(PartitionCalendar)
        await wait_until(pilot, lambda: calendar.loaded)
        assert calendar.cursor_key == "2026-01-07"
        await pilot.press("shift+left", "shift+left")
        assert calendar.selected_keys == ["2026-01-05", "2026-01-06", "2026-01-07"]

        await pilot.press("b")
        dialog = app.screen
        assert isinstance(dialog, BackfillDialog)
        await wait_until(pilot, lambda: dialog.plans is not None)
        assert "exactly 3 runs" in str(dialog.query_one("#backfill-count").render())
        await pilot.press("enter")
        await wait_until(pilot, lambda: bool(app.storage.backfills.list_backfills()))
        backfill_id = app.storage.backfills.list_backfills()[0].backfill_id

        # The scheduler thread creates the runs, the run queue starts their workers.
        await wait_until(
            pilot,
            lambda: get_backfill_progress(app.storage, backfill_id).is_finished,
            deadline=90,
        )
        record = app.storage.backfills.get_backfill(backfill_id)
        assert record is not None and record.status is BulkActionStatus.COMPLETED
        runs = app.storage.runs.list_runs(RunsFilter(backfill_id=backfill_id))
        assert sorted(r.partition_key for r in runs) == ["2026-01-05", "2026-01-06", "2026-01-07"]
        assert all(r.status is DagsterRunStatus.SUCCESS for r in runs)
        await wait_until(
            pilot,
            lambda: all(
                calendar.statuses.get(k) == "materialized"
                for k in ("2026-01-05", "2026-01-06", "2026-01-07")
            ),
        )
        assert calendar.statuses.get("2026-01-04") is None
