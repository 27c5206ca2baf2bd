"""Composing ops into graphs: what calling an op inside ``@graph`` / ``@job`` records.

Inside a composition function nothing runs: calling an op (or a graph) records a node and
returns handles to its outputs, which are passed on to the next calls. A ``DynamicOut``
handle is fanned out with ``.map(fn)`` and gathered with ``.collect()``.
"""

from __future__ import annotations

import threading
from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from assettui.errors import DagsterInvalidDefinitionError

# How a node input is fed (NodeInput.kind)
FROM_OUTPUT = "output"  # one upstream output
FROM_MAPPED = "mapped"  # one value per mapping key of an upstream dynamic output
FROM_COLLECTED = "collected"  # the list of every mapped value
FROM_GRAPH_INPUT = "graph_input"  # an input of the enclosing graph
FAN_IN = "fan_in"  # a list of upstream outputs


@dataclass(frozen=True)
class NodeInput:
    """Where one input of a node gets its value (``kind`` is one of the FROM_* names)."""

    kind: str
    node: str | None = None
    output: str | None = None
    graph_input: str | None = None
    sources: tuple[NodeInput, ...] = ()


@dataclass(frozen=True)
class OutputHandle:
    """An output of a node, as returned by an op call inside a composition function.

    ``kind``: ``"output"`` (a plain value), ``"dynamic"`` (a ``DynamicOut`` not yet mapped),
    ``"mapped"`` (one value per mapping key, inside a ``.map``).
    """

    node: str
    output: str
    kind: str = "output"
    composition: Any = field(default=None, compare=False, repr=False)

    def map(self, fn: Callable[[OutputHandle], Any]) -> Any:
        """Run ``fn``'s ops once per value of this dynamic output."""
        if self.kind != "dynamic":
            raise DagsterInvalidDefinitionError(
                f"Output {self.output!r} of {self.node!r} is not a DynamicOut, so it cannot be "
                "mapped; declare out=DynamicOut() on the op."
            )
        returned = fn(replace(self, kind="mapped"))
        return _as_dynamic(returned)

    def collect(self) -> OutputHandle:
        """Every mapped value, as one list input downstream."""
        if self.kind != "dynamic":
            raise DagsterInvalidDefinitionError(
                f"Output {self.output!r} of {self.node!r} is not dynamic, so there is nothing to "
                "collect; pass it directly."
            )
        return replace(self, kind="collected")

    def __iter__(self) -> Any:
        raise DagsterInvalidDefinitionError(
            f"{self.node!r} has one output ({self.output!r}), so its result cannot be unpacked "
            "into several values: declare out={'a': Out(), 'b': Out()} on the op to return "
            "several."
        )

    def source(self) -> NodeInput:
        if self.kind == "dynamic":
            raise DagsterInvalidDefinitionError(
                f"Dynamic output {self.output!r} of {self.node!r} is passed directly to an op: "
                "use .map(op) to run the op per value or .collect() to pass the list."
            )
        kind = {"output": FROM_OUTPUT, "mapped": FROM_MAPPED, "collected": FROM_COLLECTED}
        return NodeInput(kind[self.kind], node=self.node, output=self.output)


def _as_dynamic(value: Any) -> Any:
    if isinstance(value, OutputHandle):
        return replace(value, kind="dynamic") if value.kind == "mapped" else value
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return type(value)(*(_as_dynamic(v) for v in value))
    if isinstance(value, tuple):
        return tuple(_as_dynamic(v) for v in value)
    if isinstance(value, dict):
        return {k: _as_dynamic(v) for k, v in value.items()}
    return value


@dataclass(frozen=True)
class GraphInputHandle:
    """An input of the graph being composed, passed to the ops that read it."""

    name: str

    def source(self) -> NodeInput:
        return NodeInput(FROM_GRAPH_INPUT, graph_input=self.name)


@dataclass
class GraphNode:
    """One node of a graph: a definition called under a name, with its inputs' sources."""

    name: str
    definition: Any  # an OpDefinition or a GraphDefinition
    inputs: dict[str, NodeInput]
    tags: dict[str, Any] = field(default_factory=dict)
    hooks: frozenset[Any] = frozenset()
    retry_policy: Any = None
    mapped: bool = False


class Composition:
    """The nodes recorded while one composition function runs."""

    def __init__(self, name: str):
        self.name = name
        self.nodes: dict[str, GraphNode] = {}

    def unique_name(self, name: str) -> str:
        if name not in self.nodes:
            return name
        n = 2
        while f"{name}_{n}" in self.nodes:
            n += 1
        return f"{name}_{n}"


_state = threading.local()


def current_composition() -> Composition | None:
    stack = getattr(_state, "stack", None)
    return stack[-1] if stack else None


