"""Fixes from "A UI users can trust": each test would fail if its fix broke."""

from __future__ import annotations

from tests.tui.conftest import screen_text, wait_loaded, wait_until
from textual.widgets import DataTable

from assettui.model.asset_key import AssetKey
from assettui.storage import DagsterRun, Storage
from assettui.tui.widgets.runs_pane import RunsPane

K = AssetKey


async def test_j_and_k_move_in_the_runs_list(make_app, home):
    with Storage(home) as storage:
        for name in ("raw_orders", "clean_orders", "raw_orders"):
            storage.runs.create_run(DagsterRun(asset_selection=frozenset({K(name)})))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        await pilot.press("r")
        runs = app.query_one(RunsPane)
        await wait_until(pilot, lambda: len(runs.runs) == 3)
        table = runs.query_one(DataTable)
        start = table.cursor_row
        await pilot.press("j")
        assert table.cursor_row == start + 1
        await pilot.press("j")
        assert table.cursor_row == start + 2
        await pilot.press("k")
        assert table.cursor_row == start + 1


PARTITIONED_MONTH = """
import assettui as dg


@dg.asset(partitions_def=dg.DailyPartitionsDefinition(start_date="2022-01-01", end_date="2026-01-01"))
def daily_orders(context):
    return context.partition_key
"""


async def test_calendar_footer_offers_no_m_escape_leaves_and_page_label_is_stable(
    project_dir, target, home
):
    from assettui.tui.app import AssetTuiApp
    from assettui.tui.widgets.partition_calendar import PartitionCalendar

    (project_dir / "definitions.py").write_text(PARTITIONED_MONTH)
    app = AssetTuiApp(target, home, run_scheduler=False)
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_loaded(pilot, app)
        assert app.check_action("materialize", ()) is True  # offered on the main screen
        await pilot.press("p")
        await wait_until(pilot, lambda: bool(app.screen.query(PartitionCalendar)))
        calendar = app.screen.query_one(PartitionCalendar)
        await pilot.pause(0.2)
        # m is refused over the calendar, so it is not offered there either.
        assert app.check_action("materialize", ()) is False
        assert "m" not in {b.binding.key for b in app.screen.active_bindings.values() if b.enabled}

        def label() -> str:
            return str(calendar.query_one("#calendar-footer").render()).split(" · ")[0]

        grid = calendar.grid
        tall_pages = grid.page_count
        assert label() == f"page {grid.page + 1}/{tall_pages}"
        await pilot.resize_terminal(100, 14)  # fewer rows on screen: more pages
        await pilot.pause(0.3)
        assert grid.page_count > tall_pages
        assert label() == f"page {grid.page + 1}/{grid.page_count}"

        await pilot.press("space", "left")  # a range: escape clears it, the calendar stays
        assert grid.range_anchor is not None
        await pilot.press("escape")
        assert grid.range_anchor is None and app.screen.query(PartitionCalendar)
        await pilot.press("escape")  # nothing to clear: escape leaves the calendar
        await wait_until(pilot, lambda: not app.screen.query(PartitionCalendar))
        assert app.check_action("materialize", ()) is True


async def test_no_color_draws_the_partition_calendar(project_dir, target, home, monkeypatch):
    """NO_COLOR's monochrome filter needs every segment styled; an unstyled one crashed."""
    from assettui.tui.app import AssetTuiApp
    from assettui.tui.widgets.partition_calendar import PartitionCalendar

    monkeypatch.setenv("NO_COLOR", "1")
    (project_dir / "definitions.py").write_text(PARTITIONED_MONTH)
    app = AssetTuiApp(target, home, run_scheduler=False)
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_loaded(pilot, app)
        assert app.no_color
        await pilot.press("p")
        await wait_until(pilot, lambda: bool(app.screen.query(PartitionCalendar)))
        await pilot.pause(0.3)
        screen = app.export_screenshot()
        assert app.is_running and "2025-12-31" in screen.replace("&#160;", " ")
    assert app.return_code in (0, None) and app._exception is None


FLAKY_DAILY = """
import assettui as dg


@dg.asset(partitions_def=dg.DailyPartitionsDefinition(start_date="2024-01-01", end_date="2024-01-11"))
def daily_orders(context):
    if context.partition_key == "2024-01-01":
        raise ValueError("bad day")
    return context.partition_key
"""


