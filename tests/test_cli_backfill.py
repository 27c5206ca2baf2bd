"""``assettui backfill``: dry run, bad keys, foreground run, missing-only, kill and resume."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from assettui.storage import DagsterRunStatus, RunsFilter, Storage

PROJECT = """
import os, time
from pathlib import Path
import assettui as dg

daily = dg.DailyPartitionsDefinition(start_date="2024-01-01", end_date="2024-03-01")
GATE = Path(__file__).parent / "gate"

@dg.asset(partitions_def=daily)
def raw(context):
    # partitions from the 6th on wait for the gate file, so a test can stop mid-backfill
    while context.partition_key >= "2024-01-06" and os.environ.get("USE_GATE") and not GATE.exists():
        time.sleep(0.05)
    return context.partition_key

@dg.asset(partitions_def=daily)
def clean(raw):
    return raw

@dg.asset(partitions_def=daily)
def report(clean):
    return clean

defs = dg.Definitions(assets=[raw, clean, report])
"""

# Runs the command on its own, whether or not main.py has registered it yet.
ENTRY = (
    "from assettui.cli.backfill_command import backfill; backfill(prog_name='assettui backfill')"
)
ARGS = ["--select", "*", "--from", "2024-01-01", "--to", "2024-01-30"]


def _command(project: Path, *args: str) -> list[str]:
    return [sys.executable, "-c", ENTRY, str(project), *args]


def _env(**extra: str) -> dict[str, str]:
    env = {**os.environ, **extra}
    env.pop("ASSETTUI_HOME", None)
    return env


def backfill(project: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        _command(project, *args), capture_output=True, text=True, env=_env(**env), timeout=120
    )


@pytest.fixture
def project(write_project) -> Path:
    return write_project(PROJECT)


def _storage(project: Path) -> Storage:
    return Storage(project / ".assettui")


def test_dry_run_lists_asset_partitions_and_launches_nothing(project: Path) -> None:
    result = backfill(project, "--select", "raw*", "--from", "2024-01-02", "--to", "2024-01-03",
                      "--dry-run")  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "2 runs would be launched:"
    assert "run 1: 2024-01-02: raw, clean, report" in lines
    partitions = [ln.strip() for ln in lines[lines.index("asset partitions:") + 1 :]]
    assert partitions == [f"{a} 2024-01-0{d}" for d in (2, 3) for a in ("raw", "clean", "report")]
    with _storage(project) as storage:
        assert storage.runs.count_runs() == 0
        assert storage.backfills.list_backfills() == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--select", "*", "--from", "2026-13-01"], "2026-13-01"),
        (["--select", "*", "--from", "2023-12-01", "--to", "2024-01-02"], "2023-12-01"),
        (["--select", "nope"], "nope"),
        (["--select", "*", "--missing-only", "--failed-only"], "not both"),
    ],
)
def test_bad_arguments_exit_2_with_a_clear_error(
    project: Path, args: list[str], message: str
) -> None:
    result = backfill(project, *args, "--dry-run")
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow
def test_foreground_backfill_then_missing_only_launches_nothing(project: Path) -> None:
    result = backfill(project, *ARGS)
    assert result.returncode == 0, result.stderr
    assert "30/30 runs: 30 done, 0 failed" in result.stderr
    assert "COMPLETED" in result.stderr
    with _storage(project) as storage:
        assert storage.runs.count_runs() == 30
    again = backfill(project, *ARGS, "--missing-only")
    assert again.returncode == 0, again.stderr
    assert "Nothing to backfill" in again.stderr
    with _storage(project) as storage:
        assert storage.runs.count_runs() == 30


@pytest.mark.slow
def test_killed_backfill_resumes_without_running_a_partition_twice(project: Path) -> None:
    proc = subprocess.Popen(
        _command(project, *ARGS, "--max-concurrent", "2"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=_env(USE_GATE="1"),
    )
    storage = _storage(project)
    try:
        deadline = time.monotonic() + 60
        # partitions 1-5 pass; 6 and 7 wait at the gate: the backfill is midway
        while storage.runs.count_runs(RunsFilter(statuses=[DagsterRunStatus.SUCCESS])) < 5:
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        (project / "gate").touch()
        [record] = storage.backfills.list_backfills()
        assert not record.is_finished

        result = backfill(project, *ARGS)  # same arguments: resume, don't start anew
        assert result.returncode == 0, result.stderr
        assert f"Resuming unfinished backfill {record.backfill_id}" in result.stderr
        assert [b.backfill_id for b in storage.backfills.list_backfills()] == [record.backfill_id]
        runs = storage.runs.list_runs()
        assert all(r.backfill_id == record.backfill_id for r in runs)
        assert Counter(r.partition_key for r in runs if r.is_success) == Counter(
            f"2024-01-{d:02d}" for d in range(1, 31)
        )
        assert len(runs) == 30  # no partition was launched twice
    finally:
        if proc.poll() is None:
            proc.kill()
        storage.close()


def test_detached_backfill_is_driven_by_the_daemon(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    (project / "definitions.py").write_text(PROJECT)
    submitted = subprocess.run(
        [
            sys.executable,
            "-m",
            "assettui.cli.main_entry",
            "backfill",
            str(project),
            "--select",
            "*",
            "--from",
            "2024-01-01",
            "--to",
            "2024-01-03",
            "--detach",
        ],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=120,
    )
    assert submitted.returncode == 0, submitted.stderr
    storage = Storage(project / ".assettui")
    assert storage.runs.count_runs() == 0
    for _ in range(10):
        subprocess.run(
            [sys.executable, "-m", "assettui.cli.main_entry", "daemon", str(project), "--once"],
            capture_output=True,
            text=True,
            env=_env(),
            timeout=120,
            check=True,
        )
        backfills = storage.backfills.list_backfills()
        if backfills and backfills[0].status.value == "COMPLETED":
            break
    assert backfills[0].status.value == "COMPLETED"
    runs = storage.runs.list_runs(RunsFilter(statuses=[DagsterRunStatus.SUCCESS]))
    assert sorted(r.partition_key for r in runs) == ["2024-01-01", "2024-01-02", "2024-01-03"]
