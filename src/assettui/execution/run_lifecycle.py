"""Running one stored run in this process: plan, resources, steps, run events, status.

Shared by in-process ``materialize`` and by run worker subprocesses.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assettui.errors import AssettuiError
from assettui.execution.errors_info import error_info
from assettui.execution.event_sink import LIVE_EAGER_TYPES, EventSink
from assettui.execution.executors import executor_for
from assettui.execution.ops.graph_step import run_asset_graph
from assettui.execution.ops.plan import (
    OpPlan,
    build_op_plan,
    op_job_run_config,
    op_plan_resource_keys,
)
from assettui.execution.ops.runner import OpStepRunner
from assettui.execution.plan import ExecutionPlan, build_plan, plan_resource_keys
from assettui.execution.resources import InitResourceContext, initialized_resources
from assettui.execution.step_runner import RunInterrupted, RunOutcome, StepCapture, StepRunner
from assettui.model.asset_graph import AssetGraph
from assettui.model.executor import ExecutorDefinition
from assettui.model.partitions.definitions import PartitionKeyRange
from assettui.model.records.events import DagsterEventType as E, NewEvent
from assettui.model.records.runs import (
    IN_PROCESS_TAG,
    RESUME_RETRY_TAG,
    DagsterRun,
    DagsterRunStatus,
)


def run_partition_keys(graph: AssetGraph, run: DagsterRun, store: Any) -> list[str]:
    """The partition keys a run covers: its one key, or its range expanded."""
    if run.partition_key is not None:
        return [run.partition_key]
    if run.partition_range is None:
        return []
    start, end = run.partition_range
    selected = run.asset_selection or frozenset()
    for key in graph.toposort(selected):
        pdef = graph.get(key).partitions_def
        if pdef is not None:
            return list(
                pdef.get_partition_keys_in_range(
                    PartitionKeyRange(start, end), dynamic_partitions_store=store
                )
            )
    return []


def _run_event(
    run_id: str,
    event_type: E,
    message: str,
    level: str = "DEBUG",
    payload: Mapping[str, Any] | None = None,
) -> NewEvent:
    return NewEvent(
        run_id=run_id,
        event_type=event_type,
        message=message,
        level=level,
        payload=payload,
        timestamp=time.time(),
    )


def execute_stored_run(
    *,
    instance: Any,
    graph: AssetGraph | None,
    run: DagsterRun,
    resources: Mapping[str, Any],
    run_config: Mapping[str, Any] | None = None,
    keep_values: bool = False,
    live: bool = False,
    cancel: threading.Event | None = None,
    step_capture: StepCapture | None = None,
    op_retry_policy: Any = None,
    home: Path | None = None,
    executor_def: ExecutorDefinition | None = None,
    job: Any = None,
    op_plan: OpPlan | None = None,
    project: Any = None,
) -> tuple[RunOutcome, EventSink]:
    """Execute ``run`` (already stored, not yet started) and finish it in storage.

    ``executor_def`` (the job's or the Definitions' executor) picks the executor, see
    :func:`~assettui.execution.executors.executor_for`. For an op job (``job.graph_def``)
    the run executes the job's ops (``op_plan`` if it was made already), not assets.
    ``project`` (the :class:`~assettui.project.ProjectTarget` a run worker loaded) lets an
    executor that runs steps in other processes load the same code there.
    """
    storage = instance.storage
    sink = EventSink(
        storage.event_log.store_events,
        keep=keep_values,
        flush_interval=0.1,
        eager_types=LIVE_EAGER_TYPES if live else frozenset(),
    )
    if live:
        sink.start_flusher()
    run_id = run.run_id
    outcome: RunOutcome
    try:
        storage.runs.update_run_status(run_id, DagsterRunStatus.STARTED)
        sink.emit(_run_event(run_id, E.RUN_START, f"Started run {run_id}."))
        try:
            cancel = cancel or threading.Event()
            prepared = prepare_run(
                instance=instance,
                graph=graph,
                run=run,
                sink=sink,
                run_config=run_config,
                keep_values=keep_values,
                cancel=cancel,
                step_capture=step_capture,
                op_retry_policy=op_retry_policy,
                job=job,
                op_plan=op_plan,
            )
            plan, runner, needed = prepared.plan, prepared.runner, prepared.resource_keys
            executor = executor_for(executor_def, runner.run_config, keep_values, project)
            runner.emit_planned()
            init = InitResourceContext(instance=instance, run_id=run_id, dagster_run=run)
            with initialized_resources(
                resources, home or storage.home, needed, init, runner.run_config
            ) as res:
                runner.use_resources(res)
                outcome = executor.execute(plan, runner, cancel)
            runner.report_leftovers()
        except RunInterrupted:
            outcome = RunOutcome(False, True, {}, {}, [], None, "The run was canceled.")
        except AssettuiError as exc:
            outcome = RunOutcome(False, False, {}, {}, [], exc, str(exc))
            sink.emit(
                _run_event(run_id, E.ENGINE_EVENT, str(exc), "ERROR", {"error": error_info(exc)})
            )
        finish_run(storage, sink, run_id, outcome)
    finally:
        sink.close()
    return outcome, sink


def run_here(
    instance: Any,
    *,
    job_name: str,
    run_config: Mapping[str, Any],
    tags: Mapping[str, Any],
    partition_key: str | None = None,
    partition_range: tuple[str, str] | None = None,
    asset_selection: Any = None,
    asset_check_selection: Any = None,
    run_id: str | None = None,
    **execute: Any,
) -> tuple[DagsterRun, RunOutcome, EventSink]:
    """Store a run made in this process and execute it here, keeping its values (in-process
    ``materialize`` and ``execute_in_process``); returns the stored run as it ended."""
    run = DagsterRun.for_partitions(
        partition_key=partition_key,
        partition_range=partition_range,
        tags={**tags, IN_PROCESS_TAG: "true"},
        job_name=job_name,
        status=DagsterRunStatus.NOT_STARTED,
        asset_selection=asset_selection,
        asset_check_selection=asset_check_selection,
        run_config=dict(run_config),
        # The pid lets the run monitor fail this run if this process dies before finishing it.
        pid=os.getpid(),
        **({"run_id": run_id} if run_id else {}),
    )
    run = instance.storage.runs.create_run(run)
    outcome, sink = execute_stored_run(
        instance=instance, run=run, run_config=run_config, keep_values=True, **execute
    )
    return instance.storage.runs.get_run(run.run_id) or run, outcome, sink


@dataclass
class PreparedRun:
    """A run's plan, the runner that runs its steps and the resources they need."""

    plan: ExecutionPlan
    runner: StepRunner
    resource_keys: set[str]


