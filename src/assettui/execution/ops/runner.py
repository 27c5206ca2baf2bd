"""Running op steps: inputs from upstream outputs (through IO managers), the op's
function, its outputs, dynamic mapping, hooks — with the asset runner's events and retries.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from assettui.errors import DagsterInvariantViolationError, ExecutionError
from assettui.execution.context import OpExecutionContext
from assettui.execution.errors_info import error_info, user_location
from assettui.execution.io_managers.base import InputContext, OutputContext
from assettui.execution.ops.plan import (
    COLLECTED,
    FANNED_IN,
    MAPPED,
    ORDER_ONLY,
    UPSTREAM,
    VALUE,
    OpPlan,
    OpStep,
    StepInput,
    op_config_at,
)
from assettui.execution.run_logger import RunLogger
from assettui.execution.step_runner import (
    RunOutcome,
    StepOutcome,
    StepRunner,
    StepStatus,
    call_user_function,
)
from assettui.execution.type_checks import check_dagster_type, check_return_type
from assettui.logging_compat import capture_dagster_logs
from assettui.model.asset_graph import AssetGraph
from assettui.model.config_schema import process_config
from assettui.model.dagster_types import is_nothing
from assettui.model.metadata.values import metadata_to_json
from assettui.model.ops.hooks import FAILURE, SUCCESS
from assettui.model.ops.ins_outs import DynamicOutput
from assettui.model.records.events import DagsterEventType as E
from assettui.model.results import (
    AssetMaterialization,
    AssetObservation,
    ExpectationResult,
    Output,
)

_EMPTY_GRAPH = AssetGraph.from_assets([])


class OpStepRunner(StepRunner):
    """Runs the steps of an op job's plan (see :class:`StepRunner` for the protocol)."""

    def __init__(self, plan: OpPlan, *, job: Any, **kwargs: Any):
        super().__init__(plan, _EMPTY_GRAPH, **kwargs)
        self.job = job
        self.op_plan = plan
        self.steps_by_key: dict[str, OpStep] = {
            s.key: s for s in plan.steps if isinstance(s, OpStep)
        }
        # (step key, output) -> mapping keys a dynamic output produced, in order
        self.mapping_keys: dict[tuple[str, str], list[str]] = {}
        # (step key with mapping suffix, output, mapping key of a dynamic output)
        self.produced: set[tuple[str, str, str | None]] = set()
        self._produced_outputs: set[tuple[str, str]] = set()  # (step, output) of the above
        self.output_values: dict[tuple[str, str, str | None], Any] = {}
        self._mapping_key: str | None = None
        self.not_run: set[str] = set()  # steps not run because a step upstream failed
        self.expanded: dict[str, set[str]] = {}  # mapped step -> its steps per mapping key
        # a retry from failure: steps that succeeded before -> the run holding their outputs
        self.reused: dict[str, str] = {}
        self.partition_key: str | None = getattr(self.run, "partition_key", None)

    def emit_planned(self) -> None:
        return None

    def child_state(self) -> dict[str, Any]:
        """The outputs a step process produced and the mapping keys it fanned out."""
        return {
            "produced": [list(k) for k in self.produced],
            "mapping_keys": [[s, o, keys] for (s, o), keys in self.mapping_keys.items()],
            "not_run": sorted(self.not_run),
            "expanded": {k: sorted(v) for k, v in self.expanded.items()},
        }

    def absorb_child_state(self, state: Mapping[str, Any]) -> None:
        for s, o, k in state.get("produced", ()):
            self._mark_produced((s, o, k))
        for step_key, output, keys in state.get("mapping_keys", ()):
            self.mapping_keys[(step_key, output)] = list(keys)
        self.not_run |= set(state.get("not_run", ()))
        for parent, keys in (state.get("expanded") or {}).items():
            self.expanded.setdefault(parent, set(keys))

    def outcome(self, canceled: bool, first_exc: BaseException | None) -> RunOutcome:
        result = super().outcome(canceled, first_exc)
        result.op_values = self.output_values
        return result

    # ---- skipping ----------------------------------------------------------------------

    def skip_reason(self, step: Any) -> str | None:
        for source in step.op_inputs.values():
            for upstream in sorted(source.upstream_steps()):
                outcome = self.outcomes.get(upstream)
                if outcome is None or upstream in self.not_run:
                    return f"upstream step {upstream!r} failed"
                if outcome.status is StepStatus.FAILURE:
                    return f"upstream step {upstream!r} failed"
                if outcome.status is StepStatus.SKIPPED:
                    return f"upstream step {upstream!r} was skipped"
            if (
                source.kind in (UPSTREAM, ORDER_ONLY)
                and source.step is not None
                and not self._produced_somehow(source.step, source.output or "result")
            ):
                return f"output {source.output!r} of {source.step!r} was not produced"
            if source.kind == FANNED_IN:
                for part in source.sources:
                    if part.step and not self._produced_somehow(part.step, part.output or ""):
                        return f"output {part.output!r} of {part.step!r} was not produced"
        return None

    def skip(self, step: Any, reason: str) -> None:
        """A step not run: after a failure upstream, an engine event as in Dagster (no step
        events); for an output not produced, a skipped step."""
        if reason.startswith("upstream step") and reason.endswith("failed"):
            self.not_run.add(step.key)
            self.emit(
                E.ENGINE_EVENT,
                f'Dependencies for step "{step.key}" failed: {reason}. Not executing.',
                level="ERROR",
                payload={"step": step.key},
            )
            self.record_outcome(step, StepOutcome(StepStatus.SKIPPED))
            return
        super().skip(step, reason)
        if getattr(step, "mapped_from", None) is not None:
            self.record_outcome(step, self.outcomes[step.key])

    def _produced_somehow(self, step_key: str, output: str) -> bool:
        return (step_key, output) in self._produced_outputs

    def _mark_produced(self, stored: tuple[str, str, str | None]) -> None:
        self.produced.add(stored)
        self._produced_outputs.add((stored[0], stored[1]))

    # ---- running -----------------------------------------------------------------------

    def _retry_policy(self, step: Any) -> Any:
        return step.node_retry_policy or self.op_retry_policy

    # ---- re-execution from failure ----------------------------------------------------

    def reuse_parent(self, parent_run_id: str, events: Iterable[Any]) -> None:
        """Take the steps that succeeded in ``parent_run_id`` (from its events) as done: they
        are not run again, and their outputs are loaded from the run that produced them."""
        outputs: dict[str, list[tuple[str, str | None]]] = {}
        done: dict[str, str] = {}
        for event in events:
            payload = event.payload or {}
            if event.event_type is E.STEP_OUTPUT and event.step_key:
                outputs.setdefault(event.step_key, []).append(
                    (payload.get("output_name", "result"), payload.get("mapping_key"))
                )
            elif event.event_type is E.STEP_SUCCESS and event.step_key:
                done[event.step_key] = parent_run_id
            elif event.event_type is E.ENGINE_EVENT and payload.get("reused_step"):
                step_key = payload["reused_step"]
                done[step_key] = payload["from_run"]
                outputs[step_key] = [(o, k) for o, k in payload.get("outputs", ())]
        for step_key, origin in done.items():
            self.reused[step_key] = origin
            for output, mapping_key in outputs.get(step_key, ()):
                self._mark_produced((step_key, output, mapping_key))
                if mapping_key is not None:
                    self.mapping_keys.setdefault((step_key, output), []).append(mapping_key)

    def _reuse(self, step: Any) -> StepOutcome:
        origin = self.reused[step.key]
        outputs = [[o, k] for (s, o, k) in sorted(self.produced, key=str) if s == step.key]
        self.emit(
            E.ENGINE_EVENT,
            f'Step "{step.key}" succeeded in run {origin[:8]}; its outputs are reused.',
            step=step.key,
            payload={"reused_step": step.key, "from_run": origin, "outputs": outputs},
        )
        return StepOutcome(StepStatus.SUCCESS)

    def expand(self, step: Any) -> list[Any] | None:
        """A mapped op's steps, one per mapping key its fan-out produced (``op[key]``)."""
        if not step.is_mapped or step.mapping_key is not None:
            return None
        keys = self._keys_of(step)
        concrete = [
            replace(step, key=f"{step.key}[{k}]", mapping_key=k, mapped_from=step.key) for k in keys
        ]
        self.expanded[step.key] = {c.key for c in concrete}
        if not concrete:  # nothing to map: done, and downstream collects an empty list
            self.outcomes[step.key] = StepOutcome(StepStatus.SUCCESS)
        return concrete

    def record_outcome(self, step: Any, outcome: StepOutcome) -> None:
        super().record_outcome(step, outcome)
        parent = getattr(step, "mapped_from", None)
        if parent is None:
            return
        siblings = [self.outcomes.get(k) for k in self.expanded.get(parent, ())]
        if all(o is not None for o in siblings):
            failed = [o for o in siblings if o is not None and o.status is StepStatus.FAILURE]
            self.outcomes[parent] = failed[0] if failed else StepOutcome(StepStatus.SUCCESS)

    def run_step(self, step: Any) -> StepOutcome:
        if step.key in self.reused:
            return self._reuse(step)
        return self._run_one(step, step.mapping_key)

    def _keys_of(self, step: OpStep) -> list[str]:
        assert step.mapping_source is not None
        return list(self.mapping_keys.get(step.mapping_source, ()))

    def _run_one(self, step: OpStep, mapping_key: str | None) -> StepOutcome:
        self._mapping_key = mapping_key
        try:
            outcome = super().run_step(step)
        finally:
            self._mapping_key = None
        self._run_hooks(step, outcome)
        return outcome

    def _step_failed(self, step: Any, exc: Exception) -> StepOutcome:
        info = error_info(exc)
        where = user_location(exc)
        message = f"Error in op {step.key!r}" + (f" at {where}" if where else "")
        message += f": {info['message']}"
        self._close_log(step)
        self.emit(E.STEP_FAILURE, message, step=step.key, level="ERROR", payload={"error": info})
        return StepOutcome(StepStatus.FAILURE, exception=exc)

    def _attempt(self, step: Any, attempt: int) -> StepOutcome:
        context = self._op_context(step, attempt)
        inputs = self._load_inputs_of(step, context)
        with capture_dagster_logs(context.log.log):
            result = self._call_op(step, context, inputs)
            self._handle_outputs(step, context, result)
        return StepOutcome(StepStatus.SUCCESS)

    def _op_context(self, step: OpStep, attempt: int) -> OpExecutionContext:
        step_key = step.key

        def emit_log(level: str, text: str) -> None:
            self.step_log(step_key, level, text)

        raw = op_config_at(self.run_config, step.config_path).get("config")
        definition = step.definition
        schema = definition.config_schema
        config = process_config(schema, raw, f"op {step.key!r}") if schema is not None else raw
        pdef = getattr(self.job, "partitions_def", None)
        return OpExecutionContext(
            run_id=self.run_id,
            run=self.run,
            log=RunLogger(emit_log),
            resources=self.resources_ns,
            instance=self.instance,
            partition_key=self.partition_key,
            partitions_def=pdef,
            op_config=config,
            retry_number=attempt,
            run_tags=getattr(self.run, "tags", {}),
            step_key=step.key,
            op_def=definition,
            mapping_key=self._mapping_key,
            node_handle=".".join(step.config_path),
        )

    # ---- inputs ------------------------------------------------------------------------

    def _load_inputs_of(self, step: OpStep, context: OpExecutionContext) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name, source in step.op_inputs.items():
            if name in step.definition.nothing_ins or source.kind == ORDER_ONLY:
                continue
            values[name] = self._value_of(step, name, source)
            self.emit(
                E.STEP_INPUT,
                f'Got input "{name}".',
                step=step.key,
                payload={"input_name": name},
            )
        return values

    def _value_of(self, step: OpStep, input_name: str, source: StepInput) -> Any:
        if source.kind == VALUE:
            return source.value
        if source.kind == FANNED_IN:
            return [self._value_of(step, input_name, part) for part in source.sources]
        assert source.step is not None and source.output is not None
        upstream = self.steps_by_key[source.step]
        if source.kind == UPSTREAM:
            return self._load(step, input_name, upstream, source.step, source.output, None)
        if source.kind == MAPPED:
            key = self._mapping_key
            if upstream.is_mapped:
                return self._load(
                    step, input_name, upstream, f"{source.step}[{key}]", source.output, None
                )
            return self._load(step, input_name, upstream, source.step, source.output, key)
        assert source.kind == COLLECTED
        if upstream.is_mapped:
            keys = self._keys_of(upstream)
            return [
                self._load(step, input_name, upstream, f"{source.step}[{k}]", source.output, None)
                for k in keys
                if (f"{source.step}[{k}]", source.output, None) in self.produced
            ]
        keys = self.mapping_keys.get((source.step, source.output), [])
        return [self._load(step, input_name, upstream, source.step, source.output, k) for k in keys]

    def _load(
        self,
        step: OpStep,
        input_name: str,
        upstream: OpStep,
        step_key: str,
        output: str,
        mapping_key: str | None,
    ) -> Any:
        out = upstream.definition.outs[output]
        if is_nothing(out.dagster_type):
            return None
        manager = self._manager(out.io_manager_key, upstream.key)
        upstream_output = OutputContext(
            asset_key=None,
            name=output,
            run_id=self.reused.get(step_key, self.run_id),
            step_key=step_key,
            metadata=out.metadata,
            definition_metadata=out.metadata,
            resources=self.resources_ns,
            dagster_type=out.dagster_type,
            mapping_key=mapping_key,
            op_def=upstream.definition,
        )
        spec = step.definition.ins.get(input_name)
        context = InputContext(
            asset_key=None,
            name=input_name,
            upstream_output=upstream_output,
            metadata=spec.metadata if spec is not None else {},
            resources=self.resources_ns,
            dagster_type=spec.dagster_type if spec is not None else None,
            op_def=step.definition,
        )
        value = manager.load_input(context)
        self.emit(
            E.LOADED_INPUT,
            f'Loaded input "{input_name}" using input manager "{out.io_manager_key}", from '
            f'output "{output}" of step "{step_key}".',
            step=step.key,
            payload={"input_name": input_name, "manager_key": out.io_manager_key},
        )
        return value

    def _manager(self, key: str, step_key: str) -> Any:
        manager = self.resources.get(key)
        if manager is None or not hasattr(manager, "handle_output"):
            raise ExecutionError(
                f"Op {step_key!r} uses IO manager {key!r}, but the run has no IO manager under "
                f"that resource key. Add {key!r} to the job's resource_defs or Definitions."
            )
        return manager

    # ---- calling and outputs -----------------------------------------------------------

    def _call_op(self, step: OpStep, context: OpExecutionContext, inputs: dict[str, Any]) -> Any:
        definition = step.definition
        for key in definition.required_resource_keys:
            if key not in self.resources:
                raise ExecutionError(
                    f"Op {step.key!r} requires resource {key!r}, which the run lacks. Add it "
                    "to the job's resource_defs or Definitions(resources=...)."
                )
        return call_user_function(
            definition.params,
            definition.compute_fn,
            context,
            inputs,
            self.resources,
            f"op {step.key!r}",
            "the job's resource_defs or Definitions(resources=...)",
        )

    def _handle_outputs(self, step: OpStep, context: OpExecutionContext, result: Any) -> None:
        definition = step.definition
        outs = definition.outs
        items: list[Any]
        if inspect.isgenerator(result):
            items = list(result)
        elif isinstance(result, (Output, DynamicOutput)):
            items = [result]
        elif (
            isinstance(result, list)
            and result
            and all(isinstance(r, DynamicOutput) for r in result)
        ):
            items = list(result)
        elif len(outs) > 1 and result is not None:
            if not isinstance(result, tuple) or len(result) != len(outs):
                raise DagsterInvariantViolationError(
                    f"Op {step.key!r} has {len(outs)} outputs ({', '.join(outs)}) and must return "
                    f"a tuple of {len(outs)} values (or yield Output(value, output_name=...)); it "
                    f"returned {type(result).__name__}."
                )
            items = [
                v if isinstance(v, Output) else Output(v, output_name=n)
                for n, v in zip(outs, result, strict=True)
            ]
        elif len(outs) == 1 and not next(iter(outs.values())).is_dynamic:
            (name,) = outs
            if is_nothing(outs[name].dagster_type) and result is None:
                items = [Output(None, output_name=name)]
            else:
                check_return_type(definition.compute_fn, result, name)
                items = [Output(result, output_name=name)]
        elif not outs:
            items = []
        else:
            items = [] if result is None else [result]
        seen: set[tuple[str, str | None]] = set()
        for item in [*context.logged_events, *items]:
            if isinstance(item, DynamicOutput):
                self._store_dynamic(step, context, item, seen)
            elif isinstance(item, Output):
                self._store_output(step, context, item, seen)
            elif isinstance(item, AssetMaterialization):
                self._record_event(step, E.ASSET_MATERIALIZATION, item)
            elif isinstance(item, AssetObservation):
                self._record_event(step, E.ASSET_OBSERVATION, item)
            elif isinstance(item, ExpectationResult):
                self.emit(
                    E.STEP_EXPECTATION_RESULT,
                    f"Expectation {item.label or ''} {'passed' if item.success else 'failed'}"
                    + (f": {item.description}" if item.description else ""),
                    step=step.key,
                    level="INFO" if item.success else "WARNING",
                    payload={
                        "expectation": {
                            "success": item.success,
                            "label": item.label,
                            "description": item.description,
                            "metadata": metadata_to_json(item.metadata),
                        }
                    },
                )
            else:
                raise DagsterInvariantViolationError(
                    f"Op {step.key!r} yielded {item!r}: an op yields Output, DynamicOutput, "
                    "AssetMaterialization, AssetObservation or ExpectationResult."
                )
        for name, out in outs.items():
            produced = any(k[0] == name for k in seen)
            if out.is_required and not produced and not out.is_dynamic:
                raise DagsterInvariantViolationError(
                    f"Op {step.key!r} did not return a value for its required output {name!r}; "
                    "return it, or declare Out(is_required=False)."
                )

    def _check_output(self, step: OpStep, name: str) -> Any:
        out = step.definition.outs.get(name)
        if out is None:
            raise DagsterInvariantViolationError(
                f"Op {step.key!r} returned output {name!r}, which it does not declare "
                f"(outputs: {', '.join(step.definition.outs)})."
            )
        return out

    def _store_output(
        self, step: OpStep, context: OpExecutionContext, item: Output, seen: set[Any]
    ) -> None:
        out = self._check_output(step, item.output_name)
        if out.is_dynamic:
            raise DagsterInvariantViolationError(
                f"Op {step.key!r} returned a plain Output for DynamicOut {item.output_name!r}; "
                "yield DynamicOutput(value, mapping_key=...) values instead."
            )
        if (item.output_name, None) in seen:
            raise DagsterInvariantViolationError(
                f"Op {step.key!r} returned output {item.output_name!r} twice."
            )
        seen.add((item.output_name, None))
        metadata = {
            **item.metadata,
            **context.op_output_metadata.get((item.output_name, self._mapping_key), {}),
        }
        self._handle(step, out, item.output_name, item.value, None, metadata)

    def _store_dynamic(
        self, step: OpStep, context: OpExecutionContext, item: DynamicOutput, seen: set[Any]
    ) -> None:
        out = self._check_output(step, item.output_name)
        if not out.is_dynamic:
            raise DagsterInvariantViolationError(
                f"Op {step.key!r} yielded a DynamicOutput for {item.output_name!r}, which is not "
                "a DynamicOut; declare out=DynamicOut()."
            )
        if (item.output_name, item.mapping_key) in seen:
            raise DagsterInvariantViolationError(
                f"Op {step.key!r} yielded mapping key {item.mapping_key!r} twice for output "
                f"{item.output_name!r}; mapping keys must be unique."
            )
        seen.add((item.output_name, item.mapping_key))
        self.mapping_keys.setdefault((step.key, item.output_name), []).append(item.mapping_key)
        self._handle(step, out, item.output_name, item.value, item.mapping_key, item.metadata)

    def _handle(
        self,
        step: OpStep,
        out: Any,
        name: str,
        value: Any,
        mapping_key: str | None,
        metadata: Mapping[str, Any],
    ) -> None:
        stored = (step.key, name, mapping_key)
        label = f"{name}[{mapping_key}]" if mapping_key else name
        self.emit(
            E.STEP_OUTPUT,
            f'Yielded output "{label}".',
            step=step.key,
            payload={
                "output_name": name,
                "mapping_key": mapping_key,
                "metadata": metadata_to_json(metadata),
            },
        )
        if not is_nothing(out.dagster_type):
            check_dagster_type(out.dagster_type, value, name)
            manager = self._manager(out.io_manager_key, step.key)
            context = OutputContext(
                asset_key=None,
                name=name,
                run_id=self.run_id,
                step_key=step.key,
                metadata=out.metadata,
                definition_metadata=out.metadata,
                resources=self.resources_ns,
                dagster_type=out.dagster_type,
                mapping_key=mapping_key,
                op_def=step.definition,
                partition_key_value=self.partition_key,
            )
            manager.handle_output(context, value)
            self.emit(
                E.HANDLED_OUTPUT,
                f'Handled output "{label}" using IO manager "{out.io_manager_key}".',
                step=step.key,
                payload={
                    "output_name": name,
                    "manager_key": out.io_manager_key,
                    "metadata": metadata_to_json(context.output_metadata),
                },
            )
        self._mark_produced(stored)
        if self.keep_values:
            self.output_values[stored] = value

    def _record_event(self, step: OpStep, event_type: E, event: Any) -> None:
        self.emit(
            event_type,
            f"{event.asset_key.to_user_string()} recorded by op {step.key!r}.",
            step=step.key,
            asset_key=event.asset_key,
            partition=getattr(event, "partition", None),
            payload={
                "metadata": metadata_to_json(getattr(event, "metadata", {}) or {}),
                "description": getattr(event, "description", None),
            },
        )

    # ---- hooks -------------------------------------------------------------------------

    def _run_hooks(self, step: OpStep, outcome: StepOutcome) -> None:
        kind = SUCCESS if outcome.status is StepStatus.SUCCESS else FAILURE
        step_key = step.key

        def emit_log(level: str, text: str) -> None:
            self.emit(E.LOG, text, step=step_key, level=level)

        for hook in sorted(step.hooks, key=lambda h: h.name):
            if hook.kind != kind:
                continue
            context = HookContext(
                step=step,
                run_id=self.run_id,
                resources=self.resources_ns,
                log=RunLogger(emit_log),
                op_exception=outcome.exception,
                instance=self.instance,
                job_name=getattr(self.job, "name", None),
            )
            try:
                hook.hook_fn(context)
            except Exception as exc:  # a failing hook is reported, not fatal (as in Dagster)
                self.emit(
                    E.HOOK_ERRORED,
                    f"Hook {hook.name!r} on {step.key!r} failed: {exc}",
                    step=step.key,
                    level="ERROR",
                    payload={"error": error_info(exc)},
                )
            else:
                self.emit(
                    E.HOOK_COMPLETED,
                    f"Finished the execution of hook {hook.name!r} triggered for {step.key!r}.",
                    step=step.key,
                )


class HookContext:
    """What a success or failure hook sees (Dagster's ``HookContext``)."""

    def __init__(
        self,
        *,
        step: OpStep,
        run_id: str,
        resources: Any,
        log: RunLogger,
        op_exception: BaseException | None,
        instance: Any,
        job_name: str | None,
    ):
        self.step_key = step.key
        self.op = step.definition
        self.run_id = run_id
        self.resources = resources
        self.log = log
        self.op_exception = op_exception
        self.instance = instance
        self.job_name = job_name
        self.hook_def = None
