"""The result of an in-process run (Dagster's ``ExecuteInProcessResult``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from assettui.errors import DagsterInvariantViolationError
from assettui.model.asset_key import AssetKey
from assettui.model.records.event_log_entry import DagsterEvent
from assettui.model.records.events import DagsterEventType, NewEvent
from assettui.model.results import AssetCheckEvaluation, AssetMaterialization


class ExecuteInProcessResult:
    """What ``materialize`` and ``execute_in_process`` return."""

    def __init__(
        self,
        *,
        run: Any,
        success: bool,
        events: Sequence[NewEvent],
        values: dict[tuple[AssetKey, str | None], Any],
        check_evaluations: Sequence[AssetCheckEvaluation],
        node_keys: dict[str, list[AssetKey]],
        output_names: dict[str, dict[str, AssetKey]],
    ):
        self._run = run
        self.success = success
        job_name = getattr(run, "job_name", None)
        self._events = [DagsterEvent.of(e, job_name) for e in events]
        self._values = values
        self._evaluations = list(check_evaluations)
        self._node_keys = node_keys
        self._output_names = output_names

    @property
    def run_id(self) -> str:
        return self._run.run_id

    @property
    def dagster_run(self) -> Any:
        return self._run

    @property
    def all_events(self) -> list[DagsterEvent]:
        return list(self._events)

    @property
    def all_node_events(self) -> list[DagsterEvent]:
        return [e for e in self._events if e.step_key]

    def events_for_node(self, node_name: str) -> list[DagsterEvent]:
        return [e for e in self._events if e.step_key == node_name]

    def _key_for(self, node_name: str, output_name: str) -> AssetKey:
        outputs = self._output_names.get(node_name)
        if outputs is None:
            as_key = AssetKey.from_user_string(node_name)
            for node, names in self._output_names.items():
                if as_key in names.values():
                    outputs, node_name = names, node
                    break
        if outputs is None:
            raise DagsterInvariantViolationError(
                f"No node {node_name!r} ran in this run (nodes: {sorted(self._output_names)})."
            )
        if output_name == "result" and len(outputs) == 1:
            return next(iter(outputs.values()))
        if output_name not in outputs:
            raise DagsterInvariantViolationError(
                f"Node {node_name!r} has no output {output_name!r} (outputs: {sorted(outputs)})."
            )
        return outputs[output_name]

    def output_for_node(self, node_str: str, output_name: str = "result") -> Any:
        """The value a node produced (for a partitioned run, of its one partition)."""
        key = self._key_for(node_str, output_name)
        return self.asset_value(key)

    def asset_value(self, asset_key: Any) -> Any:
        key = AssetKey.from_coercible(asset_key)
        matches = [(p, v) for (k, p), v in self._values.items() if k == key]
        if not matches:
            raise DagsterInvariantViolationError(
                f"No value of {key.to_user_string()!r} was produced in this run."
            )
        if len(matches) == 1:
            return matches[0][1]
        return {p: v for p, v in matches}

    def output_value(self, output_name: str = "result") -> Any:
        if len(self._output_names) != 1:
            raise DagsterInvariantViolationError("output_value needs a run of a single node.")
        node = next(iter(self._output_names))
        return self.output_for_node(node, output_name)

    def asset_materializations_for_node(self, node_name: str) -> list[AssetMaterialization]:
        mats = []
        for e in self._events:
            if e.step_key == node_name and (m := e.asset_materialization) is not None:
                mats.append(m)
        return mats

    def get_asset_materialization_events(self) -> list[DagsterEvent]:
        return [e for e in self._events if e.event_type is DagsterEventType.ASSET_MATERIALIZATION]

    def get_asset_observation_events(self) -> list[DagsterEvent]:
        return [e for e in self._events if e.event_type is DagsterEventType.ASSET_OBSERVATION]

    def get_asset_check_evaluations(self) -> list[AssetCheckEvaluation]:
        return list(self._evaluations)

    def get_step_success_events(self) -> list[DagsterEvent]:
        return [e for e in self._events if e.is_step_success]

    def get_step_failure_events(self) -> list[DagsterEvent]:
        return [e for e in self._events if e.is_step_failure]

    def get_failed_step_keys(self) -> set[str]:
        return {e.step_key for e in self.get_step_failure_events() if e.step_key}

    def get_run_failure_event(self) -> DagsterEvent:
        for e in self._events:
            if e.event_type is DagsterEventType.RUN_FAILURE:
                return e
        raise DagsterInvariantViolationError("The run did not fail.")

    get_job_failure_event = get_run_failure_event

    def get_run_success_event(self) -> DagsterEvent:
        for e in self._events:
            if e.event_type is DagsterEventType.RUN_SUCCESS:
                return e
        raise DagsterInvariantViolationError("The run did not succeed.")

    get_job_success_event = get_run_success_event

    def __repr__(self) -> str:
        return f"<ExecuteInProcessResult run_id={self.run_id} success={self.success}>"
