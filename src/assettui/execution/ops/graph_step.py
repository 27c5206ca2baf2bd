"""The step of a graph-backed asset: its graph's ops run inside it, the assets' values are
the graph's outputs."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from assettui.errors import ExecutionError
from assettui.execution.executors.in_process import InProcessExecutor
from assettui.execution.io_managers.filesystem import InMemoryIOManager
from assettui.execution.ops.plan import build_op_plan
from assettui.execution.ops.runner import OpStepRunner
from assettui.execution.plan import Step
from assettui.execution.step_runner import StepRunner
from assettui.model.results import Output


@dataclass(frozen=True)
class _GraphRun:
    """What planning needs of a job, for the graph of one asset step."""

    name: str
    graph_def: Any
    input_values: Mapping[str, Any]
    partitions_def: Any = None
    hooks: frozenset[Any] = frozenset()
    resources: Mapping[str, Any] = field(default_factory=dict)


def run_asset_graph(runner: StepRunner, step: Step, inputs: Mapping[str, Any]) -> Any:
    """Run the ops of ``step``'s graph (step keys ``<node>.<op>``) with ``inputs`` as the
    graph's inputs; return its outputs as the asset step's result.

    Raises:
        The first op's exception, if an op fails (the step fails with it).
    """
    adef = step.definition
    node = adef.node_name
    graph_run = _GraphRun(node, adef.graph_def, dict(inputs), adef.partitions_def)
    plan = build_op_plan(graph_run, runner.run_config, node_path=(node,))
    inner = OpStepRunner(
        plan,
        job=graph_run,
        run=runner.run,
        sink=runner.sink,
        instance=runner.instance,
        run_config=runner.run_config,
        keep_values=True,
        cancel=runner.cancel,
    )
    # values between the graph's ops stay in memory; the assets' own IO managers store
    # only what the graph returns
    inner.use_resources({**runner.resources, "io_manager": InMemoryIOManager()})
    outcome = InProcessExecutor().execute(plan, inner, runner.cancel)
    if not outcome.success:
        if outcome.first_exception is not None:
            raise outcome.first_exception
        raise ExecutionError(f"The ops of {node!r} did not finish: {outcome.failure_reason}.")
    values: dict[str, Any] = {}
    for name, (step_key, output) in plan.graph_outputs.items():
        key = (step_key, output, None)
        if key in outcome.op_values:
            values[name] = outcome.op_values[key]
    if len(adef.outputs) == 1 and len(values) == 1:
        return next(iter(values.values()))
    return _outputs(values)


def _outputs(values: Mapping[str, Any]) -> Iterator[Output]:
    for name, value in values.items():
        yield Output(value, output_name=name)
