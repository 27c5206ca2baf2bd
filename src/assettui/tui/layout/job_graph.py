"""A job as a graph the asset graph pane can draw: an op job's steps as a run plans them
(nested graphs flattened, a dynamic fan-out and its mapped ops marked), or an asset job's
assets; and the state of each node in a run, from the run's step events. Pure: no Textual."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from assettui.execution.ops.plan import COLLECTED, OpStep, build_op_plan
from assettui.model.asset_graph import AssetGraph
from assettui.model.asset_key import AssetKey
from assettui.model.assets.spec import AssetSpec
from assettui.model.records.events import DagsterEventType as E


@dataclass(frozen=True, slots=True)
class JobNode:
    """One node of a drawn job: its step key and what kind of node it is."""

    step_key: str
    kind: str  # "op", "fan-out" (has a DynamicOut), "mapped" (runs per key), "collect", "asset"


def node_key(step_key: str) -> AssetKey:
    return AssetKey(step_key.split("."))


def job_graph(job: Any) -> tuple[AssetGraph, dict[AssetKey, JobNode]]:
    """``job`` as a graph of nodes (keys from step keys, ``a.b`` -> ``a/b``) and each node's
    kind."""
    if job.graph_def is None:
        keys = set(job.asset_keys)
        graph = job.asset_graph
        specs = [
            AssetSpec(key, deps=sorted(graph.get(key).parent_keys & keys) if graph else [])
            for key in sorted(keys)
        ]
        return AssetGraph.from_assets(specs), {
            k: JobNode(k.to_user_string(), "asset") for k in keys
        }
    plan = build_op_plan(job, {}, for_display=True)  # the steps a run would have
    nodes: dict[AssetKey, JobNode] = {}
    specs = []
    for step in plan.steps:
        assert isinstance(step, OpStep)
        if any(out.is_dynamic for out in step.definition.outs.values()):
            kind = "fan-out"
        elif step.is_mapped:
            kind = "mapped"
        elif any(source.kind == COLLECTED for source in step.op_inputs.values()):
            kind = "collect"
        else:
            kind = "op"
        nodes[node_key(step.key)] = JobNode(step.key, kind)
        specs.append(
            AssetSpec(node_key(step.key), deps=[node_key(d) for d in sorted(step.upstream_steps)])
        )
    return AssetGraph.from_assets(specs), nodes


@dataclass(frozen=True, slots=True)
class StepState:
    """A node's state in one run: ``status`` as the asset statuses name them, and for a
    mapped op how many of its keys finished."""

    status: str
    done: int = 0
    total: int = 0


_STATUS_OF = {
    E.STEP_START: "running",
    E.STEP_SUCCESS: "fresh",
    E.STEP_FAILURE: "failed",
    E.STEP_SKIPPED: "missing",
}


def step_states(events: Iterable[Any]) -> dict[AssetKey, StepState]:
    """Each node's state from a run's events (mapped steps ``op[k]`` counted under ``op``)."""
    per_step: dict[str, str] = {}
    for event in events:
        status = _STATUS_OF.get(event.event_type)
        if status is not None and event.step_key:
            per_step[event.step_key] = status
    grouped: dict[str, list[str]] = {}
    for step, status in per_step.items():
        grouped.setdefault(step.split("[", 1)[0], []).append(status)
    states: dict[AssetKey, StepState] = {}
    for step, statuses in grouped.items():
        done = statuses.count("fresh")
        for status in ("failed", "running", "missing", "fresh"):
            if status in statuses:
                states[node_key(step)] = StepState(status, done, len(statuses))
                break
    return states
