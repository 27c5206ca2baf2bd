"""``@run_status_sensor`` and ``@run_failure_sensor``: sensors that react to finished runs.

A run status sensor is a :class:`~assettui.model.automation.sensors.SensorDefinition` whose tick reads
the instance's event log: the run status events (``RUN_SUCCESS``, ``RUN_FAILURE``...) after
its cursor, oldest first. For each run of a monitored job it calls the user's function with
a :class:`RunStatusSensorContext`; the first call that returns something (run requests, a
skip reason, a ``SensorResult``) ends the tick, as in Dagster. The cursor (the storage id of
the last handled event) is the sensor's own; it starts at the end of the log, so a new
sensor does not alert on old runs. Because the scheduler evaluates it like any sensor, no
scheduler change is needed; it only needs the instance the scheduler already passes.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from assettui.errors import ScheduleError
from assettui.model.automation.schedules import TickEvaluation, call_user_fn
from assettui.model.automation.sensors import (
    DefaultSensorStatus,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    sensor_evaluation,
)
from assettui.model.partitions.definitions import PARTITION_NAME_TAG as PARTITION_TAG
from assettui.model.records.event_log_entry import DagsterEvent, EventLogEntry
from assettui.model.records.events import DagsterEventType
from assettui.model.records.runs import DagsterRun, DagsterRunStatus
from assettui.model.resources import Resources

# How many status events one tick reads, and how many matching runs it hands to the user
# function (Dagster's defaults; the rest wait for the next tick).
FETCH_LIMIT = 25
PROCESS_LIMIT = 5

EVENT_TYPE_BY_STATUS: Mapping[DagsterRunStatus, DagsterEventType] = {
    DagsterRunStatus.QUEUED: DagsterEventType.RUN_ENQUEUED,
    DagsterRunStatus.STARTING: DagsterEventType.RUN_STARTING,
    DagsterRunStatus.STARTED: DagsterEventType.RUN_START,
    DagsterRunStatus.SUCCESS: DagsterEventType.RUN_SUCCESS,
    DagsterRunStatus.FAILURE: DagsterEventType.RUN_FAILURE,
    DagsterRunStatus.CANCELING: DagsterEventType.RUN_CANCELING,
    DagsterRunStatus.CANCELED: DagsterEventType.RUN_CANCELED,
}


class RunStatusSensorExecutionError(ScheduleError):
    """The user's function raised while handling a run.

    Attributes:
        cursor: the cursor past the run being handled (what Dagster stores for such a tick).
    """

    def __init__(self, message: str, cursor: str):
        super().__init__(message)
        self.cursor = cursor


class RunStatusSensorContext:
    """What a ``@run_status_sensor`` function receives.

    Attributes:
        sensor_name: the sensor's name.
        dagster_run: the run whose status changed.
        dagster_event: the run status event.
        instance: the instance.
        partition_key: the run's partition, if any.
        resources: the Definitions' resources, as attributes.
        log: a logger.
    """

    def __init__(
        self,
        sensor_name: str,
        dagster_run: DagsterRun,
        dagster_event: DagsterEvent,
        instance: Any,
        context: SensorEvaluationContext | None = None,
        resource_defs: Mapping[str, Any] | None = None,
        logger: logging.Logger | None = None,
        partition_key: str | None = None,
        repository_def: Any = None,
    ):
        self._sensor_name = sensor_name
        self._dagster_run = dagster_run
        self._dagster_event = dagster_event
        self._instance = instance
        self._resource_defs = dict(resource_defs or {})
        self.resources = Resources(self._resource_defs)
        self._logger = logger or (context.log if context is not None else None)
        self._partition_key = partition_key
        self._repository_def = repository_def

    @property
    def sensor_name(self) -> str:
        return self._sensor_name

    @property
    def dagster_run(self) -> DagsterRun:
        return self._dagster_run

    @property
    def dagster_event(self) -> DagsterEvent:
        return self._dagster_event

    @property
    def instance(self) -> Any:
        return self._instance

    @property
    def partition_key(self) -> str | None:
        return self._partition_key

    @property
    def repository_def(self) -> Any:
        return self._repository_def

    definitions = repository_def

    @property
    def resource_defs(self) -> Mapping[str, Any]:
        return dict(self._resource_defs)

    @property
    def log(self) -> logging.Logger:
        if self._logger is None:
            self._logger = logging.getLogger(f"assettui.sensor.{self._sensor_name}")
        return self._logger

    def for_run_failure(self) -> RunFailureSensorContext:
        """This context as a :class:`RunFailureSensorContext`."""
        return RunFailureSensorContext(
            self._sensor_name,
            self._dagster_run,
            self._dagster_event,
            self._instance,
            resource_defs=self._resource_defs,
            logger=self._logger,
            partition_key=self._partition_key,
            repository_def=self._repository_def,
        )

    def __enter__(self) -> RunStatusSensorContext:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


class RunFailureSensorContext(RunStatusSensorContext):
    """What a ``@run_failure_sensor`` function receives."""

    @property
    def failure_event(self) -> DagsterEvent:
        """The run failure event (its ``message`` says why the run failed)."""
        return self.dagster_event

    def get_step_failure_events(self) -> Sequence[DagsterEvent]:
        """The ``STEP_FAILURE`` event of each failed step of the run.

        ``event.event_specific_data.error.to_string()`` is the step's error and traceback.
        """
        if self.instance is None:
            return []
        entries = self.instance.all_logs(
            self.dagster_run.run_id, of_type=DagsterEventType.STEP_FAILURE
        )
        return [e.dagster_event for e in entries if e.dagster_event is not None]


def build_run_status_sensor_context(
    sensor_name: str,
    dagster_event: DagsterEvent,
    dagster_instance: Any,
    dagster_run: DagsterRun,
    context: SensorEvaluationContext | None = None,
    resources: Mapping[str, Any] | None = None,
    partition_key: str | None = None,
    *,
    repository_def: Any = None,
) -> RunStatusSensorContext:
    """A context to call a run status sensor directly in a test.

    Args:
        sensor_name: the sensor's name.
        dagster_event: the status event (e.g. ``result.get_run_failure_event()``).
        dagster_instance: the instance.
        dagster_run: the run (e.g. ``result.dagster_run``).
        context: a sensor context whose logger to use.
        resources: resources by key.
        partition_key: the run's partition.
        repository_def: the Definitions.
    """
    return RunStatusSensorContext(
        sensor_name,
        dagster_run,
        dagster_event,
        dagster_instance,
        context=context,
        resource_defs=resources,
        partition_key=partition_key,
        repository_def=repository_def,
    )


def _job_names(monitored: Iterable[Any] | None) -> frozenset[str] | None:
    if not monitored:
        return None
    names = set()
    for job in monitored:
        name = job if isinstance(job, str) else getattr(job, "name", None)
        if not isinstance(name, str):
            raise ScheduleError(
                f"monitored_jobs must hold jobs (define_asset_job(...)); got {job!r}. "
                "Selectors of other code locations do not apply to assettui."
            )
        names.add(name)
    return frozenset(names)


def _read_cursor(cursor: str | None) -> int | None:
    if not cursor:
        return None
    try:
        data = json.loads(cursor)
    except ValueError:
        return None
    if isinstance(data, dict) and isinstance(data.get("record_id"), int):
        return int(data["record_id"])
    return None


def _cursor(record_id: int) -> str:
    return json.dumps({"record_id": record_id})


class RunStatusSensorDefinition(SensorDefinition):
    """A sensor that calls its function for each run reaching ``run_status``.

    Args:
        name: the sensor's name.
        run_status: the status to react to.
        run_status_sensor_fn: the function (a context, and resources by parameter name).
        minimum_interval_seconds: at least this long between evaluations (default 30).
        description: shown in the UI.
        monitored_jobs: only runs of these jobs (default: every run of the instance).
        monitor_all_code_locations: accepted (an instance holds one project).
        default_status: on or off before anyone changes it.
        request_job: the job of run requests the function returns.
        request_jobs: several jobs (each run request names one).
        tags: tags of requested runs.
        metadata: metadata about the sensor.
        required_resource_keys: resources the function reads from the context.

    Raises:
        ScheduleError: a bad monitored job or status.
    """

    def __init__(
        self,
        name: str,
        run_status: DagsterRunStatus,
        run_status_sensor_fn: Callable[..., Any],
        minimum_interval_seconds: int | None = None,
        description: str | None = None,
        monitored_jobs: Sequence[Any] | None = None,
        monitor_all_code_locations: bool | None = None,
        default_status: DefaultSensorStatus = DefaultSensorStatus.STOPPED,
        request_job: Any = None,
        request_jobs: Sequence[Any] | None = None,
        tags: Mapping[str, str] | None = None,
        metadata: Mapping[str, Any] | None = None,
        required_resource_keys: Iterable[str] | None = None,
    ):
        status = DagsterRunStatus(run_status)
        if status not in EVENT_TYPE_BY_STATUS:
            raise ScheduleError(
                f"Run status sensor {name!r}: no status event exists for {status.value}; use "
                "SUCCESS, FAILURE, CANCELED, STARTED, STARTING, QUEUED or CANCELING."
            )
        super().__init__(
            name,
            evaluation_fn=run_status_sensor_fn,
            minimum_interval_seconds=minimum_interval_seconds,
            description=description,
            job=request_job,
            jobs=request_jobs,
            default_status=default_status,
            required_resource_keys=required_resource_keys,
            tags=tags,
            metadata=metadata,
        )
        self.run_status = status
        self.monitored_jobs = tuple(monitored_jobs or ())
        self.monitor_all_code_locations = bool(monitor_all_code_locations)
        self._monitored_names = _job_names(monitored_jobs)
        self._run_status_sensor_fn = run_status_sensor_fn

    @property
    def event_type(self) -> DagsterEventType:
        return EVENT_TYPE_BY_STATUS[self.run_status]

    def _context_for(self, run_context: RunStatusSensorContext) -> RunStatusSensorContext:
        return run_context  # the failure sensor hands out a RunFailureSensorContext

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Direct invocation (for tests): call the function with a run status context."""
        context = args[0] if args else kwargs.pop("context", None)
        if not isinstance(context, RunStatusSensorContext):
            raise ScheduleError(
                f"Run status sensor {self.name!r} is called with a context from "
                "build_run_status_sensor_context(...)."
            )
        return call_user_fn(self._run_status_sensor_fn, self._context_for(context))

    def _matches(self, run: DagsterRun) -> bool:
        return self._monitored_names is None or run.job_name in self._monitored_names

    def evaluate_tick(self, context: SensorEvaluationContext) -> TickEvaluation:
        """Handle the runs that reached the status since the cursor.

        Raises:
            ScheduleError: no instance in the context, or a bad result.
            RunStatusSensorExecutionError: the function raised (its cursor is past the run).
        """
        instance = context.instance
        storage = getattr(instance, "storage", None)
        if storage is None:
            raise ScheduleError(
                f"Run status sensor {self.name!r} needs an instance to read runs from; pass "
                "build_sensor_context(instance=...)."
            )
        latest = storage.event_log.latest_storage_id()
        after = _read_cursor(context.cursor)
        if after is None:
            return TickEvaluation(
                skip_message=f"Initiating {self.name}: watching runs from event {latest} on.",
                cursor=_cursor(latest),
                cursor_updated=True,
            )
        page = storage.event_log.events_after(
            after, event_types=[self.event_type], limit=FETCH_LIMIT
        )
        position = after
        handled: list[str] = []
        for record in (r for r in page if r.storage_id <= latest):
            run = storage.runs.get_run(record.run_id) if record.run_id else None
            if run is None or not self._matches(run):
                position = record.storage_id
                continue
            if len(handled) >= PROCESS_LIMIT:
                break  # the rest waits for the next tick
            handled.append(run.run_id)
            result = self._handle(context, instance, run, record)
            position = record.storage_id
            if result is not None:
                return self._evaluation(result, context, _cursor(position))
        else:
            if len(page) < FETCH_LIMIT:
                # Every status event up to ``latest`` was seen: the next tick starts there,
                # not at the last matching event (no rescan of a long quiet stretch).
                position = max(position, latest)
        message = (
            f"Handled {len(handled)} {self.run_status.value} run(s): {', '.join(handled)}."
            if handled
            else f"No new {self.run_status.value} runs."
        )
        return TickEvaluation(skip_message=message, cursor=_cursor(position), cursor_updated=True)

    def _handle(
        self, context: SensorEvaluationContext, instance: Any, run: DagsterRun, record: Any
    ) -> Any:
        entry = EventLogEntry.from_record(record, job_name=run.job_name)
        assert entry.dagster_event is not None
        run_context = RunStatusSensorContext(
            self.name,
            run,
            entry.dagster_event,
            instance,
            resource_defs=context.resources.original(),
            logger=context.log,
            partition_key=run.partition_key or run.tags.get(PARTITION_TAG),
            repository_def=context.definitions,
        )
        try:
            return call_user_fn(self._run_status_sensor_fn, self._context_for(run_context))
        except Exception as exc:
            raise RunStatusSensorExecutionError(
                f"Run status sensor {self.name!r} raised while handling run {run.run_id}: "
                f"{type(exc).__name__}: {exc}",
                cursor=_cursor(record.storage_id),
            ) from exc

    def _evaluation(
        self, result: Any, context: SensorEvaluationContext, cursor: str
    ) -> TickEvaluation:
        if isinstance(result, SensorResult) and result.cursor is not None:
            raise ScheduleError(
                f"Run status sensor {self.name!r} returned a SensorResult with a cursor; the "
                "sensor manages its own cursor."
            )
        evaluation = sensor_evaluation(result, context, self.name, self.tags)
        return TickEvaluation(
            run_requests=evaluation.run_requests,
            skip_message=evaluation.skip_message,
            cursor=cursor,
            cursor_updated=True,
            dynamic_partitions_requests=evaluation.dynamic_partitions_requests,
        )

    def __repr__(self) -> str:
        return f"<RunStatusSensorDefinition {self.name} on {self.run_status.value}>"


