"""Automation and backfills screens: on/off toggles, next tick, tick history, cursor, progress, cancel."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from textual.app import App

import assettui as dg
from assettui.automation.backfill import drive_backfills, submit_backfill
from assettui.automation.clock import ManualClock
from assettui.automation.control import start_instigator, stop_instigator
from assettui.automation.schedule_ticks import next_schedule_tick
from assettui.automation.scheduler import Scheduler
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
from assettui.tui.screens.automation import AutomationScreen
from assettui.tui.screens.backfills import BackfillsScreen
from assettui.tui.screens.confirm import ConfirmDialog

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


async def test_next_tick_shown_is_the_engines_and_respects_timezone(storage):
    job = dg.define_asset_job("j", selection="*")
    schedules = [
        ScheduleDefinition(
            name=f"six_{zone.split('/')[-1]}",
            cron_schedule="0 6 * * *",
            job=job,
            execution_timezone=zone,
            default_status=DefaultScheduleStatus.RUNNING,
        )
        for zone in ("UTC", "America/New_York")
    ]
    defs = Definitions(jobs=[job], schedules=schedules)
    app = ScreenHost(lambda: AutomationScreen(storage, defs, clock=lambda: NOW))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await wait_for(pilot, lambda: len(screen.rows) == 2, "schedules listed")
        shown = {row.name: row.next_tick for row in screen.rows}
        now = datetime.fromtimestamp(NOW, UTC)
        assert shown == {
            s.name: next_schedule_tick(s, now) for s in schedules
        }  # the engine's next tick
        assert shown["six_UTC"] == datetime(2024, 3, 2, 6, 0, tzinfo=UTC)
        # 06:00 in New York is 11:00 UTC (EST), already past at 12:00 UTC: tomorrow's.
        assert shown["six_New_York"] == datetime(2024, 3, 2, 11, 0, tzinfo=UTC)


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
        assert schedule.next_tick == datetime(2024, 3, 2, 6, 0, tzinfo=UTC)
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
        # last tick + 60 s is already past: due now
        assert screen.rows[1].next_tick == datetime.fromtimestamp(NOW, UTC)
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


async def test_turning_a_schedule_back_on_in_the_ui_runs_no_missed_ticks(tmp_path):
    """The UI's toggle and `assettui automation start` (control.start_instigator) give the
    same ticks: a schedule turned back on starts from now, as in Dagster."""

    def hourly_defs() -> Definitions:
        @dg.asset
        def orders() -> int:
            return 1

        job = dg.define_asset_job("orders_job", selection=[orders])
        hourly = ScheduleDefinition(
            name="hourly",
            cron_schedule="0 * * * *",
            job=job,
            default_status=DefaultScheduleStatus.RUNNING,
        )
        return Definitions(assets=[orders], jobs=[job], schedules=[hourly])

    def tick_times(storage: Storage) -> list[datetime]:
        ticks = storage.automation.list_ticks("hourly", InstigatorType.SCHEDULE)
        return sorted(datetime.fromtimestamp(t.timestamp, UTC) for t in ticks)

    async def scenario(home, turn_off, turn_on) -> list[datetime]:
        defs = hourly_defs()
        clock = ManualClock(datetime(2026, 3, 1, 0, 30, tzinfo=UTC))
        with Storage(home) as storage:
            scheduler = Scheduler(storage, defs, clock=clock, monitor_runs=False)
            scheduler.run_once()  # first sight: starts from now
            clock.set(datetime(2026, 3, 1, 1, 0, 5, tzinfo=UTC))
            scheduler.run_once()  # the 01:00 tick
            await turn_off(storage, defs, clock)
            for hour in (2, 3, 4):  # off: 02:00, 03:00 and 04:00 pass
                clock.set(datetime(2026, 3, 1, hour, 0, 5, tzinfo=UTC))
                scheduler.run_once()
            clock.set(datetime(2026, 3, 1, 4, 30, tzinfo=UTC))
            await turn_on(storage, defs, clock)
            scheduler.run_once()  # just after turning it on: 04:00 was missed, not due
            clock.set(datetime(2026, 3, 1, 5, 0, 5, tzinfo=UTC))
            scheduler.run_once()
            return tick_times(storage)

    async def cli_off(storage, defs, clock) -> None:
        stop_instigator(storage, defs, "hourly")

    async def cli_on(storage, defs, clock) -> None:
        start_instigator(storage, defs, "hourly", clock.now())

    def ui_toggle(want_running: bool):
        async def toggle(storage, defs, clock) -> None:
            screen_clock = lambda: clock.now().timestamp()  # noqa: E731
            app = ScreenHost(lambda: AutomationScreen(storage, defs, clock=screen_clock))
            async with app.run_test(size=(120, 40)) as pilot:
                screen = app.screen
                await wait_for(pilot, lambda: len(screen.rows) == 1, "the schedule listed")
                assert screen.rows[0].running is not want_running
                await pilot.press("space")
                await wait_for(pilot, lambda: screen.rows[0].running is want_running, "toggled")

        return toggle

    by_cli = await scenario(tmp_path / "cli", cli_off, cli_on)
    by_ui = await scenario(tmp_path / "ui", ui_toggle(False), ui_toggle(True))
    expected = [datetime(2026, 3, 1, hour, tzinfo=UTC) for hour in (1, 5)]
    assert by_cli == expected
    assert by_ui == by_cli  # no 04:00 catch-up tick after the UI turned it back on


class CancellingLauncher:
    """Stands in for the run launcher: cancels by writing the run's end status."""

    def __init__(self, storage: Storage):
        self.storage = storage
        self.cancelled: list[str] = []

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
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog), "confirmation")
        assert "Cancel backfill" in app.screen.question
        await pilot.press("y")
        await wait_for(
            pilot, lambda: launcher.cancelled == [runs[2].run_id], "queued run cancelled"
        )
        screen = app.screen
        assert isinstance(screen, BackfillsScreen)
        await wait_for(
            pilot, lambda: screen.rows[0].record.status is BulkActionStatus.CANCELED, "status"
        )
        final = screen.rows[0].progress
        assert final is not None and final.failed == 2 and final.not_launched == 1
        assert "⊘ canceled" in str(table.get_cell(backfill_id, "status"))


