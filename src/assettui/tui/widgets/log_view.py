"""The log view: a run's structured events and its steps' stdout/stderr, following live.

Lines live in one list; a filtered list of indices is what the :class:`LogLines` line-API
widget draws, and it draws only the rows on screen, so 100,000 lines cost nothing per frame.
When the instance poller reports a change (a new event, or the run's capture files grew),
a worker reads what the run wrote since the last read (events by storage id, capture files
by byte offset) and posts the batch to the view.
"""

from __future__ import annotations

import bisect
import heapq
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Input, Static
from textual.worker import get_current_worker

from assettui.storage import DagsterEventType, EventRecord, Storage
from assettui.storage.compute_logs import CapturedOutput, output_signature
from assettui.tui.instance_poller import InstanceChanged, poller_of

LEVELS: tuple[str, ...] = ("DEBUG", "INFO", "WARNING", "ERROR")
_LEVEL_NUMBERS = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "ERROR": 40, "CRITICAL": 50}
_FAILURE_TYPES = frozenset(
    {
        DagsterEventType.STEP_FAILURE,
        DagsterEventType.RUN_FAILURE,
        DagsterEventType.ASSET_FAILED_TO_MATERIALIZE,
    }
)
_RUN_END_TYPES = frozenset(
    {DagsterEventType.RUN_SUCCESS, DagsterEventType.RUN_FAILURE, DagsterEventType.RUN_CANCELED}
)
# Level column: a word as well as a colour, so the view reads with NO_COLOR.
_LEVEL_TAGS = {
    "DEBUG": ("DEBUG", Style(dim=True)),
    "INFO": ("INFO ", Style(color="cyan")),
    "WARNING": ("WARN ", Style(color="yellow")),
    "ERROR": ("ERROR", Style(color="red", bold=True)),
    "CRITICAL": ("CRIT ", Style(color="red", bold=True)),
    "STDOUT": ("out  ", Style(color="green")),
    "STDERR": ("err  ", Style(color="magenta")),
}
_EVENT_PAGE = 5000


@dataclass(frozen=True, slots=True)
class LogLine:
    """One displayed line: part of an event, or one line of a step's stdout/stderr."""

    text: str
    level: str  # a logging level name, or STDOUT / STDERR for captured output
    step_key: str | None = None
    timestamp: float | None = None
    is_error: bool = False

    @property
    def level_number(self) -> int:
        # Captured output passes any filter up to INFO: print() has no level.
        return _LEVEL_NUMBERS.get(self.level, 20)


def event_lines(event: EventRecord) -> list[LogLine]:
    """The display lines of one event (a failure adds its error message and stack)."""
    is_error = event.event_type in _FAILURE_TYPES or event.level in ("ERROR", "CRITICAL")
    level = "ERROR" if event.event_type in _FAILURE_TYPES else event.level
    text = event.message or event.event_type.value
    if not event.message or event.event_type in _FAILURE_TYPES:
        text = f"{event.event_type.value}: {event.message}" if event.message else text
    lines = [
        LogLine(part, level, event.step_key, event.timestamp, is_error)
        for part in text.splitlines() or [""]
    ]
    error = event.payload.get("error") if isinstance(event.payload, Mapping) else None
    while isinstance(error, Mapping):
        head = f"{error.get('class_name') or 'Error'}: {error.get('message', '')}".rstrip()
        for part in [head, *(s.rstrip("\n") for s in error.get("stack") or ())]:
            for sub in part.splitlines():
                lines.append(LogLine("    " + sub, "ERROR", event.step_key, event.timestamp, True))
        error = error.get("cause")
        if isinstance(error, Mapping):
            lines.append(LogLine("  caused by:", "ERROR", event.step_key, event.timestamp, True))
    return lines


class RunTail:
    """Reads what a run wrote since the last call: new events and new capture-file lines.

    Plain Python (no Textual), used from the tail thread only.

    Args:
        storage: the instance storage.
        run_id: the run to follow.
    """

    def __init__(self, storage: Storage, run_id: str):
        self.storage = storage
        self.run_id = run_id
        self.last_id = 0
        self.finished = False
        self._steps: list[str] = []
        self._captured = CapturedOutput(storage, run_id)

    def poll(self) -> list[LogLine]:
        """New lines since the previous poll: events and captured output, in time order."""
        horizon = time.time()  # captured output after it waits for the events before it
        lines: list[LogLine] = []
        while True:
            events = self.storage.event_log.events_after(
                self.last_id, run_id=self.run_id, limit=_EVENT_PAGE
            )
            for event in events:
                self.last_id = event.storage_id
                if event.step_key and event.step_key not in self._steps:
                    self._steps.append(event.step_key)
                if event.event_type in _RUN_END_TYPES:
                    self.finished = True
                lines.extend(event_lines(event))
            if len(events) < _EVENT_PAGE:
                break
        captured = [
            LogLine(line.text, line.stream, step, line.timestamp)
            for step, line in self._captured.lines_until(self._steps, horizon, final=self.finished)
        ]
        return list(heapq.merge(lines, captured, key=lambda line: line.timestamp or 0.0))


