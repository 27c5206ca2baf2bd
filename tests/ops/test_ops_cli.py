"""A project mixing ops and assets, driven from the CLI with real run workers: job list and
execute, materialize --job, a sensor targeting an op job, a partitioned op job, errors."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "ops_and_assets"


def assettui(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ}
    env.pop("ASSETTUI_HOME", None)
    return subprocess.run(
        [sys.executable, "-m", "assettui.cli.main_entry", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    target = tmp_path / "ops_and_assets"
    shutil.copytree(FIXTURE, target)
    return target


def _runs(project: Path) -> list[dict]:
    out = assettui("runs", "--json", cwd=project)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_job_list_and_execute_an_op_job_with_config(project: Path) -> None:
    listed = assettui("job", "list", cwd=project)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0].split() == ["asset_job", "3", "assets"]
    assert lines[1].split() == ["daily_job", "1", "ops", "DailyPartitionsDefinition"]
    assert lines[2].split() == ["file_job", "3", "ops"]
    (project / "config.yaml").write_text(
        "ops:\n  list_files:\n    config:\n      files: [x.csv, yy.txt]\n"
    )
    run = assettui("job", "execute", "-j", "file_job", "-c", "config.yaml", cwd=project)
    assert run.returncode == 0, run.stderr
    assert "[process[x_csv]] STEP_SUCCESS" in run.stdout
    assert "[total_size] total 11" in run.stdout
    assert "[process[yy_txt]] processing yy.txt" in run.stdout  # captured print, per step
    (stored,) = _runs(project)
    assert stored["job_name"] == "file_job" and stored["status"] == "SUCCESS"
    assert (
        project / ".assettui" / "storage" / stored["run_id"] / "total_size" / "result"
    ).is_file()


def test_bad_config_unknown_jobs_and_partitions_are_refused_before_a_run(project: Path) -> None:
    (project / "bad.yaml").write_text("ops:\n  list_files:\n    config:\n      files: 3\n")
    bad = assettui("job", "execute", "-j", "file_job", "-c", "bad.yaml", cwd=project)
    assert bad.returncode == 2
    assert "op 'list_files'" in bad.stderr and "expected a list" in bad.stderr
    unknown = assettui("job", "execute", "-j", "nope", cwd=project)
    assert (
        unknown.returncode == 2 and "Jobs defined: asset_job, daily_job, file_job" in unknown.stderr
    )
    early = assettui("materialize", "--job", "daily_job", "--partition", "1999-01-01", cwd=project)
    assert early.returncode == 2 and "not a partition of job 'daily_job'" in early.stderr
    assert "Traceback" not in bad.stderr + unknown.stderr + early.stderr
    assert _runs(project) == []


def test_materialize_job_runs_partitioned_op_jobs_and_asset_jobs(project: Path) -> None:
    daily = assettui("materialize", "--job", "daily_job", "--partition", "2024-02-03", cwd=project)
    assert daily.returncode == 0, daily.stderr
    assert "[load_day] loading 2024-02-03" in daily.stdout
    assets = assettui("materialize", "--job", "asset_job", cwd=project)
    assert assets.returncode == 0, assets.stderr
    assert "[order_summary.count] STEP_SUCCESS" in assets.stdout  # the graph asset's ops
    runs = {r["job_name"]: r for r in _runs(project)}
    assert runs["daily_job"]["partition"] == "2024-02-03"
    assert runs["daily_job"]["tags"]["dagster/partition"] == "2024-02-03"
    assert set(runs["asset_job"]["asset_selection"]) == {
        "raw_orders", "order_summary", "summary_report",
    }  # fmt: skip


def test_a_sensor_targeting_an_op_job_launches_it_with_its_run_config(project: Path) -> None:
    assert assettui("automation", "start", "new_file_sensor", cwd=project).returncode == 0
    tick = assettui("daemon", "--once", "--wait", cwd=project)
    assert tick.returncode == 0, tick.stderr
    (run,) = _runs(project)
    assert run["job_name"] == "file_job" and run["status"] == "SUCCESS"
    assert run["tags"]["dagster/sensor_name"] == "new_file_sensor"
    logs = assettui("logs", "latest", cwd=project)
    assert "[total_size] total 11" in logs.stdout


MULTIPROCESS_PROJECT = """
import os
import dagster as dg


