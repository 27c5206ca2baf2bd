"""The partition calendar: every partition of one asset as a glyph, coloured by status.

Daily partitions draw as months x days, hourly as days x hours, monthly as years x months;
other time cadences, static and dynamic partitions as a grid of named cells; two-dimensional
(multi) partitions as a matrix. Only the page of rows on screen is drawn. A range is selected
with ``space`` (anchor) or shift+arrows and ``b`` opens the backfill dialog; the backfill is
submitted to the backfill engine, and the scheduler (the app's embedded scheduler thread, or
``assettui daemon``) launches its runs.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import work
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Static
from textual.worker import get_current_worker

from assettui.automation.backfill import submit_backfill
from assettui.automation.backfill_plan import BackfillPlan
from assettui.model.asset_graph import AssetGraph
from assettui.model.asset_key import AssetKey
from assettui.model.partitions.definitions import DynamicPartitionsDefinition, PartitionsDefinition
from assettui.model.partitions.multi import MultiPartitionsDefinition
from assettui.storage import Storage
from assettui.tui.instance_poller import InstanceChanged, poller_of
from assettui.tui.layout.calendar import CalendarLayout, build_layout
from assettui.tui.screens.backfill_dialog import BackfillChoice, BackfillDialog
from assettui.tui.status import PARTITION_MISSING as MISSING, PARTITION_STYLES

_REFRESH_SECONDS = 1.0  # a big calendar's statuses are re-read at most this often


class StorageDynamicPartitions:
    """Dagster's ``DynamicPartitionsStore`` over the instance storage."""

    def __init__(self, storage: Storage):
        self._storage = storage

    def get_dynamic_partitions(self, partitions_def_name: str) -> Sequence[str]:
        return self._storage.dynamic_partitions.get(partitions_def_name)

    def has_dynamic_partition(self, partitions_def_name: str, partition_key: str) -> bool:
        return self._storage.dynamic_partitions.has(partitions_def_name, partition_key)


