"""An asset's checks (``C``): each check with whether it blocks, its latest result, and the
history of its evaluations with their metadata; ``x`` runs the highlighted check alone."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static
from textual.worker import get_current_worker

from assettui.model.asset_graph import AssetGraph
from assettui.model.asset_key import AssetKey
from assettui.model.metadata.values import metadata_from_json
from assettui.model.records.events import DagsterEventType
from assettui.model.results import AssetCheckKey
from assettui.storage import EventRecord, Storage
from assettui.tui.instance_poller import InstanceChanged, poller_of

HISTORY_LIMIT = 50


def _when(ts: float | None) -> str:
    return datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S") if ts else "—"


def _result(payload: Any) -> Text:
    if not isinstance(payload, Mapping) or payload.get("passed") is None:
        return Text("○ not evaluated", style="bright_black")
    if payload["passed"]:
        return Text("✔ passed", style="green")
    severity = str(payload.get("severity") or "ERROR").upper()
    if severity == "WARN":
        return Text("⚠ failed (warn)", style="yellow")
    return Text("✖ failed", style="red")


@dataclass(frozen=True)
class ChecksData:
    history: dict[str, tuple[EventRecord, ...]]  # check name -> evaluations, newest first


class ChecksScreen(Screen[None]):
    """The checks of ``asset_key``.

    Args:
        storage: the instance storage.
        graph: the asset graph (for the check specs).
        asset_key: the asset.
        run_check: launches one check alone (returns the run id).
    """

    DEFAULT_CSS = """
    ChecksScreen > Vertical > #checks-list { height: auto; max-height: 40%; }
    ChecksScreen > Vertical > #checks-history { height: 1fr; }
    ChecksScreen > Vertical > #checks-metadata { height: auto; max-height: 40%; padding: 0 1; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("x", "run_check", "Run this check alone"),
        Binding("tab", "focus_next", "History/checks", show=False),
        Binding("escape", "close", "Back"),
    ]

    class Read(Message):
        def __init__(self, data: ChecksData) -> None:
            super().__init__()
            self.data = data

    def __init__(
        self,
        storage: Storage,
        graph: AssetGraph,
        asset_key: AssetKey,
        run_check: Callable[[AssetCheckKey], Any],
    ) -> None:
        super().__init__()
        self.storage = storage
        self.graph = graph
        self.asset_key = asset_key
        self._run_check = run_check
        self.check_keys = sorted(graph.get(asset_key).check_keys, key=lambda c: c.name)
        self.data = ChecksData({})
        self.selected: str | None = self.check_keys[0].name if self.check_keys else None

    def compose(self) -> ComposeResult:
        with Vertical():
            listing: DataTable[str | Text] = DataTable(cursor_type="row", id="checks-list")
            for column in ("check", "blocking", "latest", "when", "description"):
                listing.add_column(column, key=column)
            yield listing
            history: DataTable[str | Text] = DataTable(cursor_type="row", id="checks-history")
            for column in ("when", "run", "result", "partition", "metadata"):
                history.add_column(column, key=column)
            yield history
            yield Static("", id="checks-metadata")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"checks of {self.asset_key.to_user_string()}"
        self.query_one("#checks-list", DataTable).focus()
        poller_of(self, self.storage).subscribe(self)
        self._read()

    def on_unmount(self) -> None:
        poller_of(self, self.storage).unsubscribe(self)

    def on_instance_changed(self, message: InstanceChanged) -> None:
        self._read()

    @work(thread=True, exclusive=True, group="checks-read", exit_on_error=False)
    def _read(self) -> None:
        events = self.storage.event_log.asset_events(
            self.asset_key, DagsterEventType.ASSET_CHECK_EVALUATION, limit=HISTORY_LIMIT * 10
        )
        history: dict[str, list[EventRecord]] = {}
        for event in events:
            name = (event.payload or {}).get("check_name")
            if name and len(history.setdefault(name, [])) < HISTORY_LIMIT:
                history[name].append(event)
        if not get_current_worker().is_cancelled:
            self.post_message(self.Read(ChecksData({k: tuple(v) for k, v in history.items()})))

    def on_checks_screen_read(self, message: Read) -> None:
        self.data = message.data
        self._draw_list()
        self._draw_history()

    # ------------------------------------------------------------ drawing

    def _draw_list(self) -> None:
        listing = self.query_one("#checks-list", DataTable)
        cursor = listing.cursor_row
        listing.clear()
        for key in self.check_keys:
            spec = self.graph.get_check_spec(key)
            latest = (self.data.history.get(key.name) or (None,))[0]
            listing.add_row(
                key.name,
                Text("blocking", style="bold") if spec.blocking else "no",
                _result(latest.payload if latest else None),
                _when(latest.timestamp if latest else None),
                (spec.description or "").strip().splitlines()[0] if spec.description else "",
                key=key.name,
            )
        if self.check_keys:
            listing.move_cursor(row=min(cursor, len(self.check_keys) - 1))

    def _draw_history(self) -> None:
        table = self.query_one("#checks-history", DataTable)
        table.clear()
        rows = self.data.history.get(self.selected or "", ())
        for event in rows:
            metadata = metadata_from_json((event.payload or {}).get("metadata"))
            summary = " · ".join(f"{n}={getattr(v, 'value', v)}" for n, v in metadata.items())
            table.add_row(
                _when(event.timestamp),
                (event.run_id or "")[:8],
                _result(event.payload),
                event.partition or "",
                summary[:60] + ("…" if len(summary) > 60 else ""),
                key=str(event.storage_id),
            )
        self._show_metadata(rows[0] if rows else None)

    def _show_metadata(self, event: EventRecord | None) -> None:
        panel = self.query_one("#checks-metadata", Static)
        if event is None:
            panel.update(Text("No evaluations yet: x runs this check.", style="dim"))
            return
        grid = Table.grid(padding=(0, 1))
        grid.add_column(style="dim", no_wrap=True)
        grid.add_column(overflow="fold")
        payload = event.payload or {}
        grid.add_row("evaluated", f"{_when(event.timestamp)} in run {(event.run_id or '')[:8]}")
        if payload.get("description"):
            grid.add_row("description", str(payload["description"]))
        for name, value in metadata_from_json(payload.get("metadata")).items():
            grid.add_row(name, str(getattr(value, "value", value)))
        panel.update(grid)

    @on(DataTable.RowHighlighted, "#checks-list")
    def _check_highlighted(self, event: DataTable.RowHighlighted) -> None:
        name = event.row_key.value
        if name is not None and name != self.selected:
            self.selected = str(name)
            self._draw_history()

    @on(DataTable.RowHighlighted, "#checks-history")
    def _evaluation_highlighted(self, event: DataTable.RowHighlighted) -> None:
        rows = self.data.history.get(self.selected or "", ())
        chosen = next((e for e in rows if str(e.storage_id) == event.row_key.value), None)
        self._show_metadata(chosen)

    # ------------------------------------------------------------ actions

    def action_run_check(self) -> None:
        key = next((k for k in self.check_keys if k.name == self.selected), None)
        if key is None:
            return
        self._run_check(key)

    def action_close(self) -> None:
        self.dismiss(None)
