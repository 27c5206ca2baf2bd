"""Partition calendar: layouts per partition kind, status glyphs, cursor, range selection, backfill."""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult

import assettui as dg
from assettui.automation.backfill import BACKFILL_ID_TAG, drive_backfills, load_plan
from assettui.model.asset_graph import AssetGraph as DefGraph
from assettui.model.asset_key import AssetKey
from assettui.model.partitions.definitions import StaticPartitionsDefinition
from assettui.model.partitions.multi import MultiPartitionsDefinition
from assettui.model.partitions.time_window import (
    DailyPartitionsDefinition,
    HourlyPartitionsDefinition,
    MonthlyPartitionsDefinition,
)
from assettui.storage import BulkActionStatus, DagsterEventType, NewEvent, RunsFilter, Storage
from assettui.tui.layout.calendar import build_layout
from assettui.tui.screens.backfill_dialog import BackfillDialog
from assettui.tui.widgets.partition_calendar import CalendarGrid, PartitionCalendar

ORDERS = AssetKey("orders")


async def wait_for(pilot, condition, what: str, attempts: int = 200) -> None:
    for _ in range(attempts):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"never happened: {what}")


class CalendarHost(App[None]):
    def __init__(self, storage, partitions_def, graph=None):
        super().__init__()
        self.storage = storage
        self.partitions_def = partitions_def
        self.graph = graph
        self.submitted: list[PartitionCalendar.BackfillSubmitted] = []

    def compose(self) -> ComposeResult:
        yield PartitionCalendar(self.storage, ORDERS, self.partitions_def, graph=self.graph)

    def on_mount(self) -> None:
        self.query_one(CalendarGrid).focus()

    def on_partition_calendar_backfill_submitted(self, message) -> None:
        self.submitted.append(message)


def orders_graph(partitions_def) -> DefGraph:
    @dg.asset(partitions_def=partitions_def)
    def orders(context) -> str:
        return context.partition_key

    return DefGraph.from_assets([orders])


def record(storage: Storage, partition: str, kind: DagsterEventType) -> None:
    storage.event_log.store_event(NewEvent(None, kind, asset_key=ORDERS, partition=partition))


def screen_text(grid: CalendarGrid) -> list[str]:
    return [grid.render_line(y).text for y in range(grid.size.height)]


@pytest.fixture
def storage(tmp_path):
    with Storage(tmp_path / "home") as opened:
        yield opened


def test_layouts_for_each_partition_kind():
    daily = DailyPartitionsDefinition(start_date="2024-01-01", end_date="2024-03-01")
    layout = build_layout(daily, daily.get_partition_keys())
    assert layout.kind == "daily" and [r.label for r in layout.rows] == ["2024-01", "2024-02"]
    assert layout.rows[1].cells[28] == "2024-02-29" and layout.rows[1].cells[29] is None
    assert layout.positions["2024-01-31"] == (0, 30)

    hourly = HourlyPartitionsDefinition(start_date="2024-01-01-00:00", end_date="2024-01-03-00:00")
    layout = build_layout(hourly, hourly.get_partition_keys())
    assert layout.kind == "hourly" and len(layout.rows) == 2 and len(layout.rows[0].cells) == 24
    assert layout.rows[1].cells[13] == "2024-01-02-13:00"

    monthly = MonthlyPartitionsDefinition(start_date="2023-06-01", end_date="2024-03-01")
    layout = build_layout(monthly, monthly.get_partition_keys())
    assert [r.label for r in layout.rows] == ["2023", "2024"]
    assert layout.rows[0].cells[5] == "2023-06-01" and layout.rows[0].cells[0] is None

    static = StaticPartitionsDefinition([f"region_{i}" for i in range(10)])
    layout = build_layout(static, static.get_partition_keys(), width=80)
    assert layout.kind == "grid" and layout.show_names
    assert layout.order == [f"region_{i}" for i in range(10)]
    assert all(len(r.cells) * layout.cell_width <= 80 for r in layout.rows)

    multi = MultiPartitionsDefinition(
        {
            "date": DailyPartitionsDefinition(start_date="2024-01-01", end_date="2024-01-04"),
            "color": StaticPartitionsDefinition(["red", "blue"]),
        }
    )
    layout = build_layout(multi, multi.get_partition_keys())
    assert layout.kind == "matrix" and layout.columns == ("red", "blue")
    assert [r.label for r in layout.rows] == ["2024-01-01", "2024-01-02", "2024-01-03"]
    assert layout.rows[2].cells[1] == "blue|2024-01-03"  # dimension keys sorted by name


