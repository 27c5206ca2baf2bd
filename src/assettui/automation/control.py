"""What the CLI and the TUI do to schedules and sensors: list, start, stop, reset cursor.

Starting a schedule also moves its cursor to now, so it runs its next tick and does not
backfill the ticks it missed while it was off.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from assettui.automation.declarative import AUTOMATION_SENSOR_NAME, automated_asset_keys
from assettui.automation.schedule_ticks import (
    is_schedule_running,
    last_tick_time,
    next_schedule_tick,
    schedule_cursor,
)
from assettui.automation.sensor_ticks import is_sensor_running
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
    """One schedule or sensor as listed by ``assettui automation list``.

    Attributes:
        name: its name.
        kind: ``"schedule"`` or ``"sensor"``.
        running: whether it is on.
        next_tick: a running schedule's next tick (``None`` for sensors or stopped ones).
        last_tick_status: status of its newest tick.
        last_tick_timestamp: time of its newest tick.
        cursor: its stored cursor.
        description: its description.
    """

    name: str
    kind: str
    running: bool
    next_tick: datetime | None
    last_tick_status: TickStatus | None
    last_tick_timestamp: float | None
    cursor: str | None
    description: str | None


class _AutomationSensor:
    """Declarative automation shown as Dagster's default automation condition sensor."""

    name = AUTOMATION_SENSOR_NAME
    default_status = DefaultSensorStatus.RUNNING
    description = "Evaluates the automation conditions of assets."


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
        if kind is InstigatorType.SCHEDULE:
            running = is_schedule_running(item, state)
            after = max(now, last_tick_time(state.cursor if state else None) or now)
            upcoming = next_schedule_tick(item, after) if running else None
        else:
            running = is_sensor_running(item, state)
            upcoming = None
        tick = storage.automation.latest_tick(item.name, kind)
        rows.append(
            InstigatorRow(
                name=item.name,
                kind=kind.value,
                running=running,
                next_tick=upcoming,
                last_tick_status=tick.status if tick else None,
                last_tick_timestamp=tick.timestamp if tick else None,
                cursor=state.cursor if state else None,
                description=getattr(item, "description", None),
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
