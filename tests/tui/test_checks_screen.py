"""The checks screen: blocking shown, history with metadata, one check run alone."""

from __future__ import annotations

from tests.tui.conftest import screen_text, wait_loaded, wait_until

from assettui.model.asset_key import AssetKey
from assettui.storage import Storage
from assettui.tui.app import AssetTuiApp
from assettui.tui.screens.checks import ChecksScreen

CHECKED = """
import assettui as dg


@dg.asset
def orders():
    return [1, 2, 3]


@dg.asset_check(asset=orders, blocking=True, description="No order is missing.")
def orders_complete(orders):
    return dg.AssetCheckResult(passed=len(orders) == 3, metadata={"rows": len(orders)})


@dg.asset_check(asset=orders)
def orders_small(orders):
    return dg.AssetCheckResult(passed=False, metadata={"largest": max(orders)})


defs = dg.Definitions(assets=[orders], asset_checks=[orders_complete, orders_small])
"""


async def test_checks_show_blocking_history_metadata_and_run_alone(project_dir, target, home):
    (project_dir / "definitions.py").write_text(CHECKED)
    app = AssetTuiApp(target, home, run_scheduler=False)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_loaded(pilot, app)
        app.graph_pane.select(AssetKey("orders"))
        app.graph_pane.focus()
        await pilot.press("m")
        await wait_until(pilot, lambda: len(app.watched_runs) == 1)

        def runs() -> list:
            with Storage(home) as storage:
                return storage.runs.list_runs()

        await wait_until(pilot, lambda: runs()[0].is_finished, 60)
        await pilot.press("C")
        await wait_until(pilot, lambda: isinstance(app.screen, ChecksScreen))
        screen = app.screen
        assert isinstance(screen, ChecksScreen)
        await wait_until(pilot, lambda: len(screen.data.history.get("orders_complete", ())) == 1)
        await pilot.pause(0.2)
        text = screen_text(app)
        assert "blocking" in text and "No order is missing." in text
        assert "✔ passed" in text and "rows" in text  # the newest evaluation's metadata

        await pilot.press("down")  # orders_small: failed, with its own metadata
        await wait_until(pilot, lambda: screen.selected == "orders_small")
        await pilot.pause(0.2)
        assert "largest" in screen_text(app) and "✖ failed" in screen_text(app)

        await pilot.press("x")  # run orders_small alone
        await wait_until(pilot, lambda: len(runs()) == 2, 30)
        alone = runs()[0]
        assert alone.asset_selection == frozenset() or not alone.asset_selection
        assert {c.name for c in alone.asset_check_selection or ()} == {"orders_small"}
        await wait_until(pilot, lambda: runs()[0].is_finished, 60)
        await wait_until(pilot, lambda: len(screen.data.history.get("orders_small", ())) == 2)
        assert len(screen.data.history["orders_complete"]) == 1  # the other did not run
