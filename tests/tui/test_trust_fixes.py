"""Fixes from "A UI users can trust": each test would fail if its fix broke."""

from __future__ import annotations

from tests.tui.conftest import wait_loaded, wait_until
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
