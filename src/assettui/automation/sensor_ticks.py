"""One scheduler pass over the sensors: which are due, evaluating each with a time limit.

A sensor function runs in a worker thread and the scheduler waits for it at most
``timeout_seconds``. A sensor that raises, or is still running at the limit, gets a FAILURE
tick carrying the error and the pass goes on; a sensor still stuck in an earlier evaluation
is not started again until that evaluation ends. The abandoned thread only computes: every
write happens on the scheduler thread, so a late result is simply dropped.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from assettui.automation.run_requests import (
    RunOrigin,
    TickGuard,
    TickOutcome,
    build_run,
    commit_failed_tick,
    commit_tick,
    error_text,
    exclusive_tick,
    lease_owner,
)
from assettui.errors import ScheduleError
from assettui.model.automation.schedules import TickEvaluation
from assettui.model.automation.sensors import (
    SENSOR_NAME_TAG,
    AssetSensorDefinition,
    DefaultSensorStatus,
    SensorDefinition,
    SensorEvaluationContext,
)
from assettui.model.records.event_log_entry import EventLogEntry
from assettui.model.records.events import DagsterEventType
from assettui.storage.automation_state import InstigatorState, InstigatorStatus, InstigatorType
from assettui.storage.instance_storage import Storage

SENSOR = InstigatorType.SENSOR
DEFAULT_SENSOR_TIMEOUT_SECONDS = 60.0


def is_sensor_running(sensor: Any, state: InstigatorState | None) -> bool:
    """On or off: the stored status, else the sensor's ``default_status``."""
    if state is None or state.status is InstigatorStatus.DECLARED_IN_CODE:
        return sensor.default_status is DefaultSensorStatus.RUNNING
    return state.status is InstigatorStatus.RUNNING


def next_sensor_tick(interval_seconds: float, last_tick: float | None, now: float) -> float:
    """When a running sensor is next evaluated: its minimum interval after its last tick."""
    return now if last_tick is None else max(now, last_tick + interval_seconds)


def sensor_origin(sensor: SensorDefinition) -> RunOrigin:
    return RunOrigin(
        name=sensor.name,
        kind=SENSOR,
        origin_tag=SENSOR_NAME_TAG,
        job_names=tuple(job.name for job in sensor.jobs)
        or ((sensor.job_name,) if sensor.job_name else ()),
        asset_selection=sensor.asset_selection,
        run_key_namespace=sensor.name,
    )


@dataclass
class _Evaluation:
    done: threading.Event = field(default_factory=threading.Event)
    result: TickEvaluation | None = None
    error: BaseException | None = None


