"""Dagster compatibility: run status / run failure sensors and observable source assets.

Run status sensors are driven by the real scheduler over a real SQLite instance, with runs
executed in process (``materialize`` / ``execute_in_process``) on the same instance.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from assettui.automation.clock import ManualClock
from assettui.automation.scheduler import Scheduler
from assettui.errors import DefinitionError, ExecutionError, ScheduleError
from assettui.execution.in_process import materialize
from assettui.execution.observe import observe
from assettui.model.asset_key import AssetKey
from assettui.model.assets.decorator import asset
from assettui.model.assets.observable import (
    DATA_VERSION_TAG,
    ObservableSourceAsset,
    ObserveResult,
    observable_source_asset,
)
from assettui.model.assets.spec import SourceAsset
from assettui.model.automation.run_status_sensors import (
    FETCH_LIMIT,
    RunFailureSensorContext,
    RunStatusSensorContext,
    RunStatusSensorDefinition,
    RunStatusSensorExecutionError,
    build_run_status_sensor_context,
    run_failure_sensor,
    run_status_sensor,
)
from assettui.model.automation.schedules import RunRequest
from assettui.model.automation.sensors import (
    DefaultSensorStatus,
    SensorDefinition,
    build_sensor_context,
)
from assettui.model.definitions import Definitions
from assettui.model.jobs import define_asset_job
from assettui.model.results import DataVersion
from assettui.storage import DagsterEventType, DagsterRunStatus, InstigatorType, NewEvent, Storage
from assettui.storage.instance import DagsterInstance

START = datetime(2026, 3, 1, 12, tzinfo=UTC)
RUNNING = DefaultSensorStatus.RUNNING


@asset
def good() -> int:
    return 1


@asset
def bad() -> int:
    raise ValueError("the warehouse is down")


good_job = define_asset_job("good_job", selection=[good])
bad_job = define_asset_job("bad_job", selection=[bad])


@pytest.fixture
def instance(tmp_path: Path):
    instance = DagsterInstance(Storage(tmp_path / "home"))
    yield instance
    instance.dispose()


def scheduler_for(
    instance: DagsterInstance, *sensors
) -> tuple[Scheduler, ManualClock, Definitions]:
    defs = Definitions(assets=[good, bad], jobs=[good_job, bad_job], sensors=list(sensors))
    clock = ManualClock(START)
    scheduler = Scheduler(instance.storage, defs, clock=clock, monitor_runs=False)
    return scheduler, clock, defs


def ticks(instance: DagsterInstance, name: str):
    return list(reversed(instance.storage.automation.list_ticks(name, InstigatorType.SENSOR)))


def run_job(defs: Definitions, name: str, instance: DagsterInstance):
    return defs.resolve_job_def(name).execute_in_process(instance=instance, raise_on_error=False)


# ---- definitions -----------------------------------------------------------------------------


def test_run_failure_sensor_defaults_and_bare_use() -> None:
    @run_failure_sensor
    def alert(context):
        return None

    assert isinstance(alert, SensorDefinition) and isinstance(alert, RunStatusSensorDefinition)
    assert alert.name == "alert" and alert.run_status is DagsterRunStatus.FAILURE
    assert alert.minimum_interval_seconds == 30
    assert alert.default_status is DefaultSensorStatus.STOPPED
    assert alert.event_type is DagsterEventType.RUN_FAILURE

    @run_status_sensor(run_status=DagsterRunStatus.SUCCESS, name="on_ok", request_job=good_job)
    def ok(context):
        return None

    assert ok.name == "on_ok" and ok.job is good_job


def test_conflicting_monitoring_arguments_are_refused() -> None:
    with pytest.raises(ScheduleError, match="not both"):
        run_failure_sensor(monitored_jobs=[bad_job], monitor_all_code_locations=True)(
            lambda context: None
        )
    with pytest.raises(ScheduleError, match="monitored_jobs must hold jobs"):
        run_failure_sensor(monitored_jobs=[42])(lambda context: None)
    with pytest.raises(ScheduleError, match="no status event"):
        run_status_sensor(DagsterRunStatus.NOT_STARTED)(lambda context: None)


def test_direct_invocation_with_a_built_context(instance: DagsterInstance) -> None:
    seen = []

    @run_failure_sensor
    def alert(context):
        seen.append((type(context), context.dagster_run.run_id, context.failure_event.message))

    result = materialize([bad], instance=instance, raise_on_error=False)
    context = build_run_status_sensor_context(
        sensor_name="alert",
        dagster_event=result.get_run_failure_event(),
        dagster_instance=instance,
        dagster_run=result.dagster_run,
    )
    alert(context)
    [(kind, run_id, message)] = seen
    assert kind is RunFailureSensorContext and run_id == result.run_id
    assert "failed" in message
    with pytest.raises(ScheduleError, match="build_run_status_sensor_context"):
        alert(build_sensor_context())


# ---- through the scheduler ---------------------------------------------------------------


def test_failure_sensor_sees_each_failed_run_once(instance: DagsterInstance) -> None:
    handled: list[tuple[str, str, list[str]]] = []

    @run_failure_sensor(default_status=RUNNING)
    def alert(context: RunFailureSensorContext):
        errors = [
            e.event_specific_data.error.to_string() for e in context.get_step_failure_events()
        ]
        handled.append((context.dagster_run.run_id, context.sensor_name, errors))

    old = materialize([bad], instance=instance, raise_on_error=False)
    scheduler, clock, _ = scheduler_for(instance, alert)
    scheduler.run_once()  # first tick: start at the end of the log, no alert for old runs
    assert handled == []
    assert "Initiating" in (ticks(instance, "alert")[-1].skip_reason or "")

    failed = materialize([bad], instance=instance, raise_on_error=False)
    materialize([good], instance=instance)
    clock.advance(timedelta(seconds=30))
    scheduler.run_once()
    [(run_id, name, errors)] = handled
    assert run_id == failed.run_id != old.run_id and name == "alert"
    assert len(errors) == 1 and "the warehouse is down" in errors[0]

    clock.advance(timedelta(seconds=30))
    scheduler.run_once()
    assert len(handled) == 1
    assert [t.status.value for t in ticks(instance, "alert")] == ["SKIPPED"] * 3


def test_monitored_jobs_filter_and_success_status(instance: DagsterInstance) -> None:
    seen: list[str] = []

    @run_status_sensor(
        run_status=DagsterRunStatus.SUCCESS, monitored_jobs=[good_job], default_status=RUNNING
    )
    def on_good(context: RunStatusSensorContext):
        seen.append(context.dagster_run.job_name)

    scheduler, clock, defs = scheduler_for(instance, on_good)
    scheduler.run_once()
    run_job(defs, "good_job", instance)
    run_job(defs, "bad_job", instance)
    materialize([good], instance=instance)  # the implicit asset job: not monitored
    clock.advance(timedelta(seconds=30))
    scheduler.run_once()
    assert seen == ["good_job"]


def test_a_returned_run_request_launches_the_request_job(instance: DagsterInstance) -> None:
    @run_failure_sensor(request_job=good_job, default_status=RUNNING)
    def recover(context):
        return RunRequest(run_key=f"recover-{context.dagster_run.run_id}")

    scheduler, clock, _ = scheduler_for(instance, recover)
    scheduler.run_once()
    failed = materialize([bad], instance=instance, raise_on_error=False)
    clock.advance(timedelta(seconds=30))
    report = scheduler.run_once()
    [run_id] = report.requested_run_ids
    run = instance.get_run_by_id(run_id)
    assert run is not None and run.job_name == "good_job"
    assert run.tags["dagster/run_key"] == f"recover-{failed.run_id}"
    assert run.tags["dagster/sensor_name"] == "recover"


def test_one_tick_stops_at_the_first_run_that_returns_something(instance: DagsterInstance) -> None:
    calls: list[str] = []

    @run_failure_sensor(request_job=good_job)
    def recover(context):
        calls.append(context.dagster_run.run_id)
        return RunRequest(run_key=context.dagster_run.run_id)

    storage = instance.storage
    start = json.dumps({"record_id": storage.event_log.latest_storage_id()})
    first = materialize([bad], instance=instance, raise_on_error=False)
    second = materialize([bad], instance=instance, raise_on_error=False)
    evaluation = recover.evaluate_tick(build_sensor_context(instance=instance, cursor=start))
    assert calls == [first.run_id] and len(evaluation.run_requests) == 1
    again = recover.evaluate_tick(build_sensor_context(instance=instance, cursor=evaluation.cursor))
    assert calls == [first.run_id, second.run_id] and again.run_requests[0].run_key == second.run_id


def test_a_raising_sensor_fails_its_tick_and_names_the_run(instance: DagsterInstance) -> None:
    @run_failure_sensor(default_status=RUNNING)
    def broken(context):
        raise RuntimeError("slack is down")

    scheduler, clock, _ = scheduler_for(instance, broken)
    scheduler.run_once()
    failed = materialize([bad], instance=instance, raise_on_error=False)
    clock.advance(timedelta(seconds=30))
    scheduler.run_once()
    last = ticks(instance, "broken")[-1]
    assert last.status.value == "FAILURE"
    assert "slack is down" in (last.error or "") and failed.run_id in (last.error or "")
    cursor = instance.storage.automation.get_state("broken", InstigatorType.SENSOR).cursor
    with pytest.raises(RunStatusSensorExecutionError) as caught:
        broken.evaluate_tick(build_sensor_context(instance=instance, cursor=cursor))
    assert json.loads(caught.value.cursor)["record_id"] > json.loads(cursor)["record_id"]


def test_a_quiet_log_moves_the_cursor_to_its_end(instance: DagsterInstance) -> None:
    @run_failure_sensor
    def alert(context):
        raise AssertionError("no run failed")

    storage = instance.storage
    start = storage.event_log.latest_storage_id()
    storage.event_log.store_events(
        [NewEvent(None, DagsterEventType.LOG, f"noise {i}") for i in range(3 * FETCH_LIMIT)]
    )
    context = build_sensor_context(instance=instance, cursor=json.dumps({"record_id": start}))
    evaluation = alert.evaluate_tick(context)
    assert json.loads(evaluation.cursor or "")["record_id"] == storage.event_log.latest_storage_id()
    assert evaluation.skip_message == "No new FAILURE runs."


def test_a_run_status_sensor_needs_an_instance() -> None:
    @run_failure_sensor
    def alert(context):
        return None

    with pytest.raises(ScheduleError, match="needs an instance"):
        alert.evaluate_tick(build_sensor_context())


# ---- observable source assets ---------------------------------------------------------------


@observable_source_asset(group_name="vendor")
def vendor_file():
    """The vendor's daily drop."""
    return DataVersion("v1")