async def test_the_automation_condition_sensor_is_listed_and_can_be_turned_off(storage):
    @dg.asset(automation_condition=dg.AutomationCondition.eager())
    def eager_orders() -> int:
        return 1

    defs = Definitions(assets=[eager_orders])
    app = ScreenHost(lambda: AutomationScreen(storage, defs, clock=lambda: NOW))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await wait_for(pilot, lambda: len(screen.rows) == 1, "the automation sensor listed")
        (row,) = screen.rows
        assert (row.name, row.kind, row.running) == (
            "default_automation_condition_sensor",
            "sensor",
            True,
        )
        assert row.next_tick == datetime.fromtimestamp(NOW, UTC)  # never evaluated: due now
        await pilot.press("space")
        await wait_for(pilot, lambda: not screen.rows[0].running, "turned off")
        state = storage.automation.get_state(row.name, InstigatorType.SENSOR)
        assert state is not None and state.status is InstigatorStatus.STOPPED


async def test_the_screen_shows_sensor_log_lines_and_condition_evaluations(storage):
    @dg.asset(automation_condition=dg.AutomationCondition.missing())
    def waiting() -> int:
        return 1

    @dg.asset
    def plain() -> int:
        return 1

    job = dg.define_asset_job("plain_job", selection=[plain])

    @sensor(job=job, minimum_interval_seconds=1)
    def chatty(context):
        context.log.info("looked at 3 files")
        context.log.warning("one was empty")
        return SkipReason("nothing new")

    defs = Definitions(assets=[waiting, plain], jobs=[job], sensors=[chatty])
    clock = ManualClock(datetime.fromtimestamp(NOW, UTC))
    start_instigator(storage, defs, "chatty", clock.now())
    Scheduler(storage, defs, clock=clock, monitor_runs=False).run_once()
    [tick] = storage.automation.list_ticks("chatty", InstigatorType.SENSOR)
    assert tick.log_lines == ("INFO looked at 3 files", "WARNING one was empty")

    app = ScreenHost(lambda: AutomationScreen(storage, defs, clock=lambda: NOW))
    async with app.run_test(size=(140, 44)) as pilot:
        screen = app.screen
        await wait_for(pilot, lambda: len(screen.rows) == 2, "listed")
        detail = screen.query_one("#automation-detail")
        names = [r.name for r in screen.rows]
        listing = screen.query_one("#automation-list")
        listing.move_cursor(row=names.index("chatty"))
        await wait_for(pilot, lambda: "looked at 3 files" in str(detail.render()), "log lines")
        assert "WARNING one was empty" in str(detail.render())
        listing.move_cursor(row=names.index("default_automation_condition_sensor"))
        await wait_for(pilot, lambda: "waiting:" in str(detail.render()), "conditions")
        text = str(detail.render())
        assert "✔" in text and "requested" in text  # missing: true, so it was requested