async def test_daily_calendar_shows_status_glyphs(storage):
    daily = DailyPartitionsDefinition(start_date="2024-01-01", end_date="2024-03-01")
    record(storage, "2024-01-01", DagsterEventType.ASSET_MATERIALIZATION)
    record(storage, "2024-01-02", DagsterEventType.ASSET_FAILED_TO_MATERIALIZE)
    app = CalendarHost(storage, daily)
    async with app.run_test(size=(100, 30)) as pilot:
        calendar = app.query_one(PartitionCalendar)
        await wait_for(pilot, lambda: calendar.loaded, "calendar loaded")
        lines = screen_text(calendar.grid)
        assert lines[1].startswith("2024-01 ● ✘ · ·")
        assert lines[2].startswith("2024-02 · ·")
        assert calendar.cursor_key == "2024-02-29"  # the cursor starts on the newest partition
        title = str(calendar.query_one("#calendar-title").render())
        assert "60 partitions" in title and "● 1 materialized" in title and "✘ 1 failed" in title
        # Status changes show up live.
        record(storage, "2024-02-29", DagsterEventType.ASSET_MATERIALIZATION)
        await wait_for(pilot, lambda: calendar.statuses.get("2024-02-29") == "materialized", "live")


async def test_cursor_range_selection_and_backfill(storage):
    daily = DailyPartitionsDefinition(start_date="2024-01-01", end_date="2024-03-01")
    record(storage, "2024-01-03", DagsterEventType.ASSET_MATERIALIZATION)
    record(storage, "2024-01-04", DagsterEventType.ASSET_FAILED_TO_MATERIALIZE)
    app = CalendarHost(storage, daily, orders_graph(daily))
    async with app.run_test(size=(100, 30)) as pilot:
        calendar = app.query_one(PartitionCalendar)
        await wait_for(pilot, lambda: calendar.loaded, "calendar loaded")
        await pilot.press("up")  # 2024-02-29 -> the same column a month earlier
        assert calendar.cursor_key == "2024-01-29"
        await pilot.press("down", "right")  # right past the end stays on the last partition
        assert calendar.cursor_key == "2024-02-29"
        await pilot.press("up", *["left"] * 27)
        assert calendar.cursor_key == "2024-01-02"
        await pilot.press("space", "right", "right", "right")  # anchor, then move: a range
        assert calendar.selected_keys == ["2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05"]
        await pilot.press("escape", "shift+left")
        assert calendar.selected_keys == ["2024-01-04", "2024-01-05"]
        await pilot.press("shift+right", "shift+right", "shift+right")
        assert calendar.selected_keys == ["2024-01-05", "2024-01-06", "2024-01-07"]
        await pilot.press("escape", *["left"] * 5, "shift+right", "shift+right", "shift+right")
        assert calendar.selected_keys == ["2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05"]

        await pilot.press("b")
        dialog = app.screen
        assert isinstance(dialog, BackfillDialog)
        count = dialog.query_one("#backfill-count")
        await wait_for(pilot, lambda: dialog.plans is not None, "runs counted")
        assert "exactly 2 runs" in str(count.render())  # missing only: 02 and 05
        await pilot.press("2")  # failed and missing
        assert "exactly 3 runs" in str(count.render())
        await pilot.press("3")
        assert "exactly 4 runs" in str(count.render())
        await pilot.press("2", "enter")
        await wait_for(pilot, lambda: len(app.submitted) == 1, "backfill submitted")

        submitted = app.submitted[0]
        assert submitted.run_count == 3
        backfill = storage.backfills.get_backfill(submitted.backfill_id)
        assert backfill is not None and backfill.status is BulkActionStatus.REQUESTED
        assert backfill.partition_keys == ("2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05")
        assert load_plan(storage, submitted.backfill_id).policy == "failed_and_missing"
        # The engine creates its runs (the app's scheduler thread does this on each pass).
        drive_backfills(storage)
        runs = storage.runs.list_runs(RunsFilter(backfill_id=submitted.backfill_id))
        assert sorted(r.partition_key for r in runs) == ["2024-01-02", "2024-01-04", "2024-01-05"]
        assert all(r.asset_selection == frozenset({ORDERS}) for r in runs)
        assert all(r.tags[BACKFILL_ID_TAG] == submitted.backfill_id for r in runs)


