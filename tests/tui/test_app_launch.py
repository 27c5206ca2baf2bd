"""Launching from the app: `m` runs a real worker process and the node turns fresh."""

from __future__ import annotations

import pytest
from tests.tui.conftest import wait_loaded, wait_until

from assettui.model.asset_key import AssetKey
from assettui.storage import DagsterRunStatus
from assettui.tui.widgets.asset_details import AssetDetails
from assettui.tui.widgets.asset_graph import AssetGraph

K = AssetKey


def _runs(app):
    return app.storage.runs.list_runs()


def _status(app, key: AssetKey) -> str | None:
    state = app.states.get(key)
    return state.status if state else None


@pytest.mark.slow
async def test_m_materializes_the_selected_asset_and_it_turns_fresh(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        app.query_one(AssetGraph).select(K("raw_orders"))
        await wait_until(pilot, lambda: _status(app, K("raw_orders")) == "missing")
        await pilot.press("m")
        await wait_until(pilot, lambda: len(_runs(app)) == 1)
        run = _runs(app)[0]
        assert run.asset_selection == frozenset({K("raw_orders")})
        await wait_until(pilot, lambda: app.storage.runs.get_run(run.run_id).is_finished)
        assert app.storage.runs.get_run(run.run_id).status is DagsterRunStatus.SUCCESS
        await wait_until(pilot, lambda: _status(app, K("raw_orders")) == "fresh")
        await wait_until(pilot, lambda: not app.watched_runs)  # the success was announced
        details = app.query_one(AssetDetails)
        await wait_until(pilot, lambda: details.state.status == "fresh")
        await wait_until(pilot, lambda: details.data is not None and len(details.data.history) == 1)


@pytest.mark.slow
async def test_filter_enter_m_materializes_the_first_match(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        await pilot.press("slash", *"orders", "enter", "m")
        await wait_until(pilot, lambda: len(_runs(app)) == 1)
        run = _runs(app)[0]
        assert run.asset_selection == frozenset({K("raw_orders")})
        await wait_until(pilot, lambda: app.storage.runs.get_run(run.run_id).is_finished)


@pytest.mark.slow
async def test_shift_m_also_runs_missing_upstream(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        app.query_one(AssetGraph).select(K("clean_orders"))
        await wait_until(pilot, lambda: _status(app, K("raw_orders")) == "missing")
        await pilot.press("M")
        await wait_until(pilot, lambda: len(_runs(app)) == 1)
        run = _runs(app)[0]
        assert run.asset_selection == frozenset({K("raw_orders"), K("clean_orders")})
        await wait_until(pilot, lambda: _status(app, K("clean_orders")) == "fresh")
        assert _status(app, K("raw_orders")) == "fresh"


PARTITIONED = """
import assettui as dg


@dg.asset(partitions_def=dg.DailyPartitionsDefinition(start_date="2026-01-01", end_date="2026-01-08"))
def daily_orders(context):
    return context.partition_key
"""


async def test_enter_or_m_on_a_partitioned_asset_opens_its_calendar(project_dir, target, home):
    from assettui.tui.app import AssetTuiApp

    (project_dir / "definitions.py").write_text(PARTITIONED)
    app = AssetTuiApp(target, home, run_scheduler=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_loaded(pilot, app)
        await pilot.press("enter")
        await wait_until(pilot, lambda: bool(app.screen.query("#partition-calendar")))
        await pilot.press("p")  # closes it again
        await wait_until(pilot, lambda: not app.screen.query("#partition-calendar"))
        await pilot.press("m")  # m cannot run a partitioned asset whole: the calendar opens
        await wait_until(pilot, lambda: bool(app.screen.query("#partition-calendar")))
        assert app.storage.runs.list_runs() == []