@dg.op(out=dg.DynamicOut())
def fan():
    for i in range(3):
        yield dg.DynamicOutput(i, mapping_key=f"k{i}")


@dg.op
def work(x: int) -> int:
    print(f"pid={os.getpid()} x={x}")
    return x * 10


@dg.op
def gather(context, xs: list) -> int:
    context.log.info(f"gathered {sorted(xs)} in pid {os.getpid()}")
    return sum(xs)


@dg.job(executor_def=dg.multiprocess_executor.configured({"max_concurrent": 2}))
def fan_job():
    gather(fan().map(work).collect())


defs = dg.Definitions(jobs=[fan_job])
"""


def test_op_steps_and_mapped_steps_run_in_forked_processes(write_project) -> None:
    project = write_project(MULTIPROCESS_PROJECT)
    run = assettui("job", "execute", "-j", "fan_job", cwd=project)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "gathered [0, 10, 20]" in run.stdout
    pids = {line.split("pid=")[1].split()[0] for line in run.stdout.splitlines() if "pid=" in line}
    worker_pid = run.stdout.split("gathered [0, 10, 20] in pid ")[1].split()[0]
    assert len(pids) == 3 and worker_pid not in pids  # one process per mapped step


def test_backfill_of_a_partitioned_op_job_runs_each_partition_with_its_config(project) -> None:
    out = assettui(
        "backfill", "--job", "daily_job", "--from", "2024-03-01", "--to", "2024-03-03",
        cwd=project,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "3 runs of job daily_job" in out.stderr and "COMPLETED" in out.stderr
    runs = _runs(project)
    assert sorted(r["partition"] for r in runs) == ["2024-03-01", "2024-03-02", "2024-03-03"]
    assert {r["job_name"] for r in runs} == {"daily_job"}
    for run in runs:
        logs = assettui("logs", run["run_id"], cwd=project).stdout
        assert f"[load_day] loading {run['partition']}" in logs
    bad = assettui("backfill", "--job", "daily_job", "--partitions", "1999-01-01", cwd=project)
    assert bad.returncode == 2 and "not a partition of job 'daily_job'" in bad.stderr
    neither = assettui("backfill", cwd=project)
    assert neither.returncode == 2 and "--select ASSETS or --job NAME" in neither.stderr


def test_a_schedule_of_a_partitioned_op_job_runs_the_partition_that_closed(project) -> None:
    assert assettui("automation", "start", "daily_job_schedule", cwd=project).returncode == 0
    midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    tick_time = midnight + timedelta(days=1, minutes=5)  # the first tick after starting it
    closed = midnight.strftime("%Y-%m-%d")
    tick = assettui("daemon", "--once", "--now", tick_time.isoformat(), "--wait", cwd=project)
    assert tick.returncode == 0, tick.stderr
    assert "1 runs requested" in tick.stdout, tick.stdout + tick.stderr
    (run,) = _runs(project)
    assert (run["job_name"], run["partition"], run["status"]) == ("daily_job", closed, "SUCCESS")
    assert f"[load_day] loading {closed}" in assettui("logs", "latest", cwd=project).stdout


REPOSITORY_PROJECT = """
import dagster as dg


@dg.op
def hello() -> str:
    return "hi"


@dg.job
def hello_job():
    hello()


@dg.repository
def legacy():
    return [hello_job]
"""


def test_a_repository_project_loads_with_a_supersession_warning(write_project) -> None:
    project = write_project(REPOSITORY_PROJECT)
    out = assettui("validate", cwd=project)
    assert out.returncode == 0, out.stderr
    assert "superseded by Definitions" in out.stderr
    assert "1 jobs" in out.stdout or "1 job" in out.stdout
    run = assettui("job", "execute", "-j", "hello_job", cwd=project)
    assert run.returncode == 0, run.stderr
