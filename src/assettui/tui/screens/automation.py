"""The automation screen: schedules and sensors, on/off, next tick, tick history, cursors.

It drives automation through ``automation/control`` exactly as ``assettui automation``
does: the rows (with the engine's next tick) come from ``list_instigators``, and on/off and
cursor resets are ``start_instigator`` / ``stop_instigator`` / ``reset_cursor``, so turning a
schedule back on here starts it from now, without running the ticks it missed while off.

A long-lived thread reads the rows and ticks once a second; toggling and cursor resets are
written from short workers, so the event loop never waits on SQLite.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static
from textual.worker import get_current_worker

from assettui.automation.control import (
    InstigatorRow,
    list_instigators,
    reset_cursor as control_reset_cursor,
    start_instigator,
    stop_instigator,
)
from assettui.automation.declarative import AUTOMATION_SENSOR_NAME, automated_asset_keys, explain
from assettui.storage import InstigatorType, Storage, TickRecord, TickStatus
from assettui.tui.instance_poller import InstanceChanged, poller_of

TICK_HISTORY_LIMIT = 50
TICK_STYLES: dict[TickStatus, tuple[str, str]] = {
    TickStatus.STARTED: ("◐", "yellow"),
    TickStatus.SKIPPED: ("↷", "grey62"),
    TickStatus.SUCCESS: ("✔", "green"),
    TickStatus.FAILURE: ("✘", "red"),
}


def format_time(moment: datetime | float | None) -> str:
    if moment is None:
        return "—"
    stamp = moment.timestamp() if isinstance(moment, datetime) else moment
    return datetime.fromtimestamp(stamp).strftime("%Y-%m-%d %H:%M:%S")


def tick_text(tick: TickRecord | None) -> Text:
    if tick is None:
        return Text("— never", style="grey50")
    glyph, colour = TICK_STYLES[tick.status]
    return Text(f"{glyph} {tick.status.value.lower()} {format_time(tick.timestamp)}", style=colour)


class AutomationScreen(Screen[None]):
    """Schedules and sensors of the loaded definitions.

    Keys: ``space`` on/off, ``C`` reset the sensor cursor, ``tab`` to the tick history,
    ``escape`` back.

    Args:
        storage: the instance storage.
        defs: the loaded ``Definitions`` (its ``schedules`` and ``sensors``).
        clock: seconds since the epoch (tests pass a fixed one).
    """

    DEFAULT_CSS = """
    AutomationScreen #automation-list { height: 1fr; }
    AutomationScreen #automation-detail { height: auto; max-height: 45%; padding: 0 1;
        background: $boost; }
    AutomationScreen #automation-ticks { height: 1fr; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "toggle_status", "On/off"),
        Binding("C", "reset_cursor", "Reset cursor"),
        Binding("escape", "close", "Back"),
    ]

    class StatusToggled(Message):
        """A schedule or sensor was turned on or off."""

        def __init__(self, name: str, kind: InstigatorType, running: bool) -> None:
            super().__init__()
            self.name = name
            self.kind = kind
            self.running = running

    def __init__(
        self,
        storage: Storage,
        defs: Any,
        *,
        clock: Callable[[], float] = time.time,
        name: str | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id)
        self._storage = storage
        self._clock = clock
        self._defs: Any = defs
        self.rows: list[InstigatorRow] = []
        self.ticks: list[TickRecord] = []
        self._selected: str | None = None
        self._tick_id: int | None = None  # the tick highlighted in the ticks table

    def set_definitions(self, defs: Any) -> None:
        """Show the schedules and sensors of newly loaded definitions."""
        self._defs = defs
        if self.is_mounted:
            self._read()

    def compose(self) -> ComposeResult:
        with Vertical():
            listing: DataTable[str | Text] = DataTable(cursor_type="row", id="automation-list")
            listing.add_column("state", key="state", width=6)
            listing.add_column("kind", key="kind", width=8)
            listing.add_column("name", key="name")
            listing.add_column("target", key="target")
            listing.add_column("cadence", key="cadence")
            listing.add_column("next tick", key="next", width=19)
            listing.add_column("last tick", key="last")
            yield listing
            yield Static("", id="automation-detail")
            ticks: DataTable[str | Text] = DataTable(cursor_type="row", id="automation-ticks")
            ticks.add_columns("time", "status", "runs", "skip reason / error")
            yield ticks
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#automation-list", DataTable).focus()
        # Next and last tick times move with the clock too.
        poller_of(self, self._storage).subscribe(self, lambda: int(self._clock()), every=1.0)

    def on_unmount(self) -> None:
        poller_of(self, self._storage).unsubscribe(self)

    @property
    def selected(self) -> InstigatorRow | None:
        return next((r for r in self.rows if r.row_key == self._selected), None)

    # ------------------------------------------------------------ polling (thread)

    class InstigatorsRead(Message):
        def __init__(
            self, rows: list[InstigatorRow], selected: str | None, ticks: list[TickRecord]
        ) -> None:
            super().__init__()
            self.rows = rows
            self.selected = selected
            self.ticks = ticks

    def on_instance_changed(self, message: InstanceChanged) -> None:
        self._read()

    @work(thread=True, exclusive=True, group="automation-read", exit_on_error=False)
    def _read(self) -> None:
        rows = self._read_rows()
        selected = self._selected or (rows[0].row_key if rows else None)
        ticks: list[TickRecord] = []
        row = next((r for r in rows if r.row_key == selected), None)
        if row is not None:
            ticks = self._storage.automation.list_ticks(
                row.name, row.type, limit=TICK_HISTORY_LIMIT
            )
        if not get_current_worker().is_cancelled:  # else a newer read follows
            self.post_message(self.InstigatorsRead(rows, selected, ticks))

    def on_automation_screen_instigators_read(self, message: InstigatorsRead) -> None:
        self._apply(message.rows, message.selected, message.ticks)

    def _read_rows(self) -> list[InstigatorRow]:
        now = datetime.fromtimestamp(self._clock(), UTC)
        return list_instigators(self._storage, self._defs, now)

    def _apply(self, rows: list[InstigatorRow], selected: str | None, ticks: list[TickRecord]):
        listing = self.query_one("#automation-list", DataTable)
        keys = [r.row_key for r in rows]
        if keys != [r.row_key for r in self.rows]:
            listing.clear()
            for row in rows:
                listing.add_row(*self._cells(row), key=row.row_key)
            if selected in keys:
                listing.move_cursor(row=keys.index(selected), scroll=False)
        else:
            for row in rows:
                for column, value in zip(
                    ("state", "kind", "name", "target", "cadence", "next", "last"),
                    self._cells(row),
                    strict=True,
                ):
                    listing.update_cell(row.row_key, column, value)
        self.rows = rows
        if self._selected is None:
            self._selected = selected
        if selected == self._selected:
            self._show_ticks(ticks)
        self._show_detail()

    @staticmethod
    def _cells(row: InstigatorRow) -> tuple[str | Text, ...]:
        state = Text("● on", style="green") if row.running else Text("○ off", style="grey50")
        return (
            state,
            row.kind,
            row.name,
            row.target,
            row.cadence,
            format_time(row.next_tick),
            tick_text(row.last_tick),
        )

    def _show_ticks(self, ticks: list[TickRecord]) -> None:
        if ticks == self.ticks:
            return
        self.ticks = ticks
        table = self.query_one("#automation-ticks", DataTable)
        table.clear()
        for tick in ticks:
            glyph, colour = TICK_STYLES[tick.status]
            reason = tick.error or tick.skip_reason or ""
            table.add_row(
                format_time(tick.timestamp),
                Text(f"{glyph} {tick.status.value.lower()}", style=colour),
                ", ".join(r[:8] for r in tick.run_ids) or "—",
                reason.strip().splitlines()[-1] if reason.strip() else "",
                key=str(tick.tick_id),
            )

    def _show_detail(self) -> None:
        row = self.selected
        detail = self.query_one("#automation-detail", Static)
        if row is None:
            detail.update("No schedules or sensors in these definitions.")
            return
        lines = [f"{row.kind} {row.name}: {'on' if row.running else 'off'}"]
        if row.description:
            lines.append(row.description.strip().splitlines()[0])
        if row.type is InstigatorType.SENSOR:
            lines.append(
                f"cursor: {row.cursor if row.cursor is not None else '(none)'}  (C resets)"
            )
        tick = row.last_tick
        if tick is not None and tick.error:
            lines.append(f"last error: {tick.error.strip().splitlines()[-1]}")
        shown = next((t for t in self.ticks if t.tick_id == self._tick_id), None) or tick
        if shown is not None and shown.log_lines:
            lines.append(f"log of the tick at {format_time(shown.timestamp)}:")
            lines += [f"  {line}" for line in shown.log_lines[-8:]]
        if row.name == AUTOMATION_SENSOR_NAME:
            lines += self._condition_lines(row.cursor)
        detail.update("\n".join(lines))

    def _condition_lines(self, cursor: str | None) -> list[str]:
        """Each automated asset's condition at the last evaluation: which parts held."""
        try:
            graph = self._defs.resolve_asset_graph()
        except Exception:  # definitions that do not resolve: nothing to explain
            return []
        keys = automated_asset_keys(graph)
        if not keys:
            return ["no asset has an automation condition"]
        if cursor is None:
            return ["conditions: not evaluated yet"]
        lines = ["conditions at the last evaluation (✔ true · ✘ false, with how many partitions):"]
        for key in keys:
            condition = graph.get(key).automation_condition
            partitioned = graph.get(key).is_partitioned
            for path, depth, label, count in explain(condition, cursor, key):
                if count is None:
                    mark = "·"
                else:
                    mark = "✔" if count else "✘"
                if count is not None and partitioned:
                    mark += f" {count}"
                head = f"{key.to_user_string()}: " if path == "0" else "  " * depth
                requested = "  → requested" if path == "0" and count else ""
                lines.append(f"  {head}{mark} {label}{requested}")
        return lines

    # ------------------------------------------------------------ selection and actions

    @on(DataTable.RowHighlighted, "#automation-list")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value is not None and event.row_key.value != self._selected:
            self._selected = event.row_key.value
            # The table still shows the previous instigator's ticks: empty it now, so that
            # they never stand under this one's header (also when this one has no ticks).
            self.ticks = []
            self.query_one("#automation-ticks", DataTable).clear()
            self._show_detail()
            self._read()

    @on(DataTable.RowHighlighted, "#automation-ticks")
    def _tick_highlighted(self, event: DataTable.RowHighlighted) -> None:
        value = event.row_key.value
        self._tick_id = int(value) if value is not None else None
        self._show_detail()

    def action_toggle_status(self) -> None:
        row = self.selected
        if row is not None:
            self._write(row, running=not row.running)

    def action_reset_cursor(self) -> None:
        row = self.selected
        if row is not None:
            self._write(row, reset_cursor=True)

    def action_close(self) -> None:
        self.dismiss(None)

    @work(thread=True, group="automation-write", exit_on_error=False)
    def _write(
        self, row: InstigatorRow, *, running: bool | None = None, reset_cursor: bool = False
    ) -> None:
        defs = self._defs
        if running is not None:
            if running:
                now = datetime.fromtimestamp(self._clock(), UTC)
                start_instigator(self._storage, defs, row.name, now)
            else:
                stop_instigator(self._storage, defs, row.name)
            self.post_message(self.StatusToggled(row.name, row.type, running))
        if reset_cursor:
            control_reset_cursor(self._storage, defs, row.name)
            self.app.call_from_thread(self.notify, f"Cursor of {row.name} reset.")
        self.app.call_from_thread(self._read)
