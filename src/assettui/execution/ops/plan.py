"""Planning an op job: its graph (nested graphs flattened) as steps in dependency order.

Each op node is one step, keyed like Dagster's step keys (``outer.inner`` inside a graph
node). A step reading one value per mapping key of a dynamic output is *mapped*: it runs
once per key (step keys ``op[key]``) when the run reaches it.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from assettui.errors import (
    ConfigError,
    DagsterInvalidDefinitionError,
    PartitionError,
    SelectionError,
)
from assettui.execution.plan import ExecutionPlan, Step
from assettui.model.config import run_config_dict
from assettui.model.dagster_types import is_nothing
from assettui.model.ops.composition import (
    FAN_IN,
    FROM_COLLECTED,
    FROM_GRAPH_INPUT,
    FROM_MAPPED,
    FROM_OUTPUT,
    NodeInput,
)
from assettui.model.ops.graph import GraphDefinition
from assettui.model.ops.op_definition import OpDefinition

# StepInput.kind
UPSTREAM = "upstream"  # an output of an upstream step
MAPPED = "mapped"  # the value for this step's mapping key
COLLECTED = "collected"  # every mapped value, as a list
FANNED_IN = "fan_in"  # a list of upstream outputs
VALUE = "value"  # a value given up front (job input_values, run config inputs, default)
ORDER_ONLY = "order_only"  # a Nothing input: ordering, no value


@dataclass(frozen=True)
class StepInput:
    """Where one input of an op step gets its value."""

    kind: str
    step: str | None = None
    output: str | None = None
    sources: tuple[StepInput, ...] = ()
    value: Any = None

    def upstream_steps(self) -> set[str]:
        found = {self.step} if self.step else set()
        for source in self.sources:
            found |= source.upstream_steps()
        return found


@dataclass(frozen=True, eq=False)
class OpStep(Step):
    """One op node of the job, as a step (``definition`` is its ``OpDefinition``)."""

    op_inputs: Mapping[str, StepInput] = field(default_factory=dict)
    mapping_source: tuple[str, str] | None = None  # the dynamic output whose keys it maps
    hooks: frozenset[Any] = frozenset()
    node_tags: Mapping[str, Any] = field(default_factory=dict)
    node_retry_policy: Any = None
    config_path: tuple[str, ...] = ()  # node names from the job's graph down to this op
    mapping_key: str | None = None  # set on the concrete step of one key (``op[key]``)
    mapped_from: str | None = None  # that concrete step's mapped step (``op``)

    @property
    def is_mapped(self) -> bool:
        return self.mapping_source is not None


@dataclass(frozen=True)
class _Ref:
    step: str
    output: str
    dynamic: bool
    mapping_source: tuple[str, str] | None


@dataclass(frozen=True, eq=False)
class OpPlan(ExecutionPlan):
    """An op job's steps, and which step output each job-graph output is."""

    graph_outputs: dict[str, tuple[str, str]] = field(default_factory=dict)
    node_outputs: dict[str, dict[str, str]] = field(default_factory=dict)


def op_config_at(run_config: Mapping[str, Any], path: Sequence[str]) -> dict[str, Any]:
    """The ``ops:`` entry of the op at ``path`` (``ops: {graph: {ops: {op: ...}}}``)."""
    node: Any = run_config
    for name in path:
        ops = (node or {}).get("ops") or (node or {}).get("solids") or {}
        node = ops.get(name)
        if node is None:
            return {}
    return dict(node) if isinstance(node, Mapping) else {}


