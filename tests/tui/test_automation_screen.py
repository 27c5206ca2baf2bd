"""Automation and backfills screens: on/off toggles, next tick, tick history, cursor, progress, cancel."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from textual.app import App

import assettui as dg
from assettui.automation.backfill import drive_backfills, submit_backfill
from assettui.model.asset_graph import AssetGraph as DefGraph
from assettui.model.automation.schedules import (
    DefaultScheduleStatus,
    ScheduleDefinition,
    SkipReason,
)
from assettui.model.automation.sensors import sensor
from assettui.model.definitions import Definitions
from assettui.storage import (
    BulkActionStatus,
    DagsterRunStatus,
    InstigatorStatus,
    InstigatorType,
    RunsFilter,
    Storage,
    TickStatus,
)
from assettui.tui.screens.automation import AutomationScreen, next_schedule_tick
from assettui.tui.screens.backfills import BackfillsScreen

NOW = datetime(2024, 3, 1, 12, 0, tzinfo=UTC).timestamp()


async def wait_for(pilot, condition, what: str, attempts: int = 200) -> None:
    for _ in range(attempts):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"never happened: {what}")


def make_defs() -> Definitions:
    @dg.asset
    def orders() -> int:
        return 1

    job = dg.define_asset_job("orders_job", selection=[orders])
    daily = ScheduleDefinition(
        name="daily_orders",
        cron_schedule="0 6 * * *",
        job=job,
        default_status=DefaultScheduleStatus.RUNNING,
    )

    @sensor(job=job, minimum_interval_seconds=60)
    def new_files(context):
        """Watches the landing folder."""
        return SkipReason("nothing new")

    return Definitions(assets=[orders], jobs=[job], schedules=[daily], sensors=[new_files])


class ScreenHost(App[None]):
    def __init__(self, screen_factory):
        super().__init__()
        self._factory = screen_factory

    def on_mount(self) -> None:
        self.push_screen(self._factory())


@pytest.fixture
def storage(tmp_path):
    with Storage(tmp_path / "home") as opened:
        yield opened


def test_next_schedule_tick_respects_timezone():
    assert (
        next_schedule_tick(["0 6 * * *"], "UTC", NOW)
        == datetime(2024, 3, 2, 6, 0, tzinfo=UTC).timestamp()
    )
    # 06:00 in New York is 11:00 UTC (EST), already past at 12:00 UTC: the next one is tomorrow.
    assert (
        next_schedule_tick(["0 6 * * *"], "America/New_York", NOW)
        == datetime(2024, 3, 2, 11, 0, tzinfo=UTC).timestamp()
    )


async def test_automation_screen_lists_toggles_and_shows_ticks(storage):
    automation = storage.automation
    automation.create_tick(
        "new_files",
        InstigatorType.SENSOR,
        NOW - 120,
        status=TickStatus.SKIPPED,
        skip_reason="nothing new",
    )
    automation.create_tick(
        "new_files",
        InstigatorType.SENSOR,
        NOW - 60,
        status=TickStatus.FAILURE,
        error="Traceback...\nOSError: disk gone",
    )
    automation.set_cursor("new_files", InstigatorType.SENSOR, "file-0042")
    defs = make_defs()
    app = ScreenHost(lambda: AutomationScreen(storage, defs, clock=lambda: NOW))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, AutomationScreen)
        await wait_for(pilot, lambda: len(screen.rows) == 2, "instigators listed")
        schedule, sensor_row = screen.rows
        assert (schedule.name, schedule.running) == ("daily_orders", True)  # default RUNNING
        assert schedule.next_tick == datetime(2024, 3, 2, 6, 0, tzinfo=UTC).timestamp()
        assert (sensor_row.name, sensor_row.running, sensor_row.next_tick) == (
            "new_files",
            False,
            None,
        )
        assert (
            sensor_row.last_tick is not None and sensor_row.last_tick.status is TickStatus.FAILURE
        )

        await pilot.press("space")  # turn the schedule off
        await wait_for(pilot, lambda: not screen.rows[0].running, "schedule off")
        state = automation.get_state("daily_orders", InstigatorType.SCHEDULE)
        assert state is not None and state.status is InstigatorStatus.STOPPED

        await pilot.press("down")  # the sensor: its tick history and cursor
        await wait_for(pilot, lambda: len(screen.ticks) == 2, "tick history")
        ticks = screen.query_one("#automation-ticks")
        reasons = [str(ticks.get_row_at(i)[3]) for i in range(2)]
        assert reasons == ["OSError: disk gone", "nothing new"]
        detail = str(screen.query_one("#automation-detail").render())
        assert "cursor: file-0042" in detail and "OSError: disk gone" in detail
        await pilot.press("space")
        await wait_for(pilot, lambda: screen.rows[1].running, "sensor on")
        assert screen.rows[1].next_tick == NOW  # last tick + 60 s is already past
        await pilot.press("C")
        await wait_for(pilot, lambda: screen.rows[1].cursor is None, "cursor reset")
        state = automation.get_state("new_files", InstigatorType.SENSOR)
        assert (
            state is not None and state.cursor is None and state.status is InstigatorStatus.RUNNING
        )


async def test_ticks_pane_never_shows_another_instigators_ticks(storage):
    """Moving from an instigator with ticks to one without empties the ticks pane."""
    for offset in (120, 60):
        storage.automation.create_tick(
            "new_files",
            InstigatorType.SENSOR,
            NOW - offset,
            status=TickStatus.SKIPPED,
            skip_reason="nothing new",
        )
    defs = make_defs()
    app = ScreenHost(lambda: AutomationScreen(storage, defs, clock=lambda: NOW))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, AutomationScreen)
        ticks = screen.query_one("#automation-ticks")
        await wait_for(pilot, lambda: len(screen.rows) == 2, "instigators listed")
        await pilot.press("down")  # the sensor, with two ticks
        await wait_for(pilot, lambda: ticks.row_count == 2, "the sensor's ticks")
        await pilot.press("up")  # the schedule, which has never ticked
        await pilot.pause(0.3)  # let the screen's poll of the new selection land
        assert "daily_orders" in str(screen.query_one("#automation-detail").render())
        assert ticks.row_count == 0 and screen.ticks == []
        await pilot.press("down", "up", "down", "up")  # quickly back and forth
        await pilot.pause(0.3)
        assert ticks.row_count == 0


class CancellingLauncher:
    """Stands in for the run launcher: cancels by writing the run's end status."""

    def __init__(self, storage: Storage):
        self.storage = storage
        self.cancelled: list[str] = []

    def launch_queued(self, run_id: str) -> None:
        raise AssertionError("not used")

    def cancel(self, run_id: str) -> None:
        self.cancelled.append(run_id)
        self.storage.runs.update_run_status(run_id, DagsterRunStatus.CANCELED)


