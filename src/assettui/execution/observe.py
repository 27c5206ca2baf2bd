"""``observe``: run observable source assets' functions and record their observations.

Dagster's ``observe([source_asset], instance=...)``: one in-process run whose steps call
each observe function and store an ``ASSET_OBSERVATION`` event (data version in the
``dagster/data_version`` tag). A function that raises fails its step and the run.
"""

from __future__ import annotations

import inspect
import os
import time
from collections.abc import Mapping, Sequence
from typing import Any

from assettui.errors import DefinitionError, ExecutionError
from assettui.execution.context import AssetExecutionContext
from assettui.execution.errors_info import error_info
from assettui.execution.event_sink import EventSink
from assettui.execution.resources import InitResourceContext, initialized_resources
from assettui.execution.result import ExecuteInProcessResult
from assettui.execution.run_lifecycle import finish_run
from assettui.execution.run_logger import RunLogger
from assettui.execution.step_runner import RunOutcome, StepOutcome, StepStatus
from assettui.model.asset_key import AssetKey
from assettui.model.assets.observable import ObservableSourceAsset, observation_of
from assettui.model.metadata.values import metadata_to_json
from assettui.model.records.events import DagsterEventType as E, NewEvent
from assettui.model.records.runs import IN_PROCESS_TAG, DagsterRun, DagsterRunStatus
from assettui.storage.instance import DagsterInstance


def _call(fn: Any, context: AssetExecutionContext, resources: Mapping[str, Any]) -> Any:
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    context_given = False
    for param in inspect.signature(fn).parameters.values():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        if param.name in resources and param.name != "context":
            kwargs[param.name] = resources[param.name]
        elif not context_given and param.kind is not param.KEYWORD_ONLY:
            args.append(context)
            context_given = True
        elif param.default is param.empty:
            raise DefinitionError(
                f"Observe function {fn.__name__!r} takes {param.name!r}, but no resource of "
                "that name was given."
            )
    return fn(*args, **kwargs)


def observe(
    assets: Sequence[Any],
    run_config: Any = None,
    instance: Any = None,
    resources: Mapping[str, Any] | None = None,
    partition_key: str | None = None,
    raise_on_error: bool = True,
    tags: Mapping[str, str] | None = None,
) -> ExecuteInProcessResult:
    """Observe ``assets`` (observable source assets) in this process.

    Args:
        assets: the observable source assets to observe (others are ignored).
        run_config: accepted for compatibility.
        instance: where the run and observations are recorded (default: ephemeral).
        resources: resources by key.
        partition_key: the partition observed.
        raise_on_error: raise if an observe function fails (else a failed result).
        tags: tags of the run.

    Returns:
        An ``ExecuteInProcessResult``; ``get_asset_observation_events()`` lists the
        observations.

    Raises:
        ExecutionError: an observe function failed and ``raise_on_error`` is true.
    """

    observables = [a for a in assets if isinstance(a, ObservableSourceAsset)]
    if not observables:
        raise DefinitionError(
            "observe() got no observable source assets; pass @observable_source_asset values."
        )
    instance = instance if instance is not None else DagsterInstance.ephemeral()
    storage = instance.storage
    run = storage.runs.create_run(
        DagsterRun(
            status=DagsterRunStatus.NOT_STARTED,
            asset_selection=frozenset(a.key for a in observables),
            partition_key=partition_key,
            tags={**dict(tags or {}), IN_PROCESS_TAG: "true"},
            pid=os.getpid(),
        )
    )
    run_id = run.run_id
    storage.runs.update_run_status(run_id, DagsterRunStatus.STARTED)
    sink = EventSink(storage.event_log.store_events, keep=True)
    emit = sink.emit

    def event(kind: E, message: str, level: str = "DEBUG", **kw: Any) -> NewEvent:
        return NewEvent(run_id, kind, message, level, timestamp=time.time(), **kw)

    try:
        emit(event(E.RUN_START, f"Started run {run_id}."))
        failure: BaseException | None = None
        failed: dict[str, StepOutcome] = {}  # the observations that failed, by step
        init = InitResourceContext(instance=instance, run_id=run_id, dagster_run=run)
        needed = {k for a in observables for k in a.required_resource_keys} | set(resources or {})
        with initialized_resources(dict(resources or {}), storage.home, needed, init) as res:
            for asset in observables:
                step = asset.op_name
                emit(
                    event(
                        E.STEP_START,
                        f"Started observing {asset.key.to_user_string()}.",
                        step_key=step,
                    )
                )

                def log_line(level: str, text: str, step: str = step) -> None:
                    emit(event(E.LOG, text, level, step_key=step))

                context = AssetExecutionContext(
                    run_id=run_id,
                    run=run,
                    log=RunLogger(log_line),
                    resources=res,
                    instance=instance,
                    asset_keys=[asset.key],
                    partition_key=partition_key,
                    partitions_def=asset.partitions_def,
                    run_tags=dict(tags or {}),
                    step_key=step,
                )
                try:
                    observation = observation_of(
                        asset, _call(asset.observe_fn, context, res), partition_key
                    )
                except Exception as exc:
                    failure = failure or exc
                    failed[step] = StepOutcome(StepStatus.FAILURE, exception=exc)
                    emit(event(E.STEP_FAILURE, f"Observing failed: {exc}", "ERROR", step_key=step,
                               payload={"error": error_info(exc)}))  # fmt: skip
                    continue
                emit(_observation_event(run_id, step, observation))
                emit(event(E.STEP_SUCCESS, "Finished observing.", step_key=step))
        reason = None if failure is None else str(failure)
        finish_run(
            storage,
            sink,
            run_id,
            RunOutcome(failure is None, False, failed, {}, [], failure, reason),
        )
    finally:
        sink.close()  # stores what was emitted, also if a resource failed to set up
    stored = storage.runs.get_run(run_id) or run
    result = ExecuteInProcessResult(
        run=stored,
        success=failure is None,
        events=sink.events,
        values={},
        check_evaluations=[],
        node_keys={a.op_name: [a.key] for a in observables},
        output_names={a.op_name: {"result": a.key} for a in observables},
    )
    if failure is not None and raise_on_error:
        raise ExecutionError(f"Observing failed: {failure}", user_exception=failure) from failure
    return result


def _observation_event(run_id: str, step: str, observation: Any) -> NewEvent:
    key: AssetKey = observation.asset_key
    return NewEvent(
        run_id=run_id,
        event_type=E.ASSET_OBSERVATION,
        message=f"Observed {key.to_user_string()}.",
        level="INFO",
        step_key=step,
        asset_key=key,
        partition=observation.partition,
        payload={
            "metadata": metadata_to_json(observation.metadata),
            "tags": dict(observation.tags),
            "code_version": None,
            "description": observation.description,
        },
        timestamp=time.time(),
    )