def test_observable_source_asset_is_an_external_asset() -> None:
    assert isinstance(vendor_file, ObservableSourceAsset) and isinstance(vendor_file, SourceAsset)
    assert vendor_file.key == AssetKey("vendor_file")
    assert vendor_file.description == "The vendor's daily drop."
    assert vendor_file.group_name == "vendor" and vendor_file.is_observable
    defs = Definitions(assets=[vendor_file])
    node = defs.resolve_asset_graph().get(AssetKey("vendor_file"))
    assert not node.assets_def.is_executable

    @observable_source_asset(key=["vendor", "prices"], io_manager_key="blob")
    def prices():
        return DataVersion("x")

    assert prices.key == AssetKey(["vendor", "prices"]) and prices.io_manager_key == "blob"
    with pytest.raises(DefinitionError, match="not both"):
        observable_source_asset(key="a", name="b")(lambda: None)


def test_observe_records_the_data_version(instance: DagsterInstance) -> None:
    result = observe([vendor_file], instance=instance)
    assert result.success
    [event] = result.get_asset_observation_events()
    assert event.asset_key == AssetKey("vendor_file")
    records = instance.fetch_observations(AssetKey("vendor_file"), limit=5).records
    [observation] = [r.asset_observation for r in records]
    assert observation is not None and observation.tags[DATA_VERSION_TAG] == "v1"
    run = instance.get_run_by_id(result.run_id)
    assert run is not None and run.status is DagsterRunStatus.SUCCESS


