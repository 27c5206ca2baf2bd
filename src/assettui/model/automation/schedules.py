"""Schedules: ``ScheduleDefinition``, ``@schedule``, run requests and their context.

A schedule is a value: a cron string in a timezone, a target (a job or an asset selection)
and a function that turns one tick into run requests. Ticks are computed and run by
:mod:`assettui.automation`; nothing here reads a clock or the instance.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from croniter import croniter

from assettui.errors import ScheduleError
from assettui.model.asset_key import AssetKey
from assettui.model.config import run_config_dict
from assettui.model.jobs import JobDefinition, UnresolvedAssetJobDefinition, define_asset_job
from assettui.model.partitions.definitions import PARTITION_NAME_TAG as PARTITION_TAG
from assettui.model.resources import Resources
from assettui.model.timezones import find_timezone

SCHEDULE_NAME_TAG = "dagster/schedule_name"
SCHEDULED_TIME_TAG = "dagster/scheduled_execution_time"


class DefaultScheduleStatus(Enum):
    """Whether a schedule is on before anyone turns it on or off."""

    RUNNING = "RUNNING"
    STOPPED = "STOPPED"


@dataclass(frozen=True)
class RunRequest:
    """A request, returned by a schedule or sensor, to launch one run.

    Args:
        run_key: a sensor launches at most one run per run key, ever.
        run_config: config of the run (a dict or a ``RunConfig``).
        tags: tags of the run (merged over the schedule's/sensor's tags).
        job_name: the job to run, when the schedule/sensor targets several.
        asset_selection: the assets to materialize (default: the whole target).
        stale_assets_only: accepted for compatibility.
        partition_key: the partition to run.
        asset_check_keys: accepted for compatibility.
    """

    run_key: str | None = None
    run_config: Any = None
    tags: Mapping[str, Any] | None = None
    job_name: str | None = None
    asset_selection: Sequence[AssetKey] | None = None
    stale_assets_only: bool = False
    partition_key: str | None = None
    asset_check_keys: Sequence[Any] | None = None

    def __post_init__(self) -> None:
        if self.asset_selection is not None:
            keys = tuple(_coerce_key(k) for k in self.asset_selection)
            object.__setattr__(self, "asset_selection", keys)
        object.__setattr__(self, "tags", {k: str(v) for k, v in (self.tags or {}).items()})

    def run_config_dict(self) -> dict[str, Any]:
        """The run config as a plain dict (a ``RunConfig`` is converted)."""
        return run_config_dict(self.run_config)


@dataclass(frozen=True)
class SkipReason:
    """Returned by a schedule or sensor to say why it requests no run this tick."""

    skip_message: str | None = None


@dataclass(frozen=True)
class TickEvaluation:
    """What one evaluation of a schedule or sensor produced.

    Attributes:
        run_requests: the runs to launch.
        skip_message: why nothing was requested (``None`` when runs were requested).
        cursor: the new cursor (sensors only; ``None`` with ``cursor_updated`` false: kept).
        cursor_updated: whether the evaluation set the cursor.
        dynamic_partitions_requests: partitions to add or delete (sensors only).
    """

    run_requests: tuple[RunRequest, ...] = ()
    skip_message: str | None = None
    cursor: str | None = None
    cursor_updated: bool = False
    dynamic_partitions_requests: tuple[Any, ...] = ()


def _coerce_key(value: Any) -> AssetKey:
    if hasattr(value, "key") and isinstance(value.key, AssetKey):
        return value.key
    return AssetKey.from_coercible(value)


def check_cron_schedule(cron_schedule: Any, timezone: str | None, where: str) -> tuple[str, ...]:
    """Validate cron strings and a timezone at definition time.

    Returns:
        The cron strings as a tuple (Dagster accepts one string or a list of them).

    Raises:
        ScheduleError: naming ``where`` and the bad value.
    """
    crons = (cron_schedule,) if isinstance(cron_schedule, str) else tuple(cron_schedule or ())
    if not crons:
        raise ScheduleError(
            f"{where}: cron_schedule is empty; give a cron string like '0 6 * * *'."
        )
    for cron in crons:
        if not _is_valid_cron(cron):
            raise ScheduleError(
                f"{where}: {cron!r} is not a valid cron string; use five fields "
                "'minute hour day-of-month month day-of-week', e.g. '0 6 * * *'."
            )
    if timezone is not None:
        check_timezone(timezone, where)
    return crons


_CRON_ALIASES = frozenset(
    {"@hourly", "@daily", "@weekly", "@monthly", "@yearly", "@annually", "@midnight"}
)


def _is_valid_cron(cron: Any) -> bool:
    if not isinstance(cron, str):
        return False
    if cron.strip() in _CRON_ALIASES:
        return True
    fields = cron.split()
    # Five fields as Dagster requires; croniter's hash ("H") and seconds forms are not cron.
    if len(fields) != 5 or "H" in cron.upper().replace("THU", "").replace("SAT", ""):
        return False
    try:
        return bool(croniter.is_valid(cron))
    except Exception:  # croniter raises for some malformed strings instead of saying False
        return False


def check_timezone(timezone: str, where: str) -> None:
    """Raise :class:`ScheduleError` unless ``timezone`` is a known IANA timezone name."""
    if find_timezone(timezone) is None:
        raise ScheduleError(
            f"{where}: unknown timezone {timezone!r}; use an IANA name such as 'UTC' or "
            "'Europe/Berlin'."
        )


def target_job(target: Any, owner: str) -> UnresolvedAssetJobDefinition | JobDefinition:
    """The job a ``target=`` stands for: a job itself, or an asset job over a selection."""
    if isinstance(target, (UnresolvedAssetJobDefinition, JobDefinition)):
        return target
    return define_asset_job(f"__anonymous_asset_job_{owner}", selection=target)


def call_user_fn(fn: Callable[..., Any], context: Any, *extra: Any) -> Any:
    """Call a schedule/sensor function as Dagster does.

    Parameters named like a resource of the context get that resource; the other positional
    parameters get the context, then ``extra`` (an asset sensor's event), in order.

    Raises:
        ScheduleError: a required parameter has nothing to receive.
    """
    resources = getattr(context, "resources", None)
    names = _resource_names(resources)
    values = [context, *extra]
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    for param in inspect.signature(fn).parameters.values():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        if param.name in names and param.name != "context":
            kwargs[param.name] = resources[param.name]  # type: ignore[index]
        elif values and param.kind in (param.POSITIONAL_ONLY, param.POSITIONAL_OR_KEYWORD):
            args.append(values.pop(0))
        elif param.default is param.empty:
            raise ScheduleError(
                f"{getattr(fn, '__name__', fn)!r} takes a parameter {param.name!r}, but no "
                "resource of that name was given; add it to Definitions(resources=...)."
            )
    return fn(*args, **kwargs)


def _resource_names(resources: Any) -> set[str]:
    if resources is None:
        return set()
    if isinstance(resources, (Mapping, Resources)):
        return set(resources.keys())
    return set(getattr(resources, "__dict__", {}))


class ScheduleEvaluationContext:
    """What a schedule function receives.

    Attributes:
        scheduled_execution_time: the tick's time, in the schedule's timezone.
        instance: the instance (``None`` in unit tests that pass none).
        resources: the Definitions' resources, as attributes.
        log: a logger.
        schedule_name: the schedule being evaluated.
    """

    def __init__(
        self,
        instance: Any = None,
        scheduled_execution_time: datetime | None = None,
        resources: Mapping[str, Any] | None = None,
        schedule_name: str | None = None,
        definitions: Any = None,
    ):
        self.instance = instance
        self.scheduled_execution_time = scheduled_execution_time
        self.resources = Resources(resources)
        self.schedule_name = schedule_name
        self.definitions = definitions
        self.repository_def = definitions
        self.log = logging.getLogger(f"assettui.schedule.{schedule_name or 'schedule'}")

    def __enter__(self) -> ScheduleEvaluationContext:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def build_schedule_context(
    instance: Any = None,
    scheduled_execution_time: datetime | None = None,
    resources: Mapping[str, Any] | None = None,
    repository_def: Any = None,
    instance_ref: Any = None,
    definitions: Any = None,
) -> ScheduleEvaluationContext:
    """A context to call a schedule function directly in a test.

    Args:
        instance: the instance the schedule may read.
        scheduled_execution_time: the tick time to pretend.
        resources: resources by key.
        repository_def: the Definitions (Dagster's name).
        instance_ref: accepted for compatibility.
        definitions: the Definitions.
    """
    return ScheduleEvaluationContext(
        instance=instance,
        scheduled_execution_time=scheduled_execution_time,
        resources=resources,
        definitions=definitions if definitions is not None else repository_def,
    )


class ScheduleDefinition:
    """A schedule: run a job (or materialize assets) at the ticks of a cron schedule.

    Args:
        name: the schedule's name (default: ``<job name>_schedule``).
        cron_schedule: a cron string (or several) evaluated in ``execution_timezone``.
        job: the job to run.
        run_config: run config of each run.
        tags: tags of each run.
        execution_timezone: an IANA timezone name (default ``"UTC"``).
        description: shown in the UI.
        default_status: on or off before anyone changes it.
        target: what to run: a job or an asset selection (instead of ``job``).
        execution_fn: a function of the context returning run requests (``@schedule``).
        should_execute: a function of the context; false skips the tick.
        run_config_fn: a function of the context returning the run config.
        tags_fn: a function of the context returning the run tags.
        metadata: metadata about the schedule.

    Raises:
        ScheduleError: a bad cron string or timezone, or no name and no job.
    """

    def __init__(
        self,
        name: str | None = None,
        *,
        cron_schedule: str | Sequence[str] | None = None,
        job_name: str | None = None,
        run_config: Any = None,
        run_config_fn: Callable[..., Any] | None = None,
        tags: Mapping[str, Any] | None = None,
        tags_fn: Callable[..., Any] | None = None,
        should_execute: Callable[..., bool] | None = None,
        environment_vars: Mapping[str, str] | None = None,
        execution_timezone: str | None = None,
        execution_fn: Callable[..., Any] | None = None,
        description: str | None = None,
        job: Any = None,
        default_status: DefaultScheduleStatus = DefaultScheduleStatus.STOPPED,
        required_resource_keys: Iterable[str] | None = None,
        target: Any = None,
        metadata: Mapping[str, Any] | None = None,
    ):
        if job is not None and target is not None:
            raise ScheduleError(f"Schedule {name!r}: pass job= or target=, not both.")
        resolved_job = job
        if target is not None:
            if name is None and not isinstance(
                target, (UnresolvedAssetJobDefinition, JobDefinition)
            ):
                raise ScheduleError("A schedule whose target is an asset selection needs a name=.")
            owner = str(name or getattr(target, "name", "schedule"))
            resolved_job = target_job(target, owner)
        if name is None:
            if resolved_job is None:
                raise ScheduleError(
                    f"A schedule needs a name= or a job= (cron {cron_schedule!r}); got neither."
                )
            name = f"{resolved_job.name}_schedule"
        if resolved_job is None and job_name is None and execution_fn is None:
            raise ScheduleError(f"Schedule {name!r} has no job= or target= to run.")
        if run_config is not None and run_config_fn is not None:
            raise ScheduleError(f"Schedule {name!r}: pass run_config= or run_config_fn=, not both.")
        if cron_schedule is None:
            raise ScheduleError(f"Schedule {name!r} needs a cron_schedule, e.g. '0 6 * * *'.")
        check_cron_schedule(cron_schedule, execution_timezone, f"Schedule {name!r}")
        self.name: str = name
        self.cron_schedule: str | Sequence[str] = cron_schedule
        self.job: Any = resolved_job
        self._job_name = job_name
        self.run_config = run_config
        self.tags: dict[str, str] = {k: str(v) for k, v in (tags or {}).items()}
        self.execution_timezone = execution_timezone
        self.description = description
        self.default_status = DefaultScheduleStatus(default_status)
        self.execution_fn = execution_fn
        self.should_execute = should_execute
        self.run_config_fn = run_config_fn
        self.tags_fn = tags_fn
        self.metadata: dict[str, Any] = dict(metadata or {})
        self.environment_vars = dict(environment_vars or {})
        self.required_resource_keys = frozenset(required_resource_keys or ())

    @property
    def cron_schedules(self) -> tuple[str, ...]:
        """The cron strings, as a tuple."""
        return check_cron_schedule(self.cron_schedule, None, f"Schedule {self.name!r}")

    @property
    def timezone(self) -> str:
        """The execution timezone (``"UTC"`` when none was given)."""
        return self.execution_timezone or "UTC"

    @property
    def job_name(self) -> str | None:
        """The name of the job this schedule runs."""
        return self.job.name if self.job is not None else self._job_name

    @property
    def jobs(self) -> tuple[Any, ...]:
        return (self.job,) if self.job is not None else ()

    @property
    def target(self) -> Any:
        return self.job

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Direct invocation (for tests): call the schedule function with a context."""
        if self.execution_fn is None:
            raise ScheduleError(
                f"Schedule {self.name!r} has no function to call; use evaluate_tick(context)."
            )
        context = args[0] if args else kwargs.get("context") or build_schedule_context()
        result = call_user_fn(self.execution_fn, context)
        return list(result) if inspect.isgenerator(result) else result

    def evaluate_tick(self, context: ScheduleEvaluationContext) -> TickEvaluation:
        """Evaluate the schedule for one tick.

        Returns:
            The run requests (schedule tags merged in) or a skip message.

        Raises:
            Whatever the user function raises; :class:`ScheduleError` for a result of the
            wrong type.
        """
        if self.should_execute is not None and not call_user_fn(self.should_execute, context):
            return TickEvaluation(skip_message=f"should_execute returned False for {self.name}.")
        if self.execution_fn is None:
            config = (
                call_user_fn(self.run_config_fn, context)
                if self.run_config_fn is not None
                else self.run_config
            )
            tags = call_user_fn(self.tags_fn, context) if self.tags_fn is not None else {}
            request = RunRequest(run_config=config, tags={**self.tags, **(tags or {})})
            return TickEvaluation(run_requests=(request,))
        result = call_user_fn(self.execution_fn, context)
        return coerce_evaluation(result, self.name, self.tags, what="Schedule")

    def with_updated_job(self, job: Any) -> ScheduleDefinition:
        """A copy targeting ``job``."""
        return ScheduleDefinition(
            name=self.name,
            cron_schedule=self.cron_schedule,
            job=job,
            run_config=self.run_config,
            tags=self.tags,
            execution_timezone=self.execution_timezone,
            description=self.description,
            default_status=self.default_status,
            execution_fn=self.execution_fn,
            should_execute=self.should_execute,
            metadata=self.metadata,
        )

    def __repr__(self) -> str:
        return f"<ScheduleDefinition {self.name} {self.cron_schedule!r} {self.timezone}>"


def coerce_evaluation(
    result: Any, name: str, default_tags: Mapping[str, str], what: str
) -> TickEvaluation:
    """Turn what a schedule/sensor function returned or yielded into a :class:`TickEvaluation`.

    Accepts ``None``, a :class:`RunRequest`, a :class:`SkipReason`, a run config dict, or an
    iterable (list or generator) of run requests and skip reasons.
    """
    if result is None:
        return TickEvaluation(skip_message=f"{what} function returned an empty result.")
    if isinstance(result, SkipReason):
        return TickEvaluation(skip_message=result.skip_message or "")
    if isinstance(result, RunRequest):
        items: list[Any] = [result]
    elif isinstance(result, Mapping) or hasattr(result, "to_config_dict"):
        items = [RunRequest(run_config=result)]
    elif isinstance(result, Iterable) and not isinstance(result, (str, bytes)):
        items = list(result)
    else:
        raise ScheduleError(
            f"{what} {name!r} returned {type(result).__name__}; return a RunRequest, a list of "
            "them, a SkipReason or a run config dict."
        )
    requests: list[RunRequest] = []
    skip: str | None = None
    for item in items:
        if isinstance(item, RunRequest):
            requests.append(_with_tags(item, default_tags))
        elif isinstance(item, SkipReason):
            skip = item.skip_message or ""
        elif isinstance(item, Mapping):
            requests.append(_with_tags(RunRequest(run_config=item), default_tags))
        else:
            raise ScheduleError(
                f"{what} {name!r} produced {type(item).__name__}; yield RunRequest or "
                "SkipReason values."
            )
    if requests and skip is not None:
        raise ScheduleError(f"{what} {name!r} returned both run requests and a SkipReason.")
    if not requests:
        return TickEvaluation(skip_message=skip if skip is not None else "No run requests.")
    return TickEvaluation(run_requests=tuple(requests))


def _with_tags(request: RunRequest, default_tags: Mapping[str, str]) -> RunRequest:
    if not default_tags:
        return request
    merged = {**default_tags, **(request.tags or {})}
    return RunRequest(
        run_key=request.run_key,
        run_config=request.run_config,
        tags=merged,
        job_name=request.job_name,
        asset_selection=request.asset_selection,
        stale_assets_only=request.stale_assets_only,
        partition_key=request.partition_key,
        asset_check_keys=request.asset_check_keys,
    )


def schedule(
    cron_schedule: str | Sequence[str],
    *,
    job_name: str | None = None,
    name: str | None = None,
    tags: Mapping[str, Any] | None = None,
    tags_fn: Callable[..., Any] | None = None,
    metadata: Mapping[str, Any] | None = None,
    should_execute: Callable[..., bool] | None = None,
    environment_vars: Mapping[str, str] | None = None,
    execution_timezone: str | None = None,
    description: str | None = None,
    job: Any = None,
    default_status: DefaultScheduleStatus = DefaultScheduleStatus.STOPPED,
    required_resource_keys: Iterable[str] | None = None,
    target: Any = None,
) -> Callable[[Callable[..., Any]], ScheduleDefinition]:
    """Decorate a function of the context that returns run requests for each tick.

    The function may return a :class:`RunRequest`, a list of them (or yield them), a
    :class:`SkipReason`, or a run config dict.

    Args:
        cron_schedule: when to tick, in ``execution_timezone``.
        job_name: name of the job to run (when not passing ``job``).
        name: the schedule's name (default: the function's name).
        tags: tags of each run.
        execution_timezone: an IANA timezone name (default ``"UTC"``).
        description: shown in the UI (default: the docstring).
        job: the job to run.
        default_status: on or off before anyone changes it.
        target: a job or an asset selection to run.
    """

    def wrap(fn: Callable[..., Any]) -> ScheduleDefinition:
        return ScheduleDefinition(
            name=name or fn.__name__,
            cron_schedule=cron_schedule,
            job_name=job_name,
            tags=tags,
            tags_fn=tags_fn,
            metadata=metadata,
            should_execute=should_execute,
            environment_vars=environment_vars,
            execution_timezone=execution_timezone,
            execution_fn=fn,
            description=description or inspect.getdoc(fn),
            job=job,
            default_status=default_status,
            required_resource_keys=required_resource_keys,
            target=target,
        )

    return wrap


def build_schedule_from_partitioned_job(
    job: Any,
    description: str | None = None,
    name: str | None = None,
    minute_of_hour: int | None = None,
    hour_of_day: int | None = None,
    day_of_week: int | None = None,
    day_of_month: int | None = None,
    default_status: DefaultScheduleStatus = DefaultScheduleStatus.STOPPED,
    tags: Mapping[str, str] | None = None,
    cron_schedule: str | None = None,
    execution_timezone: str | None = None,
) -> ScheduleDefinition:
    """A schedule that runs a time-partitioned job once per partition, when it closes.

    Each tick requests the partition that has just ended (the last partition as of the
    tick's time). The cron schedule follows the partitions' cadence and offsets in the
    partitions' timezone, unless ``cron_schedule`` is given.

    Raises:
        ScheduleError: the job has no time-window partitions.
    """
    partitions_def = getattr(job, "partitions_def", None) or _selection_partitions_def(job)
    if partitions_def is None or not hasattr(partitions_def, "get_cron_schedule"):
        raise ScheduleError(
            f"build_schedule_from_partitioned_job: job {getattr(job, 'name', job)!r} has no "
            "time-window partitions (e.g. DailyPartitionsDefinition); give its assets or the job "
            "a partitions_def."
        )
    cron = cron_schedule or partitions_def.get_cron_schedule(
        minute_of_hour, hour_of_day, day_of_week, day_of_month
    )

    def execution_fn(context: ScheduleEvaluationContext) -> Any:
        when = context.scheduled_execution_time
        key = partitions_def.get_last_partition_key(current_time=when)
        if key is None:
            return SkipReason(f"No partition of {job.name} has ended by {when}.")
        return RunRequest(run_key=key, partition_key=key, tags={PARTITION_TAG: key})

    return ScheduleDefinition(
        name=name or f"{job.name}_schedule",
        cron_schedule=cron,
        job=job,
        execution_timezone=execution_timezone or partitions_def.timezone,
        description=description,
        default_status=default_status,
        tags=tags,
        execution_fn=execution_fn,
    )


def _selection_partitions_def(job: Any) -> Any:
    """The partitions shared by the assets a not-yet-resolved job lists, if it lists assets."""
    selection = getattr(job, "selection_source", None) or getattr(job, "selection", None)
    items = selection if isinstance(selection, (list, tuple)) else [selection]
    found = {getattr(item, "partitions_def", None) for item in items} - {None}
    return found.pop() if len(found) == 1 else None
