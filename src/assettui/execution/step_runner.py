"""Running one step of a plan: its context, inputs, the user's function, outputs, events.

The :class:`StepRunner` of a run knows how to run any of its steps and keeps what the steps
have told it (outcomes, assets that did not materialize, failed blocking checks); an
executor (``execution/executors``) decides where and when each step runs and calls it.

This is the hot path of every run (in-process ``materialize`` and run workers alike), so it
does as little as possible per step: a handful of events, one IO manager call per input and
output, no per-step database transaction (events are batched by the sink).
"""

from __future__ import annotations

import contextlib
import inspect
import threading
import time
import typing
import weakref
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from assettui.errors import ExecutionError, Failure, RetryRequested
from assettui.execution.context import AssetExecutionContext
from assettui.execution.errors_info import error_info, user_location
from assettui.execution.event_sink import EventSink
from assettui.execution.io_managers.base import InputContext, OutputContext
from assettui.execution.leftover_threads import count_late_event, late_report, step_scope
from assettui.execution.outputs import (
    NO_VALUE,
    StepResults,
    collect_asset_results,
    collect_check_results,
    resolve_check_key,
)
from assettui.execution.partition_inputs import upstream_partition_keys
from assettui.execution.plan import ExecutionPlan, Step
from assettui.execution.run_logger import RunLogger
from assettui.execution.type_checks import check_dagster_type
from assettui.logging_compat import capture_dagster_logs
from assettui.model.asset_graph import AssetGraph
from assettui.model.asset_key import AssetKey
from assettui.model.config import build_config, op_config_value
from assettui.model.metadata.values import metadata_to_json, normalize_metadata
from assettui.model.records.events import DagsterEventType as E, NewEvent, error_payload
from assettui.model.resources import Resources
from assettui.model.results import (
    AssetCheckEvaluation,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetObservation,
)

CODE_VERSION_TAG = "dagster/code_version"


class StepStatus(StrEnum):
    """How a step ended (the values are the strings stored and reported before the enum)."""

    SUCCESS = "success"
    FAILURE = "failure"
    SKIPPED = "skipped"


class StepExitError(ExecutionError):
    """A step raised ``SystemExit`` (``sys.exit``) or ``KeyboardInterrupt``: that step fails
    with it as the reason, and the run goes on as after any failed step."""

    @staticmethod
    def of(ended: BaseException) -> StepExitError:
        name = type(ended).__name__
        detail = f": {ended}" if str(ended) not in ("", "None") else ""
        error = StepExitError(f"The step raised {name}{detail}.")
        error.__cause__ = ended
        error.__traceback__ = ended.__traceback__
        return error


class RunInterrupted(BaseException):
    """Raised in the worker's main thread when the run is canceled (SIGTERM)."""


@dataclass
class StepOutcome:
    status: StepStatus
    materialized: set[AssetKey] = field(default_factory=set)
    missing: set[AssetKey] = field(default_factory=set)  # planned but not materialized
    blocked: set[AssetKey] = field(default_factory=set)  # a blocking check failed
    checked: set[Any] = field(default_factory=set)  # the checks that got a result
    exception: BaseException | None = None


@dataclass
class RunOutcome:
    success: bool
    canceled: bool
    steps: dict[str, StepOutcome]
    values: dict[tuple[AssetKey, str | None], Any]
    check_evaluations: list[AssetCheckEvaluation]
    first_exception: BaseException | None = None
    failure_reason: str | None = None
    # an op job's output values: (step key, output name, mapping key) -> value
    op_values: dict[tuple[str, str, str | None], Any] = field(default_factory=dict)


StepCapture = Callable[[str], AbstractContextManager[Any]]