def test_observe_result_carries_metadata_tags_and_resources(instance: DagsterInstance) -> None:
    @observable_source_asset(required_resource_keys={"vendor_api"})
    def feed(context, vendor_api):
        context.log.info("asking the vendor")
        return ObserveResult(
            metadata={"rows": vendor_api["rows"]}, data_version="7", tags={"source": "api"}
        )

    observe([feed], instance=instance, resources={"vendor_api": {"rows": 42}})
    [record] = instance.fetch_observations(AssetKey("feed"), limit=1).records
    observation = record.asset_observation
    assert observation is not None
    assert observation.metadata["rows"].value == 42
    assert observation.tags == {"source": "api", DATA_VERSION_TAG: "7"}


def test_a_failing_observation_fails_the_run(instance: DagsterInstance) -> None:
    @observable_source_asset
    def flaky():
        raise ConnectionError("vendor unreachable")

    @observable_source_asset
    def wrong():
        return 3

    result = observe([flaky, wrong, vendor_file], instance=instance, raise_on_error=False)
    assert not result.success
    assert [e.step_key for e in result.all_events if e.is_step_failure] == ["flaky", "wrong"]
    assert len(result.get_asset_observation_events()) == 1
    run = instance.get_run_by_id(result.run_id)
    assert run is not None and run.status is DagsterRunStatus.FAILURE
    with pytest.raises(ExecutionError, match="vendor unreachable"):
        observe([flaky], instance=instance)
    with pytest.raises(DefinitionError, match="no observable"):
        observe([good], instance=instance)
