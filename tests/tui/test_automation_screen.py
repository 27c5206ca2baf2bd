"""Automation and backfills screens: on/off toggles, next tick, tick history, cursor, progress, cancel."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from textual.app import App

import assettui as dg
from assettui.model.asset_key import AssetKey
from assettui.model.definitions import Definitions
from assettui.model.schedules import DefaultScheduleStatus, ScheduleDefinition, SkipReason
from assettui.model.sensors import sensor
from assettui.storage import (
    BulkActionStatus,
    DagsterRun,
    DagsterRunStatus,
    InstigatorStatus,
    InstigatorType,
    Storage,
    TickStatus,
)
from assettui.tui.automation_screen import AutomationScreen, next_schedule_tick
from assettui.tui.backfill_dialog import BACKFILL_ID_TAG
from assettui.tui.backfills_screen import BackfillsScreen

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


class CancellingLauncher:
    def __init__(self, storage: Storage):
        self.storage = storage
        self.cancelled: list[str] = []

    def cancel(self, run_id: str) -> None:
        self.cancelled.append(run_id)
        self.storage.runs.update_run_status(run_id, DagsterRunStatus.CANCELED)

    def reexecute(self, run_id: str, from_failure: bool = False) -> str:
        raise AssertionError("not used")


async def test_backfills_screen_progress_and_cancel(storage):
    key = AssetKey("orders")
    partitions = ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"]
    record = storage.backfills.create_backfill([key], partitions)
    run_ids = []
    for partition, final in zip(partitions[:3], ["SUCCESS", "FAILURE", None], strict=True):
        run = storage.runs.create_run(
            DagsterRun(
                asset_selection=frozenset({key}),
                partition_key=partition,
                tags={BACKFILL_ID_TAG: record.backfill_id},
            )
        )
        run_ids.append(run.run_id)
        if final:
            storage.runs.update_run_status(run.run_id, DagsterRunStatus.STARTING)
            storage.runs.update_run_status(run.run_id, DagsterRunStatus.STARTED)
            storage.runs.update_run_status(run.run_id, DagsterRunStatus(final))
    launcher = CancellingLauncher(storage)
    app = ScreenHost(lambda: BackfillsScreen(storage, launcher))
    async with app.run_test(size=(120, 30)) as pilot:
        screen = app.screen
        assert isinstance(screen, BackfillsScreen)
        await wait_for(pilot, lambda: len(screen.progress) == 1, "backfill listed")
        item = screen.progress[0]
        assert (item.done, item.failed, item.in_flight, item.unlaunched) == (1, 1, 1, 1)
        table = screen.query_one("DataTable")
        assert str(table.get_cell(record.backfill_id, "progress")).endswith("2/4")
        await pilot.press("c")
        await wait_for(pilot, lambda: launcher.cancelled == [run_ids[2]], "queued run cancelled")
        await wait_for(
            pilot, lambda: screen.progress[0].record.status is BulkActionStatus.CANCELING, "status"
        )
        await wait_for(pilot, lambda: screen.progress[0].failed == 2, "progress counts cancel")
