"""The scheduler loop: one pass = schedules, sensors, declarative automation, queue, monitor.

:meth:`Scheduler.run_once` runs one pass at the clock's time (or a given time). Each stage
commits its ticks with the runs they request (QUEUED) before the run queue looks at them, so
a crash after a commit loses nothing (the queued runs start after a restart) and a crash
before it duplicates nothing (the tick is evaluated again; run keys dedupe sensor runs).
A stage that fails is reported in the pass result and the next stage still runs.

:class:`SchedulerThread` runs passes in a background thread until stopped (the TUI embeds
one; ``assettui daemon`` runs :meth:`SchedulerThread.run_forever` in the foreground).
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from assettui.automation.backfill import drive_backfills
from assettui.automation.clock import Clock, SystemClock
from assettui.automation.declarative import (
    AUTOMATION_SENSOR_NAME,
    DEFAULT_AUTOMATION_INTERVAL_SECONDS,
    AutomationEvaluation,
    automated_asset_keys,
    evaluate_automation,
)
from assettui.automation.run_monitor import RunMonitor, RunMonitorHook
from assettui.automation.run_queue import DEFAULT_MAX_CONCURRENT_RUNS, RunLauncher, RunQueue
from assettui.automation.run_requests import (
    RunOrigin,
    TickGuard,
    TickOutcome,
    build_run,
    commit_failed_tick,
    commit_tick,
    error_text,
    exclusive_tick,
)
from assettui.automation.schedule_ticks import ScheduleRunner
from assettui.automation.sensor_ticks import (
    DEFAULT_SENSOR_TIMEOUT_SECONDS,
    SensorRunner,
    next_sensor_tick,
)
from assettui.model.asset_key import AssetKey
from assettui.model.automation.schedules import RunRequest
from assettui.model.automation.sensors import SENSOR_NAME_TAG
from assettui.storage.automation_state import InstigatorState, InstigatorStatus, InstigatorType
from assettui.storage.instance import DagsterInstance
from assettui.storage.instance_storage import Storage

FROM_AUTOMATION_TAG = "dagster/from_automation_condition"


@dataclass(frozen=True)
class SchedulerSettings:
    """How the scheduler behaves (Dagster's daemon and run coordinator settings).

    Attributes:
        max_concurrent_runs: in-progress runs allowed at once (``-1``: no limit).
        tag_concurrency_limits: e.g. ``({"key": "pool", "value": "warehouse", "limit": 2},)``.
        sensor_timeout_seconds: a sensor evaluation taking longer is a failed tick.
        max_catchup_ticks: missed schedule ticks run after a downtime (the newest ones).
        automation_interval_seconds: at least this long between automation evaluations.
        loop_interval_seconds: pause between passes of :class:`SchedulerThread`.
    """

    max_concurrent_runs: int = DEFAULT_MAX_CONCURRENT_RUNS
    tag_concurrency_limits: tuple[Any, ...] = ()
    sensor_timeout_seconds: float = DEFAULT_SENSOR_TIMEOUT_SECONDS
    max_catchup_ticks: int = 1
    automation_interval_seconds: float = DEFAULT_AUTOMATION_INTERVAL_SECONDS
    loop_interval_seconds: float = 1.0


@dataclass(frozen=True)
class PassReport:
    """What one pass did.

    Attributes:
        now: the pass's time.
        schedule_ticks: ticks of schedules run this pass.
        sensor_ticks: ticks of sensors evaluated this pass.
        automation_tick: the declarative automation tick, if it was evaluated.
        launched_run_ids: runs the queue started.
        ended_run_ids: runs the monitor ended (dead worker, stuck canceling).
        errors: ``(stage, traceback)`` of stages that failed unexpectedly.
        duration_seconds: wall time the pass took.
    """

    now: datetime
    schedule_ticks: tuple[TickOutcome, ...] = ()
    sensor_ticks: tuple[TickOutcome, ...] = ()
    automation_tick: TickOutcome | None = None
    launched_run_ids: tuple[str, ...] = ()
    ended_run_ids: tuple[str, ...] = ()
    errors: tuple[tuple[str, str], ...] = ()
    duration_seconds: float = 0.0

    @property
    def requested_run_ids(self) -> tuple[str, ...]:
        """Runs requested (queued) by this pass's ticks."""
        ticks = [*self.schedule_ticks, *self.sensor_ticks]
        if self.automation_tick is not None:
            ticks.append(self.automation_tick)
        return tuple(run_id for tick in ticks for run_id in tick.run_ids)


DefinitionsSource = Any  # a Definitions, or a callable returning the current one (or None)


@dataclass
class _PassState:
    errors: list[tuple[str, str]] = field(default_factory=list)


class Scheduler:
    """Runs scheduler passes over one instance.

    Args:
        storage: the instance storage.
        definitions: the project's ``Definitions``, or a callable returning the current
            one (hot reload; ``None`` while the project fails to load — the queue and the
            monitor keep running).
        launcher: starts claimed runs (``None``: runs stay queued).
        clock: the time source (default: the system clock).
        settings: limits and intervals.
        run_monitor: the monitor hook (default :class:`RunMonitor`; ``None`` to disable
            by passing ``monitor_runs=False``).
        monitor_runs: whether to run the monitor at all.
    """

    def __init__(
        self,
        storage: Storage,
        definitions: DefinitionsSource,
        launcher: RunLauncher | None = None,
        *,
        clock: Clock | None = None,
        settings: SchedulerSettings | None = None,
        run_monitor: RunMonitorHook | None = None,
        monitor_runs: bool = True,
    ):
        self.storage = storage
        self._definitions = definitions
        self.clock: Clock = clock or SystemClock()
        self.settings = settings or SchedulerSettings()
        self.instance = DagsterInstance(storage)
        self.queue = RunQueue(
            storage,
            launcher,
            max_concurrent_runs=self.settings.max_concurrent_runs,
            tag_concurrency_limits=self.settings.tag_concurrency_limits,
        )
        self.schedules = ScheduleRunner(storage, self.settings.max_catchup_ticks)
        self.sensors = SensorRunner(storage, self.settings.sensor_timeout_seconds)
        self.monitor: RunMonitorHook | None = (
            (run_monitor or RunMonitor()) if monitor_runs else None
        )
        self._last_automation: float | None = None
        self._lock = threading.Lock()

    def definitions(self) -> Any:
        """The current Definitions (``None`` if the project does not load)."""
        source = self._definitions
        if callable(source):
            return source()
        return source

    def run_once(self, now: datetime | None = None) -> PassReport:
        """Run one pass at ``now`` (default: the clock's time)."""
        with self._lock:  # one pass at a time, even if the TUI asks for one meanwhile
            return self._run_pass(now or self.clock.now())

    def _run_pass(self, now: datetime) -> PassReport:
        started = time.perf_counter()
        state = _PassState()
        gone = self.storage.gone()
        if gone is not None:  # nothing may be committed to a deleted database
            if not self.storage.paths.database.exists():
                return PassReport(now=now, errors=(("instance", gone),), duration_seconds=0.0)
            self.storage.reopen()  # it was restored (or replaced): go on with that one
        defs = self._stage(state, "definitions", self.definitions)
        schedule_ticks: Sequence[TickOutcome] = ()
        sensor_ticks: Sequence[TickOutcome] = ()
        automation_tick: TickOutcome | None = None
        if defs is not None:
            states = self._stage(state, "state", self._states) or {}
            schedule_ticks = (
                self._stage(
                    state,
                    "schedules",
                    lambda: self.schedules.run_schedules(
                        defs, states.get(InstigatorType.SCHEDULE, {}), now, instance=self.instance
                    ),
                )
                or ()
            )
            sensor_ticks = (
                self._stage(
                    state,
                    "sensors",
                    lambda: self.sensors.run_sensors(
                        defs, states.get(InstigatorType.SENSOR, {}), now, self.instance
                    ),
                )
                or ()
            )
            automation_tick = self._stage(
                state,
                "automation",
                lambda: self._run_automation(defs, states.get(InstigatorType.SENSOR, {}), now),
            )
        # backfills queue the runs now due; the run queue below starts them as slots free up
        self._stage(state, "backfills", lambda: drive_backfills(self.storage))
        launched = self._stage(state, "run queue", self.queue.launch_queued_runs) or []
        monitor = self.monitor
        ended = (
            (self._stage(state, "run monitor", lambda: monitor.check(self.storage)) or [])
            if monitor
            else []
        )
        return PassReport(
            now=now,
            schedule_ticks=tuple(schedule_ticks),
            sensor_ticks=tuple(sensor_ticks),
            automation_tick=automation_tick,
            launched_run_ids=tuple(launched),
            ended_run_ids=tuple(ended),
            errors=tuple(state.errors),
            duration_seconds=time.perf_counter() - started,
        )

    def _stage(self, state: _PassState, name: str, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except Exception:
            state.errors.append((name, traceback.format_exc()))
            return None

    def _states(self) -> dict[InstigatorType, dict[str, InstigatorState]]:
        result: dict[InstigatorType, dict[str, InstigatorState]] = {}
        for item in self.storage.automation.list_states():
            result.setdefault(item.kind, {})[item.name] = item
        return result

    # ---- declarative automation -----------------------------------------------------------

    def _run_automation(
        self, defs: Any, sensor_states: dict[str, InstigatorState], now: datetime
    ) -> TickOutcome | None:
        graph = defs.resolve_asset_graph()
        if not automated_asset_keys(graph):
            return None
        state = sensor_states.get(AUTOMATION_SENSOR_NAME)
        if state is not None and state.status is InstigatorStatus.STOPPED:
            return None
        if not self._automation_due(now, from_storage=False):
            return None
        # Two schedulers on one instance evaluate it once: under its lease, read again the
        # cursor and the last tick another scheduler may have committed meanwhile.
        with exclusive_tick(
            self.storage,
            AUTOMATION_SENSOR_NAME,
            InstigatorType.SENSOR,
            self.sensors.owner,
            self.sensors.timeout_seconds,
        ) as mine:
            if not mine or not self._automation_due(now, from_storage=True):
                return None
            state = self.storage.automation.get_state(AUTOMATION_SENSOR_NAME, InstigatorType.SENSOR)
            if state is not None and state.status is InstigatorStatus.STOPPED:
                return None
            return self._automation_tick(defs, graph, state, now)

    def _automation_due(self, now: datetime, *, from_storage: bool) -> bool:
        last = None if from_storage else self._last_automation
        if last is None:
            tick = self.storage.automation.latest_tick(
                AUTOMATION_SENSOR_NAME, InstigatorType.SENSOR
            )
            last = tick.timestamp if tick is not None else None
        interval = self.settings.automation_interval_seconds
        return next_sensor_tick(interval, last, now.timestamp()) <= now.timestamp()

    def _automation_tick(
        self, defs: Any, graph: Any, state: InstigatorState | None, now: datetime
    ) -> TickOutcome:
        self._last_automation = now.timestamp()
        origin = RunOrigin(
            name=AUTOMATION_SENSOR_NAME,
            kind=InstigatorType.SENSOR,
            origin_tag=SENSOR_NAME_TAG,
        )
        guard = TickGuard.read(self.storage, origin)
        try:
            evaluation = evaluate_automation(
                self.storage, defs, now, state.cursor if state else None, instance=self.instance
            )
            requests = automation_run_requests(graph, evaluation)
            return commit_tick(
                self.storage,
                origin,
                now.timestamp(),
                requests,
                lambda request: build_run(
                    defs,
                    request,
                    origin,
                    now=now,
                    dynamic_store=self.instance,
                    extra_tags={FROM_AUTOMATION_TAG: "true"},
                ),
                skip_reason="No asset's automation condition is true.",
                cursor=evaluation.cursor,
                set_cursor=True,
                guard=guard,
            )
        except Exception as exc:
            return commit_failed_tick(
                self.storage, origin, now.timestamp(), error_text(exc), guard=guard
            )


def automation_run_requests(graph: Any, evaluation: AutomationEvaluation) -> list[RunRequest]:
    """One run per partition key (per partitions definition) covering every asset requested."""
    groups: dict[tuple[str, str], list[AssetKey]] = {}
    for key in graph.toposorted_asset_keys:
        partitions = evaluation.requested.get(key)
        if not partitions:
            continue
        pdef = graph.get(key).partitions_def
        for partition in sorted(partitions):
            groups.setdefault((repr(pdef), partition), []).append(key)
    return [
        RunRequest(asset_selection=keys, partition_key=partition or None)
        for (_, partition), keys in groups.items()
    ]


class SchedulerThread:
    """Runs scheduler passes every ``interval_seconds`` in a daemon thread until stopped.

    Args:
        scheduler: the scheduler.
        interval_seconds: pause between passes (default: the scheduler's setting).
        on_pass: called with each pass's report (from the scheduler thread).
    """

    def __init__(
        self,
        scheduler: Scheduler,
        interval_seconds: float | None = None,
        on_pass: Callable[[PassReport], None] | None = None,
    ):
        self.scheduler = scheduler
        self.interval_seconds = (
            scheduler.settings.loop_interval_seconds
            if interval_seconds is None
            else interval_seconds
        )
        self.on_pass = on_pass
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_report: PassReport | None = None
        self.passes = 0

    def start(self) -> None:
        """Start the loop in a background thread (no-op if it already runs)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(
            target=self.run_forever, name="assettui-scheduler", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float | None = 10.0) -> None:
        """Ask the loop to stop after the current pass, and wait for it."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def is_running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def run_forever(self) -> None:
        """Run passes until :meth:`stop` (or Ctrl-C when run in the foreground)."""
        while not self._stop.is_set():
            report = self.scheduler.run_once()
            self.last_report = report
            self.passes += 1
            if self.on_pass is not None:
                try:
                    self.on_pass(report)
                except Exception:
                    traceback.print_exc()  # a broken observer must not stop the scheduler
            self._stop.wait(self.interval_seconds)
