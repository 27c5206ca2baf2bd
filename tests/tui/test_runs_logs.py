"""Runs list and live log view: listing, selection, cancel/re-execute, following, filters, search."""

from __future__ import annotations

import threading
import time

import pytest
from textual.app import App, ComposeResult

from assettui.model.asset_key import AssetKey
from assettui.storage import DagsterEventType, DagsterRun, DagsterRunStatus, NewEvent, Storage
from assettui.tui.screens.confirm import ConfirmDialog
from assettui.tui.widgets.log_view import LogFilter, LogLines, LogView
from assettui.tui.widgets.runs_pane import ReexecuteDialog, RunsPane


async def wait_for(pilot, condition, what: str, attempts: int = 200) -> None:
    """Let the app work until ``condition()`` holds (bounded, not a timing assertion)."""
    for _ in range(attempts):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"never happened: {what}")


class RecordingLauncher:
    """Stands in for the run launcher: records calls, and writes real runs to storage."""

    def __init__(self, storage: Storage):
        self.storage = storage
        self.cancelled: list[str] = []
        self.reexecuted: list[tuple[str, bool]] = []

    def cancel(self, run_id: str) -> None:
        self.cancelled.append(run_id)
        self.storage.runs.update_run_status(run_id, DagsterRunStatus.CANCELED)

    def reexecute(self, run_id: str, from_failure: bool = False) -> str:
        self.reexecuted.append((run_id, from_failure))
        parent = self.storage.runs.get_run(run_id)
        assert parent is not None
        child = self.storage.runs.create_run(
            DagsterRun(asset_selection=parent.asset_selection, parent_run_id=run_id)
        )
        return child.run_id


class RunsHost(App[None]):
    def __init__(self, storage: Storage, launcher: RecordingLauncher | None = None):
        super().__init__()
        self.storage = storage
        self.launcher = launcher
        self.selected: list[str] = []

    def compose(self) -> ComposeResult:
        yield RunsPane(self.storage, self.launcher)
        yield LogView(self.storage)

    def on_runs_pane_run_selected(self, message: RunsPane.RunSelected) -> None:
        self.selected.append(message.run_id)
        self.query_one(LogView).show_run(message.run_id)


class LogHost(App[None]):
    def __init__(self, storage: Storage):
        super().__init__()
        self.storage = storage

    def compose(self) -> ComposeResult:
        yield LogView(self.storage)


def make_run(storage: Storage, status: DagsterRunStatus, asset: str = "orders") -> str:
    run = storage.runs.create_run(DagsterRun(asset_selection=frozenset({AssetKey(asset)})))
    path = {
        DagsterRunStatus.STARTED: [DagsterRunStatus.STARTING, DagsterRunStatus.STARTED],
        DagsterRunStatus.SUCCESS: [
            DagsterRunStatus.STARTING,
            DagsterRunStatus.STARTED,
            DagsterRunStatus.SUCCESS,
        ],
        DagsterRunStatus.FAILURE: [
            DagsterRunStatus.STARTING,
            DagsterRunStatus.STARTED,
            DagsterRunStatus.FAILURE,
        ],
    }.get(status, [])
    for step in path:
        storage.runs.update_run_status(run.run_id, step)
    return run.run_id


def log_event(
    run_id: str,
    message: str,
    *,
    level: str = "INFO",
    step: str | None = "orders",
    kind: DagsterEventType = DagsterEventType.LOG,
    payload=None,
) -> NewEvent:
    return NewEvent(run_id, kind, message, level=level, step_key=step, payload=payload)


def texts(view: LogView) -> list[str]:
    lines = view.log_lines
    return [lines.lines[i].text for i in lines.rows]


@pytest.fixture
def storage(tmp_path):
    with Storage(tmp_path / "home") as opened:
        yield opened


# ---------------------------------------------------------------- runs pane


async def test_runs_pane_lists_runs_and_follows_status_changes(storage):
    done = make_run(storage, DagsterRunStatus.SUCCESS, "orders")
    running = make_run(storage, DagsterRunStatus.STARTED, "customers")
    app = RunsHost(storage)
    async with app.run_test(size=(120, 40)) as pilot:
        pane = app.query_one(RunsPane)
        await wait_for(pilot, lambda: len(pane.runs) == 2, "runs listed")
        assert [r.run_id for r in pane.runs] == [running, done]  # newest first
        table = pane.query_one("DataTable")
        assert "▶ started" in str(table.get_cell(running, "status"))
        assert "✔ success" in str(table.get_cell(done, "status"))
        # the newest run is selected and announced (the message may still be on its way)
        await wait_for(pilot, lambda: app.selected[:1] == [running], "newest run announced")
        await pilot.press("down")
        await wait_for(pilot, lambda: app.selected[-1] == done, "second run selected")
        storage.runs.update_run_status(running, DagsterRunStatus.FAILURE)
        await wait_for(
            pilot, lambda: "✘ failure" in str(table.get_cell(running, "status")), "status update"
        )
        assert pane.selected_run_id == done  # the refresh kept the cursor on its run


