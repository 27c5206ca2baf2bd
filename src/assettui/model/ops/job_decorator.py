"""``@job``: a graph of ops, composed by the decorated function, as a job."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from assettui.model.jobs import JobDefinition, op_job
from assettui.model.ops.graph import build_graph


def job(
    compose_fn: Callable[..., Any] | None = None,
    *,
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
    partitions_def: Any = None,
    input_values: Mapping[str, Any] | None = None,
) -> Any:
    """Dagster's ``@job``, with or without parentheses."""

    def wrap(fn: Callable[..., Any]) -> JobDefinition:
        job_name = name or fn.__name__
        graph_def = build_graph(fn, name=job_name, description=description)
        return op_job(
            graph_def,
            name=job_name,
            description=graph_def.description,
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

    return wrap(compose_fn) if compose_fn is not None else wrap