async def test_backfills_screen_progress_and_cancel(storage):
    daily = dg.DailyPartitionsDefinition(start_date="2024-01-01", end_date="2024-01-05")

    @dg.asset(partitions_def=daily)
    def orders(context) -> str:
        return context.partition_key

    graph = DefGraph.from_assets([orders])
    partitions = ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"]
    backfill_id = submit_backfill(storage, graph, [orders.key], partitions, max_concurrent=3)
    drive_backfills(storage)  # no launcher: the first three runs are created, QUEUED
    runs = storage.runs.list_runs(RunsFilter(backfill_id=backfill_id), ascending=True)
    assert [r.partition_key for r in runs] == partitions[:3]
    for run, final in zip(runs[:2], ["SUCCESS", "FAILURE"], strict=True):
        storage.runs.update_run_status(run.run_id, DagsterRunStatus.STARTING)
        storage.runs.update_run_status(run.run_id, DagsterRunStatus.STARTED)
        storage.runs.update_run_status(run.run_id, DagsterRunStatus(final))
    launcher = CancellingLauncher(storage)
    app = ScreenHost(lambda: BackfillsScreen(storage, launcher))
    async with app.run_test(size=(120, 30)) as pilot:
        screen = app.screen
        assert isinstance(screen, BackfillsScreen)
        await wait_for(pilot, lambda: len(screen.rows) == 1, "backfill listed")
        progress = screen.rows[0].progress
        assert progress is not None
        assert (progress.done, progress.failed, progress.queued, progress.not_launched) == (
            1,
            1,
            1,
            1,
        )
        table = screen.query_one("DataTable")
        assert str(table.get_cell(backfill_id, "progress")).endswith("2/4")
        assert str(table.get_cell(backfill_id, "counts")) == "1 / 1 / 1 / 1"
        await pilot.press("c")
        await wait_for(
            pilot, lambda: launcher.cancelled == [runs[2].run_id], "queued run cancelled"
        )
        await wait_for(
            pilot, lambda: screen.rows[0].record.status is BulkActionStatus.CANCELED, "status"
        )
        final = screen.rows[0].progress
        assert final is not None and final.failed == 2 and final.not_launched == 1
        assert "⊘ canceled" in str(table.get_cell(backfill_id, "status"))