async def test_cancel_and_reexecute_go_through_the_launcher(storage):
    failed = make_run(storage, DagsterRunStatus.FAILURE)
    running = make_run(storage, DagsterRunStatus.STARTED)
    launcher = RecordingLauncher(storage)
    app = RunsHost(storage, launcher)
    async with app.run_test(size=(120, 40)) as pilot:
        pane = app.query_one(RunsPane)
        await wait_for(pilot, lambda: pane.selected_run_id == running, "running run selected")
        pane.query_one("DataTable").focus()
        await pilot.press("c")  # asks first: n keeps the run going
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog), "confirmation")
        assert "Cancel run" in app.screen.question
        await pilot.press("n")
        await wait_for(pilot, lambda: not isinstance(app.screen, ConfirmDialog), "declined")
        await pilot.pause(0.2)
        assert launcher.cancelled == []
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog), "asked again")
        await pilot.press("y")
        await wait_for(pilot, lambda: launcher.cancelled == [running], "cancel reached launcher")
        await pilot.press("down")
        await wait_for(pilot, lambda: pane.selected_run_id == failed, "failed run selected")
        await pilot.press("R")
        await wait_for(pilot, lambda: isinstance(app.screen, ReexecuteDialog), "dialog open")
        await pilot.press("f")
        await wait_for(pilot, lambda: launcher.reexecuted == [(failed, True)], "from failure")
        await wait_for(pilot, lambda: len(pane.runs) == 3, "re-execution listed")


# ---------------------------------------------------------------- log view


async def test_log_view_shows_events_and_captured_output(storage):
    run_id = make_run(storage, DagsterRunStatus.SUCCESS)
    storage.event_log.store_events(
        [
            log_event(
                run_id, "Started execution of step", kind=DagsterEventType.STEP_START, level="DEBUG"
            ),
            log_event(run_id, "computing orders"),
        ]
    )
    paths = storage.step_log_paths(run_id, "orders")
    paths.stdout.write_text("hello from print\nsecond line\n")
    paths.stderr.write_text("a warning on stderr\n")
    app = LogHost(storage)
    async with app.run_test(size=(120, 40)) as pilot:
        view = app.query_one(LogView)
        view.show_run(run_id)
        await wait_for(pilot, lambda: "a warning on stderr" in texts(view), "captured output")
        assert texts(view) == [
            "Started execution of step",
            "computing orders",
            "hello from print",
            "second line",
            "a warning on stderr",
        ]
        levels = [view.log_lines.lines[i].level for i in view.log_lines.rows]
        assert levels[2:] == ["STDOUT", "STDOUT", "STDERR"]


async def test_log_view_follows_a_running_run(storage):
    run_id = make_run(storage, DagsterRunStatus.STARTED)
    storage.event_log.store_events([log_event(run_id, f"early {i}") for i in range(100)])
    app = LogHost(storage)
    async with app.run_test(size=(100, 24)) as pilot:
        view = app.query_one(LogView)
        view.show_run(run_id)
        await wait_for(pilot, lambda: len(view.log_lines.lines) == 100, "first batch")
        lines = view.log_lines
        assert lines.follow and lines.scroll_y == lines.max_scroll_y

        stdout = storage.step_log_paths(run_id, "orders").stdout

        def writer() -> None:
            # Another process's worth of writing: events and printed output, from a thread.
            with Storage(storage.home) as other:
                for i in range(20):
                    other.event_log.store_event(log_event(run_id, f"live {i}"))
                with stdout.open("a") as handle:
                    handle.write("printed live\n")

        thread = threading.Thread(target=writer)
        thread.start()
        await wait_for(pilot, lambda: "printed live" in texts(view), "live lines")
        await wait_for(pilot, lambda: "live 19" in texts(view), "last live event")
        thread.join()
        assert lines.follow and lines.scroll_y == lines.max_scroll_y  # still at the end

        await pilot.press("pageup")  # scrolling up stops following
        assert not lines.follow
        top = lines.scroll_y
        storage.event_log.store_event(log_event(run_id, "while paused"))
        await wait_for(pilot, lambda: "while paused" in texts(view), "paused append")
        assert lines.scroll_y == top  # the view stayed where the user put it
        await pilot.press("f")
        assert lines.follow and lines.scroll_y == lines.max_scroll_y