@dataclass(frozen=True, slots=True)
class LogFilter:
    """Which lines show: minimum level, one step, errors only."""

    min_level: str = "DEBUG"
    step_key: str | None = None
    errors_only: bool = False

    def accepts(self, line: LogLine) -> bool:
        if self.errors_only and not line.is_error:
            return False
        if self.step_key is not None and line.step_key != self.step_key:
            return False
        return line.is_error or line.level_number >= _LEVEL_NUMBERS[self.min_level]


class LogLines(ScrollView, can_focus=True):
    """Draws the filtered lines, only the visible rows (Textual's line API)."""

    DEFAULT_CSS = """
    LogLines { height: 1fr; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("home", "left_edge", "Left edge", show=False),
        Binding("ctrl+home", "scroll_home", "Top", show=False),
    ]

    show_timestamps: reactive[bool] = reactive(False)
    wrap: reactive[bool] = reactive(False)  # long lines continue on the rows below

    class FollowChanged(Message):
        """Follow turned on or off (by scrolling up, ``f`` or the end key)."""

        def __init__(self, follow: bool) -> None:
            super().__init__()
            self.follow = follow

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.lines: list[LogLine] = []
        self.rows: list[int] = []  # indices into lines, after filtering
        self.filter = LogFilter()
        self.search: str = ""
        self.match_row: int | None = None  # row (in visible) of the current search match
        self.follow = True
        self._width = 0
        self._moving = False  # our own scrolling must not switch follow off
        # wrapping: the first display row of each filtered row (one more entry: the total)
        self._starts: list[int] = [0]
        self._wrap_width = 0

    # ------------------------------------------------------------ content

    def clear(self) -> None:
        self.lines = []
        self.rows = []
        self._width = 0
        self.match_row = None
        self._starts = [0]
        self.scroll_to(x=0, animate=False, force=True)  # a new run starts at the left
        self._update_size()

    def append(self, new: Sequence[LogLine]) -> None:
        """Add lines at the end; with follow on, keep the end in view."""
        start = len(self.lines)
        self.lines.extend(new)
        accepted = [start + i for i, line in enumerate(new) if self.filter.accepts(line)]
        self.rows.extend(accepted)
        for index in accepted:
            self._width = max(self._width, len(self.lines[index].text))
            self._starts.append(self._starts[-1] + self._height_of(index))
        self._update_size()
        if self.follow:
            self.scroll_to_end()
        elif accepted:
            self.refresh()

    def set_filter(self, log_filter: LogFilter) -> None:
        """Re-filter every line (keeps the line under the top of the view when it can)."""
        top = self.rows[self.row_at(int(self.scroll_y))] if self.rows and not self.follow else None
        self.filter = log_filter
        self.rows = [i for i, line in enumerate(self.lines) if log_filter.accepts(line)]
        self._width = max((len(self.lines[i].text) for i in self.rows), default=0)
        self.match_row = None
        self.scroll_to(x=0, animate=False, force=True)
        self._restart_wrap()
        if self.follow or top is None:
            self.scroll_to_end()
        else:
            self._scroll_to_row(bisect.bisect_left(self.rows, top))
        self.refresh()

    @property
    def prefix_width(self) -> int:
        """Columns before a line's text: level, step (and time)."""
        return 31 + (13 if self.show_timestamps else 0)

    def _update_size(self) -> None:
        if self.wrap:
            self.virtual_size = Size(self.scrollable_content_region.width, self._starts[-1])
        else:
            self.virtual_size = Size(self._width + self.prefix_width + 1, len(self.rows))

    def _height_of(self, line_index: int) -> int:
        if not self.wrap:
            return 1
        return max(1, -(-len(self.lines[line_index].text) // max(1, self._wrap_width)))

    def _restart_wrap(self) -> None:
        """Recount the display rows of every line (wrap turned on, resize, new filter)."""
        self._wrap_width = max(1, self.scrollable_content_region.width - self.prefix_width)
        starts = [0]
        for index in self.rows:
            starts.append(starts[-1] + self._height_of(index))
        self._starts = starts
        self._update_size()

    def row_at(self, display_row: int) -> int:
        """The filtered row shown at ``display_row`` (they differ when lines wrap)."""
        if not self.wrap:
            return display_row
        return max(0, bisect.bisect_right(self._starts, display_row) - 1)

    def display_row_of(self, row: int) -> int:
        return self._starts[row] if self.wrap and row < len(self._starts) else row

    def action_left_edge(self) -> None:
        """``home``: back to the start of the lines (horizontal scroll reset)."""
        self.scroll_to(x=0, animate=False, force=True)

    def watch_show_timestamps(self) -> None:
        self._restart_wrap()
        self.refresh()

    def watch_wrap(self) -> None:
        top = self.row_at(int(self.scroll_y)) if self.rows else 0
        self.scroll_to(x=0, animate=False, force=True)
        self._restart_wrap()
        if self.follow:
            self.scroll_to_end()
        else:
            self._scroll_to_row(top)
        self.refresh()

    def on_resize(self) -> None:
        if self.wrap:
            self._restart_wrap()
            if self.follow:
                self.scroll_to_end()

    # ------------------------------------------------------------ scrolling and follow

    def scroll_to_end(self) -> None:
        self._moving = True
        try:
            self.scroll_to(y=self.max_scroll_y, animate=False, force=True)
        finally:
            self._moving = False
        self.refresh()

    def _scroll_to_row(self, row: int) -> None:
        self._moving = True
        try:
            target = max(0, self.display_row_of(row) - self.scrollable_content_region.height // 3)
            self.scroll_to(y=target, animate=False, force=True)
        finally:
            self._moving = False
        self.refresh()

    def set_follow(self, follow: bool) -> None:
        if follow != self.follow:
            self.follow = follow
            self.post_message(self.FollowChanged(follow))
        if follow:
            self.scroll_to_end()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if not self._moving and new_value < old_value and self.follow:
            self.set_follow(False)

    def jump_to_row(self, row: int) -> None:
        """Show ``row`` (of the filtered lines) and stop following."""
        self.set_follow(False)
        self._scroll_to_row(row)

    # ------------------------------------------------------------ search

    def find(self, text: str, *, forward: bool = True, from_row: int | None = None) -> int | None:
        """Move to the next (or previous) visible line containing ``text`` (case-insensitive)."""
        self.search = text
        needle = text.lower()
        if not needle or not self.rows:
            self.match_row = None
            self.refresh()
            return None
        count = len(self.rows)
        if from_row is None:
            current = (
                self.match_row
                if self.match_row is not None
                else self.row_at(int(self.scroll_y)) - 1
            )
            from_row = current + (1 if forward else -1)
        step = 1 if forward else -1
        for offset in range(count):
            row = (from_row + step * offset) % count
            if needle in self.lines[self.rows[row]].text.lower():
                self.match_row = row
                self.jump_to_row(row)
                return row
        self.match_row = None
        self.refresh()
        return None

    # ------------------------------------------------------------ drawing

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        display = scroll_y + y
        row, part = display, 0
        if self.wrap:
            row = self.row_at(display)
            part = display - self._starts[row] if row < len(self.rows) else 0
        if row >= len(self.rows):
            return Strip.blank(width, self.rich_style)
        line = self.lines[self.rows[row]]
        segments: list[Segment] = []
        if part:  # a continuation row: the prefix column stays empty
            segments.append(Segment(" " * self.prefix_width, self.rich_style))
        else:
            if self.show_timestamps and line.timestamp is not None:
                stamp = datetime.fromtimestamp(line.timestamp).strftime("%H:%M:%S.%f")[:12]
                segments.append(Segment(stamp + " ", Style(dim=True)))
            elif self.show_timestamps:
                segments.append(Segment(" " * 13, self.rich_style))
            tag, tag_style = _LEVEL_TAGS.get(line.level, (line.level[:5].ljust(5), Style()))
            segments.append(Segment(tag + " ", tag_style))
            step = (line.step_key or "")[:24].ljust(24)
            segments.append(Segment(step + " ", Style(color="blue")))
        text = line.text
        if self.wrap:
            text = text[part * self._wrap_width : (part + 1) * self._wrap_width]
            scroll_x = 0
        text_style = Style(color="red") if line.is_error else Style()
        segments.extend(self._highlight(text, text_style, row == self.match_row))
        strip = Strip(segments).crop(scroll_x, scroll_x + width)
        return strip.extend_cell_length(width, self.rich_style)

    def _highlight(self, text: str, style: Style, current: bool) -> list[Segment]:
        needle = self.search.lower()
        if not needle or needle not in text.lower():
            return [Segment(text, style)]
        mark = style + Style(reverse=True, bold=current, underline=current)
        out: list[Segment] = []
        lowered, start = text.lower(), 0
        while (found := lowered.find(needle, start)) >= 0:
            out.append(Segment(text[start:found], style))
            out.append(Segment(text[found : found + len(needle)], mark))
            start = found + len(needle)
        out.append(Segment(text[start:], style))
        return out


class LogView(Vertical):
    """The log view of one run, following live.

    Keys: ``f`` follow, ``e`` errors only, ``t`` timestamps, ``v`` minimum level, ``s`` step,
    ``/`` search, ``n``/``N`` next/previous match.

    Args:
        storage: the instance storage (read from the view's own tail thread).
    """

    ALLOW_MAXIMIZE = True  # `z` zooms the pane

    DEFAULT_CSS = """
    LogView { height: 1fr; }
    LogView > #log-status { height: 1; background: $boost; padding: 0 1; }
    LogView > #log-search { display: none; height: 3; }
    LogView.-searching > #log-search { display: block; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f", "follow", "Follow"),
        Binding("e", "errors_only", "Errors only"),
        Binding("t", "timestamps", "Timestamps"),
        Binding("w", "wrap", "Wrap", tooltip="Wrap long lines (again: one row per line)"),
        Binding("v", "cycle_level", "Level"),
        Binding("s", "cycle_step", "Step"),
        Binding("slash", "search", "Search"),
        Binding("n", "next_match", "Next", show=False),
        Binding("N", "previous_match", "Previous", show=False),
    ]

    class RunLoaded(Message):
        """The first batch of a run's lines is on screen."""

        def __init__(self, run_id: str, line_count: int) -> None:
            super().__init__()
            self.run_id = run_id
            self.line_count = line_count

    def __init__(
        self, storage: Storage, *, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(id=id, classes=classes)
        self._storage = storage
        self.run_id: str | None = None
        self._generation = 0
        self._target_lock = threading.Lock()  # guards the three fields below
        self._tail: RunTail | None = None
        self._first = True  # the next batch is the run's first
        self._read_lock = threading.Lock()  # one read at a time: the tail keeps offsets
        self._opened_on_error = False

    def compose(self) -> ComposeResult:
        yield Static("no run selected", id="log-status")
        yield LogLines(id="log-lines")
        yield Input(placeholder="search, enter to find, esc to close", id="log-search")

    @property
    def log_lines(self) -> LogLines:
        return self.query_one(LogLines)

    def on_mount(self) -> None:
        poller_of(self, self._storage).subscribe(self, self._output_probe, every=0.1)

    def on_unmount(self) -> None:
        poller_of(self, self._storage).unsubscribe(self)

    # ------------------------------------------------------------ public API

    def show_run(self, run_id: str | None) -> None:
        """Show (and follow) ``run_id``'s log; ``None`` clears the view."""
        if run_id == self.run_id:
            return
        self.run_id = run_id
        with self._target_lock:
            self._generation += 1
            self._tail = RunTail(self._storage, run_id) if run_id is not None else None
            self._first = True
        self._opened_on_error = False
        lines = self.log_lines
        lines.clear()
        lines.search = ""
        lines.set_follow(True)
        self._update_status()
        self._read()

    @property
    def steps(self) -> list[str]:
        """Step keys seen in the current run, in first-seen order."""
        seen: dict[str, None] = {}
        for line in self.log_lines.lines:
            if line.step_key:
                seen.setdefault(line.step_key, None)
        return list(seen)

    # ------------------------------------------------------------ reading (worker)

    class LinesRead(Message):
        def __init__(self, generation: int, lines: list[LogLine], first: bool, failed: bool):
            super().__init__()
            self.generation = generation
            self.lines = lines
            self.first = first
            self.failed = failed

    def _output_probe(self) -> object:
        """The poller's probe: the capture files of the run shown, while it can still grow."""
        tail = self._tail
        if tail is None or tail.finished:
            return None
        return output_signature(self._storage, tail.run_id)

    def on_instance_changed(self, message: InstanceChanged) -> None:
        if self._tail is not None and not self._tail.finished:
            self._read()

    @work(thread=True, exclusive=True, group="log-read", exit_on_error=False)
    def _read(self) -> None:
        with self._read_lock:
            if get_current_worker().is_cancelled:
                return  # a newer read is queued behind this one
            with self._target_lock:
                generation, tail, first = self._generation, self._tail, self._first
            if tail is None or (tail.finished and not first):
                return
            run = self._storage.runs.get_run(tail.run_id)
            ended = run is None or run.is_finished
            lines = tail.poll()
            if ended:
                tail.finished = True  # everything it wrote is read; stop reading it
            if not (lines or first):
                return
            with self._target_lock:
                if generation == self._generation:
                    self._first = False
            failed = run is not None and run.is_failure
            self.post_message(self.LinesRead(generation, lines, first, failed))

    def on_log_view_lines_read(self, message: LinesRead) -> None:
        lines, first, failed = message.lines, message.first, message.failed
        if message.generation != self._generation:
            return  # a batch for a run that is no longer shown
        view = self.log_lines
        view.append(lines)
        if failed and not self._opened_on_error:
            self._open_on_error()
        self._update_status()
        if first and self.run_id is not None:
            self.post_message(self.RunLoaded(self.run_id, len(view.lines)))

    def _open_on_error(self) -> None:
        view = self.log_lines
        for row, index in enumerate(view.rows):
            if view.lines[index].is_error:
                self._opened_on_error = True
                view.jump_to_row(row)
                return

    # ------------------------------------------------------------ actions

    def action_follow(self) -> None:
        view = self.log_lines
        view.set_follow(not view.follow)
        self._update_status()

    def action_errors_only(self) -> None:
        view = self.log_lines
        current = view.filter
        view.set_filter(
            LogFilter(current.min_level, current.step_key, errors_only=not current.errors_only)
        )
        self._update_status()

    def action_timestamps(self) -> None:
        view = self.log_lines
        view.show_timestamps = not view.show_timestamps
        self._update_status()

    def action_wrap(self) -> None:
        view = self.log_lines
        view.wrap = not view.wrap
        self._update_status()

    def action_cycle_level(self) -> None:
        view = self.log_lines
        current = view.filter
        level = LEVELS[(LEVELS.index(current.min_level) + 1) % len(LEVELS)]
        view.set_filter(LogFilter(level, current.step_key, current.errors_only))
        self._update_status()

    def action_cycle_step(self) -> None:
        view = self.log_lines
        current = view.filter
        choices: list[str | None] = [None, *self.steps]
        position = choices.index(current.step_key) if current.step_key in choices else 0
        step = choices[(position + 1) % len(choices)]
        view.set_filter(LogFilter(current.min_level, step, current.errors_only))
        self._update_status()

    def set_filter(self, log_filter: LogFilter) -> None:
        """Apply a filter (level, step, errors only) directly."""
        self.log_lines.set_filter(log_filter)
        self._update_status()

    def action_search(self) -> None:
        self.add_class("-searching")
        search = self.query_one("#log-search", Input)
        search.value = self.log_lines.search
        search.focus()

    def action_next_match(self) -> None:
        self.log_lines.find(self.log_lines.search, forward=True)
        self._update_status()

    def action_previous_match(self) -> None:
        self.log_lines.find(self.log_lines.search, forward=False)
        self._update_status()

    @on(Input.Submitted, "#log-search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.remove_class("-searching")
        view = self.log_lines
        view.match_row = None
        view.find(event.value, forward=True, from_row=int(view.scroll_y))
        view.focus()
        self._update_status()

    def key_escape(self) -> None:
        if self.has_class("-searching"):
            self.remove_class("-searching")
            self.log_lines.focus()

    def on_log_lines_follow_changed(self, event: LogLines.FollowChanged) -> None:
        self._update_status()

    # ------------------------------------------------------------ status line

    def _update_status(self) -> None:
        view = self.log_lines
        if self.run_id is None:
            text = "no run selected"
        else:
            parts = [
                f"run {self.run_id[:8]}",
                f"{len(view.rows)}/{len(view.lines)} lines",
                "▶ follow" if view.follow else "⏸ paused (f)",
                f"level≥{view.filter.min_level}",
            ]
            if view.filter.step_key:
                parts.append(f"step {view.filter.step_key}")
            if view.filter.errors_only:
                parts.append("errors only")
            if view.wrap:
                parts.append("wrap")
            if view.search:
                found = "no match" if view.match_row is None else f"match @{view.match_row + 1}"
                parts.append(f"/{view.search} {found}")
            text = " · ".join(parts)
        self.query_one("#log-status", Static).update(text)


def lines_for_events(events: Iterable[EventRecord]) -> list[LogLine]:
    """The display lines of several events (used by tests and the details pane)."""
    out: list[LogLine] = []
    for event in events:
        out.extend(event_lines(event))
    return out
