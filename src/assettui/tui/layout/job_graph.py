"""A job as a graph the asset graph pane can draw: an op job's ops (nested graphs
flattened, a dynamic fan-out and its mapped ops marked), or an asset job's assets; and the
state of each node in a run, from the run's step events. Pure: no Textual."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from assettui.model.asset_graph import AssetGraph
from assettui.model.asset_key import AssetKey
from assettui.model.assets.spec import AssetSpec
from assettui.model.ops.composition import FROM_COLLECTED, FROM_GRAPH_INPUT, FROM_MAPPED
from assettui.model.ops.graph import GraphDefinition
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
    nodes: dict[str, tuple[JobNode, set[str]]] = {}
    _walk(job.graph_def, "", {}, nodes)
    specs = [
        AssetSpec(node_key(step), deps=[node_key(d) for d in sorted(deps)])
        for step, (_node, deps) in nodes.items()
    ]
    return AssetGraph.from_assets(specs), {node_key(s): n for s, (n, _d) in nodes.items()}


def _walk(
    graph: GraphDefinition,
    prefix: str,
    graph_inputs: dict[str, set[str]],
    nodes: dict[str, tuple[JobNode, set[str]]],
) -> dict[str, str]:
    """Add ``graph``'s ops to ``nodes``; return its outputs' step keys."""
    produced: dict[tuple[str, str], str] = {}  # (node, output) -> step key
    for name in graph.node_order():
        node = graph.nodes[name]
        deps: set[str] = set()
        mapped = collects = False
        for source in node.inputs.values():
            for one in source.sources or (source,):
                if one.kind == FROM_GRAPH_INPUT:
                    deps |= graph_inputs.get(one.graph_input or "", set())
                elif (one.node or "", one.output or "") in produced:
                    deps.add(produced[(one.node or "", one.output or "")])
                mapped = mapped or one.kind == FROM_MAPPED
                collects = collects or one.kind == FROM_COLLECTED
        step = f"{prefix}{name}"
        definition = node.definition
        if isinstance(definition, GraphDefinition):
            inputs = {n: set(deps) for n in definition.ins}
            outputs = _walk(definition, f"{step}.", inputs, nodes)
            for out_name, inner_step in outputs.items():
                produced[(name, out_name)] = inner_step
            continue
        dynamic = any(out.is_dynamic for out in definition.outs.values())
        kind = "fan-out" if dynamic else "mapped" if mapped else "collect" if collects else "op"
        nodes[step] = (JobNode(step, kind), deps)
        for out_name in definition.outs:
            produced[(name, out_name)] = step
    return {n: produced[(m.node, m.output)] for n, m in graph.output_mappings.items()}


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