async def test_filters_and_toggles(storage):
    run_id = make_run(storage, DagsterRunStatus.STARTED)
    storage.event_log.store_events(
        [
            log_event(run_id, "debug detail", level="DEBUG"),
            log_event(run_id, "info orders", step="orders"),
            log_event(run_id, "info customers", step="customers"),
            log_event(run_id, "a warning", level="WARNING"),
            log_event(run_id, "bad thing", level="ERROR"),
        ]
    )
    app = LogHost(storage)
    async with app.run_test(size=(120, 30)) as pilot:
        view = app.query_one(LogView)
        view.show_run(run_id)
        await wait_for(pilot, lambda: len(view.log_lines.lines) == 5, "loaded")
        view.log_lines.focus()
        await pilot.press("e")
        assert texts(view) == ["bad thing"]
        await pilot.press("e", "v")  # errors-only off; level >= INFO
        assert "debug detail" not in texts(view) and len(texts(view)) == 4
        await pilot.press("v", "v")  # >= ERROR
        assert texts(view) == ["bad thing"]
        await pilot.press("v")  # back to DEBUG
        await pilot.press("s")  # first step seen: orders
        assert view.log_lines.filter.step_key == "orders"
        assert "info customers" not in texts(view)
        await pilot.press("s")
        assert view.log_lines.filter.step_key == "customers"
        assert texts(view) == ["info customers"]
        view.set_filter(LogFilter())
        await pilot.press("t")
        assert view.log_lines.show_timestamps
        strip = view.log_lines.render_line(0)
        assert ":" in strip.text[:12]  # the time column leads the line


async def test_search_next_and_previous(storage):
    run_id = make_run(storage, DagsterRunStatus.SUCCESS)
    events = [
        log_event(run_id, f"line {i}" + (" needle" if i % 10 == 0 else "")) for i in range(50)
    ]
    storage.event_log.store_events(events)
    app = LogHost(storage)
    async with app.run_test(size=(100, 20)) as pilot:
        view = app.query_one(LogView)
        view.show_run(run_id)
        await wait_for(pilot, lambda: len(view.log_lines.lines) == 50, "loaded")
        view.log_lines.focus()
        await pilot.press("ctrl+home")  # home goes left; ctrl+home to the top
        await pilot.press("slash", *"NEEDLE", "enter")
        lines = view.log_lines
        assert lines.match_row == 0 and not lines.follow
        await pilot.press("n")
        assert lines.match_row == 10
        await pilot.press("n", "n")
        assert lines.match_row == 30
        await pilot.press("N")
        assert lines.match_row == 20
        row_on_screen = lines.match_row - int(lines.scroll_y)
        assert "needle" in lines.render_line(row_on_screen).text


async def test_failed_run_opens_on_its_error(storage):
    run_id = make_run(storage, DagsterRunStatus.FAILURE)
    error = {
        "message": "division by zero",
        "class_name": "ZeroDivisionError",
        "stack": ['  File "defs.py", line 3, in orders\n', "    1 / 0\n"],
        "cause": None,
    }
    events = [log_event(run_id, f"working {i}") for i in range(200)]
    events.append(
        log_event(
            run_id,
            "Step orders failed",
            level="ERROR",
            kind=DagsterEventType.STEP_FAILURE,
            payload={"error": error},
        )
    )
    events += [log_event(run_id, f"after {i}", step=None) for i in range(100)]
    storage.event_log.store_events(events)
    app = LogHost(storage)
    async with app.run_test(size=(100, 24)) as pilot:
        view = app.query_one(LogView)
        view.show_run(run_id)
        await wait_for(pilot, lambda: len(view.log_lines.lines) > 300, "loaded")
        lines = view.log_lines
        assert not lines.follow
        on_screen = [lines.render_line(y).text for y in range(lines.size.height)]
        assert any("STEP_FAILURE: Step orders failed" in text for text in on_screen)
        assert any("ZeroDivisionError: division by zero" in text for text in on_screen), "\n".join(
            on_screen
        )
        assert any("1 / 0" in text for text in on_screen)


async def test_hundred_thousand_lines(storage):
    run_id = make_run(storage, DagsterRunStatus.STARTED)
    for chunk in range(10):
        storage.event_log.store_events(
            [log_event(run_id, f"line {chunk * 10_000 + i}") for i in range(10_000)]
        )
    app = LogHost(storage)
    async with app.run_test(size=(100, 30)) as pilot:
        view = app.query_one(LogView)
        view.show_run(run_id)
        await wait_for(pilot, lambda: len(view.log_lines.lines) == 100_000, "all lines")
        lines = view.log_lines
        assert lines.virtual_size.height == 100_000
        assert lines.render_line(lines.size.height - 1).text.rstrip().endswith("line 99999")
        lines.focus()
        await pilot.press("ctrl+home")
        assert "line 0" in lines.render_line(0).text
        await pilot.press("e")  # re-filtering 100k lines
        assert lines.rows == []
        await pilot.press("e", "slash", *"line 54321", "enter")
        assert lines.match_row == 54321