async def test_a_partitioned_asset_shows_counts_and_a_health_bar_not_failed(
    project_dir, target, home
):
    """One failed partition, two later ones materialized: counts and a bar tell it as it is."""
    import assettui as dg
    from assettui.project import load_project
    from assettui.tui.app import AssetTuiApp

    (project_dir / "definitions.py").write_text(FLAKY_DAILY)
    defs = load_project(target).defs
    asset = defs.resolve_asset_graph().get(K("daily_orders")).assets_def
    with dg.DagsterInstance.from_home(home) as instance:
        for day in ("2024-01-01", "2024-01-02", "2024-01-03"):
            dg.materialize([asset], partition_key=day, instance=instance, raise_on_error=False)
    app = AssetTuiApp(target, home, run_scheduler=False)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_loaded(pilot, app)
        app.graph_pane.select(K("daily_orders"))
        details = app.details_pane
        await wait_until(pilot, lambda: details.data is not None and bool(details.data.partitions))
        await pilot.pause(0.2)
        text = screen_text(app)
        assert "the last materialization failed" not in text
        assert "1 of 10 partitions failed" in text
        assert "2 materialized · 1 failed · 7" in text and "missing" in text
        assert "✘●●·······" in text  # the health bar: partitions in order
        assert "2/10 ✘1" in text  # the graph node's counts


async def test_the_runs_list_and_the_log_follow_the_run_just_launched(make_app, home):
    """With the cursor far down an older list, `m` brings the new run into view, selected,
    and `L` opens its log rather than the older run's."""
    from assettui.tui.widgets.log_view import LogView

    with Storage(home) as storage:
        for _ in range(40):
            storage.runs.create_run(DagsterRun(asset_selection=frozenset({K("raw_orders")})))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        await pilot.press("r")
        runs = app.query_one(RunsPane)
        await wait_until(pilot, lambda: len(runs.runs) == 40)
        table = runs.query_one(DataTable)
        for _ in range(35):
            await pilot.press("j")
        old = runs.selected_run_id
        await pilot.press("L")
        log = app.query_one(LogView)
        await wait_until(pilot, lambda: log.run_id == old)
        app.graph_pane.select(K("raw_customers"))
        app.graph_pane.focus()
        await pilot.press("m")
        await wait_until(pilot, lambda: len(runs.runs) == 41 and bool(app.watched_runs))
        [new] = list(app.watched_runs)
        await wait_until(pilot, lambda: runs.selected_run_id == new and table.cursor_row == 0)
        await pilot.pause(0.2)
        assert table.scroll_offset.y == 0  # the new run is in view
        await pilot.press("L")
        assert log.run_id == new


CHAIN = (
    "import assettui as dg\n"
    + "".join(
        f"\n\n@dg.asset(deps={[f'step_number_{i - 1}'] if i else []})\ndef step_number_{i}():\n    pass\n"
        for i in range(10)
    )
    + "\n\ndefs = dg.Definitions(assets=["
    + ", ".join(f"step_number_{i}" for i in range(10))
    + "])\n"
)