class StepRunner:
    """Runs the steps of one run's plan, emitting their events to ``sink``.

    Executors call :meth:`skip_reason`, :meth:`skip`, :meth:`run_step` and
    :meth:`interrupted` for each step and :meth:`outcome` at the end; the runner records
    each step's outcome in ``outcomes``.
    """

    def __init__(
        self,
        plan: ExecutionPlan,
        graph: AssetGraph,
        *,
        run: Any,
        sink: EventSink,
        instance: Any = None,
        run_config: Mapping[str, Any] | None = None,
        keep_values: bool = False,
        cancel: threading.Event | None = None,
        step_capture: StepCapture | None = None,
        dynamic_partitions_store: Any = None,
        op_retry_policy: Any = None,
        run_graph: Callable[[StepRunner, Step, dict[str, Any]], Any] | None = None,
    ):
        self.plan = plan
        # runs the ops of a graph-backed asset's step (execution/ops/graph_step.py)
        self.run_graph = run_graph
        self.graph = graph
        self.run = run
        self.run_id: str = run.run_id
        self.resources: dict[str, Any] = {}
        self.resources_ns = Resources(self.resources)
        self.sink = sink
        self.instance = instance
        self.run_config = dict(run_config or {})
        self.keep_values = keep_values
        self.values: dict[tuple[AssetKey, str | None], Any] = {}
        self.cancel = cancel or threading.Event()
        self.step_capture = step_capture
        self.store = dynamic_partitions_store
        self.op_retry_policy = op_retry_policy
        self.evaluations: list[AssetCheckEvaluation] = []
        self.unavailable: set[AssetKey] = set()  # planned assets that did not materialize
        self.blocked: set[AssetKey] = set()
        self.materialized: set[AssetKey] = set()  # assets recorded so far in this run
        self.outcomes: dict[str, StepOutcome] = {}
        self.running: set[str] = set()  # steps executing now (their context.log is live)
        # Held while a log line is let in and while a step ends: a thread the step left
        # running cannot slip a line in after the step's end event.
        self.log_lock = threading.Lock()

    def expand(self, step: Step) -> list[Step] | None:
        """The concrete steps to run for ``step`` once it is ready (a dynamic op's one per
        mapping key), or ``None`` to run ``step`` itself. Executors schedule what this
        returns in its place and report each with :meth:`record_outcome`."""
        return None

    def record_outcome(self, step: Step, outcome: StepOutcome) -> None:
        """What executors call when a step they ran has ended."""
        self.outcomes[step.key] = outcome

    def child_state(self) -> dict[str, Any]:
        """What a forked step process tells the parent beyond the outcome (JSON-able); the
        multiprocess executor hands it to :meth:`absorb_child_state`."""
        return {}

    def absorb_child_state(self, state: Mapping[str, Any]) -> None:
        """Take in what a step process learned (see :meth:`child_state`)."""

    def use_resources(self, resources: Mapping[str, Any]) -> None:
        """The run's initialized resources, once they are set up."""
        self.resources = dict(resources)
        self.resources_ns = Resources(self.resources)

    # ---- events --------------------------------------------------------------------------

    def emit(
        self,
        event_type: E,
        message: str = "",
        *,
        step: str | None = None,
        asset_key: AssetKey | None = None,
        partition: str | None = None,
        payload: Mapping[str, Any] | None = None,
        level: str = "DEBUG",
    ) -> None:
        self.sink.emit(
            NewEvent(
                run_id=self.run_id,
                event_type=event_type,
                message=message,
                level=level,
                step_key=step,
                asset_key=asset_key,
                partition=partition,
                payload=payload,
                timestamp=time.time(),
            )
        )

    def step_log(self, step_key: str, level: str, text: str) -> None:
        """A ``context.log`` line of ``step_key``; dropped (and counted) once the step ended,
        when a thread the step left running logs on."""
        with self.log_lock:
            if step_key in self.running:
                self.emit(E.LOG, text, step=step_key, level=level)
                return
        count_late_event(self.run_id, step_key)

    def _close_log(self, step: Step) -> None:
        """The step is ending: from now on its threads' log lines are late."""
        with self.log_lock:
            self.running.discard(step.key)

    def report_leftovers(self) -> None:
        """One warning on what threads left running by this run's steps tried to add."""
        message = late_report(self.run_id)
        if message:
            self.emit(E.ENGINE_EVENT, message, level="WARNING")

    def emit_planned(self) -> None:
        for step in self.plan.steps:
            for key in step.asset_keys:
                for partition in step.partition_keys or (None,):
                    self.emit(
                        E.ASSET_MATERIALIZATION_PLANNED,
                        step=step.key,
                        asset_key=key,
                        partition=partition,
                    )
            for check in step.check_keys:
                self.emit(
                    E.ASSET_CHECK_EVALUATION_PLANNED,
                    step=step.key,
                    asset_key=check.asset_key,
                    payload={"check_name": check.name},
                )

    # ---- what executors call --------------------------------------------------------------

    def interrupted(self, step: Step) -> None:
        """Record that cancellation stopped ``step`` while it ran."""
        self.fail_assets(
            step, error_payload("The run was canceled during this step.", "RunInterrupted")
        )
        self.emit(
            E.STEP_FAILURE,
            f'Step "{step.key}" was interrupted by cancellation.',
            step=step.key,
            level="ERROR",
        )
        self.outcomes[step.key] = StepOutcome(StepStatus.FAILURE, missing=set(step.asset_keys))

    def outcome(self, canceled: bool, first_exc: BaseException | None) -> RunOutcome:
        """The run's outcome from the steps' outcomes recorded so far."""
        if canceled:
            for step in self.plan.steps:
                if step.key not in self.outcomes:
                    self.outcomes[step.key] = StepOutcome(
                        StepStatus.SKIPPED, missing=set(step.asset_keys)
                    )
        success = not canceled and all(
            o.status != StepStatus.FAILURE and not o.blocked for o in self.outcomes.values()
        )
        failed = sorted(k for k, o in self.outcomes.items() if o.status == StepStatus.FAILURE)
        blocked = sorted(k for k, o in self.outcomes.items() if o.blocked)
        reason = None
        if failed:
            reason = f"Step(s) failed: {', '.join(failed)}"
        elif blocked:
            reason = f"Blocking check(s) failed in: {', '.join(blocked)}"
        return RunOutcome(
            success=success,
            canceled=canceled,
            steps=self.outcomes,
            values=self.values,
            check_evaluations=self.evaluations,
            first_exception=first_exc,
            failure_reason=reason,
        )

    def skip_reason(self, step: Step) -> str | None:
        deps = self.step_dependency_keys(step)
        missing = sorted(k.to_user_string() for k in deps if k in self.unavailable)
        if missing:
            return f"upstream {', '.join(missing)} did not materialize in this run"
        blocked = sorted(k.to_user_string() for k in deps if k in self.blocked)
        if blocked and not step.is_check_step:
            return f"a blocking check failed on upstream {', '.join(blocked)}"
        return None

    def step_dependency_keys(self, step: Step) -> set[AssetKey]:
        if step.is_check_step:
            return set(step.definition.keys_by_input_name.values())
        return {p for k in step.asset_keys for p in self.graph.get(k).parent_keys}

    def skip(self, step: Step, reason: str) -> None:
        self.emit(
            E.STEP_SKIPPED, f'Skipped step "{step.key}": {reason}.', step=step.key, level="INFO"
        )
        self.unavailable.update(step.asset_keys)
        self.outcomes[step.key] = StepOutcome(StepStatus.SKIPPED, missing=set(step.asset_keys))

    # ---- one step --------------------------------------------------------------------------

    def _retry_policy(self, step: Step) -> Any:
        return getattr(step.definition, "retry_policy", None) or self.op_retry_policy

    def run_step(self, step: Step) -> StepOutcome:
        """Run ``step`` with its retries; raises :class:`RunInterrupted` if canceled meanwhile."""
        policy = self._retry_policy(step)
        capture = self.step_capture(step.key) if self.step_capture else nullcontext()
        self.running.add(step.key)
        try:
            with capture, step_scope(self.run_id, step.key):
                return self._run_attempts(step, policy)
        finally:
            self.running.discard(step.key)

    def _run_attempts(self, step: Step, policy: Any) -> StepOutcome:
        attempt = 0
        self.emit(E.STEP_START, f'Started execution of step "{step.key}".', step=step.key)
        while True:
            started = time.perf_counter()
            try:
                outcome = self._attempt(step, attempt)
            except RunInterrupted:
                raise
            except (SystemExit, KeyboardInterrupt) as ended:  # the step ends, not the run
                return self._step_failed(step, StepExitError.of(ended))
            except Exception as exc:  # the user's code failed
                max_retries = policy.max_retries if policy else 0
                delay = policy.delay_for_attempt(attempt + 1) if policy else 0.0
                if isinstance(exc, RetryRequested):
                    max_retries = exc.max_retries
                    delay = exc.seconds_to_wait or 0.0
                retriable = not (isinstance(exc, Failure) and not exc.allow_retries)
                if retriable and attempt < max_retries and not self.cancel.is_set():
                    attempt += 1
                    self.emit(
                        E.STEP_UP_FOR_RETRY,
                        f'Step "{step.key}" failed ({type(exc).__name__}: {exc}); retry '
                        f"{attempt} of {max_retries} in {delay:.1f}s.",
                        step=step.key,
                        level="WARNING",
                        payload={"error": error_info(exc)},
                    )
                    if delay:
                        self.cancel.wait(delay)
                    self.emit(E.STEP_RESTARTED, f'Restarting step "{step.key}".', step=step.key)
                    continue
                return self._step_failed(step, exc)
            elapsed = time.perf_counter() - started
            self._close_log(step)
            self.emit(
                E.STEP_SUCCESS,
                f'Finished execution of step "{step.key}" in {_ms(elapsed)}.',
                step=step.key,
                payload={"duration_ms": round(elapsed * 1000, 3)},
            )
            return outcome

    def _step_failed(self, step: Step, exc: Exception) -> StepOutcome:
        info = error_info(exc)
        where = user_location(exc)
        what = "check" if step.is_check_step else "asset"
        names = ", ".join(k.to_user_string() for k in step.asset_keys) or step.key
        message = f"Error in {what} {names!r}" + (f" at {where}" if where else "")
        message += f": {info['message']}"
        self._close_log(step)
        self.emit(E.STEP_FAILURE, message, step=step.key, level="ERROR", payload={"error": info})
        self.fail_assets(step, info)
        if step.is_check_step:
            for check in step.check_keys:
                spec = self.graph.get_check_spec(check)
                if spec.blocking:
                    self.blocked.add(check.asset_key)
        return StepOutcome(StepStatus.FAILURE, missing=set(step.asset_keys), exception=exc)

    def fail_assets(self, step: Step, info: Mapping[str, Any]) -> None:
        """The step's assets did not materialize (those it recorded before failing did)."""
        failed = [k for k in step.asset_keys if k not in self.materialized]
        self.unavailable.update(failed)
        for key in failed:
            for partition in step.partition_keys or (None,):
                self.emit(
                    E.ASSET_FAILED_TO_MATERIALIZE,
                    f"{key.to_user_string()} failed.",
                    step=step.key,
                    asset_key=key,
                    partition=partition,
                    payload={"error": dict(info)},
                    level="ERROR",
                )

    def _context(
        self,
        step: Step,
        attempt: int,
        input_partitions: dict[str, list[str]],
        input_defs: dict[str, Any],
    ) -> AssetExecutionContext:
        definition = step.definition
        keys = (
            list(step.asset_keys)
            if not step.is_check_step
            else [c.asset_key for c in step.check_keys][:1]
        )
        pdef = (
            definition.partitions_def
            if not step.is_check_step
            else self.graph.get(step.check_keys[0].asset_key).partitions_def
        )
        step_key = step.key

        def emit_log(level: str, text: str) -> None:
            self.step_log(step_key, level, text)

        return AssetExecutionContext(
            run_id=self.run_id,
            run=self.run,
            log=RunLogger(emit_log),
            resources=self.resources_ns,
            instance=self.instance,
            asset_keys=sorted(getattr(definition, "keys", keys))
            if not step.is_check_step
            else keys,
            selected_asset_keys=keys,
            selected_asset_check_keys=step.check_keys,
            partition_key=step.partition_key,
            partition_keys=list(step.partition_keys),
            partitions_def=pdef,
            op_config=op_config_value(self.run_config, definition.node_name),
            retry_number=attempt,
            run_tags=getattr(self.run, "tags", {}),
            step_key=step.key,
            partition_keys_by_input=input_partitions,
            partitions_defs_by_input=input_defs,
            assets_def=definition if not step.is_check_step else None,
        )

    def _load_inputs(
        self, step: Step
    ) -> tuple[dict[str, Any], dict[str, list[str]], dict[str, Any]]:
        definition = step.definition
        values: dict[str, Any] = {}
        partitions: dict[str, list[str]] = {}
        defs: dict[str, Any] = {}
        if not definition.inputs:
            return values, partitions, defs
        hints = _param_hints(definition.compute_fn)
        if step.is_check_step:
            down_def = self.graph.get(step.check_keys[0].asset_key).partitions_def
        else:
            down_def = definition.partitions_def
        for param, info in definition.inputs.items():
            up_key = info.key
            up_node = self.graph.get(up_key)
            mapping = None if step.is_check_step else definition.get_partition_mapping(up_key)
            up_partitions = upstream_partition_keys(
                down_def,
                list(step.partition_keys),
                up_node.partitions_def,
                mapping,
                self.store,
                check_step=step.is_check_step,
            )
            if up_node.partitions_def is not None:
                partitions[param] = up_partitions
                defs[param] = up_node.partitions_def
            manager_key = info.io_manager_key or up_node.assets_def.get_io_manager_key(up_key)
            manager = self._io_manager(manager_key, up_key)
            upstream_output = OutputContext(
                asset_key=up_key,
                name=up_node.assets_def.outputs[up_key].output_name
                if up_key in up_node.assets_def.outputs
                else "result",
                metadata=up_node.metadata,
                definition_metadata=up_node.metadata,
                resources=self.resources_ns,
                partitions_def=up_node.partitions_def,
            )
            ctx = InputContext(
                asset_key=up_key,
                name=param,
                upstream_output=upstream_output,
                metadata=info.metadata,
                partition_keys_value=up_partitions,
                resources=self.resources_ns,
                dagster_type=hints.get(param),
                partitions_def=up_node.partitions_def,
                definition_metadata=up_node.metadata,
            )
            values[param] = manager.load_input(ctx)
        return values, partitions, defs

    def _io_manager(self, key: str, asset_key: AssetKey) -> Any:
        manager = self.resources.get(key)
        if manager is None or not hasattr(manager, "handle_output"):
            raise ExecutionError(
                f"Asset {asset_key.to_user_string()!r} uses IO manager {key!r}, but the run has "
                f"no IO manager under that resource key. Add {key!r} to Definitions(resources=...)."
            )
        return manager

    def _call(self, step: Step, context: AssetExecutionContext, inputs: dict[str, Any]) -> Any:
        definition = step.definition
        if getattr(definition, "graph_def", None) is not None:
            if self.run_graph is None:
                raise ExecutionError(
                    f"{definition.node_name!r} is a graph-backed asset; this run cannot run graphs."
                )
            return self.run_graph(self, step, inputs)
        return call_user_function(
            definition.params,
            definition.compute_fn,
            context,
            inputs,
            self.resources,
            f"asset {definition.node_name!r}",
            "Definitions(resources=...)",
        )

    def _attempt(self, step: Step, attempt: int) -> StepOutcome:
        inputs, input_partitions, input_defs = self._load_inputs(step)
        context = self._context(step, attempt, input_partitions, input_defs)
        # get_dagster_logger() records land in this step's log (generators run below too)
        with capture_dagster_logs(context.log.log):
            result = self._call(step, context, inputs)
            if step.is_check_step:
                results = collect_check_results(step.definition, result)
                return self._record_checks(step, results, require_all=True)
            return self._handle_asset_results(step, context, result)

    def _handle_asset_results(
        self, step: Step, context: AssetExecutionContext, result: Any
    ) -> StepOutcome:
        adef = step.definition
        outcome = StepOutcome(StepStatus.SUCCESS)
        streamed = inspect.isgenerator(result)
        if streamed:
            # results yielded one by one (a dbt build, a dlt load) are each recorded as they
            # come, as Dagster does: the UI sees them while the step runs, and a failure
            # after them fails only what was not yet recorded
            results = self._stream_asset_results(step, context, result, outcome)
            for key in step.asset_keys:
                if key not in results.produced:
                    self._asset_not_produced(step, key, outcome)
        else:
            results = collect_asset_results(adef, step.asset_keys, result)
            for key in step.asset_keys:
                produced = results.produced.get(key)
                if produced is None:
                    self._asset_not_produced(step, key, outcome)
                else:
                    self._record_asset(step, context, key, produced, outcome)
        for logged in [*results.logged, *context.logged_events]:
            self._record_logged(step, logged)
        if not streamed:
            checks_outcome = self._record_checks(step, results.check_results, require_all=False)
            outcome.blocked |= checks_outcome.blocked
        if outcome.blocked:
            outcome.status = StepStatus.SUCCESS
        return outcome

    def _stream_asset_results(
        self, step: Step, context: AssetExecutionContext, generator: Any, outcome: StepOutcome
    ) -> StepResults:
        """Record each yielded asset result (and check result) as it comes; returns every
        result seen, with the check results already recorded left out."""
        adef = step.definition
        seen = StepResults()
        for item in generator:
            part = collect_asset_results(adef, step.asset_keys, _single(item))
            for key, produced in part.produced.items():
                if key in seen.produced:
                    raise ExecutionError(
                        f"{adef.node_name!r} returned two results for {key.to_user_string()!r}."
                    )
                seen.produced[key] = produced
                self._record_asset(step, context, key, produced, outcome)
            if part.check_results:
                recorded = self._record_checks(
                    step, part.check_results, require_all=False, enforce=False
                )
                outcome.blocked |= recorded.blocked
                outcome.checked |= recorded.checked
            seen.logged.extend(part.logged)
        self._require_checks(step, outcome.checked, bool(outcome.checked))
        return seen

    def _asset_not_produced(self, step: Step, key: AssetKey, outcome: StepOutcome) -> None:
        adef = step.definition
        info = adef.outputs[key]
        if info.is_required:
            raise ExecutionError(
                f"{adef.node_name!r} did not return a result for required asset "
                f"{key.to_user_string()!r}. Return or yield it, or declare it with "
                "output_required=False / AssetOut(is_required=False)."
            )
        self.emit(
            E.ENGINE_EVENT,
            f"{key.to_user_string()} was not produced (optional).",
            step=step.key,
            asset_key=key,
            level="INFO",
        )
        outcome.missing.add(key)
        self.unavailable.add(key)
        for partition in step.partition_keys or (None,):
            self.emit(
                E.ASSET_FAILED_TO_MATERIALIZE,
                "",
                step=step.key,
                asset_key=key,
                partition=partition,
                payload={"skipped": True},
            )

    def _record_asset(
        self,
        step: Step,
        context: AssetExecutionContext,
        key: AssetKey,
        produced: Any,
        outcome: StepOutcome,
    ) -> None:
        adef = step.definition
        info = adef.outputs[key]
        node = self.graph.get(key)
        metadata = dict(produced.metadata)
        metadata.update(context.output_metadata.get(None, {}) if len(step.asset_keys) == 1 else {})
        metadata.update(context.output_metadata.get(key, {}))
        partitions = step.partition_keys or (None,)
        if produced.value is not NO_VALUE:
            check_dagster_type(info.dagster_type, produced.value, info.output_name)
            manager = self._io_manager(info.io_manager_key, key)
            if len(partitions) > 1 and not (
                isinstance(produced.value, dict) and set(produced.value) >= set(partitions)
            ):
                raise ExecutionError(
                    f"{key.to_user_string()!r} ran for {len(partitions)} partitions "
                    f"({partitions[0]}...{partitions[-1]}) in one run but returned a single "
                    "value; IO managers store one value per partition. Return a dict "
                    "{partition_key: value} covering context.partition_keys, or run the "
                    "partitions one per run."
                )
            for partition in partitions:
                value = produced.value
                if len(partitions) > 1:
                    value = value[partition]
                out_ctx = OutputContext(
                    asset_key=key,
                    name=info.output_name,
                    run_id=self.run_id,
                    metadata=node.metadata,
                    step_key=step.key,
                    partition_key_value=partition if len(partitions) == 1 else None,
                    partition_keys_value=list(step.partition_keys),
                    resources=self.resources_ns,
                    definition_metadata=node.metadata,
                    log=context.log,
                    partitions_def=node.partitions_def,
                )
                if len(partitions) > 1:
                    out_ctx.partition_key_value = partition
                manager.handle_output(out_ctx, value)
                metadata.update(out_ctx.output_metadata)
                if self.keep_values:
                    self.values[(key, partition)] = value
        tags = dict(produced.tags)
        if node.code_version:
            tags[CODE_VERSION_TAG] = node.code_version
        payload = {
            "metadata": metadata_to_json(metadata),
            "tags": tags,
            "code_version": node.code_version,
            "description": None,
            "data_version": produced.data_version,
        }
        for partition in partitions:
            self.emit(
                E.ASSET_MATERIALIZATION,
                f"Materialized {key.to_user_string()}" + (f" [{partition}]" if partition else ""),
                step=step.key,
                asset_key=key,
                partition=partition,
                payload=payload,
                level="INFO",
            )
        outcome.materialized.add(key)
        self.materialized.add(key)

    def _record_logged(self, step: Step, event: Any) -> None:

        kind = (
            E.ASSET_OBSERVATION if isinstance(event, AssetObservation) else E.ASSET_MATERIALIZATION
        )
        payload = {
            "metadata": metadata_to_json(normalize_metadata(dict(event.metadata))),
            "tags": dict(event.tags),
            "code_version": None,
            "description": event.description,
        }
        self.emit(
            kind,
            f"{kind.value.lower()} {event.asset_key.to_user_string()}",
            step=step.key,
            asset_key=event.asset_key,
            partition=event.partition,
            payload=payload,
            level="INFO",
        )

    def _record_checks(
        self,
        step: Step,
        results: list[AssetCheckResult],
        require_all: bool,
        enforce: bool = True,
    ) -> StepOutcome:
        outcome = StepOutcome(StepStatus.SUCCESS)
        seen = set()
        where = f"{step.definition.node_name!r}"
        for result in results:
            check_key = resolve_check_key(result, step.check_keys or _declared(step), where)
            if check_key not in step.check_keys:
                continue  # a check that this run did not select
            seen.add(check_key)
            spec = self.graph.get_check_spec(check_key)
            evaluation = AssetCheckEvaluation(
                asset_key=check_key.asset_key,
                check_name=check_key.name,
                passed=result.passed,
                metadata=result.metadata,
                severity=result.severity,
                description=result.description,
                blocking=spec.blocking,
            )
            self.evaluations.append(evaluation)
            status = "passed" if result.passed else f"failed ({result.severity.value})"
            for partition in step.partition_keys or (None,):
                self.emit(
                    E.ASSET_CHECK_EVALUATION,
                    f"Check {check_key.name} on {check_key.asset_key.to_user_string()} {status}",
                    step=step.key,
                    asset_key=check_key.asset_key,
                    partition=partition,
                    payload={
                        "check_name": check_key.name,
                        "passed": result.passed,
                        "severity": result.severity.value,
                        "metadata": metadata_to_json(result.metadata),
                        "description": result.description,
                        "blocking": spec.blocking,
                    },
                    level="INFO"
                    if result.passed
                    else ("WARNING" if result.severity is AssetCheckSeverity.WARN else "ERROR"),
                )
            if not result.passed and spec.blocking and result.severity is AssetCheckSeverity.ERROR:
                outcome.blocked.add(check_key.asset_key)
                self.blocked.add(check_key.asset_key)
        outcome.checked = seen
        if enforce:
            self._require_checks(step, seen, require_all or bool(results))
        return outcome

    def _require_checks(self, step: Step, seen: set[Any], strict: bool) -> None:
        """Every selected check of the step must have a result.

        Raises:
            ExecutionError: naming the checks without one.
        """
        missing = [c for c in step.check_keys if c not in seen]
        if missing and (strict or step.check_keys):
            names = ", ".join(c.to_user_string() for c in missing)
            raise ExecutionError(
                f"{step.definition.node_name!r} did not yield a result for check(s) {names}. "
                "Return or yield an AssetCheckResult for each declared check."
            )


