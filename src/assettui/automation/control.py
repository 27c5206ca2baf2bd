"""What the CLI and the TUI do to schedules and sensors: list, start, stop, reset cursor.

Starting a schedule also moves its cursor to now, so it runs its next tick and does not
backfill the ticks it missed while it was off.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from assettui.automation.declarative import (
    AUTOMATION_SENSOR_NAME,
    DEFAULT_AUTOMATION_INTERVAL_SECONDS,
    automated_asset_keys,
)
from assettui.automation.schedule_ticks import (
    is_schedule_running,
    last_tick_time,
    next_schedule_tick,
    schedule_cursor,
)
from assettui.automation.sensor_ticks import is_sensor_running, next_sensor_tick
from assettui.errors import ScheduleError
from assettui.model.automation.sensors import DefaultSensorStatus
from assettui.storage.automation_state import (
    InstigatorStatus,
    InstigatorType,
    TickRecord,
    TickStatus,
)
from assettui.storage.instance_storage import Storage


@dataclass(frozen=True)
class InstigatorRow:
    """One schedule or sensor as listed by ``assettui automation list`` and the UI.

    Attributes:
        name: its name.
        kind: ``"schedule"`` or ``"sensor"``.
        running: whether it is on.
        next_tick: when the scheduler next evaluates it (``None`` when it is off).
        last_tick: its newest tick.
        cursor: its stored cursor.
        description: its description.
        target: the job it launches (``""`` if none).
        cadence: when it ticks, in words (cron and timezone, or the minimum interval).
    """

    name: str
    kind: str
    running: bool
    next_tick: datetime | None
    last_tick: TickRecord | None
    cursor: str | None
    description: str | None
    target: str = ""
    cadence: str = ""

    @property
    def type(self) -> InstigatorType:
        """Its kind as the storage names it."""
        return InstigatorType(self.kind)

    @property
    def row_key(self) -> str:
        """``kind:name``, unique among a project's schedules and sensors."""
        return f"{self.kind}:{self.name}"

    @property
    def last_tick_status(self) -> TickStatus | None:
        return self.last_tick.status if self.last_tick else None

    @property
    def last_tick_timestamp(self) -> float | None:
        return self.last_tick.timestamp if self.last_tick else None


class _AutomationSensor:
    """Declarative automation shown as Dagster's default automation condition sensor."""

    name = AUTOMATION_SENSOR_NAME
    default_status = DefaultSensorStatus.RUNNING
    description = "Evaluates the automation conditions of assets."
    minimum_interval_seconds = DEFAULT_AUTOMATION_INTERVAL_SECONDS
    job_name = None


def _instigators(defs: Any) -> list[tuple[InstigatorType, Any]]:
    items: list[tuple[InstigatorType, Any]] = [(InstigatorType.SCHEDULE, s) for s in defs.schedules]
    items += [(InstigatorType.SENSOR, s) for s in defs.sensors]
    if automated_asset_keys(defs.resolve_asset_graph()):
        items.append((InstigatorType.SENSOR, _AutomationSensor()))
    return items


def find_instigator(defs: Any, name: str) -> tuple[InstigatorType, Any]:
    """The schedule or sensor called ``name``.

    Raises:
        ScheduleError: no such schedule or sensor.
    """
    for kind, item in _instigators(defs):
        if item.name == name:
            return kind, item
    known = ", ".join(sorted(item.name for _, item in _instigators(defs))) or "none"
    raise ScheduleError(f"No schedule or sensor named {name!r}. Defined: {known}.")


def list_instigators(storage: Storage, defs: Any, now: datetime) -> list[InstigatorRow]:
    """Every schedule and sensor with its state, sorted by kind then name."""
    states = {(s.kind, s.name): s for s in storage.automation.list_states()}
    rows = []
    for kind, item in _instigators(defs):
        state = states.get((kind, item.name))
        tick = storage.automation.latest_tick(item.name, kind)
        upcoming: datetime | None = None
        if kind is InstigatorType.SCHEDULE:
            running = is_schedule_running(item, state)
            after = max(now, last_tick_time(state.cursor if state else None) or now)
            upcoming = next_schedule_tick(item, after) if running else None
            crons = item.cron_schedule
            cadence = " / ".join([crons] if isinstance(crons, str) else crons)
            cadence += f" ({item.timezone})"
        else:
            running = is_sensor_running(item, state)
            interval = item.minimum_interval_seconds
            if running:
                due = next_sensor_tick(interval, tick.timestamp if tick else None, now.timestamp())
                upcoming = datetime.fromtimestamp(due, UTC)
            cadence = f"every ≥{interval:g}s"
        rows.append(
            InstigatorRow(
                name=item.name,
                kind=kind.value,
                running=running,
                next_tick=upcoming,
                last_tick=tick,
                cursor=state.cursor if state else None,
                description=getattr(item, "description", None),
                target=getattr(item, "job_name", None) or "",
                cadence=cadence,
            )
        )
    return sorted(rows, key=lambda row: (row.kind, row.name))


def start_instigator(storage: Storage, defs: Any, name: str, now: datetime) -> None:
    """Turn a schedule or sensor on (a schedule starts from ``now``: no backfill)."""
    kind, _ = find_instigator(defs, name)
    with storage.transaction():
        storage.automation.set_status(name, kind, InstigatorStatus.RUNNING)
        if kind is InstigatorType.SCHEDULE:
            storage.automation.set_cursor(name, kind, schedule_cursor(now.timestamp()))


def stop_instigator(storage: Storage, defs: Any, name: str) -> None:
    """Turn a schedule or sensor off."""
    kind, _ = find_instigator(defs, name)
    storage.automation.set_status(name, kind, InstigatorStatus.STOPPED)


def reset_instigator_status(storage: Storage, defs: Any, name: str) -> None:
    """Forget the on/off choice: follow the ``default_status`` in code again."""
    kind, _ = find_instigator(defs, name)
    storage.automation.set_status(name, kind, InstigatorStatus.DECLARED_IN_CODE)


def reset_cursor(storage: Storage, defs: Any, name: str) -> None:
    """Clear a sensor's cursor (a schedule's: it restarts from the next pass's time)."""
    kind, _ = find_instigator(defs, name)
    storage.automation.set_cursor(name, kind, None)


def tick_history(
    storage: Storage, defs: Any, name: str, *, limit: int = 50, before_id: int | None = None
) -> list[TickRecord]:
    """The newest ticks of a schedule or sensor (skip reasons and errors included)."""
    kind, _ = find_instigator(defs, name)
    return storage.automation.list_ticks(name, kind, limit=limit, before_id=before_id)