def prepare_run(
    *,
    instance: Any,
    graph: AssetGraph | None,
    run: DagsterRun,
    sink: EventSink,
    run_config: Mapping[str, Any] | None,
    keep_values: bool = False,
    cancel: threading.Event | None = None,
    step_capture: StepCapture | None = None,
    op_retry_policy: Any = None,
    job: Any = None,
    op_plan: OpPlan | None = None,
) -> PreparedRun:
    """Plan ``run`` and make its runner: what a run worker does before executing, and what a
    cluster executor's task does again on the host where it runs one step."""
    runner_args: dict[str, Any] = {
        "run": run,
        "sink": sink,
        "instance": instance,
        "run_config": run_config,
        "keep_values": keep_values,
        "cancel": cancel,
        "step_capture": step_capture,
        "dynamic_partitions_store": instance,
        "op_retry_policy": op_retry_policy,
    }
    runner: StepRunner
    plan: ExecutionPlan
    if job is not None and job.graph_def is not None:
        # the run's partition was checked when the run was made (a schedule's tick may name
        # a partition that only exists at the tick's time)
        run_config = op_job_run_config(job, run_config, run.partition_key, check_partition=False)
        runner_args["run_config"] = run_config
        plan = op_plan or build_op_plan(job, run_config)
        runner = OpStepRunner(plan, job=job, **runner_args)
        if run.parent_run_id and run.tags.get(RESUME_RETRY_TAG) == "true":
            parent_events = instance.storage.event_log.run_events(run.parent_run_id)
            runner.reuse_parent(run.parent_run_id, parent_events)
        return PreparedRun(plan, runner, op_plan_resource_keys(plan))
    assert graph is not None, "an asset run needs the asset graph"
    plan = _asset_plan(graph, run, instance)
    runner = StepRunner(plan, graph, run_graph=run_asset_graph, **runner_args)
    return PreparedRun(plan, runner, plan_resource_keys(plan, graph))


def _asset_plan(graph: AssetGraph, run: DagsterRun, instance: Any) -> ExecutionPlan:
    partition_keys = run_partition_keys(graph, run, instance)
    selected = run.asset_selection or frozenset()
    checks = run.asset_check_selection
    if checks is None:  # as in Dagster: no check selection means the selected assets' checks
        checks = frozenset(c for c in graph.asset_check_keys if c.asset_key in selected)
    return build_plan(graph, selected, checks, partition_keys, dynamic_partitions_store=instance)


def finish_run(storage: Any, sink: EventSink, run_id: str, outcome: RunOutcome) -> None:
    """Flush ``sink``, then end the run as ``outcome`` says (event and status together)."""
    sink.flush()
    error = None
    if outcome.canceled:
        status, message = DagsterRunStatus.CANCELED, "The run was canceled."
        reason: str | None = "canceled"
    elif outcome.success:
        status, message, reason = DagsterRunStatus.SUCCESS, "The run finished successfully.", None
    else:
        reason = outcome.failure_reason or "The run failed."
        status, message = DagsterRunStatus.FAILURE, f"The run failed: {reason}"
        step_failed = any(o.status == "failure" for o in outcome.steps.values())
        if outcome.first_exception is not None and not step_failed:
            error = error_info(outcome.first_exception)
    event = storage.end_run(run_id, status, message, error=error, reason=reason)
    if event is not None:
        sink.record(event)