def compose(name: str, fn: Callable[..., Any], inputs: Sequence[str]) -> tuple[Composition, Any]:
    """Run composition function ``fn`` with a handle per graph input; return its nodes and
    what it returned."""
    composition = Composition(name)
    stack = getattr(_state, "stack", None)
    if stack is None:
        stack = _state.stack = []
    stack.append(composition)
    try:
        returned = fn(**{n: GraphInputHandle(n) for n in inputs})
    finally:
        stack.pop()
    return composition, returned


def _source(value: Any, node: str, input_name: str) -> NodeInput:
    if isinstance(value, (OutputHandle, GraphInputHandle)):
        return value.source()
    if (
        isinstance(value, (list, tuple))
        and value
        and all(isinstance(v, OutputHandle) for v in value)
    ):
        return NodeInput(FAN_IN, sources=tuple(v.source() for v in value))
    raise DagsterInvalidDefinitionError(
        f"In the graph, input {input_name!r} of {node!r} was given {value!r}: inside @graph and "
        "@job, pass the outputs of other op calls (or the graph's own inputs); plain values "
        "go in run config or In(default_value=...)."
    )


def invoke(
    composition: Composition,
    definition: Any,
    args: tuple[Any, ...],
    kwargs: Mapping[str, Any],
    *,
    alias: str | None = None,
    tags: Mapping[str, Any] | None = None,
    hooks: frozenset[Any] = frozenset(),
    retry_policy: Any = None,
) -> Any:
    """Record a call of ``definition`` in ``composition``; return handles to its outputs."""
    name = composition.unique_name(alias or definition.name)
    input_names = list(definition.composition_input_names)
    if len(args) > len(input_names):
        raise DagsterInvalidDefinitionError(
            f"{definition.name!r} takes {len(input_names)} inputs ({', '.join(input_names)}) "
            f"but was called with {len(args)} positional arguments in graph {composition.name!r}."
        )
    given = dict(zip(input_names, args, strict=False))
    for key, value in kwargs.items():
        if key not in input_names:
            raise DagsterInvalidDefinitionError(
                f"{definition.name!r} has no input {key!r} (inputs: "
                f"{', '.join(input_names) or 'none'}), called in graph {composition.name!r}."
            )
        given[key] = value
    inputs = {key: _source(value, name, key) for key, value in given.items()}
    mapped = any(s.kind == FROM_MAPPED for s in inputs.values())
    composition.nodes[name] = GraphNode(
        name=name,
        definition=definition,
        inputs=inputs,
        tags=dict(tags or {}),
        hooks=hooks,
        retry_policy=retry_policy,
        mapped=mapped,
    )
    handles = []
    for out_name, is_dynamic in definition.composition_outputs:
        if is_dynamic and mapped:
            raise DagsterInvalidDefinitionError(
                f"{name!r} has a DynamicOut but runs inside a .map(): dynamic outputs cannot "
                "be nested."
            )
        kind = "dynamic" if is_dynamic else ("mapped" if mapped else "output")
        handles.append(OutputHandle(name, out_name, kind, composition))
    if not handles:
        return None
    if len(handles) == 1:
        return handles[0]
    outputs_type = namedtuple(f"{definition.name}_outputs", [h.output for h in handles])  # type: ignore[misc]
    return outputs_type(*handles)


class PendingNodeInvocation:
    """An op or graph with a node name, tags, hooks or a retry policy, to call in a graph."""

    def __init__(
        self,
        definition: Any,
        alias: str | None = None,
        tags: Mapping[str, Any] | None = None,
        hooks: frozenset[Any] = frozenset(),
        retry_policy: Any = None,
    ):
        self.definition = definition
        self.given_alias = alias
        self.tags = dict(tags or {})
        self.hooks = hooks
        self.retry_policy = retry_policy

    @property
    def name(self) -> str:
        return self.given_alias or self.definition.name

    def alias(self, name: str) -> PendingNodeInvocation:
        return PendingNodeInvocation(
            self.definition, name, self.tags, self.hooks, self.retry_policy
        )

    def tag(self, tags: Mapping[str, Any]) -> PendingNodeInvocation:
        return PendingNodeInvocation(
            self.definition, self.given_alias, {**self.tags, **tags}, self.hooks, self.retry_policy
        )

    def with_hooks(self, hooks: Any) -> PendingNodeInvocation:
        return PendingNodeInvocation(
            self.definition,
            self.given_alias,
            self.tags,
            self.hooks | frozenset(hooks),
            self.retry_policy,
        )

    def with_retry_policy(self, retry_policy: Any) -> PendingNodeInvocation:
        return PendingNodeInvocation(
            self.definition, self.given_alias, self.tags, self.hooks, retry_policy
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        composition = current_composition()
        if composition is None:
            return self.definition(*args, **kwargs)
        return invoke(
            composition,
            self.definition,
            args,
            kwargs,
            alias=self.given_alias,
            tags=self.tags,
            hooks=self.hooks,
            retry_policy=self.retry_policy,
        )
