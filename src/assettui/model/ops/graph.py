"""``@graph`` and ``GraphDefinition``: ops (and graphs) wired into a DAG.

A graph is built by running its composition function once (see :mod:`.composition`) or,
as in Dagster's older API, from ``node_defs`` and a ``dependencies`` dict of
``DependencyDefinition`` / ``MultiDependencyDefinition``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from assettui.errors import DagsterInvalidDefinitionError
from assettui.model.jobs import op_job
from assettui.model.ops.composition import (
    FAN_IN,
    FROM_GRAPH_INPUT,
    FROM_OUTPUT,
    GraphInputHandle,
    GraphNode,
    NodeInput,
    OutputHandle,
    PendingNodeInvocation,
    compose,
    current_composition,
    invoke,
)
from assettui.model.ops.ins_outs import GraphIn, GraphOut


@dataclass(frozen=True)
class DependencyDefinition:
    """An input fed by output ``output`` of node ``node`` (Dagster's older graph API)."""

    node: str
    output: str = "result"
    description: str | None = None


@dataclass(frozen=True)
class MultiDependencyDefinition:
    """A fan-in input fed by several outputs."""

    dependencies: Sequence[DependencyDefinition]


@dataclass(frozen=True)
class GraphOutputMapping:
    """Graph output ``name`` is output ``output`` of node ``node`` (``kind`` as in handles)."""

    node: str
    output: str
    kind: str = "output"


class GraphDefinition:
    """A DAG of nodes (ops or graphs) with optional inputs and outputs of its own."""

    def __init__(
        self,
        name: str,
        *,
        description: str | None = None,
        node_defs: Sequence[Any] | None = None,
        dependencies: Mapping[Any, Mapping[str, Any]] | None = None,
        nodes: Mapping[str, GraphNode] | None = None,
        ins: Mapping[str, GraphIn] | None = None,
        outs: Mapping[str, GraphOut] | None = None,
        output_mappings: Mapping[str, GraphOutputMapping] | None = None,
        tags: Mapping[str, Any] | None = None,
        config: Any = None,
    ):
        if not name or not name.isidentifier():
            raise DagsterInvalidDefinitionError(
                f"Graph name {name!r} is not valid: use letters, digits and underscores."
            )
        self.name = name
        self.description = description
        self.tags = dict(tags or {})
        self.config = config
        self.ins: dict[str, GraphIn] = dict(ins or {})
        self.outs: dict[str, GraphOut] = dict(outs or {})
        self.output_mappings: dict[str, GraphOutputMapping] = dict(output_mappings or {})
        if nodes is None:
            nodes = _nodes_from_dependencies(name, node_defs or (), dependencies or {})
        self.nodes: dict[str, GraphNode] = dict(nodes)
        _check_graph(self)

    # ---- what a parent graph reads ---------------------------------------------------------

    @property
    def composition_input_names(self) -> list[str]:
        return list(self.ins)

    @property
    def composition_outputs(self) -> list[tuple[str, bool]]:
        return [(n, m.kind == "dynamic") for n, m in self.output_mappings.items()]

    @property
    def node_defs(self) -> list[Any]:
        return [node.definition for node in self.nodes.values()]

    @property
    def node_names(self) -> list[str]:
        return list(self.nodes)

    def node_order(self) -> list[str]:
        """The node names, each after the nodes it reads from (the graph has no cycle)."""
        order: list[str] = []
        seen: set[str] = set()

        def visit(name: str) -> None:
            if name in seen:
                return
            seen.add(name)
            for source in self.nodes[name].inputs.values():
                for one in source.sources or (source,):
                    if one.node in self.nodes:
                        visit(one.node)
            order.append(name)

        for name in self.nodes:
            visit(name)
        return order

    def alias(self, name: str) -> PendingNodeInvocation:
        return PendingNodeInvocation(self, alias=name)

    def tag(self, tags: Mapping[str, Any]) -> PendingNodeInvocation:
        return PendingNodeInvocation(self, tags=tags)

    def with_hooks(self, hooks: Any) -> PendingNodeInvocation:
        return PendingNodeInvocation(self, hooks=frozenset(hooks))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        composition = current_composition()
        if composition is None:
            raise DagsterInvalidDefinitionError(
                f"Graph {self.name!r} was called outside a @graph or @job: to run it, use "
                f"{self.name}.execute_in_process() or {self.name}.to_job()."
            )
        return invoke(composition, self, args, kwargs)

    # ---- jobs ------------------------------------------------------------------------------

    def to_job(
        self,
        name: str | None = None,
        description: str | None = None,
        resource_defs: Mapping[str, Any] | None = None,
        config: Any = None,
        tags: Mapping[str, Any] | None = None,
        run_tags: Mapping[str, Any] | None = None,
        metadata: Mapping[str, Any] | None = None,
        logger_defs: Any = None,
        executor_def: Any = None,
        hooks: Any = None,
        op_retry_policy: Any = None,
        op_selection: Any = None,
        partitions_def: Any = None,
        input_values: Mapping[str, Any] | None = None,
    ) -> Any:
        """A job running this graph (Dagster's ``GraphDefinition.to_job``)."""
        return op_job(
            self,
            name=name or self.name,
            description=description or self.description,
            resource_defs=resource_defs,
            config=config,
            tags=tags,
            run_tags=run_tags,
            metadata=metadata,
            executor_def=executor_def,
            hooks=hooks,
            op_retry_policy=op_retry_policy,
            partitions_def=partitions_def,
            input_values=input_values,
        )

    def execute_in_process(
        self,
        run_config: Any = None,
        instance: Any = None,
        resources: Mapping[str, Any] | None = None,
        raise_on_error: bool = True,
        op_selection: Any = None,
        run_id: str | None = None,
        input_values: Mapping[str, Any] | None = None,
    ) -> Any:
        """Run this graph as an ephemeral job, in this process."""
        job = self.to_job(resource_defs=resources, input_values=input_values)
        return job.execute_in_process(
            run_config=run_config,
            instance=instance,
            raise_on_error=raise_on_error,
            op_selection=op_selection,
            run_id=run_id,
        )

    def __repr__(self) -> str:
        return f"<GraphDefinition {self.name} ({len(self.nodes)} nodes)>"


def _nodes_from_dependencies(
    graph_name: str, node_defs: Sequence[Any], dependencies: Mapping[Any, Mapping[str, Any]]
) -> dict[str, GraphNode]:
    nodes: dict[str, GraphNode] = {}
    by_name = {getattr(d, "name", None): d for d in node_defs}
    for definition in node_defs:
        nodes[definition.name] = GraphNode(definition.name, definition, {})
    for key, inputs in dependencies.items():
        node_name = key if isinstance(key, str) else getattr(key, "name", str(key))
        if isinstance(key, NodeInvocationKey):
            if key.name not in by_name:
                raise DagsterInvalidDefinitionError(
                    f"Graph {graph_name!r}: GraphNode names op {key.name!r}, which is not "
                    "in node_defs."
                )
            node_name = key.alias or key.name
            nodes[node_name] = GraphNode(node_name, by_name[key.name], {})
        if node_name not in nodes:
            raise DagsterInvalidDefinitionError(
                f"Graph {graph_name!r}: dependencies name node {node_name!r}, which is not in "
                f"node_defs ({', '.join(nodes) or 'none'})."
            )
        node = nodes[node_name]
        for input_name, dep in inputs.items():
            if isinstance(dep, DependencyDefinition):
                node.inputs[input_name] = NodeInput(FROM_OUTPUT, node=dep.node, output=dep.output)
            elif isinstance(dep, MultiDependencyDefinition):
                node.inputs[input_name] = NodeInput(
                    FAN_IN,
                    sources=tuple(
                        NodeInput(FROM_OUTPUT, node=d.node, output=d.output)
                        for d in dep.dependencies
                    ),
                )
            else:
                raise DagsterInvalidDefinitionError(
                    f"Graph {graph_name!r}: input {input_name!r} of {node_name!r} is given "
                    f"{dep!r}; use DependencyDefinition(node, output)."
                )
    return nodes


@dataclass(frozen=True)
class NodeInvocationKey:
    """Dagster's ``GraphNode(name, alias)``: a node of ``node_defs`` under an alias."""

    name: str
    alias: str | None = None
    tags: Mapping[str, Any] | None = None
    hook_defs: Any = None
    retry_policy: Any = None


NodeInvocation = NodeInvocationKey  # Dagster's name, in a dependencies dict's keys


def _check_graph(graph: GraphDefinition) -> None:
    """Refuse wiring to unknown nodes or outputs, unknown inputs, and cycles.

    Raises:
        DagsterInvalidDefinitionError: naming the node, input or output.
    """
    nodes = graph.nodes
    for node in nodes.values():
        known_inputs = set(node.definition.composition_input_names)
        for input_name, source in node.inputs.items():
            if input_name not in known_inputs:
                raise DagsterInvalidDefinitionError(
                    f"Graph {graph.name!r}: node {node.name!r} has no input {input_name!r} "
                    f"(inputs: {', '.join(sorted(known_inputs)) or 'none'})."
                )
            for one in source.sources or (source,):
                if one.kind == FROM_GRAPH_INPUT:
                    continue
                upstream = nodes.get(one.node or "")
                if upstream is None:
                    raise DagsterInvalidDefinitionError(
                        f"Graph {graph.name!r}: input {input_name!r} of {node.name!r} is wired "
                        f"to node {one.node!r}, which is not in the graph."
                    )
                outputs = [n for n, _ in upstream.definition.composition_outputs]
                if one.output not in outputs:
                    raise DagsterInvalidDefinitionError(
                        f"Graph {graph.name!r}: input {input_name!r} of {node.name!r} is wired "
                        f"to output {one.output!r} of {one.node!r}, which has outputs "
                        f"{outputs or 'none'}."
                    )
    state: dict[str, int] = {}

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            cycle = [*path[path.index(name) :], name]
            raise DagsterInvalidDefinitionError(
                f"Graph {graph.name!r} has a cycle: {' -> '.join(cycle)}."
            )
        state[name] = 1
        for source in nodes[name].inputs.values():
            for one in source.sources or (source,):
                if one.node in nodes:
                    visit(one.node, [*path, name])
        state[name] = 2

    for name in nodes:
        visit(name, [])


def _output_mappings(
    graph_name: str, returned: Any, outs: Mapping[str, GraphOut] | None
) -> tuple[dict[str, GraphOutputMapping], dict[str, GraphOut]]:
    def mapping(value: Any, out_name: str) -> GraphOutputMapping:
        if not isinstance(value, OutputHandle):
            raise DagsterInvalidDefinitionError(
                f"Graph {graph_name!r} returns {value!r} for output {out_name!r}: return the "
                "outputs of op calls."
            )
        return GraphOutputMapping(value.node, value.output, value.kind)

    if returned is None:
        return {}, dict(outs or {})
    if isinstance(returned, OutputHandle):
        name = next(iter(outs)) if outs and len(outs) == 1 else "result"
        return {name: mapping(returned, name)}, dict(outs or {name: GraphOut()})
    if isinstance(returned, dict):
        return (
            {k: mapping(v, k) for k, v in returned.items()},
            dict(outs or {k: GraphOut() for k in returned}),
        )
    if isinstance(returned, tuple):
        fields = getattr(returned, "_fields", None)
        names = list(outs) if outs else list(fields or [f"out_{i}" for i in range(len(returned))])
        if len(names) != len(returned):
            raise DagsterInvalidDefinitionError(
                f"Graph {graph_name!r} returns {len(returned)} values for {len(names)} outputs."
            )
        return (
            {n: mapping(v, n) for n, v in zip(names, returned, strict=True)},
            dict(outs or {n: GraphOut() for n in names}),
        )
    raise DagsterInvalidDefinitionError(
        f"Graph {graph_name!r} returns {returned!r}: return an op call's output, a dict or a "
        "tuple of them, or nothing."
    )


def build_graph(
    fn: Callable[..., Any],
    *,
    name: str,
    description: str | None = None,
    ins: Mapping[str, GraphIn] | None = None,
    out: GraphOut | Mapping[str, GraphOut] | None = None,
    tags: Mapping[str, Any] | None = None,
    config: Any = None,
) -> GraphDefinition:
    """Run composition function ``fn`` and return the graph it describes."""
    params = [
        p.name
        for p in inspect.signature(fn).parameters.values()
        if p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    ]
    composition, returned = compose(name, fn, params)
    outs = {"result": out} if isinstance(out, GraphOut) else out
    mappings, graph_outs = _output_mappings(name, returned, outs)
    graph_ins = {p: (ins or {}).get(p, GraphIn()) for p in params}
    return GraphDefinition(
        name,
        description=description or inspect.getdoc(fn),
        nodes=composition.nodes,
        ins=graph_ins,
        outs=graph_outs,
        output_mappings=mappings,
        tags=tags,
        config=config,
    )


def graph(
    compose_fn: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    description: str | None = None,
    ins: Mapping[str, GraphIn] | None = None,
    out: GraphOut | Mapping[str, GraphOut] | None = None,
    tags: Mapping[str, Any] | None = None,
    config: Any = None,
) -> Any:
    """Dagster's ``@graph``, with or without parentheses."""

    def wrap(fn: Callable[..., Any]) -> GraphDefinition:
        return build_graph(
            fn,
            name=name or fn.__name__,
            description=description,
            ins=ins,
            out=out,
            tags=tags,
            config=config,
        )

    return wrap(compose_fn) if compose_fn is not None else wrap


__all__ = [
    "DependencyDefinition",
    "GraphDefinition",
    "GraphInputHandle",
    "MultiDependencyDefinition",
    "NodeInvocation",
    "NodeInvocationKey",
    "build_graph",
    "graph",
]
