"""The runs list: newest runs with status, selection, partition, start and duration.

The pane reloads the run table in a worker when the instance poller says it changed (and
each second while a run is in progress, for its duration), and the worker posts the rows
back. ``c`` cancels and ``R`` re-executes through the run launcher.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar, Protocol

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Label, Static
from textual.worker import get_current_worker

from assettui.model.records.run_query import RunQuery, RunQueryError, parse_run_query
from assettui.storage import DagsterRun, DagsterRunStatus, Storage
from assettui.tui.instance_poller import InstanceChanged, poller_of
from assettui.tui.screens.confirm import ConfirmDialog

RUN_LIST_LIMIT = 200

# Glyph and colour per status: the glyph alone must say it (NO_COLOR).
RUN_STATUS_STYLES: dict[DagsterRunStatus, tuple[str, str]] = {
    DagsterRunStatus.QUEUED: ("◌", "grey62"),
    DagsterRunStatus.NOT_STARTED: ("○", "grey62"),
    DagsterRunStatus.STARTING: ("◐", "yellow"),
    DagsterRunStatus.STARTED: ("▶", "yellow"),
    DagsterRunStatus.SUCCESS: ("✔", "green"),
    DagsterRunStatus.FAILURE: ("✘", "red"),
    DagsterRunStatus.CANCELING: ("⊘", "magenta"),
    DagsterRunStatus.CANCELED: ("⊘", "grey50"),
}


class RunControl(Protocol):
    """What the runs pane needs from the run launcher (``execution.launcher.RunLauncher``)."""

    def cancel(self, run_id: str) -> None: ...

    def reexecute(self, run_id: str, from_failure: bool = False, asset_keys: Any = None) -> str: ...


def status_text(status: DagsterRunStatus) -> Text:
    """Glyph and name of a run status, coloured."""
    glyph, colour = RUN_STATUS_STYLES[status]
    return Text(f"{glyph} {status.value.lower()}", style=colour)


def describe_selection(run: DagsterRun) -> str:
    """The job name, or the selected assets of an asset run."""
    if run.asset_selection and run.job_name.startswith("__"):
        keys = sorted(k.to_user_string() for k in run.asset_selection)
        return ", ".join(keys[:3]) + (f" +{len(keys) - 3}" if len(keys) > 3 else "")
    return run.job_name


def describe_partition(run: DagsterRun) -> str:
    if run.partition_range is not None:
        return f"{run.partition_range[0]}…{run.partition_range[1]}"
    return run.partition_key or ""


def format_duration(run: DagsterRun, now: float) -> str:
    start = run.started_at
    if start is None:
        return ""
    seconds = int((run.ended_at or now) - start)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def format_start(run: DagsterRun) -> str:
    stamp = run.started_at or run.created_at
    return datetime.fromtimestamp(stamp).strftime("%m-%d %H:%M:%S") if stamp else ""


class ReexecuteDialog(ModalScreen[bool | None]):
    """Ask how to re-execute a failed run: everything, or from the failure (``True``)."""

    DEFAULT_CSS = """
    ReexecuteDialog { align: center middle; }
    ReexecuteDialog > Vertical {
        width: 50; height: auto; border: thick $accent; background: $surface; padding: 1 2;
    }
    ReexecuteDialog Horizontal { height: auto; margin-top: 1; }
    ReexecuteDialog Button { margin-right: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss_none", "Cancel"),
        Binding("a", "choose(False)", "All"),
        Binding("f", "choose(True)", "From failure"),
    ]

    def __init__(self, run_id: str) -> None:
        super().__init__()
        self._run_id = run_id

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"Re-execute run {self._run_id[:8]}")
            with Horizontal():
                yield Button("All steps (a)", id="all", variant="primary")
                yield Button("From failure (f)", id="from-failure")
                yield Button("Cancel", id="cancel")

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "cancel":
            self.dismiss(None)
        else:
            self.dismiss(event.button.id == "from-failure")

    def action_choose(self, from_failure: bool) -> None:
        self.dismiss(from_failure)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)