def build_op_plan(
    job: Any,
    run_config: Mapping[str, Any],
    op_selection: Sequence[str] | None = None,
    input_values: Mapping[str, Any] | None = None,
    *,
    node_path: tuple[str, ...] = (),
    for_display: bool = False,
) -> OpPlan:
    """The steps of a run of op job ``job`` with ``run_config``.

    ``node_path`` places the graph below a node of the run (a graph-backed asset): its step
    keys start with that node's name, and its ops' config sits under it. ``for_display``
    plans the steps to draw them: an input the run config would give is left unresolved.

    Raises:
        DagsterInvalidDefinitionError: for an input with no source.
        SelectionError: for an ``op_selection`` that matches no op.
        ConfigError: for run config naming ops the job does not have.
    """
    graph_def: GraphDefinition = job.graph_def
    given = {**job.input_values, **(input_values or {})}
    top_inputs: dict[str, StepInput] = {}
    config_inputs = dict(run_config.get("inputs") or {})
    for name in graph_def.ins:
        if name in given:
            top_inputs[name] = StepInput(VALUE, value=given[name])
        elif name in config_inputs:
            top_inputs[name] = StepInput(VALUE, value=_config_value(config_inputs[name]))
        elif for_display:
            top_inputs[name] = StepInput(ORDER_ONLY)
        else:
            raise DagsterInvalidDefinitionError(
                f"Job {job.name!r} has input {name!r} with no value: pass input_values="
                f"{{{name!r}: ...}} or run config inputs: {{{name}: {{value: ...}}}}."
            )
    if not node_path:
        _refuse_unknown_ops(graph_def, run_config, job.name)
    steps: list[OpStep] = []
    prefix = "".join(f"{name}." for name in node_path)
    outputs = _flatten(
        graph_def, prefix, node_path, top_inputs, run_config, steps, job, for_display
    )
    by_key = {s.key: s for s in steps}
    if op_selection:
        steps = _select(steps, op_selection, job.name, by_key)
    node_outputs: dict[str, dict[str, str]] = {}
    for step in steps:
        node_outputs[step.key] = {name: name for name in step.definition.outs}
    return OpPlan(
        steps=tuple(_order(steps)),
        asset_keys=frozenset(),
        check_keys=frozenset(),
        graph_outputs={
            name: (ref.step, ref.output)
            for name, ref in outputs.items()
            if ref.step in {s.key for s in steps}
        },
        node_outputs=node_outputs,
    )


def _config_value(raw: Any) -> Any:
    if isinstance(raw, Mapping) and set(raw) == {"value"}:
        return raw["value"]
    return raw


def _refuse_unknown_ops(
    graph_def: GraphDefinition, run_config: Mapping[str, Any], job: str
) -> None:
    def walk(graph: GraphDefinition, node: Mapping[str, Any], where: str) -> None:
        for name, sub in ((node or {}).get("ops") or {}).items():
            child = graph.nodes.get(name)
            if child is None:
                known = ", ".join(sorted(graph.nodes)) or "none"
                raise ConfigError(
                    f"Run config for job {job!r} names op {where}{name!r}, which the job does "
                    f"not have (ops: {known})."
                )
            if isinstance(child.definition, GraphDefinition) and isinstance(sub, Mapping):
                walk(child.definition, sub, f"{where}{name}.")

    walk(graph_def, run_config, "")


