"""Op jobs in real run workers: cancel, and re-execution from failure reusing the outputs of
the ops that succeeded (as Dagster's retry from failure does)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from assettui.execution.launcher import RunLauncher
from assettui.model.records.events import DagsterEventType as E
from assettui.model.records.runs import DagsterRunStatus
from assettui.project import find_project, resolve_home

PROJECT = """
import time
from pathlib import Path
import dagster as dg

FLAG = Path(__file__).parent / "fixed"


@dg.op
def extract() -> list:
    (Path(__file__).parent / "extract_runs").open("a").write("x")
    return [1, 2, 3]


@dg.op
def transform(rows: list) -> list:
    if not FLAG.exists():
        raise RuntimeError("transform is broken until fixed")
    return [r * 2 for r in rows]


@dg.op
def load(context, rows: list) -> int:
    context.log.info(f"loaded {sum(rows)}")
    return sum(rows)


@dg.op
def sleepy() -> None:
    time.sleep(60)


@dg.job
def etl():
    load(transform(extract()))


@dg.job
def sleepy_job():
    sleepy()


defs = dg.Definitions(jobs=[etl, sleepy_job])
"""


@pytest.fixture
def launcher(write_project) -> RunLauncher:
    target = find_project(write_project(PROJECT))
    return RunLauncher(resolve_home(target, None), target)


def _wait(launcher: RunLauncher, run_id: str, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = launcher.storage.runs.get_run(run_id)
        if run is not None and run.is_finished:
            return run
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} did not finish")


def _steps(launcher: RunLauncher, run_id: str, kind: E) -> list[str]:
    events = launcher.storage.event_log.run_events(run_id)
    return [e.step_key for e in events if e.event_type is kind and e.step_key]


def test_retry_from_failure_reruns_only_the_failed_ops(launcher: RunLauncher) -> None:
    project = Path(launcher.target.root)
    first = launcher.launch([], job_name="etl")
    assert _wait(launcher, first).status is DagsterRunStatus.FAILURE
    assert _steps(launcher, first, E.STEP_FAILURE) == ["transform"]
    (project / "fixed").write_text("yes")
    retry = launcher.reexecute(first, from_failure=True)
    run = _wait(launcher, retry)
    assert run.status is DagsterRunStatus.SUCCESS, _steps(launcher, retry, E.STEP_FAILURE)
    assert run.parent_run_id == first and run.tags["dagster/is_resume_retry"] == "true"
    assert _steps(launcher, retry, E.STEP_START) == ["transform", "load"]
    assert (project / "extract_runs").read_text() == "x"  # extract ran once, its output reused
    logs = [e.message for e in launcher.storage.event_log.run_events(retry)]
    assert "loaded 12" in logs
    # a retry of the retry still finds extract's output in the first run
    again = launcher.reexecute(retry, from_failure=True)
    assert _wait(launcher, again).status is DagsterRunStatus.SUCCESS
    assert _steps(launcher, again, E.STEP_START) == []


def test_cancel_an_op_job_run(launcher: RunLauncher) -> None:
    run_id = launcher.launch([], job_name="sleepy_job")
    deadline = time.monotonic() + 20
    while "sleepy" not in _steps(launcher, run_id, E.STEP_START):
        assert time.monotonic() < deadline, "the op never started"
        time.sleep(0.05)
    launcher.cancel(run_id)
    run = _wait(launcher, run_id)
    assert run.status is DagsterRunStatus.CANCELED
    deadline = time.monotonic() + 20
    while launcher.is_running(run_id):  # the worker exits right after ending the run
        assert time.monotonic() < deadline, "the worker is still running"
        time.sleep(0.05)
    assert [e.step_key for e in launcher.storage.event_log.run_events(run_id)
            if e.event_type is E.STEP_FAILURE] == ["sleepy"]  # fmt: skip