async def test_a_wide_graph_is_fitted_with_narrower_boxes_and_pans(project_dir, target, home):
    from assettui.tui.app import AssetTuiApp
    from assettui.tui.layout.graph_view import COMPACT_BOX_WIDTH

    (project_dir / "definitions.py").write_text(CHAIN)
    app = AssetTuiApp(target, home, run_scheduler=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_loaded(pilot, app)
        pane = app.graph_pane
        layout = pane._layered
        assert layout is not None
        assert max(box.width for box in layout.boxes.values()) <= COMPACT_BOX_WIDTH[1]
        pane.focus()
        selected, start = pane.selected, pane.scroll_offset.x
        await pilot.press("shift+right")
        await pilot.pause(0.1)
        assert pane.scroll_offset.x == start + 8 and pane.selected == selected
        await pilot.press("home")
        await pilot.pause(0.1)
        assert pane.scroll_offset.x == start


async def test_quitting_with_a_run_going_asks_and_says_runs_survive(make_app, home):
    from assettui.storage import DagsterRunStatus
    from assettui.tui.screens.confirm import ConfirmDialog

    with Storage(home) as storage:
        run = storage.runs.create_run(DagsterRun(asset_selection=frozenset({K("raw_orders")})))
        storage.runs.update_run_status(run.run_id, DagsterRunStatus.STARTING)
        storage.runs.update_run_status(run.run_id, DagsterRunStatus.STARTED)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        await pilot.press("q")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        assert "1 run is still going" in app.screen.question
        assert "Runs survive a quit" in app.screen.detail
        await pilot.press("n")
        await wait_until(pilot, lambda: not isinstance(app.screen, ConfirmDialog))
        assert app.is_running
        await pilot.press("q")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")
        await wait_until(pilot, lambda: not app.is_running)


async def test_quitting_with_nothing_running_does_not_ask(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        await pilot.press("q")
        await wait_until(pilot, lambda: not app.is_running)


async def test_marked_assets_materialize_together_and_missing_ones_in_a_filter(make_app, home):
    from assettui.tui.screens.confirm import ConfirmDialog

    app = make_app()
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_loaded(pilot, app)
        graph = app.graph_pane
        graph.focus()
        for name in ("raw_orders", "raw_customers"):
            graph.select(K(name))
            await pilot.press("space")
        assert graph.marked == {K("raw_orders"), K("raw_customers")}
        assert "2 marked" in graph.border_title
        await pilot.press("m")
        await wait_until(pilot, lambda: len(app.watched_runs) == 1)
        assert not graph.marked  # used, so cleared
        with Storage(home) as storage:
            [run] = storage.runs.list_runs()
        assert run.asset_selection == {K("raw_orders"), K("raw_customers")}
        await wait_until(pilot, lambda: app.states.get(K("raw_orders")) is not None
                         and app.states[K("raw_orders")].status == "fresh", 60)  # fmt: skip

        graph.set_filter(frozenset({K("raw_orders"), K("clean_orders"), K("orders_report")}), "x")
        await pilot.press("A")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        assert "2 missing or stale assets in the current filter" in app.screen.question
        await pilot.press("y")
        await wait_until(pilot, lambda: len(app.watched_runs) >= 1 and len(
            Storage(home).runs.list_runs()) == 2)  # fmt: skip
        with Storage(home) as storage:
            newest = storage.runs.list_runs()[0]
        assert newest.asset_selection == {K("clean_orders"), K("orders_report")}


DOCUMENTED = '''
import assettui as dg


@dg.asset(metadata={"query": "select " + ", ".join(f"column_{i}" for i in range(40)) + " from t"})
def documented():
    """Orders, **cleaned**.

    - one row per order
    - amounts in cents
    """
    return 1


defs = dg.Definitions(assets=[documented])
'''


async def test_docstrings_render_as_markdown_and_values_open_in_full(project_dir, target, home):
    from assettui.tui.app import AssetTuiApp
    from assettui.tui.screens.full_text import FullTextScreen

    (project_dir / "definitions.py").write_text(DOCUMENTED)
    app = AssetTuiApp(target, home, run_scheduler=False)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_loaded(pilot, app)
        app.graph_pane.select(K("documented"))
        await pilot.pause(0.3)
        text = screen_text(app)
        assert "• one row per order" in text and "**cleaned**" not in text
        assert "column_39" not in text  # shortened in the pane
        app.details_pane.focus()
        await pilot.press("f")
        await wait_until(pilot, lambda: isinstance(app.screen, FullTextScreen))
        await pilot.pause(0.2)
        full = screen_text(app)
        assert "column_39" in full
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, FullTextScreen))


async def test_groups_are_framed_and_g_toggles_the_frames(make_app):
    app = make_app()
    async with app.run_test(size=(140, 44)) as pilot:
        await wait_loaded(pilot, app)
        pane = app.graph_pane
        assert pane._layered is not None
        assert {f.label for f in pane._layered.frames} == {"raw", "clean", "marts"}
        assert "┄ raw ┄" in screen_text(app)
        pane.focus()
        await pilot.press("g")
        await pilot.pause(0.2)
        assert pane._layered.frames == [] and "┄ raw ┄" not in screen_text(app)
        await pilot.press("g")
        await pilot.pause(0.2)
        assert len(pane._layered.frames) == 3


def test_an_error_inside_the_app_makes_the_command_exit_non_zero(target, monkeypatch):
    """Textual shows the error and ends the app; the command must not then exit 0."""
    from click.testing import CliRunner

    from assettui.cli.ui_command import ui
    from assettui.tui.app import AssetTuiApp

    def broken_mount(self) -> None:
        raise RuntimeError("a bug in a view")

    real_run = AssetTuiApp.run
    monkeypatch.setattr(AssetTuiApp, "on_mount", broken_mount)
    monkeypatch.setattr(AssetTuiApp, "run", lambda self: real_run(self, headless=True))
    result = CliRunner().invoke(ui, [str(target.root), "--no-scheduler"])
    assert result.exit_code == 1


def test_a_health_bar_cell_shows_failures_first_then_what_most_partitions_are():
    from assettui.tui.status import health_bar

    assert health_bar(["failed", "materialized", "materialized", "missing"], 2).plain == "✘●"
    assert (
        health_bar(["materialized"] * 3 + ["missing"] + ["missing"] * 3 + ["materialized"], 2).plain
        == "●·"
    )
    assert health_bar(["in_progress"] + ["materialized"] * 5, 2).plain == "◐●"
    assert health_bar([], 10).plain == ""
