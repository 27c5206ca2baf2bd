"""``JobDefinition.execute_in_process`` for op jobs: plan, check config, store, run here."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from assettui.execution.io_managers.filesystem import InMemoryIOManager
from assettui.execution.ops.plan import (
    OpPlan,
    OpStep,
    build_op_plan,
    op_config_at,
    op_job_run_config,
)
from assettui.execution.ops.result import OpJobExecutionResult
from assettui.execution.resources import check_resource_config
from assettui.execution.run_lifecycle import run_here
from assettui.model.config import build_config
from assettui.model.config_schema import process_config
from assettui.storage.instance import DagsterInstance


def check_op_config(plan: OpPlan, run_config: Mapping[str, Any]) -> None:
    """Check each op's config (``config_schema`` or its ``Config`` parameter) up front.

    Raises:
        ConfigError: naming the op and each offending field.
    """
    for step in plan.steps:
        assert isinstance(step, OpStep)
        definition = step.definition
        raw = op_config_at(run_config, step.config_path).get("config")
        if definition.config_schema is not None:
            process_config(definition.config_schema, raw, f"op {step.key!r}")
        params = definition.params
        if params.config_param and params.config_type is not None:
            build_config(params.config_type, raw or {}, f"op {step.key!r}")


def filled_op_config(plan: OpPlan, run_config: Mapping[str, Any]) -> dict[str, Any]:
    """``run_config`` with each op's ``config_schema`` defaults filled in."""
    filled = copy.deepcopy(dict(run_config))
    for step in plan.steps:
        assert isinstance(step, OpStep)
        schema = step.definition.config_schema
        if schema is None:
            continue
        raw = op_config_at(run_config, step.config_path).get("config")
        node: dict[str, Any] = filled
        for name in step.config_path:
            node = node.setdefault("ops", {}).setdefault(name, {})
        node["config"] = process_config(schema, raw, f"op {step.key!r}")
    return filled


def execute_op_job_in_process(
    job: Any,
    *,
    run_config: Any = None,
    instance: Any = None,
    partition_key: str | None = None,
    raise_on_error: bool = True,
    op_selection: Sequence[str] | None = None,
    run_id: str | None = None,
    tags: Mapping[str, Any] | None = None,
    resources: Mapping[str, Any] | None = None,
    input_values: Mapping[str, Any] | None = None,
) -> OpJobExecutionResult:
    """Run op job ``job`` in this process; values pass through an in-memory IO manager
    unless the job (or ``resources``) names an ``io_manager``, as in Dagster."""
    config = op_job_run_config(job, run_config, partition_key)
    plan = build_op_plan(job, config, op_selection, input_values)
    check_op_config(plan, config)
    run_resources = {**job.resources, **(resources or {})}
    run_resources.setdefault("io_manager", InMemoryIOManager())
    check_resource_config(run_resources, config)
    inst = instance if instance is not None else DagsterInstance.ephemeral()
    run_tags = {**job.run_tags, **(tags or {})}
    if partition_key is not None:
        run_tags = {**run_tags, **job.tags_for_partition_key(partition_key)}
    stored, outcome, sink = run_here(
        inst,
        job_name=job.name,
        run_config=config,
        tags=run_tags,
        partition_key=partition_key,
        run_id=run_id,
        graph=None,
        resources=run_resources,
        op_retry_policy=job.op_retry_policy,
        job=job,
        op_plan=plan,
    )
    result = OpJobExecutionResult(
        run=stored,
        success=outcome.success,
        events=sink.events,
        op_values=outcome.op_values,
        job=job,
    )
    if raise_on_error and not outcome.success and outcome.first_exception is not None:
        raise outcome.first_exception
    return result
