"""`assettui automation ...`, `assettui daemon` and `materialize --partition-range`, as processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

PROJECT = """
import assettui as dg

daily = dg.DailyPartitionsDefinition(start_date="2026-01-01", end_date="2026-02-01")

@dg.asset(partitions_def=daily, backfill_policy=dg.BackfillPolicy.single_run())
def events(context):
    # a range run returns one value per partition
    return {key: f"events of {key}" for key in context.partition_keys}

@dg.asset(partitions_def=daily, backfill_policy=dg.BackfillPolicy.single_run())
def rollup(context, events):
    context.log.info(f"range {context.partition_key_range.start}..{context.partition_key_range.end}")
    assert sorted(events) == context.partition_keys  # one upstream value per partition
    return {key: len(events) for key in context.partition_keys}

job = dg.define_asset_job("events_job", selection=[events, rollup], partitions_def=daily)
nightly = dg.ScheduleDefinition(job=job, cron_schedule="0 6 * * *")

@dg.sensor(job=job, minimum_interval_seconds=1)
def watcher(context):
    yield dg.SkipReason("nothing new")

defs = dg.Definitions(assets=[events, rollup], jobs=[job], schedules=[nightly], sensors=[watcher])
"""


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "ASSETTUI_HOME"}
    return subprocess.run(
        [sys.executable, "-m", "assettui.cli.main_entry", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def start_daemon(project: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k != "ASSETTUI_HOME"}
    return subprocess.Popen(
        [sys.executable, "-m", "assettui.cli.main_entry", "daemon", str(project)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def test_automation_list_start_stop_reset(write_project) -> None:
    project = write_project(PROJECT)
    listed = run("automation", "list", str(project))
    assert listed.returncode == 0, listed.stderr
    lines = {line.split()[0]: line for line in listed.stdout.splitlines()}
    assert "off" in lines["events_job_schedule"] and "off" in lines["watcher"]
    assert run("automation", "start", str(project), "events_job_schedule").returncode == 0
    lines = {
        ln.split()[0]: ln for ln in run("automation", "list", str(project)).stdout.splitlines()
    }
    assert " on " in lines["events_job_schedule"] and "next: 20" in lines["events_job_schedule"]
    assert run("automation", "stop", str(project), "events_job_schedule").returncode == 0
    assert run("automation", "reset-cursor", str(project), "watcher").returncode == 0
    unknown = run("automation", "start", str(project), "nope")
    assert unknown.returncode == 2 and "No schedule or sensor named 'nope'" in unknown.stderr


def test_daemon_once_runs_a_started_schedule_at_the_given_time(write_project) -> None:
    project = write_project(PROJECT)
    assert run("automation", "start", str(project), "events_job_schedule").returncode == 0
    # the schedule started "now"; a pass at a later 06:00 is due
    out = run("daemon", str(project), "--once", "--now", "2036-01-10T06:00:30+00:00")
    assert out.returncode == 0, out.stderr
    assert "1 runs requested" in out.stdout


def test_daemon_stops_cleanly_on_ctrl_c(write_project) -> None:
    project = write_project(PROJECT)
    proc = start_daemon(project)
    time.sleep(2.0)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "daemon stopped." in out


def test_materialize_partition_range_is_one_run(write_project) -> None:
    project = write_project(PROJECT)
    out = run("materialize", str(project), "--partition-range", "2026-01-03...2026-01-05")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "range 2026-01-03..2026-01-05" in out.stdout
    runs = json.loads(run("runs", str(project), "--json").stdout)
    assert len(runs) == 1 and runs[0]["partition"] == "2026-01-03...2026-01-05"


def test_range_run_returning_one_value_fails_with_a_clear_message(write_project) -> None:
    project = write_project(
        PROJECT.replace(
            'return {key: f"events of {key}" for key in context.partition_keys}', "return 1"
        )
    )
    out = run(
        "materialize",
        str(project),
        "--select",
        "key:events",
        "--partition-range",
        "2026-01-03...2026-01-04",
    )
    assert out.returncode == 1
    assert "returned a single value" in out.stdout and "one value per partition" in out.stdout


RELOADING = """
import assettui as dg

@dg.asset
def thing():
    return 1

@dg.sensor(target=[thing], minimum_interval_seconds=1, default_status=dg.DefaultSensorStatus.RUNNING)
def watcher(context):
    return dg.SkipReason("VERSION")

defs = dg.Definitions(assets=[thing], sensors=[watcher])
"""


def test_daemon_hot_reloads_the_project_on_save(write_project) -> None:
    from assettui.project import find_project, resolve_home
    from assettui.storage import InstigatorType, Storage

    project = write_project(RELOADING.replace("VERSION", "version one"))
    home = resolve_home(find_project(project))
    proc = start_daemon(project)

    def wait_for_skip(reason: str) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if home.exists():
                with Storage(home) as storage:
                    ticks = storage.automation.list_ticks("watcher", InstigatorType.SENSOR)
                if ticks and ticks[0].skip_reason == reason:
                    return
            time.sleep(0.2)
        proc.kill()
        raise AssertionError(f"no tick skipped with {reason!r}: {proc.communicate()}")

    try:
        wait_for_skip("version one")
        broken = project / "definitions.py"
        broken.write_text("import assettui as dg\nraise RuntimeError('half-saved')\n")
        time.sleep(1.5)  # a broken save keeps the last definitions that loaded
        wait_for_skip("version one")
        broken.write_text(RELOADING.replace("VERSION", "version two"))
        wait_for_skip("version two")
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    assert "reloaded" in out and "half-saved" in err