def test_log_lines_is_a_line_api_widget():
    # Only visible rows are drawn: the widget must stay on the line API.
    assert hasattr(LogLines, "render_line")
    _ = time  # time is imported for ad-hoc measuring in this module


async def test_re_executing_a_successful_run_asks_first(storage):
    done = make_run(storage, DagsterRunStatus.SUCCESS)
    launcher = RecordingLauncher(storage)
    app = RunsHost(storage, launcher)
    async with app.run_test(size=(120, 40)) as pilot:
        pane = app.query_one(RunsPane)
        await wait_for(pilot, lambda: pane.selected_run_id == done, "run selected")
        pane.query_one("DataTable").focus()
        await pilot.press("R")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog), "confirmation")
        assert launcher.reexecuted == []
        await pilot.press("y")
        await wait_for(pilot, lambda: launcher.reexecuted == [(done, False)], "re-executed")


async def test_long_lines_wrap_on_w_and_home_goes_back_left(storage):
    run_id = make_run(storage, DagsterRunStatus.SUCCESS)
    long = "start " + "x" * 150 + " END"
    storage.event_log.store_events([log_event(run_id, long), log_event(run_id, "short one")])
    app = LogHost(storage)
    async with app.run_test(size=(100, 20)) as pilot:
        view = app.query_one(LogView)
        view.show_run(run_id)
        await wait_for(pilot, lambda: len(view.log_lines.lines) == 2, "loaded")
        lines = view.log_lines
        lines.focus()
        assert lines.virtual_size.height == 2
        lines.scroll_to(x=40, animate=False)
        await pilot.pause(0.1)
        assert lines.scroll_offset.x == 40
        await pilot.press("home")
        await pilot.pause(0.1)
        assert lines.scroll_offset.x == 0
        await pilot.press("w")
        await pilot.pause(0.1)
        assert lines.wrap and lines.virtual_size.height > 2  # the long line takes rows
        shown = [lines.render_line(y).text for y in range(lines.virtual_size.height)]
        assert shown[0].lstrip().startswith("INFO") and "start" in shown[0]
        assert any(row.rstrip().endswith("END") for row in shown[1:])
        assert shown[-1].strip().endswith("short one")
        assert "wrap" in str(view.query_one("#log-status").render())
        await pilot.press("w")
        assert not lines.wrap and lines.virtual_size.height == 2


async def test_the_runs_list_filters_by_status_launcher_partition_tag_and_words(storage):
    failed = make_run(storage, DagsterRunStatus.FAILURE, asset="orders")
    ok = make_run(storage, DagsterRunStatus.SUCCESS, asset="customers")
    storage.runs.add_run_tags(failed, {"dagster/schedule_name": "nightly", "team": "data"})
    storage.runs.add_run_tags(ok, {"dagster/backfill": "bf1", "dagster/partition": "2024-01-02"})
    app = RunsHost(storage)
    async with app.run_test(size=(120, 40)) as pilot:
        pane = app.query_one(RunsPane)
        await wait_for(pilot, lambda: len(pane.runs) == 2, "listed")
        pane.query_one("DataTable").focus()

        async def search(text: str) -> list[str]:
            await pilot.press("slash")
            box = pane.query_one("#runs-search")
            box.value = text
            await pilot.press("enter")
            await pilot.pause(0.3)
            return [r.run_id for r in pane.runs]

        assert await search("status:failure") == [failed]
        assert "filter: status:failure" in str(pane.query_one("#runs-filter").render())
        assert await search("by:backfill") == [ok]
        assert await search("by:schedule") == [failed]
        assert await search("partition:2024-01-02") == [ok]
        assert await search("tag:team=data") == [failed]
        assert await search("nightly") == [failed]
        assert await search("asset:customers") == [ok]
        assert await search("status:nope") == [ok]  # refused: the last filter stays
        await pilot.press("escape")  # closes the search box
        await pilot.press("escape")  # clears the filter
        await wait_for(pilot, lambda: len(pane.runs) == 2, "all again")


def test_run_queries_parse_and_say_what_is_wrong():
    from assettui.model.records.run_query import RunQueryError, parse_run_query

    query = parse_run_query("status:failure,canceled job:nightly_job tag:team words")
    assert query.runs_filter.statuses == [DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED]
    assert query.runs_filter.job_name == "nightly_job" and query.words == ("words",)
    assert query.any_value_tags == {"team"}
    for bad, said in (("status:nah", "status:nah?"), ("by:robot", "by:robot?"), ("x:y", "x:")):
        with pytest.raises(RunQueryError, match=said):
            parse_run_query(bad)