def _flatten(
    graph: GraphDefinition,
    prefix: str,
    path: tuple[str, ...],
    graph_inputs: Mapping[str, StepInput],
    run_config: Mapping[str, Any],
    steps: list[OpStep],
    job: Any,
    for_display: bool = False,
) -> dict[str, _Ref]:
    """Add the steps of ``graph``'s ops to ``steps``; return its outputs' step outputs."""
    refs: dict[tuple[str, str], _Ref] = {}
    mapping_of: dict[str, tuple[str, str] | None] = {}  # step key -> its mapping source
    for node_name in graph.node_order():
        node = graph.nodes[node_name]
        definition = node.definition
        inputs: dict[str, StepInput] = {}
        mapping_source: tuple[str, str] | None = None
        for input_name, source in node.inputs.items():
            resolved, source_mapping = _resolve(source, refs, graph_inputs, mapping_of)
            inputs[input_name] = resolved
            if source_mapping is not None:
                mapping_source = source_mapping
        key = f"{prefix}{node_name}"
        if isinstance(definition, GraphDefinition):
            inner = _flatten(
                definition,
                f"{key}.",
                (*path, node_name),
                inputs,
                run_config,
                steps,
                job,
                for_display,
            )
            for out_name, ref in inner.items():
                refs[(node_name, out_name)] = ref
            continue
        if not isinstance(definition, OpDefinition):
            raise DagsterInvalidDefinitionError(
                f"Node {key!r} of job {job.name!r} is {definition!r}, not an op or a graph."
            )
        node_config = op_config_at(run_config, (*path, node_name))
        config_inputs = dict(node_config.get("inputs") or {})
        for input_name, spec in definition.ins.items():
            if input_name in inputs:
                continue
            if input_name in config_inputs:
                inputs[input_name] = StepInput(
                    VALUE, value=_config_value(config_inputs[input_name])
                )
            elif is_nothing(spec.dagster_type):
                inputs[input_name] = StepInput(ORDER_ONLY)
            elif spec.has_default_value:
                inputs[input_name] = StepInput(VALUE, value=spec.default_value)
            elif for_display:
                inputs[input_name] = StepInput(ORDER_ONLY)
            else:
                raise DagsterInvalidDefinitionError(
                    f"Input {input_name!r} of op {key!r} in job {job.name!r} has no source: wire "
                    f"it to another op's output, give it In(default_value=...), or set it in run "
                    f"config (ops: {{{node_name}: {{inputs: {{{input_name}: ...}}}}}})."
                )
        upstream: set[str] = set()
        for step_input in inputs.values():
            upstream |= step_input.upstream_steps()
        mapping_of[key] = mapping_source
        steps.append(
            OpStep(
                key=key,
                definition=definition,
                asset_keys=(),
                check_keys=(),
                upstream_steps=frozenset(upstream),
                op_inputs=inputs,
                mapping_source=mapping_source,
                hooks=node.hooks | frozenset(job.hooks),
                node_tags={**definition.tags, **node.tags},
                node_retry_policy=node.retry_policy or definition.retry_policy,
                config_path=(*path, node_name),
            )
        )
        for out_name, out in definition.outs.items():
            refs[(node_name, out_name)] = _Ref(key, out_name, out.is_dynamic, mapping_source)
    outputs: dict[str, _Ref] = {}
    for out_name, mapping in graph.output_mappings.items():
        found = refs.get((mapping.node, mapping.output))
        if found is not None:
            outputs[out_name] = found
    return outputs


def _resolve(
    source: NodeInput,
    refs: Mapping[tuple[str, str], _Ref],
    graph_inputs: Mapping[str, StepInput],
    mapping_of: Mapping[str, tuple[str, str] | None],
) -> tuple[StepInput, tuple[str, str] | None]:
    if source.kind == FROM_GRAPH_INPUT:
        given = graph_inputs.get(source.graph_input or "")
        if given is None:
            raise DagsterInvalidDefinitionError(
                f"Graph input {source.graph_input!r} is not wired to anything in its parent."
            )
        mapping = None
        if given.kind == MAPPED and given.step is not None:
            mapping = mapping_of.get(given.step) or (given.step, given.output or "result")
        return given, mapping
    if source.kind == FAN_IN:
        parts = [_resolve(s, refs, graph_inputs, mapping_of)[0] for s in source.sources]
        return StepInput(FANNED_IN, sources=tuple(parts)), None
    ref = refs[(source.node or "", source.output or "")]
    if source.kind == FROM_MAPPED:
        mapping = ref.mapping_source if not ref.dynamic else (ref.step, ref.output)
        return StepInput(MAPPED, step=ref.step, output=ref.output), mapping
    if source.kind == FROM_COLLECTED:
        return StepInput(COLLECTED, step=ref.step, output=ref.output), None
    assert source.kind == FROM_OUTPUT
    if ref.dynamic:
        raise DagsterInvalidDefinitionError(
            f"Dynamic output {ref.output!r} of {ref.step!r} is passed directly: use .map() or "
            ".collect()."
        )
    return StepInput(UPSTREAM, step=ref.step, output=ref.output), None


def _order(steps: list[OpStep]) -> list[OpStep]:
    done: set[str] = set()
    order: list[OpStep] = []
    pending = list(steps)
    while pending:
        ready = [s for s in pending if s.upstream_steps <= done]
        if not ready:
            raise SelectionError(f"Steps {sorted(s.key for s in pending)} depend on each other.")
        for step in ready:
            order.append(step)
            done.add(step.key)
        pending = [s for s in pending if s.key not in done]
    return order


