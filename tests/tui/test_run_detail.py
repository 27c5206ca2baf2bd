"""Run detail: summary, live step timeline, log below; re-execute all / marked steps."""

from __future__ import annotations

from tests.tui.conftest import screen_text, wait_loaded, wait_until

from assettui.model.asset_key import AssetKey
from assettui.model.records.events import DagsterEventType
from assettui.storage import Storage
from assettui.tui.layout.timeline import StepSpan, bar, step_spans
from assettui.tui.screens.confirm import ConfirmDialog
from assettui.tui.screens.run_detail import RunDetailScreen
from assettui.tui.widgets.runs_pane import RunsPane

K = AssetKey


class _Event:
    def __init__(self, step, kind, ts):
        self.step_key, self.event_type, self.timestamp = step, kind, ts


def test_step_spans_and_bars_place_steps_on_one_time_axis():
    events = [
        _Event("a", DagsterEventType.STEP_START, 0.0),
        _Event("a", DagsterEventType.STEP_SUCCESS, 5.0),
        _Event("b", DagsterEventType.STEP_START, 5.0),
        _Event("b", DagsterEventType.STEP_FAILURE, 10.0),
        _Event("c", DagsterEventType.STEP_START, 8.0),
    ]
    a, b, c = step_spans(events)
    assert (a.status, b.status, c.status) == ("succeeded", "failed", "running")
    assert bar(a, 0.0, 10.0, 10) == "█████     "
    assert bar(b, 0.0, 10.0, 10) == "     ▓▓▓▓▓"
    assert bar(c, 0.0, 10.0, 10) == "        ▒▒"  # running: up to now
    assert bar(StepSpan("d", None, None, "running"), 0.0, 1.0, 4) == "    "


async def test_run_detail_shows_the_run_its_steps_and_re_executes_marked_steps(make_app, home):
    app = make_app()
    async with app.run_test(size=(140, 44)) as pilot:
        await wait_loaded(pilot, app)
        app.graph_pane.select(K("orders_report"))
        app.graph_pane.focus()
        await pilot.press("M")  # with its upstream: four steps
        await wait_until(pilot, lambda: len(app.watched_runs) == 1)
        [run_id] = list(app.watched_runs)

        def finished() -> bool:
            with Storage(home) as storage:
                run = storage.runs.get_run(run_id)
            return run is not None and run.is_finished

        await wait_until(pilot, finished, 90)
        await pilot.press("r")
        pane = app.query_one(RunsPane)
        await wait_until(pilot, lambda: pane.selected_run_id == run_id)
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, RunDetailScreen))
        screen = app.screen
        assert isinstance(screen, RunDetailScreen)
        await wait_until(pilot, lambda: screen.data is not None and len(screen.data.spans) == 4)
        await pilot.pause(0.3)
        text = screen_text(app)
        assert f"Run {run_id}" in text and "launched by ui" in text
        assert "✔ succeeded" in text and "█" in text  # the timeline's bars
        assert "RUN_SUCCESS" in text or "finished successfully" in text  # the log below
        steps = [s.key for s in screen.data.spans]
        assert steps.index("raw_orders") < steps.index("clean_orders")

        table = screen.query_one("#run-steps")
        table.move_cursor(row=steps.index("clean_orders"))
        await pilot.press("space", "S")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        assert "clean_orders" in app.screen.question
        await pilot.press("y")

        def children() -> list:
            with Storage(home) as storage:
                return [r for r in storage.runs.list_runs() if r.parent_run_id == run_id]

        await wait_until(pilot, lambda: len(children()) == 1, 60)
        [child] = children()
        assert child.asset_selection == {K("clean_orders")}


SLOW = """
import time
import assettui as dg


@dg.asset
def slow():
    time.sleep(3)
    return 1


@dg.asset
def after(slow):
    return slow + 1


defs = dg.Definitions(assets=[slow, after])
"""


async def test_the_timeline_is_live_while_the_run_goes_and_R_re_executes_it(
    project_dir, target, home
):
    from assettui.tui.app import AssetTuiApp

    (project_dir / "definitions.py").write_text(SLOW)
    app = AssetTuiApp(target, home, run_scheduler=False)
    async with app.run_test(size=(140, 44)) as pilot:
        await wait_loaded(pilot, app)
        app.graph_pane.select(K("after"))
        app.graph_pane.focus()
        await pilot.press("M")
        await wait_until(pilot, lambda: len(app.watched_runs) == 1)
        [run_id] = list(app.watched_runs)
        app.push_screen(RunDetailScreen(app.storage, app.launcher, run_id))
        screen = app.screen
        assert isinstance(screen, RunDetailScreen)
        await wait_until(
            pilot, lambda: screen.data is not None and any(
                s.key == "slow" and s.status == "running" for s in screen.data.spans), 60
        )  # fmt: skip
        assert "▶ running" in screen_text(app)
        await wait_until(
            pilot, lambda: screen.data is not None and screen.data.run.is_finished
            and [s.status for s in screen.data.spans] == ["succeeded", "succeeded"], 60
        )  # fmt: skip
        await pilot.press("R")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")

        def children() -> list:
            with Storage(home) as storage:
                return [r for r in storage.runs.list_runs() if r.parent_run_id == run_id]

        await wait_until(pilot, lambda: len(children()) == 1, 60)
        assert children()[0].asset_selection == {K("slow"), K("after")}
