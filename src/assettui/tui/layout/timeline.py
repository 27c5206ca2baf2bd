"""A run's step timeline (a Gantt of steps) as text: pure functions, no Textual.

Each step's bar spans its start to its end (or now, while it runs) on one time axis from the
run's start to its end; the bar's glyph says the step's state, so it reads without colour.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from assettui.model.records.events import DagsterEventType
from assettui.storage import EventRecord

_ENDS = {
    DagsterEventType.STEP_SUCCESS: "succeeded",
    DagsterEventType.STEP_FAILURE: "failed",
    DagsterEventType.STEP_SKIPPED: "skipped",
}
BAR_GLYPHS = {"succeeded": "█", "failed": "▓", "running": "▒", "skipped": "░", "retrying": "▒"}
STATUS_GLYPHS = {"succeeded": "✔", "failed": "✘", "running": "▶", "skipped": "⊘", "retrying": "↻"}


@dataclass(frozen=True)
class StepSpan:
    """One step of a run: when it started and ended (``None``: not yet) and how it ended."""

    key: str
    start: float | None
    end: float | None
    status: str  # running, succeeded, failed, skipped, retrying

    def duration(self, now: float) -> float | None:
        if self.start is None:
            return None
        return (self.end if self.end is not None else now) - self.start


def step_spans(events: Iterable[EventRecord]) -> list[StepSpan]:
    """The steps of a run from its events, in the order they started."""
    starts: dict[str, float] = {}
    ends: dict[str, tuple[float, str]] = {}
    order: dict[str, None] = {}
    for event in events:
        step = event.step_key
        if not step:
            continue
        kind = event.event_type
        if kind is DagsterEventType.STEP_START:
            order.setdefault(step, None)
            starts.setdefault(step, event.timestamp)
            ends.pop(step, None)
        elif kind in _ENDS:
            order.setdefault(step, None)
            ends[step] = (event.timestamp, _ENDS[kind])
        elif kind is DagsterEventType.STEP_UP_FOR_RETRY:
            ends[step] = (event.timestamp, "retrying")
    spans = []
    for step in order:
        end, status = ends.get(step, (None, "running"))
        if status == "retrying":
            end = None
        spans.append(StepSpan(step, starts.get(step), end, status))
    return spans


def bar(span: StepSpan, origin: float, until: float, width: int) -> str:
    """``span`` as ``width`` characters on the axis ``origin``..``until``."""
    if width <= 0:
        return ""
    if span.start is None:
        return " " * width
    scale = width / max(until - origin, 1e-6)
    left = min(width - 1, max(0, int((span.start - origin) * scale)))
    end = span.end if span.end is not None else until
    right = min(width, max(left + 1, round((end - origin) * scale)))
    glyph = BAR_GLYPHS.get(span.status, "█")
    return " " * left + glyph * (right - left) + " " * (width - right)


def format_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    if seconds < 60:
        return f"{seconds:.1f}s"
    if seconds < 3600:
        return f"{int(seconds // 60)}m{int(seconds % 60):02d}s"
    return f"{int(seconds // 3600)}h{int(seconds % 3600 // 60):02d}m"