def _select(
    steps: list[OpStep], selection: Sequence[str], job: str, by_key: Mapping[str, OpStep]
) -> list[OpStep]:
    """Dagster's op selection: names (or globs), ``*name`` (with its upstream), ``name*``
    (with its downstream), ``+name`` / ``name+`` (one level)."""
    downstream: dict[str, set[str]] = {s.key: set() for s in steps}
    for step in steps:
        for up in step.upstream_steps:
            downstream[up].add(step.key)
    chosen: set[str] = set()
    for raw in [selection] if isinstance(selection, str) else selection:
        clause = raw.strip()
        up_depth = len(clause) - len(clause.lstrip("+*"))
        down_depth = len(clause) - len(clause.rstrip("+*"))
        up_all, down_all = clause.startswith("*"), clause.endswith("*")
        name = clause.strip("+*")
        matched = [k for k in by_key if fnmatch.fnmatchcase(k, name) or k.split(".")[-1] == name]
        if not matched:
            raise SelectionError(
                f"Op selection {raw!r} matches no op of job {job!r} (ops: {', '.join(by_key)})."
            )
        for key in matched:
            chosen.add(key)
            chosen |= _walk(key, lambda k: by_key[k].upstream_steps, -1 if up_all else up_depth)
            chosen |= _walk(key, lambda k: downstream[k], -1 if down_all else down_depth)
    selected = [s for s in steps if s.key in chosen]
    for step in selected:
        for input_name, step_input in step.op_inputs.items():
            left_out = sorted(step_input.upstream_steps() - chosen)
            if left_out:
                raise SelectionError(
                    f"Op selection {list(selection)!r} of job {job!r} runs {step.key!r} but not "
                    f"{left_out[0]!r}, which feeds its input {input_name!r}: select it too "
                    f"(e.g. '*{step.key}')."
                )
    return [
        OpStep(
            key=s.key,
            definition=s.definition,
            asset_keys=(),
            check_keys=(),
            upstream_steps=frozenset(s.upstream_steps & chosen),
            op_inputs=s.op_inputs,
            mapping_source=s.mapping_source,
            hooks=s.hooks,
            node_tags=s.node_tags,
            node_retry_policy=s.node_retry_policy,
            config_path=s.config_path,
        )
        for s in selected
    ]


def _walk(start: str, neighbours: Any, depth: int) -> set[str]:
    found: set[str] = set()
    frontier = {start}
    level = 0
    while frontier and (depth < 0 or level < depth):
        nxt: set[str] = set()
        for key in frontier:
            nxt |= set(neighbours(key)) - found
        found |= nxt
        frontier = nxt
        level += 1
    return found


def op_plan_resource_keys(plan: ExecutionPlan) -> set[str]:
    """Every resource key the op steps use: their required resources, the IO managers of
    their outputs, and their hooks' resources."""
    needed = {"io_manager"}
    for step in plan.steps:
        definition = step.definition
        needed |= set(definition.required_resource_keys)
        needed |= {out.io_manager_key for out in definition.outs.values()}
        for hook in getattr(step, "hooks", ()):
            needed |= set(hook.required_resource_keys)
    return needed


def op_job_run_config(
    job: Any, run_config: Any, partition_key: str | None, *, check_partition: bool = True
) -> dict[str, Any]:
    """The run config of a run of op job ``job``: the given one, else the partition's (from
    a ``PartitionedConfig``), else the job's own.

    Raises:
        PartitionError: for a partition the job does not have, or a partitioned job run
            without a partition key.
    """
    pdef = job.partitions_def
    if partition_key is not None:
        if pdef is None:
            raise PartitionError(
                f"Job {job.name!r} is not partitioned, so it has no partition {partition_key!r}; "
                "drop the partition key."
            )
        if check_partition and not pdef.has_partition_key(partition_key):
            keys = pdef.get_partition_keys()
            span = f"{keys[0]!r} to {keys[-1]!r}" if keys else "none yet"
            raise PartitionError(
                f"Partition {partition_key!r} is not a partition of job {job.name!r} "
                f"(its partitions: {span})."
            )
    config = run_config_dict(run_config)
    if config:
        return config
    if job.partitioned_config is not None:
        if partition_key is None:
            raise PartitionError(
                f"Job {job.name!r} takes its config from its partitions: pass partition_key=."
            )
        return job.run_config_for_partition_key(partition_key)
    return run_config_dict(job.config) if isinstance(job.config, Mapping) else {}
