"""The asset details pane: definition, lineage that navigates, last materialization, checks
and the materialization history (paged)."""

from __future__ import annotations

import inspect
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, ClassVar

from rich.console import Group
from rich.markdown import Markdown
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from assettui.model.asset_graph import AssetGraph as DefGraph
from assettui.model.asset_key import AssetKey
from assettui.model.metadata.values import metadata_from_json
from assettui.storage import CheckResultRecord, EventRecord, RunsFilter, Storage
from assettui.storage.instance import DagsterInstance
from assettui.tui.screens.full_text import FullTextScreen, full_value
from assettui.tui.status import COLOURS, MISSING, PARTITION_MISSING, NodeState, health_bar

HISTORY_PAGE = 20  # materializations per page of history (`o` loads the next page)
HISTORY_MAX = 200  # never more than this many rows in the pane
LINEAGE_MAX = 50  # upstream (and downstream) entries listed
_BARS = "▁▂▃▄▅▆▇█"


@dataclass(frozen=True)
class DetailsData:
    """What the pane shows of one asset, read from storage in a worker.

    Attributes:
        key: the asset.
        history: its newest materializations, newest first.
        has_older: more materializations exist than ``history`` holds.
        run_times: ``run id -> (started, ended)`` of the runs in ``history``.
        checks: the latest result of each of its checks.
        partitions: each partition's status, in the definition's order (partitioned assets).
    """

    key: AssetKey
    history: tuple[EventRecord, ...]
    checks: tuple[CheckResultRecord, ...]
    has_older: bool = False
    run_times: Mapping[str, tuple[float | None, float | None]] = field(default_factory=dict)
    partitions: tuple[str, ...] = ()


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


def _short(value: Any, width: int = 24) -> str:
    """A value in at most ``width`` characters; a long path keeps its end (the file name)."""
    text = str(getattr(value, "value", value))
    if len(text) <= width:
        return text
    return "…" + text[-(width - 1) :] if "/" in text else text[: width - 1] + "…"


def _short_time(ts: float, today: date) -> str:
    """``14:03:27`` today, ``11-20 14:03`` before."""
    moment = datetime.fromtimestamp(ts)
    return f"{moment:%H:%M:%S}" if moment.date() == today else f"{moment:%m-%d %H:%M}"


def _took(times: tuple[float | None, float | None] | None) -> str:
    if times is None or times[0] is None:
        return "—"
    if times[1] is None:
        return "▶"
    seconds = times[1] - times[0]
    if seconds < 60:
        return f"{seconds:.1f}s"
    if seconds < 3600:
        return f"{int(seconds // 60)}m{int(seconds % 60):02d}s"
    return f"{int(seconds // 3600)}h{int(seconds % 3600 // 60):02d}m"


def metadata_summary(payload: Mapping[str, Any], limit: int = 3) -> str:
    """``rows=3 · path=…/x`` — the first few metadata entries of an event, one line."""
    metadata = metadata_from_json(payload.get("metadata"))
    parts = [f"{name}={_short(value)}" for name, value in list(metadata.items())[:limit]]
    if len(metadata) > limit:
        parts.append(f"+{len(metadata) - limit}")
    return " · ".join(parts)