class RunFailureSensorDefinition(RunStatusSensorDefinition):
    """A run status sensor on ``FAILURE`` whose function gets a :class:`RunFailureSensorContext`."""

    def _context_for(self, run_context: RunStatusSensorContext) -> RunStatusSensorContext:
        return run_context.for_run_failure()


def _monitored(monitored_jobs: Any, job_selection: Any, monitor_all: bool, name: str) -> Any:
    jobs = monitored_jobs or job_selection
    if jobs and monitor_all:
        raise ScheduleError(
            f"Run status sensor {name!r}: give monitored_jobs or monitor_all_code_locations, "
            "not both."
        )
    return jobs


def run_status_sensor(
    run_status: DagsterRunStatus,
    name: str | None = None,
    minimum_interval_seconds: int | None = None,
    description: str | None = None,
    monitored_jobs: Sequence[Any] | None = None,
    job_selection: Sequence[Any] | None = None,
    monitor_all_code_locations: bool | None = None,
    default_status: DefaultSensorStatus = DefaultSensorStatus.STOPPED,
    request_job: Any = None,
    request_jobs: Sequence[Any] | None = None,
    monitor_all_repositories: bool | None = None,
    tags: Mapping[str, str] | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> Callable[[Callable[..., Any]], RunStatusSensorDefinition]:
    """Decorate a function called for each run that reaches ``run_status``.

    The function takes a :class:`RunStatusSensorContext` (and resources by parameter name)
    and returns nothing, or run requests / a ``SkipReason`` / a ``SensorResult``.

    Args:
        run_status: the status to react to (``DagsterRunStatus.SUCCESS``...).
        name: the sensor's name (default: the function's name).
        minimum_interval_seconds: at least this long between evaluations (default 30).
        description: shown in the UI.
        monitored_jobs: only runs of these jobs (default: every run).
        job_selection: the older name of ``monitored_jobs``.
        monitor_all_code_locations: accepted (an instance holds one project).
        default_status: on or off before anyone changes it.
        request_job: the job of the run requests the function returns.
        request_jobs: several such jobs.
        monitor_all_repositories: the older name of ``monitor_all_code_locations``.
        tags: tags of requested runs.
        metadata: metadata about the sensor.
    """
    monitor_all = bool(monitor_all_code_locations or monitor_all_repositories)

    def wrap(fn: Callable[..., Any]) -> RunStatusSensorDefinition:
        sensor_name = name or fn.__name__
        return RunStatusSensorDefinition(
            name=sensor_name,
            run_status=run_status,
            run_status_sensor_fn=fn,
            minimum_interval_seconds=minimum_interval_seconds,
            description=description,
            monitored_jobs=_monitored(monitored_jobs, job_selection, monitor_all, sensor_name),
            monitor_all_code_locations=monitor_all,
            default_status=default_status,
            request_job=request_job,
            request_jobs=request_jobs,
            tags=tags,
            metadata=metadata,
        )

    return wrap


def run_failure_sensor(
    name: Callable[..., Any] | str | None = None,
    minimum_interval_seconds: int | None = None,
    description: str | None = None,
    monitored_jobs: Sequence[Any] | None = None,
    job_selection: Sequence[Any] | None = None,
    monitor_all_code_locations: bool | None = None,
    default_status: DefaultSensorStatus = DefaultSensorStatus.STOPPED,
    request_job: Any = None,
    request_jobs: Sequence[Any] | None = None,
    monitor_all_repositories: bool | None = None,
    tags: Mapping[str, str] | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> Any:
    """Decorate a function called for each failed run (usable bare: ``@run_failure_sensor``).

    The function takes a :class:`RunFailureSensorContext`: ``context.dagster_run``,
    ``context.failure_event.message`` and ``context.get_step_failure_events()``.

    Args:
        name: the sensor's name (default: the function's name).
        minimum_interval_seconds: at least this long between evaluations (default 30).
        description: shown in the UI.
        monitored_jobs: only runs of these jobs (default: every run).
        job_selection: the older name of ``monitored_jobs``.
        monitor_all_code_locations: accepted (an instance holds one project).
        default_status: on or off before anyone changes it.
        request_job: the job of the run requests the function returns.
        request_jobs: several such jobs.
        monitor_all_repositories: the older name of ``monitor_all_code_locations``.
        tags: tags of requested runs.
        metadata: metadata about the sensor.
    """
    monitor_all = bool(monitor_all_code_locations or monitor_all_repositories)

    def wrap(fn: Callable[..., Any]) -> RunFailureSensorDefinition:
        sensor_name = name if isinstance(name, str) else fn.__name__
        return RunFailureSensorDefinition(
            name=sensor_name,
            run_status=DagsterRunStatus.FAILURE,
            run_status_sensor_fn=fn,
            minimum_interval_seconds=minimum_interval_seconds,
            description=description,
            monitored_jobs=_monitored(monitored_jobs, job_selection, monitor_all, sensor_name),
            monitor_all_code_locations=monitor_all,
            default_status=default_status,
            request_job=request_job,
            request_jobs=request_jobs,
            tags=tags,
            metadata=metadata,
        )

    if callable(name):
        return wrap(name)
    return wrap