class RunsPane(Vertical):
    """The list of runs, newest first, refreshed live.

    Args:
        storage: the instance storage.
        launcher: cancels and re-executes runs (``RunLauncher``); without one, ``c`` and
            ``R`` only say so.
        limit: how many of the newest runs to list.
    """

    ALLOW_MAXIMIZE = True  # `z` zooms the pane

    DEFAULT_CSS = """
    RunsPane { height: 1fr; }
    RunsPane > DataTable { height: 1fr; }
    RunsPane > #runs-search { height: 3; }
    RunsPane > #runs-filter { display: none; height: 1; background: $boost; padding: 0 1; }
    RunsPane.-filtered > #runs-filter { display: block; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter", "open_run", "Open log", tooltip="Show the log of the run under the cursor"
        ),
        Binding("d", "detail", "Detail", tooltip="Run detail: step timeline, tags, config, log"),
        Binding("c", "cancel_run", "Cancel run"),
        Binding("R", "reexecute", "Re-execute"),
        Binding(
            "slash",
            "search",
            "Filter runs",
            key_display="/",
            tooltip="status:failure job:x asset:y tag:k=v partition:p by:schedule, or words",
        ),
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
    ]

    def action_cursor_down(self) -> None:
        """``j``: the next run (vim keys, like the graph)."""
        self.query_one(DataTable).action_cursor_down()

    def action_cursor_up(self) -> None:
        """``k``: the previous run."""
        self.query_one(DataTable).action_cursor_up()

    class RunSelected(Message):
        """The highlighted run changed (or ``enter`` was pressed on it)."""

        def __init__(self, run_id: str) -> None:
            super().__init__()
            self.run_id = run_id

    class RunOpened(Message):
        """``enter`` was pressed on a run: show its log."""

        def __init__(self, run_id: str) -> None:
            super().__init__()
            self.run_id = run_id

    class DetailRequested(Message):
        """``d`` on a run: open its detail."""

        def __init__(self, run_id: str) -> None:
            super().__init__()
            self.run_id = run_id

    class RunLaunched(Message):
        """A re-execution was launched from the pane."""

        def __init__(self, run_id: str, parent_run_id: str) -> None:
            super().__init__()
            self.run_id = run_id
            self.parent_run_id = parent_run_id

    def __init__(
        self,
        storage: Storage,
        launcher: RunControl | None = None,
        *,
        limit: int = RUN_LIST_LIMIT,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self._storage = storage
        self.launcher = launcher
        self._limit = limit
        self.runs: list[DagsterRun] = []
        self._signature: tuple[object, ...] = ()
        self._selected: str | None = None
        self._scroll_to_selected = False
        self._any_running = False
        self.run_query = RunQuery()

    def compose(self) -> ComposeResult:
        yield Static("", id="runs-filter")
        table: DataTable[str | Text] = DataTable(cursor_type="row", zebra_stripes=True)
        table.add_column("status", key="status", width=11)
        table.add_column("run", key="run", width=8)
        table.add_column("job / selection", key="selection")
        table.add_column("partition", key="partition")
        table.add_column("start", key="start", width=14)
        table.add_column("duration", key="duration", width=8)
        yield table

    def on_mount(self) -> None:
        poller_of(self, self._storage).subscribe(self, self._clock_while_running)

    def on_unmount(self) -> None:
        poller_of(self, self._storage).unsubscribe(self)

    @property
    def selected_run_id(self) -> str | None:
        """The run under the cursor."""
        return self._selected

    def refresh_now(self) -> None:
        """Read storage right away (after a launch, say)."""
        self._load()

    def follow(self, run_id: str) -> None:
        """Select ``run_id`` (just launched) and scroll it into view once it is listed."""
        self._selected = run_id
        self._scroll_to_selected = True
        self._signature = ()  # redraw even if the list read next is the one shown
        self._load()

    # ------------------------------------------------------------ loading (worker)

    class RunsRead(Message):
        def __init__(self, runs: list[DagsterRun]) -> None:
            super().__init__()
            self.runs = runs

    def _clock_while_running(self) -> int | None:
        """The poller's probe: durations of runs in progress change every second."""
        return int(time.time()) if self._any_running else None

    def on_instance_changed(self, message: InstanceChanged) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="runs-read", exit_on_error=False)
    def _load(self) -> None:
        query = self.run_query
        if query.is_empty:
            runs = self._storage.runs.list_runs(limit=self._limit)
        else:  # what the storage cannot filter is checked here, on more runs than shown
            found = self._storage.runs.list_runs(query.runs_filter, limit=self._limit * 10)
            runs = [run for run in found if query.matches(run)][: self._limit]
        if not get_current_worker().is_cancelled:  # a newer read supersedes this one
            self.post_message(self.RunsRead(runs))

    def on_runs_pane_runs_read(self, message: RunsRead) -> None:
        self._apply(message.runs)

    def _apply(self, runs: Sequence[DagsterRun]) -> None:
        now = time.time()
        running = self._any_running = any(not run.is_finished for run in runs)
        signature = tuple((r.run_id, r.status, r.started_at, r.ended_at) for r in runs)
        if signature == self._signature and not running:
            return  # nothing changed: leave the table (and its cursor) alone
        table = self.query_one(DataTable)
        same_rows = [r.run_id for r in runs] == [r.run_id for r in self.runs]
        self.runs = list(runs)
        self._signature = signature
        if same_rows and not self._scroll_to_selected:
            for run in runs:
                table.update_cell(run.run_id, "status", status_text(run.status))
                table.update_cell(run.run_id, "start", format_start(run))
                table.update_cell(run.run_id, "duration", format_duration(run, now))
            return
        table.clear()
        for run in runs:
            table.add_row(
                status_text(run.status),
                run.run_id[:8],
                describe_selection(run),
                describe_partition(run),
                format_start(run),
                format_duration(run, now),
                key=run.run_id,
            )
        ids = [r.run_id for r in runs]
        if self._selected in ids:
            follow, self._scroll_to_selected = self._scroll_to_selected, False
            table.move_cursor(row=ids.index(self._selected), scroll=follow)
        elif ids:
            table.move_cursor(row=0)
            self._select(ids[0])

    # ------------------------------------------------------------ selection

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        if event.row_key.value is not None:
            self._select(event.row_key.value)

    @on(DataTable.RowSelected)
    def _chosen(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value is not None:
            self._selected = event.row_key.value
            self.post_message(self.RunSelected(event.row_key.value))
            self.post_message(self.RunOpened(event.row_key.value))

    def _select(self, run_id: str) -> None:
        if run_id != self._selected:
            self._selected = run_id
            self.post_message(self.RunSelected(run_id))

    def _run(self, run_id: str | None) -> DagsterRun | None:
        return next((r for r in self.runs if r.run_id == run_id), None)

    # ------------------------------------------------------------ actions

    def action_detail(self) -> None:
        if self._selected is not None:
            self.post_message(self.DetailRequested(self._selected))

    def action_search(self) -> None:
        """``/``: the filter box (mounted only while open: never the pane's first focus)."""
        found = self.query("#runs-search")
        box = found.first(Input) if found else None
        if box is None:
            box = Input(
                placeholder="filter runs: status:failure by:schedule orders …", id="runs-search"
            )
            self.mount(box, before=self.query_one(DataTable))
        box.value = self.run_query.text
        box.focus()

    @on(Input.Submitted, "#runs-search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        try:
            self.set_query(event.value)
        except RunQueryError as exc:
            self.notify(str(exc), title="Runs filter", severity="error")
            return
        self._close_search()

    def _close_search(self) -> None:
        for box in self.query("#runs-search"):
            box.remove()
        self.query_one(DataTable).focus()

    def on_key(self, event: Any) -> None:
        boxes = self.query("#runs-search")
        if event.key == "escape" and boxes and boxes.first().has_focus:
            event.stop()
            self._close_search()
        elif event.key == "escape" and not self.run_query.is_empty:
            event.stop()
            self.set_query("")

    def set_query(self, text: str) -> None:
        """Show only the runs matching ``text`` (see :mod:`assettui.model.records.run_query`).

        Raises:
            RunQueryError: the text is not a runs search.
        """
        self.run_query = parse_run_query(text)
        self.set_class(not self.run_query.is_empty, "-filtered")
        label = f"filter: {text.strip()}  (/ to change, escape to clear)"
        self.query_one("#runs-filter", Static).update(label)
        self._signature = ()
        self._load()

    def action_open_run(self) -> None:
        # The table's own enter binding usually wins (RowSelected, then RunOpened); this
        # covers the pane itself having focus.
        if self._selected is not None:
            self.post_message(self.RunOpened(self._selected))

    def action_cancel_run(self) -> None:
        run = self._run(self._selected)
        if run is None:
            return
        if not run.is_cancelable:
            self.notify(f"Run {run.run_id[:8]} is {run.status.value.lower()}; nothing to cancel.")
            return
        if self.launcher is None:
            self.notify("No run launcher: cannot cancel from here.", severity="warning")
            return
        run_id = run.run_id

        def answered(yes: bool | None) -> None:
            if yes:
                self._control(run_id, cancel=True)
                self.notify(f"Cancelling run {run_id[:8]}…")

        self.app.push_screen(
            ConfirmDialog(
                f"Cancel run {run_id[:8]} ({describe_selection(run)})?",
                "Its worker is stopped; the steps not finished end CANCELED.",
                yes="Cancel run",
            ),
            answered,
        )

    def action_reexecute(self) -> None:
        run = self._run(self._selected)
        if run is None:
            return
        if self.launcher is None:
            self.notify("No run launcher: cannot re-execute from here.", severity="warning")
            return
        if not run.is_finished:
            self.notify(f"Run {run.run_id[:8]} has not finished yet.", severity="warning")
            return
        run_id = run.run_id
        if run.is_failure_or_canceled:

            def chosen(from_failure: bool | None) -> None:
                if from_failure is not None:
                    self._control(run_id, from_failure=from_failure)

            self.app.push_screen(ReexecuteDialog(run_id), chosen)
        else:

            def answered(yes: bool | None) -> None:
                if yes:
                    self._control(run_id, from_failure=False)

            self.app.push_screen(
                ConfirmDialog(
                    f"Re-execute run {run_id[:8]} ({describe_selection(run)})?",
                    "A new run of the same selection, config and partition starts now.",
                    yes="Re-execute",
                ),
                answered,
            )

    @work(thread=True, group="runs-control", exit_on_error=False)
    def _control(self, run_id: str, *, cancel: bool = False, from_failure: bool = False) -> None:
        # The launcher starts or signals processes: keep that off the event loop.
        assert self.launcher is not None
        try:
            if cancel:
                self.launcher.cancel(run_id)
            else:
                new_id = self.launcher.reexecute(run_id, from_failure=from_failure)
                self.post_message(self.RunLaunched(new_id, run_id))
                self.app.call_from_thread(self.notify, f"Re-executing {run_id[:8]} as {new_id[:8]}")
        except Exception as error:  # a launcher failure is shown, never crashes the UI
            self.app.call_from_thread(self.notify, str(error), severity="error")
        self.app.call_from_thread(self._load)
