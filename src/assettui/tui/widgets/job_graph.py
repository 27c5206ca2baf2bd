"""The graph of one job, drawn by the asset graph pane: its ops (or assets), each with its
state in the job's latest run; a fan-out and its mapped ops are marked."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from assettui.model.asset_key import AssetKey
from assettui.tui.layout.graph import NodeLabel
from assettui.tui.layout.job_graph import JobNode, StepState, job_graph
from assettui.tui.status import GLYPHS
from assettui.tui.widgets.asset_graph import AssetGraph

KIND_LABELS = {
    "op": "op",
    "fan-out": "⋔ fan-out",
    "mapped": "⋔ each",
    "collect": "⋔ collect",
    "asset": "asset",
}


class JobGraphPane(AssetGraph):
    """A job's nodes in the graph widget; :meth:`set_job` and :meth:`set_step_states`."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.job: Any = None
        self.nodes: dict[AssetKey, JobNode] = {}
        self.step_states: dict[AssetKey, StepState] = {}

    def set_job(self, job: Any) -> None:
        if job is self.job:
            return
        self.job = job
        graph, self.nodes = job_graph(job)
        self.selected = None
        self.set_graph(graph)

    def set_step_states(self, states: dict[AssetKey, StepState]) -> None:
        if states != self.step_states:
            self.step_states = states
            self.refresh()

    def _rebuild(self, view: Any = None) -> None:
        super()._rebuild(view)
        if self.job is not None:
            unit = "ops" if self.job.graph_def is not None else "assets"
            self.border_title = f"Job {self.job.name} · {len(self.nodes)} {unit}"

    def _label(self, key: Hashable) -> NodeLabel:
        assert isinstance(key, AssetKey)
        node = self.nodes.get(key)
        state = self.step_states.get(key)
        status = state.status if state is not None else "missing"
        parts = [KIND_LABELS.get(node.kind, node.kind) if node else ""]
        if node is not None and node.kind == "mapped" and state is not None:
            parts = [f"⋔ {state.done}/{state.total}"]  # keys done of the keys fanned out
        title = node.step_key if node is not None else key.to_user_string()
        if node is not None and node.kind == "mapped":
            title += "[*]"
        return NodeLabel(title, " · ".join(p for p in parts if p), GLYPHS[status], status)
