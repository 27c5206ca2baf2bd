"""Declarative automation: the condition values and their evaluation by the scheduler."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from assettui.automation.clock import ManualClock
from assettui.automation.control import list_instigators, stop_instigator
from assettui.automation.declarative import AUTOMATION_SENSOR_NAME, explain
from assettui.automation.scheduler import Scheduler, SchedulerSettings
from assettui.errors import ScheduleError
from assettui.model.asset_key import AssetKey
from assettui.model.assets.decorator import asset
from assettui.model.automation.conditions import AndAutomationCondition, AutomationCondition
from assettui.model.definitions import Definitions
from assettui.model.partitions.time_window import DailyPartitionsDefinition
from assettui.storage import DagsterEventType, DagsterRunStatus, InstigatorType, NewEvent, Storage

AC = AutomationCondition
START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


class MaterializingLauncher:
    """Executes a run the way a worker records it: STARTED, one event per asset, SUCCESS."""

    def __init__(self, storage: Storage, hold: bool = False):
        self.storage = storage
        self.hold = hold
        self.launched: list[str] = []

    def launch(self, run_id: str) -> None:
        self.launched.append(run_id)
        self.storage.runs.update_run_status(run_id, DagsterRunStatus.STARTED)
        if not self.hold:
            complete(self.storage, run_id)


def complete(storage: Storage, run_id: str) -> None:
    run = storage.runs.get_run(run_id)
    assert run is not None
    materialize(
        storage, *sorted(run.asset_selection or ()), partition=run.partition_key, run_id=run_id
    )
    storage.runs.update_run_status(run_id, DagsterRunStatus.SUCCESS)


def materialize(storage: Storage, *keys: AssetKey, partition=None, run_id=None) -> None:
    storage.event_log.store_events(
        [
            NewEvent(run_id=run_id, event_type=DagsterEventType.ASSET_MATERIALIZATION,
                     asset_key=key, partition=partition, payload={"metadata": {}})
            for key in keys
        ]
    )  # fmt: skip


@pytest.fixture
def storage(tmp_path):
    with Storage(tmp_path / "home") as storage:
        yield storage


def make(storage, assets, *, hold=False):
    clock = ManualClock(START)
    launcher = MaterializingLauncher(storage, hold=hold)
    scheduler = Scheduler(
        storage,
        Definitions(assets=assets),
        launcher,
        clock=clock,
        settings=SchedulerSettings(automation_interval_seconds=30),
        monitor_runs=False,
    )
    return scheduler, clock, launcher


def step(scheduler, clock, seconds=30):
    clock.advance(timedelta(seconds=seconds))
    return scheduler.run_once()


def requested(storage, report):
    tick = report.automation_tick
    if tick is None:
        return []
    return [
        (sorted(k.to_user_string() for k in storage.runs.get_run(r).asset_selection),
         storage.runs.get_run(r).partition_key)
        for r in tick.run_ids
    ]  # fmt: skip


# ---- values ----------------------------------------------------------------------------


def test_operators_labels_and_structure():
    condition = (AC.missing() & ~AC.in_progress()) | AC.newly_updated()
    assert condition.name == "OR"
    assert str(condition.with_label("mine")) == "mine"
    assert (AC.missing() & AC.in_progress() & AC.execution_failed()).children == (
        AC.missing(),
        AC.in_progress(),
        AC.execution_failed(),
    )
    assert AC.eager().get_label() == "eager"
    assert AC.eager().unique_id() == AC.eager().unique_id()
    assert AC.eager().unique_id() != AC.on_missing().unique_id()


def test_without_and_replace():
    eager = AC.eager()
    assert isinstance(eager, AndAutomationCondition)
    relaxed = eager.without(~AC.any_deps_missing())
    assert len(relaxed.operands) == len(eager.operands) - 1
    assert eager.without(AC.in_latest_time_window()).operands[0].name == "SINCE"
    with pytest.raises(ValueError, match="not an operand"):
        eager.without(AC.cron_tick_passed("0 * * * *"))
    replaced = AC.eager().replace("any_deps_updated", AC.newly_requested())
    assert "any_deps_updated" not in replaced.structure()


def test_bad_cron_in_a_condition_is_a_schedule_error():
    with pytest.raises(ScheduleError, match="not a valid cron"):
        AC.on_cron("whenever")
    with pytest.raises(ScheduleError, match="Atlantis"):
        AC.cron_tick_passed("0 * * * *", "Atlantis/Capital")


# ---- evaluation --------------------------------------------------------------------------


def test_eager_materializes_missing_chain_once_then_follows_updates(storage):
    @asset(automation_condition=AC.eager())
    def a() -> int:
        return 1

    @asset(automation_condition=AC.eager())
    def b(a: int) -> int:
        return a

    @asset(automation_condition=AC.eager())
    def c(b: int) -> int:
        return b

    scheduler, clock, _ = make(storage, [a, b, c])
    report = scheduler.run_once()
    assert requested(storage, report) == [(["a", "b", "c"], None)]  # one run, in order
    assert report.launched_run_ids == report.automation_tick.run_ids
    for _ in range(3):
        assert requested(storage, step(scheduler, clock)) == []  # handled: no repeat
    materialize(storage, AssetKey("a"))  # someone re-materializes a by hand
    assert requested(storage, step(scheduler, clock)) == [(["b", "c"], None)]
    assert requested(storage, step(scheduler, clock)) == []


def test_eager_waits_for_missing_upstream(storage):
    @asset
    def source() -> int:
        return 1

    @asset(automation_condition=AC.eager())
    def derived(source: int) -> int:
        return source

    scheduler, clock, _ = make(storage, [source, derived])
    assert requested(storage, scheduler.run_once()) == []
    materialize(storage, AssetKey("source"))
    assert requested(storage, step(scheduler, clock)) == [(["derived"], None)]


def test_eager_does_not_request_while_in_progress(storage):
    @asset(automation_condition=AC.eager())
    def slow() -> int:
        return 1

    scheduler, clock, launcher = make(storage, [slow], hold=True)
    first = scheduler.run_once()
    assert requested(storage, first) == [(["slow"], None)]
    for _ in range(3):
        assert requested(storage, step(scheduler, clock)) == []
    complete(storage, launcher.launched[0])
    assert requested(storage, step(scheduler, clock)) == []


def test_on_missing_requests_once_and_not_after_materialization(storage):
    @asset(automation_condition=AC.on_missing())
    def table() -> int:
        return 1

    scheduler, clock, _ = make(storage, [table])
    assert requested(storage, scheduler.run_once()) == [(["table"], None)]
    assert requested(storage, step(scheduler, clock)) == []
    materialize(storage, AssetKey("table"))
    assert requested(storage, step(scheduler, clock)) == []


def test_on_cron_waits_for_the_tick_and_for_upstream_updates(storage):
    @asset
    def upstream() -> int:
        return 1

    @asset(automation_condition=AC.on_cron("0 9 * * *"))
    def daily_report(upstream: int) -> int:
        return upstream

    scheduler, clock, _ = make(storage, [upstream, daily_report])
    materialize(storage, AssetKey("upstream"))
    assert requested(storage, scheduler.run_once()) == []  # 08:00: no tick passed yet
    clock.set(START.replace(hour=9, minute=1))
    assert requested(storage, scheduler.run_once()) == []  # tick passed, upstream not updated since
    clock.set(START.replace(hour=10))
    materialize(storage, AssetKey("upstream"))
    assert requested(storage, step(scheduler, clock)) == [(["daily_report"], None)]
    assert requested(storage, step(scheduler, clock)) == []  # once per tick
    materialize(storage, AssetKey("upstream"))
    assert requested(storage, step(scheduler, clock)) == []  # no new tick yet
    clock.set(START.replace(hour=9, minute=5) + timedelta(days=1))
    assert requested(storage, scheduler.run_once()) == []  # the next tick passed...
    materialize(storage, AssetKey("upstream"))  # ...and then upstream updated
    assert requested(storage, step(scheduler, clock)) == [(["daily_report"], None)]


def test_partitioned_eager_asset_targets_the_latest_partition(storage):
    daily = DailyPartitionsDefinition(start_date="2026-02-01")

    @asset(partitions_def=daily, automation_condition=AC.eager())
    def events() -> int:
        return 1

    scheduler, clock, _ = make(storage, [events])
    assert requested(storage, scheduler.run_once()) == [(["events"], "2026-03-01")]
    assert requested(storage, step(scheduler, clock)) == []
    clock.set(START + timedelta(days=1))
    assert requested(storage, scheduler.run_once()) == [(["events"], "2026-03-02")]


def test_evaluations_are_recorded_and_can_be_explained(storage):
    @asset(automation_condition=AC.eager())
    def a() -> int:
        return 1

    scheduler, clock, _ = make(storage, [a])
    scheduler.run_once()
    step(scheduler, clock)
    ticks = storage.automation.list_ticks(AUTOMATION_SENSOR_NAME, InstigatorType.SENSOR)
    assert [t.status.value for t in reversed(ticks)] == ["SUCCESS", "SKIPPED"]
    state = storage.automation.get_state(AUTOMATION_SENSOR_NAME, InstigatorType.SENSOR)
    rows = explain(AC.eager(), state.cursor, AssetKey("a"))
    assert rows[0][2] == "eager" and rows[0][3] == 0
    labels = {label: count for _, _, label, count in rows}
    assert labels["newly_missing"] == 0
    [row] = [r for r in list_instigators(storage, scheduler.definitions(), clock.now())
             if r.name == AUTOMATION_SENSOR_NAME]  # fmt: skip
    assert row.running and row.kind == "sensor"


def test_interval_between_evaluations_and_turning_automation_off(storage):
    @asset(automation_condition=AC.on_missing())
    def table() -> int:
        return 1

    scheduler, clock, _ = make(storage, [table], hold=True)
    stop_instigator(storage, scheduler.definitions(), AUTOMATION_SENSOR_NAME)
    assert scheduler.run_once().automation_tick is None
    assert storage.runs.list_runs() == []
    from assettui.automation.control import start_instigator

    start_instigator(storage, scheduler.definitions(), AUTOMATION_SENSOR_NAME, clock.now())
    assert scheduler.run_once().automation_tick is not None
    assert step(scheduler, clock, seconds=10).automation_tick is None  # within 30 s
    assert step(scheduler, clock, seconds=20).automation_tick is not None


def test_dependency_selection_can_be_ignored(storage):
    @asset
    def noisy() -> int:
        return 1

    @asset
    def quiet() -> int:
        return 1

    condition = AC.eager().ignore(AssetKey("noisy"))

    @asset(automation_condition=condition, deps=[noisy, quiet])
    def combined() -> int:
        return 1

    scheduler, clock, _ = make(storage, [noisy, quiet, combined])
    materialize(storage, AssetKey("quiet"))
    # noisy is missing but ignored, so combined (missing) is requested.
    assert requested(storage, scheduler.run_once()) == [(["combined"], None)]
    materialize(storage, AssetKey("noisy"))
    assert requested(storage, step(scheduler, clock)) == []
    materialize(storage, AssetKey("quiet"))
    assert requested(storage, step(scheduler, clock)) == [(["combined"], None)]


def test_declared_partition_mapping_is_followed(storage):
    from assettui.model.assets.spec import AssetIn
    from assettui.model.partitions.mapping import LastPartitionMapping

    daily = DailyPartitionsDefinition(start_date="2026-02-25")

    @asset(partitions_def=daily)
    def readings() -> int:
        return 1

    @asset(
        ins={"readings": AssetIn(partition_mapping=LastPartitionMapping())},
        automation_condition=AC.eager(),
    )
    def latest_summary(readings: int) -> int:
        return readings

    scheduler, clock, _ = make(storage, [readings, latest_summary])
    materialize(storage, AssetKey("readings"), partition="2026-02-27")  # an old one only
    assert requested(storage, scheduler.run_once()) == []  # the last partition is missing
    materialize(storage, AssetKey("readings"), partition="2026-03-01")
    # Older partitions are still missing, but only the last one matters.
    assert requested(storage, step(scheduler, clock)) == [(["latest_summary"], None)]


def test_two_schedulers_evaluate_automation_once_per_interval(storage):
    """The automation sensor is under the same lease as other sensors: while another
    scheduler holds it nothing is evaluated, and a second scheduler on the instance sees the
    first one's tick and keeps the interval instead of requesting the same runs again."""

    @asset(automation_condition=AC.on_missing())
    def a() -> int:
        return 1

    first, clock, _ = make(storage, [a], hold=True)
    other = "another-scheduler:1"
    assert storage.automation.acquire_lease(
        AUTOMATION_SENSOR_NAME, InstigatorType.SENSOR, other, 60
    )
    assert first.run_once().automation_tick is None  # the other one is evaluating it
    storage.automation.release_lease(AUTOMATION_SENSOR_NAME, InstigatorType.SENSOR, other)
    report = first.run_once()
    assert requested(storage, report) == [(["a"], None)]

    second = Scheduler(
        storage,
        Definitions(assets=[a]),
        MaterializingLauncher(storage, hold=True),
        clock=clock,
        settings=SchedulerSettings(automation_interval_seconds=30),
        monitor_runs=False,
    )
    assert second.run_once().automation_tick is None  # within the first one's interval
    assert len(storage.runs.list_runs()) == 1
