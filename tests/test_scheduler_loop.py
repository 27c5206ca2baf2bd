"""The scheduler loop: passes, the thread, the run monitor, and crashes of real processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from benchmarks.scheduler_pass import scheduler_pass_seconds

from assettui.automation.clock import ManualClock, SystemClock
from assettui.automation.run_monitor import RunMonitor
from assettui.automation.scheduler import Scheduler, SchedulerThread
from assettui.errors import StorageError
from assettui.model.assets.decorator import asset
from assettui.model.automation.schedules import DefaultScheduleStatus, ScheduleDefinition
from assettui.model.definitions import Definitions
from assettui.model.selection.asset_selection import AssetSelection
from assettui.storage import (
    DagsterRun,
    DagsterRunStatus,
    InstigatorType,
    Storage,
    TickStatus,
)

START = datetime(2026, 3, 1, 0, 30, tzinfo=UTC)


class CompletingLauncher:
    def __init__(self, storage: Storage):
        self.storage = storage
        self.launched: list[str] = []

    def launch(self, run_id: str) -> None:
        self.launched.append(run_id)
        self.storage.runs.update_run_status(run_id, DagsterRunStatus.STARTED)
        self.storage.runs.update_run_status(run_id, DagsterRunStatus.SUCCESS)


@asset
def numbers() -> int:
    return 1


hourly = ScheduleDefinition(
    name="hourly",
    cron_schedule="0 * * * *",
    target=AssetSelection.assets(numbers),
    default_status=DefaultScheduleStatus.RUNNING,
)


@pytest.fixture
def storage(tmp_path):
    with Storage(tmp_path / "home") as storage:
        yield storage


def test_run_once_uses_the_clock_and_launches_what_it_queued(storage):
    clock = ManualClock(START)
    launcher = CompletingLauncher(storage)
    defs = Definitions(assets=[numbers], schedules=[hourly])
    scheduler = Scheduler(storage, defs, launcher, clock=clock, monitor_runs=False)
    assert scheduler.run_once().now == START
    clock.advance(timedelta(hours=1))
    report = scheduler.run_once()
    assert report.now == START + timedelta(hours=1)
    assert report.launched_run_ids == report.requested_run_ids
    [run_id] = report.launched_run_ids
    assert storage.runs.get_run(run_id).status is DagsterRunStatus.SUCCESS
    assert report.duration_seconds >= 0


def test_queue_and_monitor_keep_running_when_definitions_do_not_load(storage):
    queued = storage.runs.create_run(DagsterRun(status=DagsterRunStatus.QUEUED))
    launcher = CompletingLauncher(storage)

    def broken():
        raise SyntaxError("bad edit in definitions.py")

    scheduler = Scheduler(storage, broken, launcher, clock=ManualClock(START), monitor_runs=False)
    report = scheduler.run_once()
    assert [stage for stage, _ in report.errors] == ["definitions"]
    assert "bad edit" in report.errors[0][1]
    assert report.launched_run_ids == (queued.run_id,)

    none_scheduler = Scheduler(storage, lambda: None, launcher, clock=ManualClock(START))
    assert none_scheduler.run_once().errors == ()


def test_scheduler_thread_runs_passes_until_stopped(storage):
    seen = threading.Event()
    reports = []

    def on_pass(report):
        reports.append(report)
        if len(reports) >= 2:
            seen.set()

    defs = Definitions(assets=[numbers], schedules=[hourly])
    scheduler = Scheduler(storage, defs, clock=SystemClock(), monitor_runs=False)
    thread = SchedulerThread(scheduler, interval_seconds=0.01, on_pass=on_pass)
    thread.start()
    assert seen.wait(10)
    assert thread.is_running
    thread.stop()
    assert not thread.is_running
    assert thread.passes >= 2 and thread.last_report is not None


def test_monitor_ends_runs_stuck_canceling(storage):
    run = storage.runs.create_run(DagsterRun(status=DagsterRunStatus.QUEUED))
    storage.runs.update_run_status(run.run_id, DagsterRunStatus.STARTING)
    storage.runs.update_run_status(run.run_id, DagsterRunStatus.CANCELING)
    monitor = RunMonitor(dead_worker_check=None, canceling_timeout_seconds=60)
    assert monitor.check(storage) == []
    later = RunMonitor(
        dead_worker_check=None, canceling_timeout_seconds=60, wall_clock=lambda: time.time() + 120
    )
    assert later.check(storage) == [run.run_id]
    assert storage.runs.get_run(run.run_id).status is DagsterRunStatus.CANCELED


def test_monitor_fails_a_run_whose_worker_died(storage):
    worker = subprocess.Popen([sys.executable, "-c", "pass"])
    worker.wait()
    run = storage.runs.create_run(DagsterRun(status=DagsterRunStatus.QUEUED))
    storage.runs.update_run_status(run.run_id, DagsterRunStatus.STARTING)
    storage.runs.update_run_status(run.run_id, DagsterRunStatus.STARTED)
    storage.runs.set_run_pid(run.run_id, worker.pid)
    scheduler = Scheduler(storage, lambda: None, clock=ManualClock(START))
    report = scheduler.run_once()
    assert report.ended_run_ids == (run.run_id,)
    assert storage.runs.get_run(run.run_id).status is DagsterRunStatus.FAILURE


def test_benchmark_function_reports_a_pass_time():
    seconds = scheduler_pass_seconds(n_schedules=20, n_sensors=5, repeat=2)
    assert isinstance(seconds, float) and seconds > 0


# ---- crashes of real processes -----------------------------------------------------------

DAEMON = textwrap.dedent(
    """
    import os, signal, sys
    from datetime import datetime

    from assettui.automation.clock import ManualClock
    from assettui.automation.scheduler import Scheduler
    from assettui.model.assets.decorator import asset
    from assettui.model.definitions import Definitions
    from assettui.model.automation.schedules import DefaultScheduleStatus, ScheduleDefinition
    from assettui.model.selection.asset_selection import AssetSelection
    from assettui.model.automation.sensors import DefaultSensorStatus, RunRequest, sensor
    from assettui.storage import DagsterRunStatus, Storage

    home, mode, now = sys.argv[1], sys.argv[2], datetime.fromisoformat(sys.argv[3])

    @asset
    def numbers() -> int:
        return 1

    @sensor(asset_selection=[numbers], default_status=DefaultSensorStatus.RUNNING)
    def files(context):
        if mode == "crash-in-sensor":
            os.kill(os.getpid(), signal.SIGKILL)  # dies before the tick commits
        return RunRequest(run_key="file-1")

    hourly = ScheduleDefinition(
        name="hourly", cron_schedule="0 * * * *", target=AssetSelection.assets(numbers),
        default_status=DefaultScheduleStatus.RUNNING,
    )

    class CompletingLauncher:
        def __init__(self, storage):
            self.storage = storage

        def launch(self, run_id):
            self.storage.runs.update_run_status(run_id, DagsterRunStatus.STARTED)
            self.storage.runs.update_run_status(run_id, DagsterRunStatus.SUCCESS)

    storage = Storage(home)
    defs = Definitions(assets=[numbers], schedules=[hourly], sensors=[files])
    launcher = CompletingLauncher(storage) if mode == "resume" else None
    scheduler = Scheduler(storage, defs, launcher, clock=ManualClock(now), monitor_runs=False)
    scheduler.run_once()
    if mode == "crash-after-commit":
        os.kill(os.getpid(), signal.SIGKILL)  # the tick and its QUEUED runs are committed
    """
)


@pytest.mark.slow
def test_sigkill_mid_pass_neither_duplicates_nor_loses_runs(tmp_path):
    script = tmp_path / "daemon.py"
    script.write_text(DAEMON)
    home = tmp_path / "home"

    def daemon(mode, now):
        return subprocess.run(
            [sys.executable, str(script), str(home), mode, now.isoformat()],
            capture_output=True,
            text=True,
            timeout=120,
        )

    first = daemon("crash-after-commit", START)  # schedule starts now; sensor run committed
    assert first.returncode == -signal.SIGKILL, first.stderr
    second = daemon("crash-in-sensor", START + timedelta(minutes=31))  # 01:00 tick committed
    assert second.returncode == -signal.SIGKILL, second.stderr
    third = daemon("resume", START + timedelta(minutes=32))
    assert third.returncode == 0, third.stderr
    fourth = daemon("resume", START + timedelta(minutes=33))
    assert fourth.returncode == 0, fourth.stderr

    storage = Storage(home)
    runs = storage.runs.list_runs(ascending=True)
    origins = sorted(
        run.tags.get("dagster/schedule_name") or run.tags["dagster/sensor_name"] for run in runs
    )
    assert origins == ["files", "hourly"]  # one sensor run (run key), one schedule tick
    assert {run.status for run in runs} == {DagsterRunStatus.SUCCESS}
    schedule_ticks = storage.automation.list_ticks("hourly", InstigatorType.SCHEDULE)
    assert [t.status for t in schedule_ticks] == [TickStatus.SUCCESS]
    sensor_ticks = storage.automation.list_ticks("files", InstigatorType.SENSOR)
    # The evaluation killed mid-way left no tick; later ones found the key already used.
    assert sensor_ticks[-1].status is TickStatus.SUCCESS
    assert all(t.status is TickStatus.SKIPPED for t in sensor_ticks[:-1])
    storage.close()
    assert os.path.exists(home / "assettui.db")


def test_a_pass_commits_nothing_while_the_instance_folder_is_deleted_then_reopens_it(
    storage, tmp_path
):
    """A daemon whose instance folder was deleted ticks nothing into the deleted file (the
    ticks would be lost) and does not make the folder again; once the folder is restored,
    the next pass re-opens it and ticks there."""
    import shutil

    clock = ManualClock(START)
    launcher = CompletingLauncher(storage)
    defs = Definitions(assets=[numbers], schedules=[hourly])
    scheduler = Scheduler(storage, defs, launcher, clock=clock, monitor_runs=False)
    scheduler.run_once()
    backup = tmp_path / "backup"
    shutil.copytree(storage.home, backup)
    shutil.rmtree(storage.home)
    clock.advance(timedelta(hours=1))
    report = scheduler.run_once()
    assert not report.launched_run_ids
    [(stage, message)] = report.errors
    assert stage == "instance" and "was deleted" in message and str(storage.home) in message
    assert not storage.home.exists()
    with pytest.raises(StorageError, match="was deleted"):
        storage.runs.create_run(DagsterRun(job_name="__ASSET_JOB"))

    shutil.copytree(backup, storage.home)
    report = scheduler.run_once()
    assert not report.errors and len(report.launched_run_ids) == 1
    with Storage(storage.home) as on_disk:  # the tick's run is in the restored file
        assert [r.run_id for r in on_disk.runs.list_runs()] == list(report.launched_run_ids)
