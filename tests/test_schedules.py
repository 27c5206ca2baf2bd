"""Schedules: definitions, evaluation, and ticks run by the scheduler with a moved clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

import assettui.model.automation.schedules as sched
from assettui.automation.clock import ManualClock
from assettui.automation.control import list_instigators, start_instigator, stop_instigator
from assettui.automation.scheduler import Scheduler
from assettui.errors import ScheduleError
from assettui.model.assets.decorator import asset
from assettui.model.automation.schedules import (
    DefaultScheduleStatus,
    RunRequest,
    ScheduleDefinition,
    SkipReason,
    build_schedule_context,
    build_schedule_from_partitioned_job,
    schedule,
)
from assettui.model.definitions import Definitions
from assettui.model.jobs import define_asset_job
from assettui.model.partitions.time_window import DailyPartitionsDefinition
from assettui.model.selection.asset_selection import AssetSelection
from assettui.storage import DagsterRunStatus, InstigatorType, Storage, TickStatus

BERLIN = ZoneInfo("Europe/Berlin")
RUNNING = DefaultScheduleStatus.RUNNING


@asset
def orders() -> int:
    return 1


orders_job = define_asset_job("orders_job", selection=[orders])


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def storage(tmp_path):
    with Storage(tmp_path / "home") as storage:
        yield storage


def scheduler_for(storage, *schedules, start: datetime) -> tuple[Scheduler, ManualClock]:
    clock = ManualClock(start)
    defs = Definitions(assets=[orders], jobs=[orders_job], schedules=list(schedules))
    return Scheduler(storage, defs, clock=clock, monitor_runs=False), clock


def ticks(storage, name):
    return list(reversed(storage.automation.list_ticks(name, InstigatorType.SCHEDULE)))


# ---- definitions -----------------------------------------------------------------------


def test_name_defaults_to_job_name_schedule():
    definition = ScheduleDefinition(cron_schedule="0 6 * * *", job=orders_job)
    assert definition.name == "orders_job_schedule"
    assert definition.timezone == "UTC"
    assert definition.default_status is DefaultScheduleStatus.STOPPED
    assert definition.job is orders_job


def test_target_asset_selection_builds_an_asset_job_definitions_can_find():
    definition = ScheduleDefinition(
        name="nightly", cron_schedule="0 1 * * *", target=AssetSelection.assets(orders)
    )
    defs = Definitions(assets=[orders], schedules=[definition])
    job = defs.resolve_job_def(definition.job_name)
    assert job.asset_keys == {orders.key}


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"cron_schedule": "every day"}, "'nightly'.*'every day'"),
        ({"cron_schedule": "0 6 * * *", "execution_timezone": "Europe/Nowhere"}, "Europe/Nowhere"),
        ({"cron_schedule": "0 25 * * *"}, "not a valid cron"),
    ],
)
def test_bad_cron_or_timezone_fails_at_definition_time(kwargs, fragment):
    with pytest.raises(ScheduleError, match=fragment):
        ScheduleDefinition(name="nightly", job=orders_job, **kwargs)


def test_decorated_schedule_results_are_normalized():
    @schedule("0 * * * *", job=orders_job, tags={"team": "a"})
    def hourly(context):
        hour = context.scheduled_execution_time.hour
        if hour == 3:
            return SkipReason("quiet hour")
        if hour == 4:
            return {"ops": {"orders": {"config": {"x": 1}}}}
        return [RunRequest(run_key=f"k{hour}", tags={"extra": "1"})]

    @schedule("0 * * * *", job=orders_job)
    def generator(context):
        yield RunRequest(run_key="a")
        yield RunRequest(run_key="b")

    def at(hour):
        return build_schedule_context(scheduled_execution_time=utc(2026, 1, 1, hour))

    assert hourly.evaluate_tick(at(3)).skip_message == "quiet hour"
    [request] = hourly.evaluate_tick(at(4)).run_requests
    assert request.run_config == {"ops": {"orders": {"config": {"x": 1}}}}
    [request] = hourly.evaluate_tick(at(5)).run_requests
    assert request.run_key == "k5"
    assert request.tags == {"team": "a", "extra": "1"}
    # Direct invocation returns what the function produced.
    assert hourly(at(5)) == [RunRequest(run_key="k5", tags={"extra": "1"})]
    assert [r.run_key for r in generator.evaluate_tick(at(1)).run_requests] == ["a", "b"]
    assert len(generator(at(1))) == 2


def test_schedule_may_take_resources_by_name():
    @schedule("0 * * * *", job=orders_job)
    def with_resource(context, settings):
        return RunRequest(tags={"region": settings["region"]})

    context = build_schedule_context(resources={"settings": {"region": "eu"}})
    assert with_resource.evaluate_tick(context).run_requests[0].tags == {"region": "eu"}


def test_partitioned_job_schedule_requests_the_partition_that_just_closed():
    daily = DailyPartitionsDefinition(start_date="2026-01-01", timezone="Europe/Berlin")

    @asset(partitions_def=daily)
    def events() -> int:
        return 1

    job = define_asset_job("events_job", selection=[events], partitions_def=daily)
    definition = build_schedule_from_partitioned_job(job, hour_of_day=2)
    assert definition.name == "events_job_schedule"
    assert definition.cron_schedule == "0 2 * * *"
    assert definition.timezone == "Europe/Berlin"
    context = build_schedule_context(
        scheduled_execution_time=datetime(2026, 3, 5, 2, tzinfo=BERLIN)
    )
    [request] = definition.evaluate_tick(context).run_requests
    assert request.partition_key == "2026-03-04"


def test_partitioned_job_without_time_partitions_is_refused():
    with pytest.raises(ScheduleError, match="time-window partitions"):
        build_schedule_from_partitioned_job(orders_job)


# ---- ticks with a moved clock ----------------------------------------------------------


def _run_hourly(scheduler, clock, until):
    while clock.now() < until:
        clock.advance(timedelta(hours=1))
        scheduler.run_once()


@pytest.mark.parametrize(
    ("start", "expected_utc_hours"),
    [
        (utc(2026, 3, 27), [5, 5, 4, 4]),  # spring forward on 29 March
        (utc(2026, 10, 23), [4, 4, 5, 5]),  # fall back on 25 October
    ],
)
def test_daily_berlin_schedule_across_dst(storage, start, expected_utc_hours):
    definition = ScheduleDefinition(
        name="morning",
        cron_schedule="0 6 * * *",
        job=orders_job,
        execution_timezone="Europe/Berlin",
        default_status=RUNNING,
    )
    scheduler, clock = scheduler_for(storage, definition, start=start)
    scheduler.run_once()  # first sight: starts from now
    _run_hourly(scheduler, clock, start + timedelta(days=4))
    history = ticks(storage, "morning")
    times = [datetime.fromtimestamp(t.timestamp, UTC) for t in history]
    assert [t.hour for t in times] == expected_utc_hours
    assert all(t.astimezone(BERLIN).hour == 6 for t in times)
    assert all(t.status is TickStatus.SUCCESS for t in history)
    runs = storage.runs.list_runs(ascending=True)
    assert len(runs) == 4
    assert {run.status for run in runs} == {DagsterRunStatus.QUEUED}  # no launcher here
    assert runs[0].tags["dagster/schedule_name"] == "morning"
    assert runs[0].tags["dagster/scheduled_execution_time"].endswith(("+01:00", "+02:00"))
    assert runs[0].asset_selection == {orders.key}


def test_gap_time_runs_once_on_the_spring_forward_day(storage):
    definition = ScheduleDefinition(
        name="night",
        cron_schedule="30 2 * * *",
        job=orders_job,
        execution_timezone="Europe/Berlin",
        default_status=RUNNING,
    )
    scheduler, clock = scheduler_for(storage, definition, start=utc(2026, 3, 28, 12))
    scheduler.run_once()
    for _ in range(24 * 4):  # every 15 minutes through the night
        clock.advance(timedelta(minutes=15))
        scheduler.run_once()
    [tick] = ticks(storage, "night")
    assert datetime.fromtimestamp(tick.timestamp, UTC) == utc(2026, 3, 29, 1)  # 03:00 CEST
    assert len(storage.runs.list_runs()) == 1


def test_hourly_schedule_after_three_days_of_downtime_runs_once(storage):
    definition = ScheduleDefinition(
        name="hourly", cron_schedule="0 * * * *", job=orders_job, default_status=RUNNING
    )
    scheduler, clock = scheduler_for(storage, definition, start=utc(2026, 3, 1, 0, 30))
    scheduler.run_once()
    clock.advance(timedelta(days=3))
    report = scheduler.run_once()
    assert len(report.schedule_ticks) == 1
    [tick] = ticks(storage, "hourly")
    assert datetime.fromtimestamp(tick.timestamp, UTC) == utc(2026, 3, 4, 0)
    assert len(storage.runs.list_runs()) == 1
    assert scheduler.run_once().schedule_ticks == ()  # nothing more is due


def test_catch_up_can_be_asked_for(storage):
    from assettui.automation.scheduler import SchedulerSettings

    definition = ScheduleDefinition(
        name="hourly", cron_schedule="0 * * * *", job=orders_job, default_status=RUNNING
    )
    clock = ManualClock(utc(2026, 3, 1, 0, 30))
    defs = Definitions(assets=[orders], schedules=[definition])
    scheduler = Scheduler(
        storage, defs, clock=clock, settings=SchedulerSettings(max_catchup_ticks=5),
        monitor_runs=False,
    )  # fmt: skip
    scheduler.run_once()
    clock.advance(timedelta(days=3))
    assert len(scheduler.run_once().schedule_ticks) == 5


def test_stopped_schedule_does_not_tick_and_restart_does_not_backfill(storage):
    definition = ScheduleDefinition(name="s", cron_schedule="0 * * * *", job=orders_job)
    scheduler, clock = scheduler_for(storage, definition, start=utc(2026, 3, 1, 0, 30))
    _run_hourly(scheduler, clock, utc(2026, 3, 1, 5))
    assert ticks(storage, "s") == []  # default STOPPED
    defs = scheduler.definitions()
    start_instigator(storage, defs, "s", clock.now())
    clock.advance(timedelta(minutes=10))
    scheduler.run_once()
    assert ticks(storage, "s") == []  # 05:00 passed before it was started
    clock.set(utc(2026, 3, 1, 6, 0))
    scheduler.run_once()
    assert len(ticks(storage, "s")) == 1
    [row] = list_instigators(storage, defs, clock.now())
    assert row.running and row.next_tick == utc(2026, 3, 1, 7)
    assert row.last_tick_status is TickStatus.SUCCESS
    stop_instigator(storage, defs, "s")
    clock.advance(timedelta(hours=3))
    scheduler.run_once()
    assert len(ticks(storage, "s")) == 1


def test_failing_schedule_records_the_error_and_keeps_ticking(storage):
    calls = []

    @schedule("0 * * * *", job=orders_job, default_status=RUNNING)
    def flaky(context):
        calls.append(context.scheduled_execution_time)
        if len(calls) == 1:
            raise RuntimeError("warehouse unreachable")
        return RunRequest()

    scheduler, clock = scheduler_for(storage, flaky, start=utc(2026, 3, 1, 0, 30))
    scheduler.run_once()
    _run_hourly(scheduler, clock, utc(2026, 3, 1, 2, 30))
    first, second = ticks(storage, "flaky")
    assert first.status is TickStatus.FAILURE
    assert "warehouse unreachable" in (first.error or "")
    assert "Traceback" in (first.error or "")
    assert second.status is TickStatus.SUCCESS


def test_a_tick_and_its_runs_commit_together(storage):
    @schedule("0 * * * *", job=orders_job, default_status=RUNNING)
    def half_bad(context):
        # The second request names a partition the job does not have: the whole tick fails
        # and the first request's run must not exist either.
        return [RunRequest(run_key="a"), RunRequest(run_key="b", partition_key="2026-01-01")]

    scheduler, clock = scheduler_for(storage, half_bad, start=utc(2026, 3, 1, 0, 30))
    scheduler.run_once()
    clock.advance(timedelta(hours=1))
    scheduler.run_once()
    [tick] = ticks(storage, "half_bad")
    assert tick.status is TickStatus.FAILURE
    assert "not partitioned" in (tick.error or "")
    assert storage.runs.list_runs() == []
    assert storage.automation.run_id_for_key("schedule:half_bad", "a") is None


def test_skip_reason_is_recorded(storage):
    @schedule("0 * * * *", job=orders_job, default_status=RUNNING)
    def quiet(context):
        return SkipReason("holiday")

    scheduler, clock = scheduler_for(storage, quiet, start=utc(2026, 3, 1, 0, 30))
    scheduler.run_once()
    clock.advance(timedelta(hours=1))
    scheduler.run_once()
    [tick] = ticks(storage, "quiet")
    assert tick.status is TickStatus.SKIPPED
    assert tick.skip_reason == "holiday"


def test_partitioned_schedule_runs_carry_the_partition(storage):
    daily = DailyPartitionsDefinition(start_date="2026-01-01")

    @asset(partitions_def=daily)
    def events() -> int:
        return 1

    job = define_asset_job("events_job", selection=[events])
    definition = build_schedule_from_partitioned_job(job, default_status=RUNNING)
    clock = ManualClock(utc(2026, 3, 4, 23))
    defs = Definitions(assets=[events], jobs=[job], schedules=[definition])
    scheduler = Scheduler(storage, defs, clock=clock, monitor_runs=False)
    scheduler.run_once()
    clock.advance(timedelta(hours=2))
    scheduler.run_once()
    [run] = storage.runs.list_runs()
    assert run.partition_key == "2026-03-04"
    assert run.tags[sched.PARTITION_TAG] == "2026-03-04"
