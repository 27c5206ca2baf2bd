"""One scheduler pass over the schedules: which ticks are due, and running them.

Per schedule the cursor stores the time of the last tick evaluated. A pass runs the ticks
after it up to now — only the most recent ``max_catchup_ticks`` of them (default 1), so a
machine that slept for three days runs an hourly schedule once, not 72 times. A schedule
seen for the first time (or just turned on) starts from now: old ticks are not backfilled.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from assettui.automation.cron import get_zone, next_tick, ticks_between
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
from assettui.model.automation.schedules import (
    SCHEDULE_NAME_TAG,
    SCHEDULED_TIME_TAG,
    DefaultScheduleStatus,
    ScheduleDefinition,
    ScheduleEvaluationContext,
)
from assettui.storage.automation_state import InstigatorState, InstigatorStatus, InstigatorType
from assettui.storage.instance_storage import Storage

SCHEDULE = InstigatorType.SCHEDULE
SCHEDULE_LEASE_SECONDS = 300.0  # a schedule function has no time limit yet: a generous lease


def is_schedule_running(schedule: ScheduleDefinition, state: InstigatorState | None) -> bool:
    """On or off: the stored status, else the schedule's ``default_status``."""
    if state is None or state.status is InstigatorStatus.DECLARED_IN_CODE:
        return schedule.default_status is DefaultScheduleStatus.RUNNING
    return state.status is InstigatorStatus.RUNNING


def schedule_cursor(timestamp: float) -> str:
    """The stored cursor of a schedule whose last evaluated tick was at ``timestamp``."""
    return json.dumps({"last_tick_timestamp": timestamp})


def last_tick_time(cursor: str | None) -> datetime | None:
    """The last evaluated tick time stored in a schedule cursor (``None``: none yet)."""
    if not cursor:
        return None
    try:
        value = json.loads(cursor)["last_tick_timestamp"]
        return datetime.fromtimestamp(float(value), tz=UTC)
    except (ValueError, KeyError, TypeError):
        return None  # an unreadable cursor restarts from now rather than failing forever


def schedule_origin(schedule: ScheduleDefinition) -> RunOrigin:
    return RunOrigin(
        name=schedule.name,
        kind=SCHEDULE,
        origin_tag=SCHEDULE_NAME_TAG,
        job_names=(schedule.job_name,) if schedule.job_name else (),
        run_key_namespace=f"schedule:{schedule.name}",
    )


def next_schedule_tick(schedule: ScheduleDefinition, after: datetime) -> datetime | None:
    """The schedule's next tick after ``after`` (``None`` if its cron never ticks)."""
    try:
        return next_tick(schedule.cron_schedule, schedule.timezone, after)
    except Exception:
        return None


class ScheduleRunner:
    """Runs due schedule ticks, remembering each schedule's next tick between passes.

    The next tick is recomputed only when the stored cursor changes (a tick ran, another
    process ran it, or the schedule was restarted), so a pass where nothing is due costs
    no cron arithmetic.
    """

    def __init__(self, storage: Storage, max_catchup_ticks: int = 1):
        self.owner = lease_owner()
        self.storage = storage
        self.max_catchup_ticks = max_catchup_ticks
        # name -> (cron, timezone, cursor) the next tick was computed for, and that tick
        self._next: dict[str, tuple[tuple[Any, str, str | None], datetime | None]] = {}

    def run_schedules(
        self,
        defs: Any,
        states: Mapping[str, InstigatorState],
        now: datetime,
        *,
        instance: Any = None,
    ) -> list[TickOutcome]:
        """Evaluate every running schedule whose ticks are due at ``now``.

        Args:
            states: stored states by schedule name.
            instance: what schedule functions see as ``context.instance``.

        Returns:
            One outcome per tick run.
        """
        outcomes: list[TickOutcome] = []
        fresh: list[str] = []
        for schedule in defs.schedules:
            state = states.get(schedule.name)
            if not is_schedule_running(schedule, state):
                continue
            cursor = state.cursor if state else None
            last = last_tick_time(cursor)
            if last is None:
                fresh.append(schedule.name)
                continue
            if not self._may_be_due(schedule, cursor, last, now):
                continue
            with exclusive_tick(
                self.storage, schedule.name, SCHEDULE, self.owner, SCHEDULE_LEASE_SECONDS
            ) as mine:
                if not mine:
                    continue  # another scheduler is evaluating it right now
                # Under the lease, the cursor another scheduler may have moved since the
                # pass began: its ticks are not run again.
                state = self.storage.automation.get_state(schedule.name, SCHEDULE)
                last = last_tick_time(state.cursor if state else None)
                if last is None or not is_schedule_running(schedule, state):
                    continue
                outcomes.extend(
                    run_due_ticks(
                        self.storage, defs, schedule, last, now, instance, self.max_catchup_ticks
                    )
                )
        if fresh:
            # One transaction for all of them: a pass over many new schedules stays cheap.
            with self.storage.transaction():
                for name in fresh:
                    self.storage.automation.set_cursor(
                        name, SCHEDULE, schedule_cursor(now.timestamp())
                    )
        return outcomes

    def _may_be_due(
        self, schedule: ScheduleDefinition, cursor: str | None, last: datetime, now: datetime
    ) -> bool:
        key = (schedule.cron_schedule, schedule.timezone, cursor)
        cached = self._next.get(schedule.name)
        if cached is None or cached[0] != key:
            cached = (key, next_schedule_tick(schedule, last))
            self._next[schedule.name] = cached
        upcoming = cached[1]
        # None: the cron cannot be evaluated; let run_due_ticks record why.
        return upcoming is None or upcoming <= now


