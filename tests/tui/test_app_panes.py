"""The runs and log panes in the app: `z` zooms them, `L` and `enter` on a run open logs,
and `l` stays a graph movement key (the footer shows only what applies)."""

from __future__ import annotations

from tests.tui.conftest import wait_loaded, wait_until

from assettui.model.asset_key import AssetKey
from assettui.storage import DagsterRun, Storage
from assettui.tui.widgets.asset_graph import AssetGraph
from assettui.tui.widgets.log_view import LogView
from assettui.tui.widgets.runs_pane import RunsPane

K = AssetKey


async def test_z_zooms_the_runs_pane_and_the_log_view(make_app, home):
    with Storage(home) as storage:
        storage.runs.create_run(DagsterRun(asset_selection=frozenset({K("raw_orders")})))
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_loaded(pilot, app)
        await pilot.press("r")  # the runs pane, focused
        runs = app.query_one(RunsPane)
        assert runs.has_focus_within
        await pilot.press("z")
        assert app.screen.maximized is runs
        await pilot.press("z")
        assert app.screen.maximized is None
        await pilot.press("L")  # the log view, focused
        logs = app.query_one(LogView)
        assert logs.has_focus_within
        await pilot.press("z")
        assert app.screen.maximized is logs
        await pilot.press("z")
        assert app.screen.maximized is None


async def test_l_moves_in_the_graph_and_shift_l_or_enter_on_a_run_opens_logs(make_app, home):
    with Storage(home) as storage:
        older = storage.runs.create_run(DagsterRun(asset_selection=frozenset({K("raw_orders")})))
        newer = storage.runs.create_run(DagsterRun(asset_selection=frozenset({K("clean_orders")})))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        graph = app.query_one(AssetGraph)
        graph.select(K("raw_orders"))
        await pilot.press("l")  # vim keys: downstream, no log view
        assert graph.selected == K("clean_orders") and graph.has_focus
        assert not app.query_one("#runs-area").display
        footer_keys = {b.binding.key for b in app.screen.active_bindings.values() if b.binding.show}
        assert "L" in footer_keys and "l" not in footer_keys  # the footer is truthful

        await pilot.press("L")
        logs = app.query_one(LogView)
        assert app.query_one("#runs-area").display and logs.has_focus_within
        await wait_until(pilot, lambda: logs.run_id == newer.run_id)  # the newest run

        await pilot.press("r")
        runs = app.query_one(RunsPane)
        assert runs.has_focus_within
        await wait_until(pilot, lambda: len(runs.runs) == 2)
        await pilot.press("down", "enter")  # enter on a run: its log, focused
        await wait_until(pilot, lambda: logs.run_id == older.run_id)
        assert logs.has_focus_within
