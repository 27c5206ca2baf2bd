"""The asset details pane: definition, last materialization, history, checks, lineage."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import work
from textual.containers import VerticalScroll
from textual.widgets import Static

from assettui.model.asset_graph import AssetGraph as DefGraph
from assettui.model.asset_key import AssetKey
from assettui.model.metadata import metadata_from_json
from assettui.storage import CheckResultRecord, EventRecord, Storage
from assettui.tui.status import COLOURS, MISSING, NodeState

HISTORY = 30
_BARS = "▁▂▃▄▅▆▇█"


@dataclass(frozen=True)
class DetailsData:
    """What the pane shows of one asset, read from storage in a worker."""

    key: AssetKey
    history: tuple[EventRecord, ...]  # newest first
    checks: tuple[CheckResultRecord, ...]


def sparkline(values: list[float]) -> str:
    """A one-line bar chart of ``values`` (oldest first)."""
    if not values:
        return ""
    lo, hi = min(values), max(values)
    span = (hi - lo) or 1.0
    return "".join(_BARS[int((v - lo) / span * (len(_BARS) - 1))] for v in values)


def _when(ts: float | None) -> str:
    if not ts:
        return "—"
    ago = time.time() - ts
    rel = (
        f"{int(ago)}s" if ago < 90 else f"{int(ago / 60)}m" if ago < 5400 else f"{int(ago / 3600)}h"
    )
    return f"{datetime.fromtimestamp(ts):%Y-%m-%d %H:%M:%S} ({rel} ago)"


def _plain(value: Any) -> str:
    text = str(getattr(value, "value", value))
    return text if len(text) <= 60 else text[:59] + "…"


class AssetDetails(VerticalScroll, can_focus=True):
    """Details of the selected asset; storage reads run in a thread worker."""

    ALLOW_MAXIMIZE = True  # `z` zooms the pane

    def __init__(self, storage: Storage, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.storage = storage
        self.graph: DefGraph | None = None
        self.key: AssetKey | None = None
        self.state: NodeState = MISSING
        self.data: DetailsData | None = None
        self.border_title = "Details"

    def compose(self):  # type: ignore[no-untyped-def]
        yield Static(id="details-body")

    def show(self, graph: DefGraph, key: AssetKey | None, state: NodeState | None = None) -> None:
        """Show ``key`` of ``graph`` and refresh its stored facts in the background."""
        changed = key != self.key
        self.graph, self.key = graph, key
        self.state = state or MISSING
        if changed:
            self.data = None
        self._draw()
        if key is not None:
            self._load(key)

    @work(thread=True, exclusive=True, group="details")
    def _load(self, key: AssetKey) -> None:
        history = self.storage.event_log.asset_events(key, limit=HISTORY)
        checks = self.storage.asset_status.latest_check_results(key)
        data = DetailsData(key, tuple(history), tuple(checks))
        self.app.call_from_thread(self._loaded, data)

    def _loaded(self, data: DetailsData) -> None:
        if data.key == self.key and data != self.data:
            self.data = data
            self._draw()

    def _draw(self) -> None:
        body = self.query_one("#details-body", Static)
        if self.graph is None or self.key is None or not self.graph.has(self.key):
            body.update(Text("No asset selected.", style="dim"))
            return
        body.update(self._render_asset(self.graph, self.key))

    def _render_asset(self, graph: DefGraph, key: AssetKey) -> Group:
        node = graph.get(key)
        state = self.state
        colour = COLOURS.get(state.status, "")
        title = Text.assemble(
            (f"{state.glyph} ", f"bold {colour}"),
            (key.to_user_string(), "bold"),
            "  ",
            (state.status, colour),
        )
        facts = Table.grid(padding=(0, 1))
        facts.add_column(style="dim", no_wrap=True)
        facts.add_column()
        facts.add_row("group", node.group_name)
        if node.kinds:
            facts.add_row("kinds", ", ".join(sorted(node.kinds)))
        if node.owners:
            facts.add_row("owners", ", ".join(node.owners))
        facts.add_row("code version", node.code_version or "—")
        if node.partitions_def is not None:
            facts.add_row(
                "partitions", f"{type(node.partitions_def).__name__} · {state.counts_label()}"
            )
        for name, value in node.metadata.items():
            facts.add_row(name, _plain(value))
        parts: list[Any] = [title]
        if state.reason:
            parts.append(Text(state.reason, style=colour))
        if node.description:
            parts += [Text(node.description.strip(), style="italic")]
        parts += [facts, *self._render_history(), *self._render_checks(node.check_keys)]
        ups = ", ".join(sorted(p.to_user_string() for p in node.parent_keys)) or "—"
        downs = ", ".join(sorted(c.to_user_string() for c in node.child_keys)) or "—"
        lineage = Table.grid(padding=(0, 1))
        lineage.add_column(style="dim", no_wrap=True)
        lineage.add_column()
        lineage.add_row("upstream ←", ups)
        lineage.add_row("downstream →", downs)
        parts += [Text("Lineage", style="bold underline"), lineage]
        return Group(*parts)

    def _render_history(self) -> list[Any]:
        data = self.data
        if data is None:
            return [Text("loading…", style="dim")]
        if not data.history:
            return [Text("Never materialized.", style="dim")]
        last = data.history[0]
        table = Table.grid(padding=(0, 1))
        table.add_column(style="dim", no_wrap=True)
        table.add_column()
        table.add_row("last run", (last.run_id or "—")[:8])
        table.add_row("at", _when(last.timestamp))
        if last.partition:
            table.add_row("partition", last.partition)
        metadata = metadata_from_json(last.payload.get("metadata"))
        for name, value in metadata.items():
            table.add_row(name, _plain(value))
        series = self._numeric_series()
        for name, values in series.items():
            if len(values) > 1:
                table.add_row(f"{name} trend", sparkline(values))
        table.add_row("history", f"{len(data.history)} materialization(s) shown")
        return [Text("Last materialization", style="bold underline"), table]

    def _numeric_series(self) -> dict[str, list[float]]:
        assert self.data is not None
        series: dict[str, list[float]] = {}
        for record in reversed(self.data.history):
            for name, value in metadata_from_json(record.payload.get("metadata")).items():
                raw = getattr(value, "value", None)
                if isinstance(raw, int | float) and not isinstance(raw, bool):
                    series.setdefault(name, []).append(float(raw))
        return series

    def _render_checks(self, check_keys: Any) -> list[Any]:
        if not check_keys:
            return []
        results = {r.check_name: r for r in (self.data.checks if self.data else ())}
        table = Table.grid(padding=(0, 1))
        table.add_column(no_wrap=True)
        table.add_column()
        for check in sorted(check_keys, key=lambda c: c.name):
            record = results.get(check.name)
            if record is None or record.passed is None:
                glyph, style, what = "○", "bright_black", "not evaluated"
                if record is not None and record.in_progress_run_id:
                    glyph, style, what = "▶", "cyan", "running"
            elif record.passed:
                glyph, style, what = "✔", "green", f"passed {_when(record.timestamp)}"
            else:
                glyph, style, what = "✖", "red", f"failed {_when(record.timestamp)}"
            table.add_row(Text(f"{glyph} {check.name}", style=style), what)
        return [Text("Checks", style="bold underline"), table]
