"""Run detail: what a run is (status, who launched it, tags, config, duration), a live step
timeline (a Gantt of its steps), and its log below; re-execute all, from failure, or the
steps marked with ``space``, and cancel, from here."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, ClassVar

import yaml
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static
from textual.worker import get_current_worker

from assettui.model.asset_key import AssetKey
from assettui.model.records.events import DagsterEventType
from assettui.model.records.launched_by import launched_by_text
from assettui.storage import DagsterRun, Storage
from assettui.tui.instance_poller import InstanceChanged, poller_of
from assettui.tui.layout.timeline import (
    STATUS_GLYPHS,
    StepSpan,
    bar,
    format_seconds,
    step_spans,
)
from assettui.tui.screens.confirm import ConfirmDialog
from assettui.tui.widgets.log_view import LogView
from assettui.tui.widgets.runs_pane import describe_partition, describe_selection, status_text

_STEP_EVENTS = [
    DagsterEventType.STEP_START,
    DagsterEventType.STEP_SUCCESS,
    DagsterEventType.STEP_FAILURE,
    DagsterEventType.STEP_SKIPPED,
    DagsterEventType.STEP_UP_FOR_RETRY,
    DagsterEventType.ASSET_MATERIALIZATION_PLANNED,
]
_STEP_COLOURS = {
    "succeeded": "green", "failed": "red", "running": "cyan", "skipped": "grey50",
    "retrying": "yellow",
}  # fmt: skip


@dataclass(frozen=True)
class RunDetailData:
    run: DagsterRun
    spans: tuple[StepSpan, ...]
    step_assets: dict[str, frozenset[AssetKey]]  # the assets each step materializes


class RunDetailScreen(Screen[None]):
    """The detail of one run (opened with ``d`` on a run in the runs list).

    Args:
        storage: the instance storage.
        launcher: re-executes and cancels (``RunLauncher``); without one those keys say so.
        run_id: the run.
    """

    DEFAULT_CSS = """
    RunDetailScreen > Vertical > #run-summary { height: auto; padding: 0 1; }
    RunDetailScreen > Vertical > #run-steps { height: auto; max-height: 40%; }
    RunDetailScreen > Vertical > LogView { height: 1fr; border-top: solid $accent; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Back"),
        Binding("space", "mark_step", "Mark step"),
        Binding("R", "reexecute('all')", "Re-execute all"),
        Binding("F", "reexecute('failure')", "From failure"),
        Binding("S", "reexecute('marked')", "Marked steps"),
        Binding("c", "cancel_run", "Cancel run"),
    ]

    class Loaded(Message):
        def __init__(self, data: RunDetailData) -> None:
            super().__init__()
            self.data = data

    def __init__(self, storage: Storage, launcher: Any, run_id: str) -> None:
        super().__init__()
        self.storage = storage
        self.launcher = launcher
        self.run_id = run_id
        self.data: RunDetailData | None = None
        self.marked: set[str] = set()

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("loading…", id="run-summary")
            steps: DataTable[str | Text] = DataTable(cursor_type="row", id="run-steps")
            steps.add_column(" ", key="mark", width=1)
            steps.add_column("step", key="step")
            steps.add_column("status", key="status", width=12)
            steps.add_column("took", key="took", width=8)
            steps.add_column("timeline", key="timeline")
            yield steps
            yield LogView(self.storage, id="run-log")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(LogView).show_run(self.run_id)
        self.query_one("#run-steps", DataTable).focus()
        # A running run's bars grow with the clock; its events arrive through the poller.
        poller_of(self, self.storage).subscribe(self, self._clock_while_running, every=0.5)
        self._load()

    def on_unmount(self) -> None:
        poller_of(self, self.storage).unsubscribe(self)

    def _clock_while_running(self) -> int | None:
        run = self.data.run if self.data else None
        return int(time.time() * 2) if run is None or not run.is_finished else None

    def on_instance_changed(self, message: InstanceChanged) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="run-detail", exit_on_error=False)
    def _load(self) -> None:
        run = self.storage.runs.get_run(self.run_id)
        if run is None:
            return
        events = self.storage.event_log.run_events(self.run_id, event_types=_STEP_EVENTS)
        step_assets: dict[str, set[AssetKey]] = {}
        for event in events:
            planned = event.event_type is DagsterEventType.ASSET_MATERIALIZATION_PLANNED
            if planned and event.step_key and event.asset_key:
                step_assets.setdefault(event.step_key, set()).add(event.asset_key)
        data = RunDetailData(
            run,
            tuple(step_spans(events)),
            {step: frozenset(keys) for step, keys in step_assets.items()},
        )
        if not get_current_worker().is_cancelled:
            self.post_message(self.Loaded(data))

    def on_run_detail_screen_loaded(self, message: Loaded) -> None:
        self.data = message.data
        self._draw()

    # ------------------------------------------------------------ drawing

    def _draw(self) -> None:
        data = self.data
        if data is None:
            return
        run, now = data.run, time.time()
        self.query_one("#run-summary", Static).update(self._summary(run, now))
        table = self.query_one("#run-steps", DataTable)
        origin = run.started_at or min((s.start for s in data.spans if s.start), default=now)
        until = run.ended_at or now
        width = max(10, self.size.width - 50)
        keys = [span.key for span in data.spans]
        if [str(k.value) for k in table.rows] != keys:
            table.clear()
            for span in data.spans:
                table.add_row(*self._cells(span, origin, until, width, now), key=span.key)
            return
        for span in data.spans:
            for column, value in zip(
                ("mark", "step", "status", "took", "timeline"),
                self._cells(span, origin, until, width, now),
                strict=True,
            ):
                table.update_cell(span.key, column, value)

    def _cells(
        self, span: StepSpan, origin: float, until: float, width: int, now: float
    ) -> tuple[str | Text, ...]:
        colour = _STEP_COLOURS.get(span.status, "")
        return (
            "✓" if span.key in self.marked else " ",
            span.key,
            Text(f"{STATUS_GLYPHS.get(span.status, '?')} {span.status}", style=colour),
            format_seconds(span.duration(now)),
            Text(bar(span, origin, until, width), style=colour),
        )

    def _summary(self, run: DagsterRun, now: float) -> Text:
        took = None
        if run.started_at is not None:
            took = (run.ended_at or now) - run.started_at
        text = Text.assemble(
            (f"Run {run.run_id}  ", "bold"),
            status_text(run.status),
            "\n",
            ("launched by ", "dim"),
            launched_by_text(run),
            ("   job/assets ", "dim"),
            describe_selection(run),
            ("   partition ", "dim"),
            describe_partition(run) or "—",
            ("   took ", "dim"),
            format_seconds(took),
        )
        tags = [f"{k}={v}" for k, v in sorted(run.tags.items())]
        if tags:
            text.append("\ntags ", style="dim")
            text.append("  ".join(tags))
        if run.failure_reason:
            text.append("\nfailure ", style="dim")
            text.append(run.failure_reason, style="red")
        if run.run_config:
            config = yaml.safe_dump(dict(run.run_config), sort_keys=False).rstrip()
            lines = config.splitlines()
            shown = "\n  ".join(lines[:8]) + ("\n  …" if len(lines) > 8 else "")
            text.append("\nrun config\n  ", style="dim")
            text.append(shown)
        return text

    def on_resize(self) -> None:
        self._draw()

    # ------------------------------------------------------------ actions

    def _cursor_step(self) -> str | None:
        table = self.query_one("#run-steps", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return str(key) if key is not None else None

    def action_mark_step(self) -> None:
        step = self._cursor_step()
        if step is not None:
            self.marked.symmetric_difference_update({step})
            self._draw()

    def action_close(self) -> None:
        self.dismiss(None)

    def action_reexecute(self, how: str) -> None:
        data = self.data
        if data is None:
            return
        if self.launcher is None:
            self.notify("No run launcher: cannot re-execute from here.", severity="warning")
            return
        if not data.run.is_finished:
            self.notify(f"Run {self.run_id[:8]} has not finished yet.", severity="warning")
            return
        keys: frozenset[AssetKey] | None = None
        what = "all of it"
        if how == "failure":
            if not data.run.is_failure_or_canceled:
                self.notify("The run succeeded: nothing failed to re-execute.")
                return
            what = "what failed or was skipped"
        elif how == "marked":
            if not self.marked:
                self.notify("Mark steps with space first.")
                return
            keys = frozenset().union(*(data.step_assets.get(s, frozenset()) for s in self.marked))
            if not keys:
                self.notify("Marked steps of an op job: re-execute all (R) or from failure (F).")
                return
            what = f"steps {', '.join(sorted(self.marked))}"

        def answered(yes: bool | None) -> None:
            if yes:
                self._reexecute(how == "failure", keys)

        self.app.push_screen(
            ConfirmDialog(f"Re-execute run {self.run_id[:8]}: {what}?", yes="Re-execute"),
            answered,
        )

    @work(thread=True, group="run-detail-control", exit_on_error=False)
    def _reexecute(self, from_failure: bool, keys: frozenset[AssetKey] | None) -> None:
        try:
            if keys is None:
                new_id = self.launcher.reexecute(self.run_id, from_failure=from_failure)
            else:
                new_id = self.launcher.reexecute(self.run_id, asset_keys=keys)
        except Exception as error:  # shown, never a crash
            self.app.call_from_thread(self.notify, str(error), severity="error")
            return
        self.app.call_from_thread(self.notify, f"Re-executing as run {new_id[:8]}.")
        follow = getattr(self.app, "follow_run", None)
        if follow is not None:
            self.app.call_from_thread(follow, new_id)

    def action_cancel_run(self) -> None:
        data = self.data
        if data is None or not data.run.is_cancelable or self.launcher is None:
            self.notify("Nothing to cancel here.")
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._cancel()

        self.app.push_screen(
            ConfirmDialog(f"Cancel run {self.run_id[:8]}?", yes="Cancel run"), answered
        )

    @work(thread=True, group="run-detail-control", exit_on_error=False)
    def _cancel(self) -> None:
        try:
            self.launcher.cancel(self.run_id)
        except Exception as error:
            self.app.call_from_thread(self.notify, str(error), severity="error")