class CalendarGrid(Widget, can_focus=True):
    """Draws the current page of a :class:`CalendarLayout` with the cursor and selection."""

    DEFAULT_CSS = """
    CalendarGrid { height: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.layout_: CalendarLayout = CalendarLayout("grid", (), ())
        self.statuses: Mapping[str, str] = {}
        self.cursor_at: tuple[int, int] | None = None
        self.range_anchor: tuple[int, int] | None = None

    class Resized(Message):
        """The grid's height, and so its page size, changed."""

    def on_resize(self) -> None:
        self.post_message(self.Resized())

    @property
    def page_size(self) -> int:
        return max(1, self.size.height - 1)

    @property
    def page(self) -> int:
        return (self.cursor_at[0] if self.cursor_at else 0) // self.page_size

    @property
    def page_count(self) -> int:
        return max(1, -(-len(self.layout_.rows) // self.page_size))

    def is_selected(self, position: tuple[int, int]) -> bool:
        if self.range_anchor is None or self.cursor_at is None:
            return False
        if self.layout_.kind == "matrix":
            (r0, c0), (r1, c1) = self.range_anchor, self.cursor_at
            return min(r0, r1) <= position[0] <= max(r0, r1) and min(c0, c1) <= position[1] <= max(
                c0, c1
            )
        index = self.layout_.index
        key = self.layout_.rows[position[0]].cells[position[1]]
        if key is None:
            return False
        low, high = sorted(index[self._key(p)] for p in (self.range_anchor, self.cursor_at))
        return low <= index[key] <= high

    def _key(self, position: tuple[int, int]) -> str:
        key = self.layout_.rows[position[0]].cells[position[1]]
        assert key is not None
        return key

    def render_line(self, y: int) -> Strip:
        layout = self.layout_
        width = self.size.width
        label_width = layout.label_width
        base = self.rich_style  # every segment styled: NO_COLOR's filter needs a style
        if y == 0:
            heading = "".join(
                c[: layout.cell_width].ljust(layout.cell_width) for c in layout.columns
            )
            text = " " * label_width + heading
            heading_strip = Strip([Segment(text[:width], base + Style(dim=True))])
            return heading_strip.extend_cell_length(width, base)
        row_index = self.page * self.page_size + y - 1
        if row_index >= len(layout.rows):
            return Strip.blank(width, base)
        row = layout.rows[row_index]
        segments = [Segment(row.label.ljust(label_width), base + Style(color="blue"))]
        for column, key in enumerate(row.cells):
            if key is None:
                segments.append(Segment(" " * layout.cell_width, base))
                continue
            glyph, style = PARTITION_STYLES[self.statuses.get(key, MISSING)]
            text = glyph
            if layout.show_names:
                text += " " + key[: layout.cell_width - 3]
            text = text.ljust(layout.cell_width - 1)
            position = (row_index, column)
            if position == self.cursor_at:
                style = style + Style(reverse=True, bold=True)
            elif self.is_selected(position):
                style = style + Style(underline=True, bgcolor="grey23")
            segments.append(Segment(text, base + style))
            segments.append(Segment(" ", base))
        return Strip(segments).crop(0, width).extend_cell_length(width, base)


class PartitionCalendar(Vertical):
    """The partition heat-map of one asset.

    Keys: arrows move, shift+arrows extend the selection, ``space`` sets/clears the range
    anchor, ``escape`` clears, ``pageup``/``pagedown`` flip pages, ``b`` backfills.

    Args:
        storage: the instance storage.
        asset_key: the asset (``None``: nothing shown until :meth:`set_asset`).
        partitions_def: its partitions definition.
        graph: the asset graph (backfills are planned on it); without one, ``b`` says so.
    """

    DEFAULT_CSS = """
    PartitionCalendar { height: 1fr; }
    PartitionCalendar > .calendar-bar { height: 1; background: $boost; padding: 0 1; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left,h", "move(0, -1)", "Left", show=False),
        Binding("right,l", "move(0, 1)", "Right", show=False),
        Binding("up,k", "move(-1, 0)", "Up", show=False),
        Binding("down,j", "move(1, 0)", "Down", show=False),
        Binding("shift+left", "extend(0, -1)", "Select", show=False),
        Binding("shift+right", "extend(0, 1)", "Select", show=False),
        Binding("shift+up", "extend(-1, 0)", "Select", show=False),
        Binding("shift+down", "extend(1, 0)", "Select", show=False),
        Binding("pageup", "flip_page(-1)", "Page up", show=False),
        Binding("pagedown", "flip_page(1)", "Page down", show=False),
        Binding("space", "toggle_anchor", "Range"),
        Binding("escape", "clear_selection", "Clear", show=False),
        Binding("b", "backfill", "Backfill"),
    ]

    class PartitionHighlighted(Message):
        """The cursor moved to another partition."""

        def __init__(self, asset_key: AssetKey, partition_key: str) -> None:
            super().__init__()
            self.asset_key = asset_key
            self.partition_key = partition_key

    class BackfillSubmitted(Message):
        """A backfill was submitted from the calendar (the scheduler launches its runs)."""

        def __init__(self, backfill_id: str, run_count: int) -> None:
            super().__init__()
            self.backfill_id = backfill_id
            self.run_count = run_count

    def __init__(
        self,
        storage: Storage,
        asset_key: AssetKey | None = None,
        partitions_def: PartitionsDefinition | None = None,
        *,
        graph: AssetGraph | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self._storage = storage
        self.graph = graph
        self.asset_key = asset_key
        self.partitions_def = partitions_def
        self._lock = threading.Lock()  # guards the asset and its generation
        self._generation = 0
        self._built: tuple[int, int] | None = None  # (generation, key count) of the layout shown
        self.keys: list[str] = []
        self.loaded = False

    def compose(self) -> ComposeResult:
        yield Static("", classes="calendar-bar", id="calendar-title")
        yield CalendarGrid(id="calendar-grid")
        yield Static("", classes="calendar-bar", id="calendar-footer")

    @property
    def grid(self) -> CalendarGrid:
        return self.query_one(CalendarGrid)

    def on_mount(self) -> None:
        self._update_bars()
        poller_of(self, self._storage).subscribe(self, every=_REFRESH_SECONDS)

    def on_unmount(self) -> None:
        poller_of(self, self._storage).unsubscribe(self)

    # ------------------------------------------------------------ public API

    def set_asset(self, asset_key: AssetKey | None, partitions_def: PartitionsDefinition | None):
        """Show another asset's partitions."""
        with self._lock:
            self._generation += 1
            self.asset_key = asset_key
            self.partitions_def = partitions_def
        self.loaded = False
        self.keys = []
        grid = self.grid
        grid.layout_ = CalendarLayout("grid", (), ())
        grid.cursor_at = grid.range_anchor = None
        grid.refresh()
        self._update_bars()
        self._read()

    @property
    def cursor_key(self) -> str | None:
        """The partition under the cursor."""
        grid = self.grid
        return grid._key(grid.cursor_at) if grid.cursor_at is not None else None

    @property
    def selected_keys(self) -> list[str]:
        """The selected partitions in partition order (the cursor's alone without a range)."""
        grid = self.grid
        if grid.cursor_at is None:
            return []
        if grid.range_anchor is None:
            return [grid._key(grid.cursor_at)]
        chosen = {
            key for key, position in grid.layout_.positions.items() if grid.is_selected(position)
        }
        return [key for key in self.keys if key in chosen]

    @property
    def statuses(self) -> Mapping[str, str]:
        return self.grid.statuses

    # ------------------------------------------------------------ loading (thread)

    class PartitionsRead(Message):
        def __init__(
            self,
            generation: int,
            keys: list[str],
            layout: CalendarLayout | None,
            statuses: dict[str, str],
        ) -> None:
            super().__init__()
            self.generation = generation
            self.keys = keys
            self.layout = layout
            self.statuses = statuses

    def on_instance_changed(self, message: InstanceChanged) -> None:
        self._read()

    @work(thread=True, exclusive=True, group="calendar-read", exit_on_error=False)
    def _read(self) -> None:
        with self._lock:
            generation, asset_key, partitions_def = (
                self._generation,
                self.asset_key,
                self.partitions_def,
            )
        if asset_key is None or partitions_def is None:
            return
        try:
            store = StorageDynamicPartitions(self._storage)
            keys = partitions_def.get_partition_keys(dynamic_partitions_store=store)
        except Exception as error:  # a bad definition is shown, not fatal
            self.app.call_from_thread(self.notify, str(error), severity="error")
            keys = []
        layout = None
        if self._built != (generation, len(keys)):
            layout = build_layout(partitions_def, keys, self.size.width or 80)
        rows = self._storage.asset_status.partition_statuses(asset_key)
        statuses = {row.partition or "": row.status.value for row in rows}
        if not get_current_worker().is_cancelled:  # else a newer read follows
            self.post_message(self.PartitionsRead(generation, keys, layout, statuses))

    def on_partition_calendar_partitions_read(self, message: PartitionsRead) -> None:
        generation, keys, layout = message.generation, message.keys, message.layout
        if generation != self._generation:
            return
        grid = self.grid
        if layout is not None:
            self._built = (generation, len(keys))
            current = self.cursor_key if grid.cursor_at is not None else None
            self.keys = keys
            grid.layout_ = layout
            grid.range_anchor = None
            if current in layout.positions:
                grid.cursor_at = layout.positions[current]
            else:
                grid.cursor_at = layout.positions[layout.order[-1]] if layout.order else None
        grid.statuses = message.statuses
        self.loaded = True
        grid.refresh()
        self._update_bars()

    # ------------------------------------------------------------ movement

    def _step(self, position: tuple[int, int], d_row: int, d_col: int) -> tuple[int, int]:
        layout = self.grid.layout_
        if d_col:
            index = layout.index[layout.rows[position[0]].cells[position[1]] or ""]
            index = min(max(index + d_col, 0), len(layout.order) - 1)
            return layout.positions[layout.order[index]]
        row = position[0] + d_row
        while 0 <= row < len(layout.rows):
            cells = layout.rows[row].cells
            filled = [c for c, key in enumerate(cells) if key is not None]
            if filled:
                return (row, min(filled, key=lambda c: abs(c - position[1])))
            row += d_row
        return position

    def action_move(self, d_row: int, d_col: int) -> None:
        grid = self.grid
        if grid.cursor_at is None:
            return
        grid.cursor_at = self._step(grid.cursor_at, d_row, d_col)
        self._moved()

    def action_extend(self, d_row: int, d_col: int) -> None:
        grid = self.grid
        if grid.cursor_at is None:
            return
        if grid.range_anchor is None:
            grid.range_anchor = grid.cursor_at
        grid.cursor_at = self._step(grid.cursor_at, d_row, d_col)
        self._moved()

    def action_flip_page(self, pages: int) -> None:
        grid = self.grid
        if grid.cursor_at is None:
            return
        target = min(max(grid.cursor_at[0] + pages * grid.page_size, 0), len(grid.layout_.rows) - 1)
        grid.cursor_at = self._step((target, grid.cursor_at[1]), 0, 0)
        if grid.layout_.rows[target].cells[grid.cursor_at[1]] is None:
            grid.cursor_at = self._step((target - 1, grid.cursor_at[1]), 1, 0)
        self._moved()

    def action_toggle_anchor(self) -> None:
        grid = self.grid
        grid.range_anchor = None if grid.range_anchor is not None else grid.cursor_at
        self._moved()

    def action_clear_selection(self) -> None:
        if self.grid.range_anchor is None:
            raise SkipAction()  # nothing to clear: escape goes on to the screen, which closes
        self.grid.range_anchor = None
        self._moved()

    def on_calendar_grid_resized(self, _message: CalendarGrid.Resized) -> None:
        self._update_bars()  # the page size (and so the page label) follows the grid's height

    def _moved(self) -> None:
        self.grid.refresh()
        self._update_bars()
        key = self.cursor_key
        if key is not None and self.asset_key is not None:
            self.post_message(self.PartitionHighlighted(self.asset_key, key))

    # ------------------------------------------------------------ backfill

    def action_backfill(self) -> None:
        keys = self.selected_keys
        asset_key = self.asset_key
        graph = self.graph
        if not keys or asset_key is None:
            return
        if graph is None or not graph.has(asset_key):
            self.notify("No asset graph: cannot backfill from here.", severity="warning")
            return

        def chosen(choice: BackfillChoice | None) -> None:
            if choice is not None:
                self._submit(graph, asset_key, choice.plan)

        self.app.push_screen(BackfillDialog(self._storage, graph, asset_key, keys), chosen)

    @work(thread=True, group="calendar-backfill", exit_on_error=False)
    def _submit(self, graph: AssetGraph, asset_key: AssetKey, plan: BackfillPlan) -> None:
        try:
            backfill_id = submit_backfill(
                self._storage, graph, [asset_key], plan.partition_keys, plan=plan
            )
        except Exception as error:  # shown to the user, never a crash
            self.app.call_from_thread(self.notify, str(error), severity="error")
            return
        self.post_message(self.BackfillSubmitted(backfill_id, len(plan.runs)))
        self.app.call_from_thread(
            self.notify, f"Backfill {backfill_id} submitted: {len(plan.runs)} runs."
        )

    # ------------------------------------------------------------ bars

    def _update_bars(self) -> None:
        grid = self.grid
        title = self.query_one("#calendar-title", Static)
        footer = self.query_one("#calendar-footer", Static)
        if self.asset_key is None or self.partitions_def is None:
            title.update("no partitioned asset selected")
            footer.update("")
            return
        counts = count_statuses(self.keys, grid.statuses)
        legend = "  ".join(
            f"{PARTITION_STYLES[s][0]} {counts[s]} {s.replace('_', ' ')}" for s in counts
        )
        title.update(f"{self.asset_key.to_user_string()} · {len(self.keys)} partitions · {legend}")
        selected = self.selected_keys
        parts = [f"page {grid.page + 1}/{grid.page_count}"]
        if self.cursor_key is not None:
            status = grid.statuses.get(self.cursor_key, MISSING).replace("_", " ")
            parts.append(f"{self.cursor_key} ({status})")
        if grid.range_anchor is not None:
            parts.append(f"{len(selected)} selected: {selected[0]} … {selected[-1]}")
        parts.append("space range · b backfill")
        footer.update(" · ".join(parts))


def count_statuses(keys: Sequence[str], statuses: Mapping[str, str]) -> dict[str, int]:
    """How many of ``keys`` are in each status (missing when there is no status row)."""
    counts = dict.fromkeys(PARTITION_STYLES, 0)
    for key in keys:
        counts[statuses.get(key, MISSING)] += 1
    return counts


def dynamic_partitions_names(partitions_def: PartitionsDefinition) -> list[str]:
    """Names of the dynamic partition sets behind ``partitions_def`` (for refresh hints)."""
    if isinstance(partitions_def, DynamicPartitionsDefinition) and partitions_def.name:
        return [partitions_def.name]
    if isinstance(partitions_def, MultiPartitionsDefinition):
        return [
            n
            for d in partitions_def.partitions_defs
            for n in dynamic_partitions_names(d.partitions_def)
        ]
    return []
