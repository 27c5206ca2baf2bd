"""The backfills screen: every backfill with its progress (done / failed / in flight), cancel.

Progress and cancel come from the backfill engine (:mod:`assettui.automation.backfill`):
progress is counted in planned runs, and a cancel stops new runs and cancels the running ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer
from textual.worker import get_current_worker

from assettui.automation.backfill import (
    BACKFILL_JOB_TAG,
    BackfillProgress,
    BackfillRunCanceler,
    cancel_backfill,
    get_backfill_progress,
)
from assettui.errors import StorageError
from assettui.storage import BackfillRecord, BulkActionStatus, Storage
from assettui.tui.instance_poller import InstanceChanged, poller_of
from assettui.tui.screens.confirm import ConfirmDialog

BACKFILL_STYLES: dict[BulkActionStatus, tuple[str, str]] = {
    BulkActionStatus.REQUESTED: ("▶", "yellow"),
    BulkActionStatus.COMPLETED: ("✔", "green"),
    BulkActionStatus.FAILED: ("✘", "red"),
    BulkActionStatus.CANCELING: ("⊘", "magenta"),
    BulkActionStatus.CANCELED: ("⊘", "grey50"),
}


@dataclass(frozen=True, slots=True)
class BackfillRow:
    """A backfill and its progress (``None``: it has no stored plan, so nothing to count)."""

    record: BackfillRecord
    progress: BackfillProgress | None

    @property
    def counts(self) -> str:
        """``done / failed / in flight / not launched``, in planned runs."""
        p = self.progress
        if p is None:
            return "no plan"
        return f"{p.done} / {p.failed} / {p.queued + p.in_progress} / {p.not_launched}"


def backfill_row(storage: Storage, record: BackfillRecord) -> BackfillRow:
    """A backfill's row, with its progress read from its runs."""
    try:
        progress = get_backfill_progress(storage, record.backfill_id)
    except StorageError:  # made before the engine stored plans
        progress = None
    return BackfillRow(record, progress)


def progress_bar(progress: BackfillProgress | None, width: int = 10) -> Text:
    """``████▒▒░░░░ 4/10``: done, failed, the rest; the counts say it without colour."""
    if progress is None:
        return Text("—", style="grey42")
    total = max(progress.total, 1)
    done = round(width * progress.done / total)
    failed = min(width - done, round(width * (progress.failed + progress.blocked) / total))
    bar = Text()
    bar.append("█" * done, style="green")
    bar.append("▒" * failed, style="red")
    bar.append("░" * (width - done - failed), style="grey42")
    bar.append(f" {progress.finished}/{progress.total}")
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
        launcher: BackfillRunCanceler | None = None,
        *,
        name: str | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id)
        self._storage = storage
        self.launcher = launcher
        self.rows: list[BackfillRow] = []

    def compose(self) -> ComposeResult:
        table: DataTable[str | Text] = DataTable(cursor_type="row", id="backfills")
        table.add_column("status", key="status", width=11)
        table.add_column("id", key="id", width=8)
        table.add_column("assets", key="assets")
        table.add_column("partitions", key="partitions")
        table.add_column("progress", key="progress", width=18)
        table.add_column("✔ / ✘ / ▶ / ◌ runs", key="counts", width=18)
        table.add_column("created", key="created", width=19)
        yield table
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()
        poller_of(self, self._storage).subscribe(self, every=1.0)

    def on_unmount(self) -> None:
        poller_of(self, self._storage).unsubscribe(self)

    @property
    def selected_backfill_id(self) -> str | None:
        table = self.query_one(DataTable)
        if not self.rows or table.cursor_row >= len(self.rows):
            return None
        return self.rows[table.cursor_row].record.backfill_id

    class BackfillsRead(Message):
        def __init__(self, rows: list[BackfillRow]) -> None:
            super().__init__()
            self.rows = rows

    def on_instance_changed(self, message: InstanceChanged) -> None:
        self._read()

    @work(thread=True, exclusive=True, group="backfills-read", exit_on_error=False)
    def _read(self) -> None:
        records = self._storage.backfills.list_backfills(limit=200)
        rows = [backfill_row(self._storage, record) for record in records]
        if not get_current_worker().is_cancelled:  # else a newer read follows
            self.post_message(self.BackfillsRead(rows))

    def on_backfills_screen_backfills_read(self, message: BackfillsRead) -> None:
        self._apply(message.rows)

    def _apply(self, rows: list[BackfillRow]) -> None:
        if rows == self.rows:
            return
        table = self.query_one(DataTable)
        selected = self.selected_backfill_id
        self.rows = rows
        table.clear()
        for row in rows:
            record = row.record
            glyph, colour = BACKFILL_STYLES[record.status]
            keys = record.partition_keys
            span = f"{keys[0]} … {keys[-1]}" if len(keys) > 1 else (keys[0] if keys else "")
            table.add_row(
                Text(f"{glyph} {record.status.value.lower()}", style=colour),
                record.backfill_id,
                ", ".join(k.to_user_string() for k in record.asset_selection)
                or f"job {record.tags.get(BACKFILL_JOB_TAG, '?')}",
                f"{len(keys)}: {span}",
                progress_bar(row.progress),
                row.counts,
                datetime.fromtimestamp(record.created_at).strftime("%Y-%m-%d %H:%M:%S"),
                key=record.backfill_id,
            )
        ids = [r.record.backfill_id for r in rows]
        if selected in ids:
            table.move_cursor(row=ids.index(selected), scroll=False)

    def action_cancel_backfill(self) -> None:
        backfill_id = self.selected_backfill_id
        row = next((r for r in self.rows if r.record.backfill_id == backfill_id), None)
        if row is None:
            return
        if row.record.is_finished:
            self.notify(f"Backfill {backfill_id} has finished; nothing to cancel.")
            return
        chosen = row.record.backfill_id

        def answered(yes: bool | None) -> None:
            if yes:
                self._cancel(chosen)

        self.app.push_screen(
            ConfirmDialog(
                f"Cancel backfill {chosen}?",
                "It launches no more runs, and its runs still going are canceled.",
                yes="Cancel backfill",
            ),
            answered,
        )

    @work(thread=True, group="backfills-cancel", exit_on_error=False)
    def _cancel(self, backfill_id: str) -> None:
        # No new runs once it is CANCELING; its unfinished runs are canceled, and the backfill
        # is CANCELED when they have ended (now, or on a later scheduler pass).
        try:
            cancel_backfill(self._storage, backfill_id, self.launcher)
        except Exception as error:  # shown, never a crash
            self.app.call_from_thread(self.notify, str(error), severity="error")
        else:
            self.app.call_from_thread(self.notify, f"Cancelling backfill {backfill_id}…")
        self.app.call_from_thread(self._read)

    def action_close(self) -> None:
        self.dismiss(None)
