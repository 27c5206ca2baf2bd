"""The backfills screen: every backfill with its progress (done / failed / in flight), cancel."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer
from textual.worker import get_current_worker

from assettui.storage import (
    BackfillRecord,
    BulkActionStatus,
    DagsterRun,
    DagsterRunStatus,
    RunsFilter,
    Storage,
)
from assettui.tui.backfill_dialog import BACKFILL_ID_TAG
from assettui.tui.runs_pane import RunControl

_POLL_SECONDS = 1.0
BACKFILL_STYLES: dict[BulkActionStatus, tuple[str, str]] = {
    BulkActionStatus.REQUESTED: ("▶", "yellow"),
    BulkActionStatus.COMPLETED: ("✔", "green"),
    BulkActionStatus.FAILED: ("✘", "red"),
    BulkActionStatus.CANCELING: ("⊘", "magenta"),
    BulkActionStatus.CANCELED: ("⊘", "grey50"),
}


@dataclass(frozen=True, slots=True)
class BackfillProgress:
    """A backfill with the statuses of its runs counted."""

    record: BackfillRecord
    done: int
    failed: int
    in_flight: int  # launched, not finished
    unlaunched: int  # partitions no run exists for yet

    @property
    def total(self) -> int:
        return self.record.num_partitions


def backfill_runs(storage: Storage, backfill_id: str) -> list[DagsterRun]:
    """Runs of a backfill, linked by the ``backfill_id`` column or the backfill tag."""
    runs = {r.run_id: r for r in storage.runs.list_runs(RunsFilter(backfill_id=backfill_id))}
    for run in storage.runs.list_runs(RunsFilter(tags={BACKFILL_ID_TAG: backfill_id})):
        runs.setdefault(run.run_id, run)
    return list(runs.values())


def backfill_progress(storage: Storage, record: BackfillRecord) -> BackfillProgress:
    """Count a backfill's runs by outcome."""
    counts = Counter(run.status for run in backfill_runs(storage, record.backfill_id))
    done = counts[DagsterRunStatus.SUCCESS]
    failed = counts[DagsterRunStatus.FAILURE] + counts[DagsterRunStatus.CANCELED]
    in_flight = sum(counts.values()) - done - failed
    unlaunched = max(0, record.num_partitions - sum(counts.values()))
    return BackfillProgress(record, done, failed, in_flight, unlaunched)


def progress_bar(progress: BackfillProgress, width: int = 10) -> Text:
    """``████▒▒░░░░ 4/10``: done, failed, the rest; the counts say it without colour."""
    total = max(progress.total, 1)
    done = round(width * progress.done / total)
    failed = min(width - done, round(width * progress.failed / total))
    bar = Text()
    bar.append("█" * done, style="green")
    bar.append("▒" * failed, style="red")
    bar.append("░" * (width - done - failed), style="grey42")
    bar.append(f" {progress.done + progress.failed}/{progress.total}")
    return bar


class BackfillsScreen(Screen[None]):
    """All backfills, newest first, refreshed live. ``c`` cancels, ``escape`` goes back.

    Args:
        storage: the instance storage.
        launcher: cancels a backfill's unfinished runs (``RunLauncher``).
    """

    DEFAULT_CSS = """
    BackfillsScreen DataTable { height: 1fr; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "cancel_backfill", "Cancel backfill"),
        Binding("escape", "close", "Back"),
    ]

    def __init__(
        self,
        storage: Storage,
        launcher: RunControl | None = None,
        *,
        name: str | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id)
        self._storage = storage
        self.launcher = launcher
        self.progress: list[BackfillProgress] = []
        self._wake = threading.Event()

    def compose(self) -> ComposeResult:
        table: DataTable[str | Text] = DataTable(cursor_type="row", id="backfills")
        table.add_column("status", key="status", width=11)
        table.add_column("id", key="id", width=8)
        table.add_column("assets", key="assets")
        table.add_column("partitions", key="partitions")
        table.add_column("progress", key="progress", width=18)
        table.add_column("✔ / ✘ / ▶ / ◌", key="counts", width=16)
        table.add_column("created", key="created", width=19)
        yield table
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()
        self._poll_loop()

    @property
    def selected_backfill_id(self) -> str | None:
        table = self.query_one(DataTable)
        if not self.progress or table.cursor_row >= len(self.progress):
            return None
        return self.progress[table.cursor_row].record.backfill_id

    @work(thread=True, exclusive=True, group="backfills-poll", exit_on_error=False)
    def _poll_loop(self) -> None:
        worker = get_current_worker()
        while not worker.is_cancelled:
            records = self._storage.backfills.list_backfills(limit=200)
            progress = [backfill_progress(self._storage, record) for record in records]
            self.app.call_from_thread(self._apply, progress)
            self._wake.wait(_POLL_SECONDS)
            self._wake.clear()

    def _apply(self, progress: list[BackfillProgress]) -> None:
        if progress == self.progress:
            return
        table = self.query_one(DataTable)
        selected = self.selected_backfill_id
        self.progress = progress
        table.clear()
        for item in progress:
            record = item.record
            glyph, colour = BACKFILL_STYLES[record.status]
            keys = record.partition_keys
            span = f"{keys[0]} … {keys[-1]}" if len(keys) > 1 else (keys[0] if keys else "")
            table.add_row(
                Text(f"{glyph} {record.status.value.lower()}", style=colour),
                record.backfill_id,
                ", ".join(k.to_user_string() for k in record.asset_selection),
                f"{len(keys)}: {span}",
                progress_bar(item),
                f"{item.done} / {item.failed} / {item.in_flight} / {item.unlaunched}",
                datetime.fromtimestamp(record.created_at).strftime("%Y-%m-%d %H:%M:%S"),
                key=record.backfill_id,
            )
        ids = [p.record.backfill_id for p in progress]
        if selected in ids:
            table.move_cursor(row=ids.index(selected), scroll=False)

    def action_cancel_backfill(self) -> None:
        backfill_id = self.selected_backfill_id
        item = next((p for p in self.progress if p.record.backfill_id == backfill_id), None)
        if item is None:
            return
        if item.record.is_finished:
            self.notify(f"Backfill {backfill_id} has finished; nothing to cancel.")
            return
        self._cancel(item.record.backfill_id)

    @work(thread=True, group="backfills-cancel", exit_on_error=False)
    def _cancel(self, backfill_id: str) -> None:
        unfinished = [r for r in backfill_runs(self._storage, backfill_id) if not r.is_finished]
        # No more runs are launched once it is CANCELING; the backfill engine (or we, when
        # nothing is in flight) settles it as CANCELED.
        status = BulkActionStatus.CANCELING if unfinished else BulkActionStatus.CANCELED
        self._storage.backfills.update_backfill(backfill_id, status=status)
        if self.launcher is not None:
            for run in unfinished:
                try:
                    self.launcher.cancel(run.run_id)
                except Exception as error:  # one run failing to cancel must not stop the rest
                    self.app.call_from_thread(self.notify, str(error), severity="error")
        self.app.call_from_thread(self.notify, f"Cancelling backfill {backfill_id}…")
        self._wake.set()

    def action_close(self) -> None:
        self.dismiss(None)
