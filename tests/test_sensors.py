"""Sensors: definitions, cursors, run-key dedupe across restarts, asset sensors, failures."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from assettui.automation.clock import ManualClock
from assettui.automation.control import reset_cursor
from assettui.automation.scheduler import Scheduler, SchedulerSettings
from assettui.errors import ScheduleError
from assettui.model.asset_key import AssetKey
from assettui.model.assets.decorator import asset
from assettui.model.automation.sensors import (
    DefaultSensorStatus,
    RunRequest,
    SensorResult,
    SkipReason,
    asset_sensor,
    build_sensor_context,
    sensor,
)
from assettui.model.definitions import Definitions
from assettui.model.jobs import define_asset_job
from assettui.model.partitions.definitions import DynamicPartitionsDefinition
from assettui.storage import (
    DagsterEventType,
    EventLogEntry,
    InstigatorType,
    NewEvent,
    Storage,
    TickStatus,
)

RUNNING = DefaultSensorStatus.RUNNING
START = datetime(2026, 3, 1, 12, tzinfo=UTC)


@asset
def raw() -> int:
    return 1


@asset
def report(raw: int) -> int:
    return raw


raw_job = define_asset_job("raw_job", selection=[raw])
report_job = define_asset_job("report_job", selection=[report])


@pytest.fixture
def home(tmp_path):
    return tmp_path / "home"


def make_scheduler(home, *sensors, clock=None, settings=None, assets=(raw, report)):
    storage = Storage(home)
    defs = Definitions(assets=list(assets), sensors=list(sensors))
    scheduler = Scheduler(
        storage,
        defs,
        clock=clock or ManualClock(START),
        settings=settings,
        monitor_runs=False,
    )
    return scheduler, storage


def sensor_ticks(storage, name):
    return list(reversed(storage.automation.list_ticks(name, InstigatorType.SENSOR)))


# ---- definitions -----------------------------------------------------------------------


def test_sensor_defaults_follow_dagster():
    @sensor(job=raw_job)
    def watcher(context):
        return SkipReason("nothing")

    assert watcher.name == "watcher"
    assert watcher.minimum_interval_seconds == 30
    assert watcher.default_status is DefaultSensorStatus.STOPPED
    assert watcher.job is raw_job and watcher.jobs == (raw_job,)


def test_sensor_cursor_and_results_in_a_unit_test():
    @sensor(job=raw_job)
    def files(context):
        seen = int(context.cursor or 0)
        context.update_cursor(str(seen + 2))
        return [RunRequest(run_key=f"file-{i}") for i in range(seen, seen + 2)]

    context = build_sensor_context(cursor="3")
    evaluation = files.evaluate_tick(context)
    assert [r.run_key for r in evaluation.run_requests] == ["file-3", "file-4"]
    assert evaluation.cursor == "5" and evaluation.cursor_updated
    assert [r.run_key for r in files(build_sensor_context())] == ["file-0", "file-1"]


def test_sensor_result_carries_cursor_and_skip():
    @sensor(job=raw_job)
    def with_result(context):
        return SensorResult(skip_reason="no files", cursor="c1")

    evaluation = with_result.evaluate_tick(build_sensor_context())
    assert evaluation.skip_message == "no files"
    assert evaluation.cursor == "c1" and evaluation.cursor_updated


def test_cursor_set_twice_is_an_error():
    @sensor(job=raw_job)
    def both(context):
        context.update_cursor("a")
        return SensorResult(run_requests=[RunRequest()], cursor="b")

    with pytest.raises(ScheduleError, match="update_cursor"):
        both.evaluate_tick(build_sensor_context())


def test_sensor_result_cannot_both_run_and_skip():
    with pytest.raises(ScheduleError, match="both"):
        SensorResult(run_requests=[RunRequest()], skip_reason="no")


def test_conflicting_targets_are_refused():
    with pytest.raises(ScheduleError, match="only one of"):
        sensor(job=raw_job, asset_selection=[raw])(lambda context: None)


# ---- the scheduler ---------------------------------------------------------------------


def test_run_key_launches_at_most_one_run_across_restarts(home):
    @sensor(job=raw_job, default_status=RUNNING)
    def once(context):
        return RunRequest(run_key="2026-03-01")

    clock = ManualClock(START)
    scheduler, storage = make_scheduler(home, once, clock=clock)
    assert len(scheduler.run_once().requested_run_ids) == 1
    storage.close()

    for restart in range(3):  # new Storage and Scheduler objects on the same database
        clock.advance(timedelta(seconds=30))
        scheduler, storage = make_scheduler(home, once, clock=clock)
        report = scheduler.run_once()
        assert report.requested_run_ids == (), restart
        storage.close()

    storage = Storage(home)
    assert len(storage.runs.list_runs()) == 1
    history = sensor_ticks(storage, "once")
    assert [t.status for t in history] == [TickStatus.SUCCESS] + [TickStatus.SKIPPED] * 3
    assert "2026-03-01" in (history[-1].skip_reason or "")
    [run] = storage.runs.list_runs()
    assert run.tags["dagster/run_key"] == "2026-03-01"
    assert run.tags["dagster/sensor_name"] == "once"
    storage.close()


def test_minimum_interval_is_respected_and_cursor_persists(home):
    seen_cursors = []

    @sensor(job=raw_job, minimum_interval_seconds=60, default_status=RUNNING)
    def counter(context):
        seen_cursors.append(context.cursor)
        context.update_cursor(str(int(context.cursor or 0) + 1))
        return SkipReason("counting")

    clock = ManualClock(START)
    scheduler, storage = make_scheduler(home, counter, clock=clock)
    for _ in range(6):  # every 20 s for 2 minutes
        scheduler.run_once()
        clock.advance(timedelta(seconds=20))
    assert seen_cursors == [None, "1"]
    assert storage.automation.get_state("counter", InstigatorType.SENSOR).cursor == "2"
    reset_cursor(storage, scheduler.definitions(), "counter")
    clock.advance(timedelta(seconds=60))
    scheduler.run_once()
    assert seen_cursors[-1] is None
    storage.close()


def test_asset_sensor_fires_after_a_materialization(home):
    received: list[EventLogEntry] = []

    @asset_sensor(asset_key=AssetKey("raw"), job=report_job, default_status=RUNNING)
    def raw_updated(context, asset_event):
        received.append(asset_event)
        return RunRequest(run_key=str(asset_event.storage_id))

    clock = ManualClock(START)
    scheduler, storage = make_scheduler(home, raw_updated, clock=clock)
    scheduler.run_once()
    assert received == []
    [first] = sensor_ticks(storage, "raw_updated")
    assert first.status is TickStatus.SKIPPED

    stored = storage.event_log.store_event(
        NewEvent(run_id=None, event_type=DagsterEventType.ASSET_MATERIALIZATION,
                 asset_key=AssetKey("raw"), payload={"metadata": {}})
    )  # fmt: skip
    clock.advance(timedelta(seconds=30))
    report = scheduler.run_once()
    [event] = received
    assert event.storage_id == stored.storage_id
    assert event.dagster_event is not None
    assert event.dagster_event.asset_key == AssetKey("raw")
    [run_id] = report.requested_run_ids
    run = storage.runs.get_run(run_id)
    assert run is not None and run.job_name == "report_job"
    assert run.asset_selection == {AssetKey("report")}
    state = storage.automation.get_state("raw_updated", InstigatorType.SENSOR)
    assert state.cursor == str(stored.storage_id)

    clock.advance(timedelta(seconds=30))
    assert scheduler.run_once().requested_run_ids == ()  # no new materialization
    assert len(received) == 1
    storage.close()


def test_failing_sensor_is_recorded_and_the_loop_goes_on(home):
    @sensor(job=raw_job, default_status=RUNNING)
    def broken(context):
        raise ValueError("bucket not found")

    @sensor(job=raw_job, default_status=RUNNING)
    def healthy(context):
        return RunRequest(run_key=context.cursor or "first")

    clock = ManualClock(START)
    scheduler, storage = make_scheduler(home, broken, healthy, clock=clock)
    report = scheduler.run_once()
    assert report.errors == ()
    [failed] = sensor_ticks(storage, "broken")
    assert failed.status is TickStatus.FAILURE
    assert "ValueError: bucket not found" in (failed.error or "")
    assert "Traceback" in (failed.error or "")
    assert [t.status for t in sensor_ticks(storage, "healthy")] == [TickStatus.SUCCESS]
    clock.advance(timedelta(seconds=30))
    scheduler.run_once()
    assert len(sensor_ticks(storage, "broken")) == 2  # evaluated again next interval
    storage.close()


def test_sensor_past_its_time_limit_fails_its_tick(home):
    release = threading.Event()

    @sensor(job=raw_job, default_status=RUNNING)
    def slow(context):
        release.wait(30)
        return RunRequest()

    @sensor(job=raw_job, default_status=RUNNING)
    def quick(context):
        return SkipReason("ok")

    clock = ManualClock(START)
    settings = SchedulerSettings(sensor_timeout_seconds=0.2)
    scheduler, storage = make_scheduler(home, slow, quick, clock=clock, settings=settings)
    scheduler.run_once()
    [tick] = sensor_ticks(storage, "slow")
    assert tick.status is TickStatus.FAILURE
    assert "did not finish within 0.2 seconds" in (tick.error or "")
    assert [t.status for t in sensor_ticks(storage, "quick")] == [TickStatus.SKIPPED]

    clock.advance(timedelta(seconds=30))
    scheduler.run_once()  # still stuck: not started twice
    assert (
        sensor_ticks(storage, "slow")[-1].skip_reason == "The previous evaluation is still running."
    )
    release.set()
    clock.advance(timedelta(seconds=30))
    # The stuck evaluation may still be finishing; the next evaluation after it is normal.
    for _ in range(50):
        report = scheduler.run_once()
        if report.requested_run_ids:
            break
        clock.advance(timedelta(seconds=30))
    assert len(storage.runs.list_runs()) == 1  # the late result of the stuck call was dropped
    storage.close()


def test_dynamic_partitions_added_and_requested_in_one_tick(home):
    regions = DynamicPartitionsDefinition(name="regions")

    @asset(partitions_def=regions)
    def regional() -> int:
        return 1

    @sensor(asset_selection=[regional], default_status=RUNNING)
    def new_regions(context):
        return SensorResult(
            run_requests=[RunRequest(partition_key="eu", run_key="eu")],
            dynamic_partitions_requests=[regions.build_add_request(["eu"])],
        )

    scheduler, storage = make_scheduler(home, new_regions, assets=[regional])
    [run_id] = scheduler.run_once().requested_run_ids
    assert storage.dynamic_partitions.get("regions") == ["eu"]
    run = storage.runs.get_run(run_id)
    assert run is not None and run.partition_key == "eu"
    assert run.asset_selection == {AssetKey("regional")}
    storage.close()


def test_unknown_partition_fails_the_tick_and_stores_nothing(home):
    regions = DynamicPartitionsDefinition(name="regions")

    @asset(partitions_def=regions)
    def regional() -> int:
        return 1

    @sensor(asset_selection=[regional], default_status=RUNNING)
    def bad(context):
        return RunRequest(partition_key="mars", run_key="mars")

    scheduler, storage = make_scheduler(home, bad, assets=[regional])
    scheduler.run_once()
    [tick] = sensor_ticks(storage, "bad")
    assert tick.status is TickStatus.FAILURE and "mars" in (tick.error or "")
    assert storage.runs.list_runs() == []
    assert storage.automation.run_id_for_key("bad", "mars") is None  # key not burned
    storage.close()


def test_sensor_with_several_jobs_needs_a_job_name(home):
    @sensor(jobs=[raw_job, report_job], default_status=RUNNING)
    def both(context):
        return [RunRequest(job_name="report_job", run_key="r"), RunRequest(run_key="x")]

    scheduler, storage = make_scheduler(home, both)
    scheduler.run_once()
    [tick] = sensor_ticks(storage, "both")
    assert tick.status is TickStatus.FAILURE
    assert "job_name" in (tick.error or "")
    storage.close()
