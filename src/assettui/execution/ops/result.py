"""The result of an op job run in process: outputs by node, events by node."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from assettui.errors import DagsterInvariantViolationError
from assettui.execution.result import ExecuteInProcessResult
from assettui.model.records.event_log_entry import DagsterEvent
from assettui.model.records.events import DagsterEventType, NewEvent


class OpJobExecutionResult(ExecuteInProcessResult):
    """``execute_in_process`` of an op job (Dagster's ``ExecuteInProcessResult``).

    Node names are Dagster's node handles: ``op`` or ``graph.op`` inside a graph node; a
    graph node's outputs are its output mappings. The output of a mapped (dynamic) node is
    a dict of mapping key -> value.
    """

    def __init__(
        self,
        *,
        run: Any,
        success: bool,
        events: Sequence[NewEvent],
        op_values: dict[tuple[str, str, str | None], Any],
        job: Any,
    ):
        super().__init__(
            run=run,
            success=success,
            events=events,
            values={},
            check_evaluations=[],
            node_keys={},
            output_names={},
        )
        self._op_values = op_values
        self._job = job

    def _in_node(self, event: DagsterEvent, node_name: str) -> bool:
        key = event.step_key or ""
        return key == node_name or key.startswith((f"{node_name}.", f"{node_name}["))

    def events_for_node(self, node_name: str) -> list[DagsterEvent]:
        return [e for e in self._events if self._in_node(e, node_name)]

    def get_step_skipped_events(self) -> list[DagsterEvent]:
        return [e for e in self._events if e.event_type is DagsterEventType.STEP_SKIPPED]

    def asset_materializations_for_node(self, node_name: str) -> list[Any]:
        return [
            m
            for e in self._events
            if self._in_node(e, node_name) and (m := e.asset_materialization) is not None
        ]

    def _resolve(self, node_str: str, output_name: str) -> tuple[str, str]:
        """The step key and output behind a node handle's output (through graph nodes)."""
        graph = self._job.graph_def
        parts = node_str.split(".")
        prefix: list[str] = []
        for index, part in enumerate(parts):
            node = graph.nodes.get(part)
            if node is None:
                raise DagsterInvariantViolationError(
                    f"Job {self._job.name!r} has no node {'.'.join([*prefix, part])!r} "
                    f"(nodes: {', '.join(graph.nodes)})."
                )
            prefix.append(part)
            if index < len(parts) - 1:
                graph = node.definition
        definition = node.definition
        while hasattr(definition, "output_mappings"):
            mapping = definition.output_mappings.get(output_name)
            if mapping is None:
                raise DagsterInvariantViolationError(
                    f"Graph node {'.'.join(prefix)!r} has no output {output_name!r} (outputs: "
                    f"{', '.join(definition.output_mappings) or 'none'})."
                )
            prefix.append(mapping.node)
            output_name = mapping.output
            definition = definition.nodes[mapping.node].definition
        if output_name not in definition.outs:
            raise DagsterInvariantViolationError(
                f"Op {'.'.join(prefix)!r} has no output {output_name!r} (outputs: "
                f"{', '.join(definition.outs)})."
            )
        return ".".join(prefix), output_name

    def output_for_node(self, node_str: str, output_name: str = "result") -> Any:
        step_key, output = self._resolve(node_str, output_name)
        exact = (step_key, output, None)
        if exact in self._op_values:
            return self._op_values[exact]
        dynamic = {
            k: v for (s, o, k), v in self._op_values.items() if s == step_key and o == output and k
        }
        if dynamic:
            return dynamic
        mapped = {
            s[len(step_key) + 1 : -1]: v
            for (s, o, _k), v in self._op_values.items()
            if o == output and s.startswith(f"{step_key}[")
        }
        if mapped:
            return mapped
        raise DagsterInvariantViolationError(
            f"Output {output!r} of node {node_str!r} was not produced in this run."
        )

    def output_value(self, output_name: str = "result") -> Any:
        mapping = self._job.graph_def.output_mappings.get(output_name)
        if mapping is None:
            raise DagsterInvariantViolationError(
                f"Job {self._job.name!r} has no output {output_name!r}; its graph returns "
                f"{', '.join(self._job.graph_def.output_mappings) or 'nothing'}."
            )
        return self.output_for_node(mapping.node, mapping.output)
