"""Runs in worker subprocesses: success, captured output, cancel, killed workers."""

from __future__ import annotations

import os
import pickle
import signal
import time

import pytest

from assettui.execution.launcher import RunLauncher, monitor_runs
from assettui.model.asset_key import AssetKey
from assettui.model.records.events import DagsterEventType
from assettui.model.records.runs import DagsterRunStatus
from assettui.project import find_project, resolve_home

PROJECT = """
import sys, time
import assettui as dg

@dg.asset
def greeting(context):
    print("hello on stdout")
    print("and on stderr", file=sys.stderr)
    context.log.info("a log record")
    return "hi"

@dg.asset
def shout(greeting):
    return greeting.upper()

@dg.asset
def slow(context):
    context.log.info("slow started")
    time.sleep(60)
    return 1

@dg.asset
def broken():
    raise ValueError("the user's own error")

defs = dg.Definitions(assets=[greeting, shout, slow, broken])
"""


@pytest.fixture
def launcher(write_project) -> RunLauncher:
    project = write_project(PROJECT)
    target = find_project(project)
    return RunLauncher(resolve_home(target, None), target)


def _wait_for(predicate, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("condition not reached in time")


def test_run_succeeds_in_a_worker_with_captured_output(launcher: RunLauncher) -> None:
    run_id = launcher.launch([AssetKey("greeting"), AssetKey("shout")])
    run = launcher.wait(run_id, timeout=30)
    assert run is not None and run.status is DagsterRunStatus.SUCCESS
    assert run.pid is not None and run.pid != os.getpid()
    types = [e.event_type for e in launcher.storage.event_log.run_events(run_id)]
    assert types[0] is DagsterEventType.RUN_START
    assert types.count(DagsterEventType.ASSET_MATERIALIZATION) == 2
    assert types[-1] is DagsterEventType.RUN_SUCCESS
    logs = [
        e.message
        for e in launcher.storage.event_log.run_events(run_id)
        if e.event_type is DagsterEventType.LOG
    ]
    assert logs == ["a log record"]
    paths = launcher.storage.step_log_paths(run_id, "greeting")
    assert paths.stdout.read_text() == "hello on stdout\n"
    assert paths.stderr.read_text() == "and on stderr\n"
    stored = launcher.home / "storage" / "shout"
    assert pickle.loads(stored.read_bytes()) == "HI"


def test_user_exception_is_recorded_with_its_traceback(launcher: RunLauncher) -> None:
    run_id = launcher.launch([AssetKey("broken")])
    run = launcher.wait(run_id, timeout=30)
    assert run is not None and run.status is DagsterRunStatus.FAILURE
    failure = next(
        e
        for e in launcher.storage.event_log.run_events(run_id)
        if e.event_type is DagsterEventType.STEP_FAILURE
    )
    assert "the user's own error" in failure.message
    assert "definitions.py" in failure.message
    stack = "".join(failure.payload["error"]["stack"])
    assert "definitions.py" in stack and 'raise ValueError("the user' in stack


def test_cancel_ends_the_run_canceled_and_the_worker_gone(launcher: RunLauncher) -> None:
    run_id = launcher.launch([AssetKey("slow")])
    _wait_for(
        lambda: any(
            e.message == "slow started" for e in launcher.storage.event_log.run_events(run_id)
        )
    )
    pid = launcher.storage.runs.get_run(run_id).pid
    launcher.cancel(run_id)
    run = launcher.wait(run_id, timeout=20)
    assert run is not None and run.status is DagsterRunStatus.CANCELED
    _wait_for(lambda: not launcher.is_running(run_id))
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_killed_worker_marks_the_run_failed_and_keeps_the_previous_value(
    launcher: RunLauncher,
) -> None:
    first = launcher.launch([AssetKey("greeting")])
    assert launcher.wait(first, timeout=30).status is DagsterRunStatus.SUCCESS
    value_path = launcher.home / "storage" / "greeting"
    before = value_path.read_bytes()

    run_id = launcher.launch([AssetKey("greeting"), AssetKey("slow")])
    _wait_for(
        lambda: any(
            e.message == "slow started" for e in launcher.storage.event_log.run_events(run_id)
        )
    )
    os.kill(launcher.storage.runs.get_run(run_id).pid, signal.SIGKILL)
    started = time.monotonic()
    run = launcher.wait(run_id, timeout=10)
    assert run is not None and run.status is DagsterRunStatus.FAILURE
    assert time.monotonic() - started < 10
    assert "SIGKILL" in (run.failure_reason or "")
    assert pickle.loads(value_path.read_bytes()) == "hi" and value_path.read_bytes() == before


def test_monitor_marks_runs_of_dead_workers_from_another_process(launcher: RunLauncher) -> None:
    """A run left STARTED by a worker nobody in this process launched is found by the monitor."""
    from assettui.model.records.runs import DagsterRun

    run = launcher.storage.runs.create_run(DagsterRun(status=DagsterRunStatus.NOT_STARTED))
    launcher.storage.runs.update_run_status(run.run_id, DagsterRunStatus.STARTED)
    # a pid that cannot be alive: a finished child of ours
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    launcher.storage.runs.set_run_pid(run.run_id, proc.pid)
    assert monitor_runs(launcher.storage) == [run.run_id]
    stored = launcher.storage.runs.get_run(run.run_id)
    assert stored.status is DagsterRunStatus.FAILURE
    assert "died" in stored.failure_reason


def test_reexecute_from_failure_runs_only_what_did_not_materialize(launcher: RunLauncher) -> None:
    run_id = launcher.launch([AssetKey("greeting"), AssetKey("broken")])
    assert launcher.wait(run_id, timeout=30).status is DagsterRunStatus.FAILURE
    again = launcher.reexecute(run_id, from_failure=True)
    run = launcher.wait(again, timeout=30)
    assert run.asset_selection == {AssetKey("broken")}
    assert run.parent_run_id == run_id