class SensorRunner:
    """Evaluates sensors on a scheduler thread, remembering when each last ticked.

    Args:
        storage: the instance storage.
        timeout_seconds: how long one evaluation may take before it is a failed tick.
    """

    def __init__(self, storage: Storage, timeout_seconds: float = DEFAULT_SENSOR_TIMEOUT_SECONDS):
        self.owner = lease_owner()
        self.storage = storage
        self.timeout_seconds = timeout_seconds
        self._last_tick: dict[str, float] = {}
        self._stuck: dict[str, _Evaluation] = {}
        self._worker: _Worker | None = None

    def run_sensors(
        self,
        defs: Any,
        states: Mapping[str, InstigatorState],
        now: datetime,
        instance: Any = None,
    ) -> list[TickOutcome]:
        """Evaluate every running sensor whose minimum interval has passed."""
        outcomes = []
        for sensor in defs.sensors:
            state = states.get(sensor.name)
            if not is_sensor_running(sensor, state) or not self._is_due(sensor, now):
                continue
            with exclusive_tick(
                self.storage, sensor.name, SENSOR, self.owner, self.timeout_seconds
            ) as mine:
                if not mine:
                    continue  # another scheduler is evaluating it right now
                # Under the lease, read again what another scheduler may have committed: its
                # cursor, and its tick (the minimum interval counts from any scheduler's).
                self._last_tick.pop(sensor.name, None)
                state = self.storage.automation.get_state(sensor.name, SENSOR)
                if not is_sensor_running(sensor, state) or not self._is_due(sensor, now):
                    continue
                outcomes.append(self.run_sensor(defs, sensor, state, now, instance))
        return outcomes

    def _is_due(self, sensor: SensorDefinition, now: datetime) -> bool:
        last = self._last_tick.get(sensor.name)
        if last is None:
            tick = self.storage.automation.latest_tick(sensor.name, SENSOR)
            last = tick.timestamp if tick is not None else None
        return next_sensor_tick(sensor.minimum_interval_seconds, last, now.timestamp()) <= (
            now.timestamp()
        )

    def run_sensor(
        self,
        defs: Any,
        sensor: SensorDefinition,
        state: InstigatorState | None,
        now: datetime,
        instance: Any = None,
    ) -> TickOutcome:
        """Evaluate one sensor now and store its tick (and runs, cursor) atomically."""
        origin = sensor_origin(sensor)
        previous = self.storage.automation.latest_tick(sensor.name, SENSOR)
        guard = TickGuard(previous.tick_id if previous is not None else None)
        timestamp = now.timestamp()
        self._last_tick[sensor.name] = timestamp
        stuck = self._stuck.get(sensor.name)
        if stuck is not None and not stuck.done.is_set():
            return commit_tick(
                self.storage,
                origin,
                timestamp,
                (),
                lambda request: build_run(defs, request, origin, now=now),
                skip_reason="The previous evaluation is still running.",
            )
        self._stuck.pop(sensor.name, None)
        cursor = state.cursor if state else None
        context = SensorEvaluationContext(
            cursor=cursor,
            instance=instance,
            sensor_name=sensor.name,
            resources=getattr(defs, "resources", None),
            definitions=defs,
            last_tick_completion_time=previous.timestamp if previous else None,
            last_run_key=previous.run_keys[-1] if previous and previous.run_keys else None,
        )
        logged = _LogLines(context.log)
        try:
            evaluate = self._evaluation_fn(sensor, context, cursor)
            with logged:
                evaluation = self._call_with_timeout(sensor.name, evaluate)
            return commit_tick(
                self.storage,
                origin,
                timestamp,
                evaluation.run_requests,
                lambda request: build_run(defs, request, origin, now=now, dynamic_store=instance),
                skip_reason=evaluation.skip_message,
                cursor=evaluation.cursor,
                set_cursor=evaluation.cursor_updated and evaluation.cursor != cursor,
                dynamic_requests=evaluation.dynamic_partitions_requests,
                guard=guard,
                log_lines=logged.lines,
            )
        except Exception as exc:
            return commit_failed_tick(
                self.storage,
                origin,
                timestamp,
                error_text(exc),
                guard=guard,
                log_lines=logged.lines,
            )

    def _evaluation_fn(
        self, sensor: SensorDefinition, context: SensorEvaluationContext, cursor: str | None
    ) -> Callable[[], TickEvaluation]:
        if isinstance(sensor, AssetSensorDefinition):
            event = self._new_materialization(sensor, cursor)
            return lambda: sensor.evaluate_tick(context, event)
        return lambda: sensor.evaluate_tick(context)

    def _new_materialization(
        self, sensor: AssetSensorDefinition, cursor: str | None
    ) -> EventLogEntry | None:
        try:
            after = int(cursor) if cursor else None
        except ValueError:
            after = None
        records = self.storage.event_log.asset_events(
            sensor.asset_key, DagsterEventType.ASSET_MATERIALIZATION, after_id=after, limit=1
        )
        if not records:
            return None
        record = records[0]
        job_name = None
        if record.run_id:
            run = self.storage.runs.get_run(record.run_id)
            job_name = run.job_name if run else None
        return EventLogEntry.from_record(record, job_name=job_name)

    def _call_with_timeout(self, name: str, fn: Callable[[], TickEvaluation]) -> TickEvaluation:
        if self._worker is None or not self._worker.is_alive():
            self._worker = _Worker()
        evaluation = self._worker.submit(fn)
        if not evaluation.done.wait(self.timeout_seconds):
            # The worker is stuck in user code: abandon it, the next sensor gets a new one.
            self._stuck[name] = evaluation
            self._worker.abandon()
            self._worker = None
            raise SensorTimeoutError(
                f"Sensor {name!r} did not finish within {self.timeout_seconds:g} seconds; "
                "its tick failed. Make it faster or raise the sensor time limit."
            )
        if isinstance(evaluation.error, Exception):
            raise evaluation.error
        if evaluation.error is not None:  # SystemExit & co. from a sensor must not stop the loop
            raise ScheduleError(
                f"Sensor {name!r} raised {type(evaluation.error).__name__}: {evaluation.error}"
            ) from evaluation.error
        assert evaluation.result is not None
        return evaluation.result


class _LogLines(logging.Handler):
    """Collects what a sensor logs through ``context.log`` during one evaluation."""

    LIMIT = 200  # lines kept per tick

    def __init__(self, logger: logging.Logger):
        super().__init__(logging.DEBUG)
        self.logger = logger
        self.lines: list[str] = []
        self._level = logger.level
        self.setFormatter(logging.Formatter("%(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        if len(self.lines) < self.LIMIT:
            self.lines.append(self.format(record))

    def __enter__(self) -> _LogLines:
        self.logger.setLevel(logging.DEBUG)
        self.logger.addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        self.logger.removeHandler(self)
        self.logger.setLevel(self._level)


class _Worker:
    """One reusable daemon thread that runs sensor functions (cheaper than a thread each)."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[tuple[Callable[[], TickEvaluation], _Evaluation] | None]
        self._jobs = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._loop, name="assettui-sensor", daemon=True)
        self._thread.start()

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def submit(self, fn: Callable[[], TickEvaluation]) -> _Evaluation:
        evaluation = _Evaluation()
        self._jobs.put((fn, evaluation))
        return evaluation

    def abandon(self) -> None:
        self._jobs.put(None)  # ends the thread once the stuck function returns

    def _loop(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            fn, evaluation = job
            try:
                evaluation.result = fn()
            except BaseException as exc:  # handed to the scheduler thread, never lost
                evaluation.error = exc
            finally:
                evaluation.done.set()


class SensorTimeoutError(ScheduleError):
    """A sensor evaluation ran past its time limit."""