class AssetDetails(VerticalScroll, can_focus=True):
    """Details of the selected asset; storage reads run in a thread worker.

    Keys: ``enter`` on an upstream/downstream entry selects that asset; ``o`` loads older
    materializations.
    """

    ALLOW_MAXIMIZE = True  # `z` zooms the pane

    DEFAULT_CSS = """
    AssetDetails > #details-lineage {
        height: auto; max-height: 12; border: none; padding: 0; background: transparent;
    }
    AssetDetails > #details-lineage:focus { border: none; background-tint: $accent 8%; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("o", "older", "Older history", tooltip="Load older materializations"),
        Binding(
            "f", "full_text", "In full", tooltip="Description and every metadata value, unshortened"
        ),
    ]

    class AssetChosen(Message):
        """An upstream or downstream asset was chosen in the lineage list."""

        def __init__(self, key: AssetKey) -> None:
            super().__init__()
            self.key = key

    def __init__(self, storage: Storage, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.storage = storage
        self.graph: DefGraph | None = None
        self.key: AssetKey | None = None
        self.state: NodeState = MISSING
        self.states: Mapping[AssetKey, NodeState] = {}
        self.data: DetailsData | None = None
        self.pages = 1
        self.lineage_keys: list[AssetKey] = []
        self._lineage_signature: tuple[Any, ...] = ()
        self.border_title = "Details"

    def compose(self) -> ComposeResult:
        yield Static(id="details-body")
        yield Static(Text("Lineage", style="bold underline"), id="details-lineage-title")
        yield OptionList(id="details-lineage")
        yield Static(id="details-last")
        yield Static(id="details-history")

    def on_mount(self) -> None:
        self._draw()  # "No asset selected." until the first show()

    def show(
        self,
        graph: DefGraph,
        key: AssetKey | None,
        state: NodeState | None = None,
        states: Mapping[AssetKey, NodeState] | None = None,
    ) -> None:
        """Show ``key`` of ``graph`` and refresh its stored facts in the background.

        Args:
            graph: the asset graph.
            key: the asset to show.
            state: its state.
            states: every asset's state (for the glyphs of the lineage list).
        """
        changed = key != self.key
        self.graph, self.key = graph, key
        self.state = state or MISSING
        if states is not None:
            self.states = states
        if changed:
            self.data = None
            self.pages = 1
        self._draw()
        if key is not None:
            self._load(key, self.pages)

    def set_states(self, states: Mapping[AssetKey, NodeState]) -> None:
        """New states of every asset: redraws the lineage glyphs (no storage read)."""
        if states is not self.states:
            self.states = states
            if self.graph is not None and self.key is not None and self.graph.has(self.key):
                node = self.graph.get(self.key)
                self._set_lineage(sorted(node.parent_keys), sorted(node.child_keys))

    def focus_lineage(self) -> None:
        """Focus the upstream/downstream list (the pane itself when it is empty)."""
        lineage = self.query_one("#details-lineage", OptionList)
        (lineage if self.lineage_keys else self).focus()

    def action_full_text(self) -> None:
        graph, key = self.graph, self.key
        if graph is None or key is None or not graph.has(key):
            return
        node = graph.get(key)
        sections = {
            "Definition metadata": [(n, full_value(v)) for n, v in node.metadata.items()],
        }
        if self.data is not None and self.data.history:
            last = metadata_from_json(self.data.history[0].payload.get("metadata"))
            sections["Last materialization"] = [(n, full_value(v)) for n, v in last.items()]
        description = inspect.cleandoc(node.description) if node.description else None
        self.app.push_screen(FullTextScreen(key.to_user_string(), description, sections))

    def action_older(self) -> None:
        if self.key is None or self.data is None or not self.data.has_older:
            return
        if self.pages * HISTORY_PAGE >= HISTORY_MAX:
            self.notify(f"The pane shows at most {HISTORY_MAX} materializations.")
            return
        self.pages += 1
        self._load(self.key, self.pages)

    @work(thread=True, exclusive=True, group="details")
    def _load(self, key: AssetKey, pages: int) -> None:
        wanted = min(pages * HISTORY_PAGE, HISTORY_MAX)
        # One row more than shown says whether older ones exist (no count query needed).
        history = self.storage.event_log.asset_events(key, limit=wanted + 1)
        run_ids = sorted({e.run_id for e in history[:wanted] if e.run_id})
        runs = self.storage.runs.list_runs(RunsFilter(run_ids=run_ids)) if run_ids else []
        checks = self.storage.asset_status.latest_check_results(key)
        data = DetailsData(
            key,
            tuple(history[:wanted]),
            tuple(checks),
            has_older=len(history) > wanted,
            run_times={r.run_id: (r.started_at, r.ended_at) for r in runs},
            partitions=self._partition_statuses(key),
        )
        self.app.call_from_thread(self._loaded, data)

    def _partition_statuses(self, key: AssetKey) -> tuple[str, ...]:
        graph = self.graph
        if graph is None or not graph.has(key) or not graph.get(key).is_partitioned:
            return ()
        try:
            keys = graph.get(key).partitions_def.get_partition_keys(
                dynamic_partitions_store=DagsterInstance(self.storage)
            )
        except Exception:  # a definition that cannot list its keys: no bar, counts stay
            return ()
        stored = {
            row.partition or "": row.status.value
            for row in self.storage.asset_status.partition_statuses(key)
        }
        return tuple(stored.get(partition, PARTITION_MISSING) for partition in keys)

    def _loaded(self, data: DetailsData) -> None:
        if data.key == self.key and data != self.data:
            self.data = data
            self._draw()

    # ---- drawing ------------------------------------------------------------------------

    def _draw(self) -> None:
        body = self.query_one("#details-body", Static)
        parts = [self.query_one(f"#details-{n}") for n in ("lineage-title", "lineage", "last")]
        parts.append(self.query_one("#details-history"))
        if self.graph is None or self.key is None or not self.graph.has(self.key):
            body.update(Text("No asset selected.", style="dim"))
            for part in parts:
                part.display = False
            self._set_lineage([], [])
            return
        for part in parts:
            part.display = True
        node = self.graph.get(self.key)
        body.update(self._render_asset(self.graph, self.key))
        self._set_lineage(sorted(node.parent_keys), sorted(node.child_keys))
        last = self.query_one("#details-last", Static)
        last.update(Group(*self._render_last(), *self._render_checks(node.check_keys)))
        self.query_one("#details-history", Static).update(Group(*self._render_history()))

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
            facts.add_row("partitions", type(node.partitions_def).__name__)
            facts.add_row("", state.counts_sentence())
            if self.data is not None and self.data.partitions:
                width = max(10, min(48, self.size.width - 16))
                facts.add_row("", health_bar(self.data.partitions, width))
        for name, value in node.metadata.items():
            facts.add_row(name, _plain(value))
        parts: list[Any] = [title]
        if state.reason:
            parts.append(Text(state.reason, style=colour))
        if node.description:
            parts.append(Markdown(inspect.cleandoc(node.description)))
        parts.append(facts)
        return Group(*parts)

    def _set_lineage(self, parents: list[AssetKey], children: list[AssetKey]) -> None:
        """Rebuild the lineage list when its entries (or their states) changed."""
        # A hub asset can have thousands of children: list the first few of each side.
        shown = [(arrow, keys[:LINEAGE_MAX]) for arrow, keys in (("←", parents), ("→", children))]
        keys = [key for _, part in shown for key in part]
        signature = (tuple(parents), tuple(children), tuple(self.states.get(k) for k in keys))
        if signature == self._lineage_signature:
            return
        self._lineage_signature = signature
        lineage = self.query_one("#details-lineage", OptionList)
        highlighted = lineage.highlighted
        same_entries = self.lineage_keys == keys
        self.lineage_keys = keys
        options: list[Option] = []
        index = 0  # option id -> position in lineage_keys
        for (arrow, part), every in zip(shown, (parents, children), strict=True):
            for key in part:
                state = self.states.get(key, MISSING)
                prompt = Text.assemble(
                    (f"{arrow} ", "dim"),
                    (f"{state.glyph} ", COLOURS.get(state.status, "")),
                    key.to_user_string(),
                )
                options.append(Option(prompt, id=str(index)))
                index += 1
            if len(every) > len(part):
                more = f"{arrow} … {len(every) - len(part)} more (the graph shows them)"
                options.append(Option(Text(more, style="dim"), disabled=True))
        if not options:
            options.append(
                Option(Text("no upstream or downstream assets", style="dim"), disabled=True)
            )
        lineage.set_options(options)
        if keys:
            lineage.highlighted = highlighted if same_entries and highlighted is not None else 0

    @on(OptionList.OptionSelected, "#details-lineage")
    def _lineage_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option_id is not None and int(event.option_id) < len(self.lineage_keys):
            self.post_message(self.AssetChosen(self.lineage_keys[int(event.option_id)]))

    def _render_last(self) -> list[Any]:
        data = self.data
        heading = Text("Last materialization", style="bold underline")
        if data is None:
            return [heading, Text("loading…", style="dim")]
        if not data.history:
            return [heading, Text("Never materialized.", style="dim")]
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
        for name, values in self._numeric_series().items():
            if len(values) > 1:
                table.add_row(f"{name} trend", sparkline(values))
        return [heading, table]

    def _render_history(self) -> list[Any]:
        data = self.data
        if data is None or not data.history:
            return []
        count = len(data.history)
        heading = Text.assemble(
            ("History", "bold underline"), (f"  newest {count}", "dim") if data.has_older else ""
        )
        partitioned = any(e.partition for e in data.history)
        today = datetime.now().date()
        table = Table(box=None, padding=(0, 1), pad_edge=False, header_style="dim", expand=True)
        # Fixed columns keep their width; the metadata summary gets what is left.
        table.add_column("when", no_wrap=True, width=11)
        table.add_column("run", no_wrap=True, width=8)
        if partitioned:
            width = min(16, max(len(e.partition or "") for e in data.history))
            table.add_column("partition", no_wrap=True, overflow="ellipsis", width=width)
        table.add_column("took", no_wrap=True, justify="right", width=6)
        table.add_column("metadata", no_wrap=True, overflow="ellipsis", ratio=1)
        for event in data.history:
            row = [
                _short_time(event.timestamp, today),
                (event.run_id or "—")[:8],
            ]
            if partitioned:
                row.append(event.partition or "")
            row.append(_took(data.run_times.get(event.run_id or "")))
            row.append(metadata_summary(event.payload))
            table.add_row(*row)
        parts: list[Any] = [heading, table]
        if data.has_older:
            more = (
                f"… older materializations: o loads {HISTORY_PAGE} more"
                if count < HISTORY_MAX
                else f"… older materializations not shown (at most {HISTORY_MAX})"
            )
            parts.append(Text(more, style="dim"))
        return parts

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
