"""Asset status for the UI: a glyph and a colour per status, from the engine's asset states.

Every status has a glyph as well as a colour, so the graph reads with ``NO_COLOR``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rich.style import Style
from rich.text import Text

from assettui.execution.asset_state import asset_states
from assettui.model.asset_graph import AssetGraph
from assettui.model.asset_key import AssetKey
from assettui.storage import AssetPartitionStatus, Storage

STATUSES = ("fresh", "stale", "missing", "failed", "running", "queued", "external")

GLYPHS: Mapping[str, str] = {
    "fresh": "●",
    "stale": "◐",
    "missing": "○",
    "failed": "✖",
    "running": "▶",
    "queued": "◷",
    "external": "◇",
}

COLOURS: Mapping[str, str] = {
    "fresh": "green",
    "stale": "yellow",
    "missing": "bright_black",
    "failed": "red",
    "running": "cyan",
    "queued": "magenta",
    "external": "blue",
}

# Styles for the roles graph_layout emits.
ROLE_STYLES: Mapping[str, str] = {
    "": "",
    "edge": "bright_black",
    "edge.lit": "bold $accent",
    "box": "bright_black",
    "box.lit": "$accent",
    "box.sel": "bold $accent",
    "title": "",
    "title.sel": "bold reverse",
    "sub": "dim",
    "lane": "bright_black",
    "group": "dim",
    "name": "",
    "name.sel": "bold reverse",
    "name.lit": "$accent",
    **{f"status.{s}": f"bold {c}" for s, c in COLOURS.items()},
}


PARTITION_MISSING = "missing"
# Glyph and colour per partition status (calendar and health bar): the glyph alone must say
# it (NO_COLOR).
PARTITION_STYLES: dict[str, tuple[str, Style]] = {
    AssetPartitionStatus.MATERIALIZED.value: ("●", Style(color="green")),
    AssetPartitionStatus.FAILED.value: ("✘", Style(color="red", bold=True)),
    AssetPartitionStatus.IN_PROGRESS.value: ("◐", Style(color="yellow")),
    PARTITION_MISSING: ("·", Style(color="grey50")),
}
# A health bar's cell covering several partitions shows a failure or a run in progress if it
# holds one, else what most of its partitions are (materialized or missing).
_BAR_PRIORITY = ("failed", "in_progress")


def health_bar(statuses: Sequence[str], width: int) -> Text:
    """Partitions in order as at most ``width`` glyphs, as Dagster's partition health bar."""
    if not statuses or width <= 0:
        return Text()
    cells = min(width, len(statuses))
    text = Text()
    for cell in range(cells):
        bucket = statuses[cell * len(statuses) // cells : (cell + 1) * len(statuses) // cells]
        status = next((s for s in _BAR_PRIORITY if s in bucket), None)
        if status is None:
            done = sum(1 for s in bucket if s == "materialized")
            status = "materialized" if done * 2 >= len(bucket) else PARTITION_MISSING
        glyph, style = PARTITION_STYLES[status]
        text.append(glyph, style)
    return text


@dataclass(frozen=True)
class NodeState:
    """What the graph shows of one asset's state.

    Attributes:
        status: one of :data:`STATUSES`.
        materialized: partitions materialized (1 or 0 when unpartitioned).
        failed: partitions failed.
        in_progress: partitions being materialized.
        total: partitions in the definition (``None`` when unpartitioned).
        reason: why the asset is stale or failed, when known.
    """

    status: str
    materialized: int = 0
    failed: int = 0
    in_progress: int = 0
    total: int | None = None
    reason: str | None = None

    @property
    def glyph(self) -> str:
        return GLYPHS.get(self.status, "?")

    @property
    def missing(self) -> int:
        if self.total is None:
            return 0
        return max(0, self.total - self.materialized - self.failed - self.in_progress)

    def counts_label(self) -> str:
        """``"3/7 ✘1 ◐1"`` for a partitioned asset (materialized of all, then failed and in
        progress when there are any), ``""`` otherwise."""
        if self.total is None:
            return ""
        label = f"{self.materialized}/{self.total}"
        if self.failed:
            label += f" {PARTITION_STYLES['failed'][0]}{self.failed}"
        if self.in_progress:
            label += f" {PARTITION_STYLES['in_progress'][0]}{self.in_progress}"
        return label

    def counts_sentence(self) -> str:
        """``"30 materialized · 1 failed · 306 missing"`` (partitioned assets)."""
        counts = (
            (self.materialized, "materialized"),
            (self.failed, "failed"),
            (self.in_progress, "in progress"),
            (self.missing, "missing"),
        )
        return " · ".join(f"{n} {what}" for n, what in counts if n) or "no partitions"


MISSING = NodeState("missing")


def load_states(graph: AssetGraph, storage: Storage) -> dict[AssetKey, NodeState]:
    """The state of every asset of ``graph`` (call from a worker thread: it reads storage)."""
    states: dict[AssetKey, NodeState] = {}
    for key, state in asset_states(graph, storage).items():
        states[key] = NodeState(
            status=state.status,
            materialized=state.materialized,
            failed=state.failed,
            in_progress=state.in_progress,
            total=state.total if graph.get(key).is_partitioned else None,
            reason=state.reason,
        )
    return states