async def test_backfill_without_a_graph_says_so(storage):
    daily = DailyPartitionsDefinition(start_date="2024-01-01", end_date="2024-01-05")
    app = CalendarHost(storage, daily)
    async with app.run_test(size=(80, 24)) as pilot:
        calendar = app.query_one(PartitionCalendar)
        await wait_for(pilot, lambda: calendar.loaded, "calendar loaded")
        await pilot.press("b")
        assert not isinstance(app.screen, BackfillDialog)
        assert storage.backfills.list_backfills() == []


async def test_static_grid_and_matrix_mount(storage):
    static = StaticPartitionsDefinition(["us", "eu", "apac"])
    record(storage, "eu", DagsterEventType.ASSET_MATERIALIZATION)
    app = CalendarHost(storage, static)
    async with app.run_test(size=(80, 24)) as pilot:
        calendar = app.query_one(PartitionCalendar)
        await wait_for(pilot, lambda: calendar.loaded, "calendar loaded")
        assert "· us" in screen_text(calendar.grid)[1] and "● eu" in screen_text(calendar.grid)[1]
        multi = MultiPartitionsDefinition(
            {
                "date": DailyPartitionsDefinition(start_date="2024-01-01", end_date="2024-01-04"),
                "color": StaticPartitionsDefinition(["red", "blue"]),
            }
        )
        record(storage, "blue|2024-01-02", DagsterEventType.ASSET_MATERIALIZATION)
        calendar.set_asset(ORDERS, multi)
        await wait_for(pilot, lambda: calendar.loaded, "matrix loaded")
        lines = screen_text(calendar.grid)
        assert "red" in lines[0] and "blue" in lines[0]
        assert lines[2].split()[:3] == ["2024-01-02", "·", "●"]
        await pilot.press("space", "up", "left")  # a rectangle: two dates x two colours
        assert sorted(calendar.selected_keys) == sorted(
            ["red|2024-01-02", "red|2024-01-03", "blue|2024-01-02", "blue|2024-01-03"]
        )


async def test_huge_hourly_set_is_paged(storage):
    hourly = HourlyPartitionsDefinition(start_date="2019-01-01-00:00", end_date="2024-01-01-00:00")
    app = CalendarHost(storage, hourly)
    async with app.run_test(size=(80, 24)) as pilot:
        calendar = app.query_one(PartitionCalendar)
        await wait_for(pilot, lambda: calendar.loaded, "calendar loaded", attempts=400)
        grid = calendar.grid
        assert len(calendar.keys) == 43_824
        assert grid.page_count > 50 and grid.page == grid.page_count - 1
        assert screen_text(grid)[-1].strip() == "" or "2023-12-31" in "".join(screen_text(grid))
        await pilot.press("pageup")
        assert grid.page == grid.page_count - 2
        first_label = screen_text(grid)[1].split()[0]
        assert first_label == grid.layout_.rows[grid.page * grid.page_size].label
        footer = str(calendar.query_one("#calendar-footer").render())
        assert f"page {grid.page_count - 1}/{grid.page_count}" in footer
