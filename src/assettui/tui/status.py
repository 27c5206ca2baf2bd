"""Asset status for the UI: a glyph and a colour per status, from the engine's asset states.

Every status has a glyph as well as a colour, so the graph reads with ``NO_COLOR``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from assettui.execution.asset_state import asset_states
from assettui.model.asset_graph import AssetGraph
from assettui.model.asset_key import AssetKey
from assettui.storage import Storage

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
    "name": "",
    "name.sel": "bold reverse",
    "name.lit": "$accent",
    **{f"status.{s}": f"bold {c}" for s, c in COLOURS.items()},
}


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

    def counts_label(self) -> str:
        """``"3/7"`` for a partitioned asset, ``""`` otherwise."""
        return f"{self.materialized}/{self.total}" if self.total is not None else ""


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