def call_user_function(
    params: Any,
    fn: Callable[..., Any],
    context: Any,
    inputs: Mapping[str, Any],
    resources: Mapping[str, Any],
    where: str,
    add_to: str,
) -> Any:
    """Call an asset's or op's function with its inputs, its context, its ``Config`` (built
    from ``context.op_config``) and its resource parameters.

    Raises:
        ExecutionError: a resource parameter names a resource the run lacks.
        ConfigError: the config does not fit the function's ``Config`` class.
    """
    kwargs: dict[str, Any] = dict(inputs)
    if params.context_param:
        kwargs[params.context_param] = context
    if params.config_param and params.config_type is not None:
        kwargs[params.config_param] = build_config(
            params.config_type, context.op_config or {}, where
        )
    for name in params.resource_params:
        if name not in resources:
            raise ExecutionError(
                f"{where} needs resource {name!r}, which the run lacks. Add it to {add_to}."
            )
        kwargs[name] = resources[name]
    return fn(**kwargs)


def _single(item: Any) -> Any:
    """A one-item generator, so that one yielded item is read as a generator's would be."""
    yield item


def _declared(step: Step) -> list[Any]:
    return [c.key for c in step.definition.check_specs]


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}ms" if seconds < 10 else f"{seconds:.1f}s"


# Keyed by the function itself (weakly): an id() key would hand a new function the hints of
# a collected one that happened to live at the same address.
_hint_cache: weakref.WeakKeyDictionary[Any, dict[str, Any]] = weakref.WeakKeyDictionary()


def _param_hints(fn: Any) -> dict[str, Any]:
    try:
        cached = _hint_cache.get(fn)
    except TypeError:  # not weak-referenceable (a builtin); no caching
        cached = None
    if cached is not None:
        return cached
    try:
        hints = typing.get_type_hints(fn)
    except Exception:
        hints = {
            n: p.annotation
            for n, p in inspect.signature(fn).parameters.items()
            if p.annotation is not inspect.Parameter.empty
        }
    with contextlib.suppress(TypeError):
        _hint_cache[fn] = hints
    return hints
