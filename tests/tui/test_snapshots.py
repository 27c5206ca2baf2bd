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