def run_schedules(
    storage: Storage,
    defs: Any,
    states: Mapping[str, InstigatorState],
    now: datetime,
    *,
    instance: Any = None,
    max_catchup_ticks: int = 1,
) -> list[TickOutcome]:
    """One-off :meth:`ScheduleRunner.run_schedules` (no cache kept between calls)."""
    return ScheduleRunner(storage, max_catchup_ticks).run_schedules(
        defs, states, now, instance=instance
    )


def run_due_ticks(
    storage: Storage,
    defs: Any,
    schedule: ScheduleDefinition,
    last: datetime,
    now: datetime,
    instance: Any,
    max_catchup_ticks: int,
) -> list[TickOutcome]:
    """Run the due ticks of one schedule (each tick commits on its own)."""
    origin = schedule_origin(schedule)
    try:
        due = ticks_between(
            schedule.cron_schedule, schedule.timezone, last, now, limit=max(1, max_catchup_ticks)
        )
    except Exception as exc:
        return [_record_broken_cron(storage, origin, now, exc)]
    return [run_schedule_tick(storage, defs, schedule, tick, instance) for tick in due]


def run_schedule_tick(
    storage: Storage,
    defs: Any,
    schedule: ScheduleDefinition,
    tick_time: datetime,
    instance: Any = None,
) -> TickOutcome:
    """Evaluate ``schedule`` for the tick at ``tick_time`` and store the tick and its runs.

    The cursor moves to ``tick_time`` in the same transaction, also when the evaluation
    failed (a failed tick is recorded, not retried forever).
    """
    origin = schedule_origin(schedule)
    guard = TickGuard.read(storage, origin)
    timestamp = tick_time.timestamp()
    cursor = schedule_cursor(timestamp)
    local_time = tick_time.astimezone(get_zone(schedule.timezone))
    context = ScheduleEvaluationContext(
        instance=instance,
        scheduled_execution_time=local_time,
        resources=getattr(defs, "resources", None),
        schedule_name=schedule.name,
        definitions=defs,
    )
    try:
        evaluation = schedule.evaluate_tick(context)
        return commit_tick(
            storage,
            origin,
            timestamp,
            evaluation.run_requests,
            lambda request: build_run(
                defs,
                request,
                origin,
                now=tick_time,
                dynamic_store=instance,
                extra_tags={SCHEDULED_TIME_TAG: local_time.isoformat()},
            ),
            skip_reason=evaluation.skip_message,
            cursor=cursor,
            set_cursor=True,
            guard=guard,
        )
    except Exception as exc:
        return commit_failed_tick(
            storage,
            origin,
            timestamp,
            error_text(exc),
            guard=guard,
            cursor=cursor,
            set_cursor=True,
        )


def _record_broken_cron(
    storage: Storage, origin: RunOrigin, now: datetime, exc: Exception
) -> TickOutcome:
    error = f"{type(exc).__name__}: {exc}"
    latest = storage.automation.latest_tick(origin.name, SCHEDULE)
    if latest is not None and latest.error == error:
        return TickOutcome.from_record(latest)  # recorded once, not on every pass
    return commit_failed_tick(storage, origin, now.timestamp(), error)
