"""Executors: the in-process and multiprocess implementations of :class:`Executor`; an
integration's executor (the Dask one) comes in through its definition's ``make``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from assettui.execution.executors.base import Executor
from assettui.execution.executors.in_process import InProcessExecutor
from assettui.execution.executors.multiprocess import MultiprocessExecutor, can_fork
from assettui.model.executor import ExecutorDefinition, executor_from_run_config

__all__ = ["Executor", "InProcessExecutor", "MultiprocessExecutor", "executor_for"]


def executor_for(
    executor_def: ExecutorDefinition | None,
    run_config: Mapping[str, Any] | None,
    keep_values: bool,
    project: Any = None,
) -> Executor:
    """The executor a run uses: the job's or the Definitions' ``executor_def``, overridden by
    the run config's ``execution`` section; runs that keep values in memory (in-process
    ``materialize``) always execute in process, as in Dagster. An integration's executor
    (``make``) runs steps in other processes that load ``project`` again: without a project
    (a run not launched through a run worker) the run executes in process."""
    chosen = executor_from_run_config(executor_def, run_config or {})
    if chosen.make is not None:
        if keep_values or project is None:
            return InProcessExecutor()
        return cast(Executor, chosen.make(chosen.config, project))
    if chosen.name != "multiprocess" or keep_values or not can_fork():
        return InProcessExecutor()
    return MultiprocessExecutor(chosen.max_concurrent)
