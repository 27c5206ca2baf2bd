"""Sensors: ``@sensor``, ``@asset_sensor``, ``SensorResult`` and the evaluation context.

A sensor is a function evaluated every ``minimum_interval_seconds`` by the scheduler; it
returns run requests and may keep a cursor. The context holds whatever instance the caller
gives it: nothing here reads storage (an asset sensor receives the event the scheduler
found).
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from assettui.errors import ScheduleError
from assettui.model.asset_key import AssetKey
from assettui.model.automation.schedules import (
    RunRequest,
    SkipReason,
    TickEvaluation,
    call_user_fn,
    coerce_evaluation,
    target_job,
)
from assettui.model.partitions.definitions import (
    AddDynamicPartitionsRequest,
    DeleteDynamicPartitionsRequest,
)
from assettui.model.resources import Resources

SENSOR_NAME_TAG = "dagster/sensor_name"
DEFAULT_SENSOR_INTERVAL_SECONDS = 30


class DefaultSensorStatus(Enum):
    """Whether a sensor is on before anyone turns it on or off."""

    RUNNING = "RUNNING"
    STOPPED = "STOPPED"


@dataclass(frozen=True)
class SensorResult:
    """Everything one sensor evaluation decided.

    Args:
        run_requests: runs to launch.
        skip_reason: why nothing is launched (a string or a :class:`SkipReason`).
        cursor: the new cursor.
        dynamic_partitions_requests: dynamic partitions to add or delete first.
        asset_events: accepted for compatibility (not recorded).
    """

    run_requests: Sequence[RunRequest] | None = None
    skip_reason: SkipReason | str | None = None
    cursor: str | None = None
    dynamic_partitions_requests: (
        Sequence[AddDynamicPartitionsRequest | DeleteDynamicPartitionsRequest] | None
    ) = None
    asset_events: Sequence[Any] | None = None

    def __post_init__(self) -> None:
        if self.run_requests and self.skip_reason is not None:
            raise ScheduleError("A SensorResult cannot hold both run_requests and a skip_reason.")


class SensorEvaluationContext:
    """What a sensor function receives.

    Attributes:
        cursor: the cursor stored by the previous evaluation (``None`` at first).
        instance: the instance (``None`` in unit tests that pass none).
        last_tick_completion_time: when the previous tick ended (seconds since the epoch).
        last_run_key: the run key of the last run this sensor requested.
        sensor_name: the sensor being evaluated.
        resources: the Definitions' resources, as attributes.
        log: a logger.
    """

    def __init__(
        self,
        instance_ref: Any = None,
        last_tick_completion_time: float | None = None,
        last_run_key: str | None = None,
        cursor: str | None = None,
        repository_name: str | None = None,
        repository_def: Any = None,
        instance: Any = None,
        sensor_name: str | None = None,
        resources: Mapping[str, Any] | None = None,
        definitions: Any = None,
        last_sensor_start_time: float | None = None,
    ):
        self._cursor = cursor
        self._cursor_updated = False
        self.instance_ref = instance_ref
        self.instance = instance
        self.last_tick_completion_time = last_tick_completion_time
        self.last_completion_time = last_tick_completion_time
        self.last_sensor_start_time = last_sensor_start_time
        self.last_run_key = last_run_key
        self.repository_name = repository_name
        self.repository_def = definitions if definitions is not None else repository_def
        self.definitions = self.repository_def
        self.sensor_name = sensor_name
        self.resources = Resources(resources)
        self.log = logging.getLogger(f"assettui.sensor.{sensor_name or 'sensor'}")

    @property
    def cursor(self) -> str | None:
        """The current cursor (as updated during this evaluation)."""
        return self._cursor

    @property
    def cursor_updated(self) -> bool:
        """Whether :meth:`update_cursor` was called during this evaluation."""
        return self._cursor_updated

    def update_cursor(self, cursor: str | None) -> None:
        """Store ``cursor`` for the next evaluation (kept only if the tick succeeds)."""
        if cursor is not None and not isinstance(cursor, str):
            raise ScheduleError(f"A sensor cursor must be a string, got {type(cursor).__name__}.")
        self._cursor = cursor
        self._cursor_updated = True

    def __enter__(self) -> SensorEvaluationContext:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def build_sensor_context(
    instance: Any = None,
    cursor: str | None = None,
    repository_name: str | None = None,
    repository_def: Any = None,
    sensor_name: str | None = None,
    resources: Mapping[str, Any] | None = None,
    definitions: Any = None,
    instance_ref: Any = None,
    last_sensor_start_time: float | None = None,
    last_tick_completion_time: float | None = None,
) -> SensorEvaluationContext:
    """A context to call a sensor directly in a test.

    Args:
        instance: the instance the sensor may read.
        cursor: the cursor to start from.
        repository_name: accepted for compatibility.
        repository_def: the Definitions (Dagster's name).
        sensor_name: the sensor's name.
        resources: resources by key.
        definitions: the Definitions.
        instance_ref: accepted for compatibility.
        last_sensor_start_time: when the previous evaluation started.
        last_tick_completion_time: when the previous tick ended.
    """
    return SensorEvaluationContext(
        instance_ref=instance_ref,
        last_tick_completion_time=last_tick_completion_time,
        cursor=cursor,
        repository_name=repository_name,
        repository_def=repository_def,
        instance=instance,
        sensor_name=sensor_name,
        resources=resources,
        definitions=definitions,
        last_sensor_start_time=last_sensor_start_time,
    )


class SensorDefinition:
    """A sensor: a function evaluated periodically that requests runs.

    Args:
        name: the sensor's name (default: the function's name).
        evaluation_fn: a function of the context returning run requests.
        minimum_interval_seconds: at least this long between evaluations (default 30).
        description: shown in the UI.
        job_name: the job its run requests target (when not passing ``job``).
        job: the job its run requests target.
        jobs: several jobs (each run request then names one with ``job_name``).
        default_status: on or off before anyone changes it.
        asset_selection: assets its run requests materialize (instead of a job).
        target: a job or an asset selection (instead of ``job``/``asset_selection``).
        tags: tags of each run.
        metadata: metadata about the sensor.

    Raises:
        ScheduleError: conflicting targets or a bad interval.
    """

    def __init__(
        self,
        name: str | None = None,
        *,
        evaluation_fn: Callable[..., Any] | None = None,
        minimum_interval_seconds: int | None = None,
        description: str | None = None,
        job_name: str | None = None,
        jobs: Sequence[Any] | None = None,
        job: Any = None,
        default_status: DefaultSensorStatus = DefaultSensorStatus.STOPPED,
        asset_selection: Any = None,
        required_resource_keys: Iterable[str] | None = None,
        target: Any = None,
        tags: Mapping[str, Any] | None = None,
        metadata: Mapping[str, Any] | None = None,
    ):
        if evaluation_fn is None:
            raise ScheduleError(f"Sensor {name!r} needs an evaluation_fn (use @sensor).")
        name = name or evaluation_fn.__name__
        given = [x for x in (job, jobs, target, asset_selection) if x is not None]
        if len(given) > 1:
            raise ScheduleError(
                f"Sensor {name!r}: pass only one of job=, jobs=, target= or asset_selection=."
            )
        interval = (
            DEFAULT_SENSOR_INTERVAL_SECONDS
            if minimum_interval_seconds is None
            else minimum_interval_seconds
        )
        if not isinstance(interval, (int, float)) or interval < 0:
            raise ScheduleError(
                f"Sensor {name!r}: minimum_interval_seconds must be a number >= 0, got "
                f"{minimum_interval_seconds!r}."
            )
        resolved_jobs: list[Any] = list(jobs or ())
        if job is not None:
            resolved_jobs = [job]
        if target is not None:
            resolved_jobs = [target_job(target, name)]
        self.name: str = name
        self._evaluation_fn = evaluation_fn
        self.minimum_interval_seconds = interval
        self.description = description or inspect.getdoc(evaluation_fn)
        self._job_name = job_name
        self.jobs: tuple[Any, ...] = tuple(resolved_jobs)
        self.default_status = DefaultSensorStatus(default_status)
        self.asset_selection = asset_selection
        self.required_resource_keys = frozenset(required_resource_keys or ())
        self.tags: dict[str, str] = {k: str(v) for k, v in (tags or {}).items()}
        self.metadata: dict[str, Any] = dict(metadata or {})

    @property
    def job(self) -> Any:
        """The sensor's only job (``None`` if it has none or several)."""
        return self.jobs[0] if len(self.jobs) == 1 else None

    @property
    def job_name(self) -> str | None:
        """The name of the sensor's only job."""
        job = self.job
        return job.name if job is not None else self._job_name

    @property
    def targets_jobs(self) -> bool:
        return bool(self.jobs) or self._job_name is not None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Direct invocation (for tests): call the sensor function and return what it
        returns (a generator sensor's generator, as in Dagster)."""
        context = args[0] if args else kwargs.pop("context", build_sensor_context())
        return call_user_fn(self._evaluation_fn, context, *args[1:])

    def evaluate_tick(self, context: SensorEvaluationContext) -> TickEvaluation:
        """Evaluate the sensor once.

        Raises:
            Whatever the sensor function raises; :class:`ScheduleError` for a bad result.
        """
        return sensor_evaluation(
            call_user_fn(self._evaluation_fn, context), context, self.name, self.tags
        )

    def __repr__(self) -> str:
        return f"<SensorDefinition {self.name}>"


class AssetSensorDefinition(SensorDefinition):
    """A sensor that fires on each new materialization of one asset.

    The scheduler finds the newest materialization after the cursor (a storage id) and calls
    the function with ``(context, asset_event)``, an ``EventLogEntry``.
    """

    def __init__(self, asset_key: Any, **kwargs: Any):
        super().__init__(**kwargs)
        self.asset_key = AssetKey.from_coercible(asset_key)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Direct invocation: without an ``asset_event``, a context with an instance gives
        the asset's latest materialization, as in Dagster."""
        context = args[0] if args else kwargs.pop("context", build_sensor_context())
        event = args[1] if len(args) > 1 else kwargs.pop("asset_event", None)
        instance = getattr(context, "instance", None)
        if event is None and instance is not None:
            event = instance.get_latest_materialization_event(self.asset_key)
        return call_user_fn(self._evaluation_fn, context, event)

    def evaluate_tick(
        self, context: SensorEvaluationContext, asset_event: Any = None
    ) -> TickEvaluation:
        """Evaluate for ``asset_event`` (the newest new materialization), or skip without one."""
        if asset_event is None:
            return TickEvaluation(
                skip_message=f"No new materialization of {self.asset_key.to_user_string()}."
            )
        result = call_user_fn(self._evaluation_fn, context, asset_event)
        evaluation = sensor_evaluation(result, context, self.name, self.tags)
        # The framework owns an asset sensor's cursor: the event's storage id.
        return TickEvaluation(
            run_requests=evaluation.run_requests,
            skip_message=evaluation.skip_message,
            cursor=str(asset_event.storage_id),
            cursor_updated=True,
            dynamic_partitions_requests=evaluation.dynamic_partitions_requests,
        )


def sensor_evaluation(
    result: Any, context: SensorEvaluationContext, name: str, tags: Mapping[str, str]
) -> TickEvaluation:
    """What a sensor function returned, with the cursor it set, as a :class:`TickEvaluation`."""
    if inspect.isgenerator(result):
        result = list(result)
    if isinstance(result, list) and any(isinstance(r, SensorResult) for r in result):
        if len(result) != 1:
            raise ScheduleError(f"Sensor {name!r} yielded a SensorResult among other values.")
        result = result[0]
    if isinstance(result, SensorResult):
        if result.cursor is not None and context.cursor_updated:
            raise ScheduleError(
                f"Sensor {name!r} both called context.update_cursor and returned a "
                "SensorResult with a cursor; do one or the other."
            )
        skip = result.skip_reason
        inner: Any = list(result.run_requests or ())
        if not inner:
            message = skip.skip_message if isinstance(skip, SkipReason) else skip
            inner = SkipReason(message or "Sensor returned no run requests.")
        evaluation = coerce_evaluation(inner, name, tags, what="Sensor")
        cursor_updated = result.cursor is not None or context.cursor_updated
        return TickEvaluation(
            run_requests=evaluation.run_requests,
            skip_message=evaluation.skip_message,
            cursor=result.cursor if result.cursor is not None else context.cursor,
            cursor_updated=cursor_updated,
            dynamic_partitions_requests=tuple(result.dynamic_partitions_requests or ()),
        )
    evaluation = coerce_evaluation(result, name, tags, what="Sensor")
    return TickEvaluation(
        run_requests=evaluation.run_requests,
        skip_message=evaluation.skip_message,
        cursor=context.cursor,
        cursor_updated=context.cursor_updated,
    )


def sensor(
    job_name: str | None = None,
    name: str | None = None,
    minimum_interval_seconds: int | None = None,
    description: str | None = None,
    job: Any = None,
    jobs: Sequence[Any] | None = None,
    default_status: DefaultSensorStatus = DefaultSensorStatus.STOPPED,
    asset_selection: Any = None,
    required_resource_keys: Iterable[str] | None = None,
    target: Any = None,
    tags: Mapping[str, Any] | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> Callable[[Callable[..., Any]], SensorDefinition]:
    """Decorate a function of the context that returns or yields run requests.

    The function may return a :class:`RunRequest`, a list of them (or yield them), a
    :class:`SkipReason`, or a :class:`SensorResult`; it may call
    ``context.update_cursor(...)``.

    Args:
        job_name: the job its run requests target (when not passing ``job``).
        name: the sensor's name (default: the function's name).
        minimum_interval_seconds: at least this long between evaluations (default 30).
        description: shown in the UI (default: the docstring).
        job: the job its run requests target.
        jobs: several jobs (each run request then names one).
        default_status: on or off before anyone changes it.
        asset_selection: assets its run requests materialize.
        target: a job or an asset selection.
        tags: tags of each run.
    """

    def wrap(fn: Callable[..., Any]) -> SensorDefinition:
        return SensorDefinition(
            name=name or fn.__name__,
            evaluation_fn=fn,
            minimum_interval_seconds=minimum_interval_seconds,
            description=description,
            job_name=job_name,
            job=job,
            jobs=jobs,
            default_status=default_status,
            asset_selection=asset_selection,
            required_resource_keys=required_resource_keys,
            target=target,
            tags=tags,
            metadata=metadata,
        )

    return wrap


def asset_sensor(
    asset_key: Any,
    *,
    job_name: str | None = None,
    name: str | None = None,
    minimum_interval_seconds: int | None = None,
    description: str | None = None,
    job: Any = None,
    jobs: Sequence[Any] | None = None,
    default_status: DefaultSensorStatus = DefaultSensorStatus.STOPPED,
    required_resource_keys: Iterable[str] | None = None,
    target: Any = None,
    tags: Mapping[str, Any] | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> Callable[[Callable[..., Any]], AssetSensorDefinition]:
    """Decorate ``fn(context, asset_event)``, called when ``asset_key`` has a new materialization.

    ``asset_event`` is the ``EventLogEntry`` of the newest materialization since the last
    evaluation; the sensor's cursor is that event's storage id.

    Args:
        asset_key: the asset to watch.
        job_name: the job its run requests target (when not passing ``job``).
        name: the sensor's name (default: the function's name).
        minimum_interval_seconds: at least this long between evaluations (default 30).
        description: shown in the UI.
        job: the job its run requests target.
        jobs: several jobs.
        default_status: on or off before anyone changes it.
        target: a job or an asset selection.
        tags: tags of each run.
    """

    def wrap(fn: Callable[..., Any]) -> AssetSensorDefinition:
        return AssetSensorDefinition(
            asset_key,
            name=name or fn.__name__,
            evaluation_fn=fn,
            minimum_interval_seconds=minimum_interval_seconds,
            description=description,
            job_name=job_name,
            job=job,
            jobs=jobs,
            default_status=default_status,
            required_resource_keys=required_resource_keys,
            target=target,
            tags=tags,
            metadata=metadata,
        )

    return wrap
