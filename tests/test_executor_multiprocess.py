"""The multiprocess executor: independent steps run at once, each in its own process."""

from __future__ import annotations

import os
import pickle
import time
from pathlib import Path

import pytest

import assettui as dg
from assettui.errors import DefinitionError
from assettui.execution.launcher import RunLauncher
from assettui.model.asset_key import AssetKey
from assettui.model.executor import executor_from_run_config
from assettui.model.records.events import DagsterEventType
from assettui.model.records.runs import DagsterRunStatus
from assettui.project import find_project, resolve_home

# Two branches that each wait for the other to have started: they can only both finish
# when they run at the same time (a serial executor would hit the 20 s wait and fail).
PROJECT = """
import os, signal, time
from pathlib import Path
import assettui as dg

MARKS = Path(os.environ["MP_TEST_MARKS"])

def _meet(me, other):
    (MARKS / f"{me}.started").write_text(str(os.getpid()))
    deadline = time.monotonic() + 20
    while not (MARKS / f"{other}.started").exists():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{me} never saw {other} start: steps did not run in parallel")
        time.sleep(0.02)

@dg.asset
def left():
    _meet("left", "right")
    return os.getpid()

@dg.asset
def right():
    _meet("right", "left")
    return os.getpid()

@dg.asset
def both(left, right):
    return [left, right, os.getpid()]

@dg.asset
def one():
    (MARKS / "one.interval").write_text(f"{time.time()} ")
    time.sleep(0.3)
    with (MARKS / "one.interval").open("a") as f:
        f.write(str(time.time()))
    return 1

@dg.asset
def two():
    (MARKS / "two.interval").write_text(f"{time.time()} ")
    time.sleep(0.3)
    with (MARKS / "two.interval").open("a") as f:
        f.write(str(time.time()))
    return 2

@dg.asset
def broken():
    raise ValueError("broken on purpose")

@dg.asset
def after_broken(broken):
    return broken

@dg.asset
def fine():
    return "fine"

@dg.asset
def dies():
    os.kill(os.getpid(), signal.SIGKILL)

@dg.asset
def sleeper_a(context):
    (MARKS / "sleeper_a.pid").write_text(str(os.getpid()))
    context.log.info("sleeper_a started")
    time.sleep(60)

@dg.asset
def sleeper_b():
    (MARKS / "sleeper_b.pid").write_text(str(os.getpid()))
    time.sleep(60)

defs = dg.Definitions(
    assets=[left, right, both, one, two, broken, after_broken, fine, dies, sleeper_a, sleeper_b],
    executor=dg.multiprocess_executor,
)
"""


@pytest.fixture
def marks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "marks"
    path.mkdir()
    monkeypatch.setenv("MP_TEST_MARKS", str(path))  # the worker inherits it
    return path


@pytest.fixture
def launcher(write_project, marks: Path) -> RunLauncher:
    target = find_project(write_project(PROJECT))
    return RunLauncher(resolve_home(target, None), target)


def _keys(*names: str) -> list[AssetKey]:
    return [AssetKey(n) for n in names]


def _events(launcher: RunLauncher, run_id: str, event_type: DagsterEventType) -> list:
    return [e for e in launcher.storage.event_log.run_events(run_id) if e.event_type is event_type]


def _wait_for(predicate, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("condition not reached in time")


def test_independent_steps_run_at_once_in_their_own_processes(launcher: RunLauncher) -> None:
    run_id = launcher.launch(_keys("left", "right", "both"))
    run = launcher.wait(run_id, timeout=60)
    assert run is not None and run.status is DagsterRunStatus.SUCCESS, run
    left_pid, right_pid, both_pid = pickle.loads((launcher.home / "storage" / "both").read_bytes())
    assert len({left_pid, right_pid, both_pid, run.pid}) == 4  # a process per step
    assert len(_events(launcher, run_id, DagsterEventType.ASSET_MATERIALIZATION)) == 3
    # the downstream step started only after both upstream steps succeeded
    kinds = [
        (e.event_type, e.step_key)
        for e in launcher.storage.event_log.run_events(run_id)
        if e.event_type in (DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_START)
    ]
    assert kinds.index((DagsterEventType.STEP_START, "both")) > max(
        kinds.index((DagsterEventType.STEP_SUCCESS, "left")),
        kinds.index((DagsterEventType.STEP_SUCCESS, "right")),
    )


def test_max_concurrent_one_runs_steps_one_at_a_time(launcher: RunLauncher, marks: Path) -> None:
    config = {"execution": {"config": {"multiprocess": {"max_concurrent": 1}}}}
    run_id = launcher.launch(_keys("one", "two"), run_config=config)
    run = launcher.wait(run_id, timeout=60)
    assert run is not None and run.status is DagsterRunStatus.SUCCESS
    intervals = sorted(
        tuple(float(x) for x in (marks / f"{n}.interval").read_text().split())
        for n in ("one", "two")
    )
    assert intervals[0][1] <= intervals[1][0]  # the second started after the first ended


def test_a_failed_branch_skips_its_downstream_and_the_rest_goes_on(launcher: RunLauncher) -> None:
    run_id = launcher.launch(_keys("broken", "after_broken", "fine"))
    run = launcher.wait(run_id, timeout=60)
    assert run is not None and run.status is DagsterRunStatus.FAILURE
    assert "broken" in (run.failure_reason or "")
    failure = _events(launcher, run_id, DagsterEventType.STEP_FAILURE)[0]
    assert "broken on purpose" in failure.message and "definitions.py" in failure.message
    assert [e.step_key for e in _events(launcher, run_id, DagsterEventType.STEP_SKIPPED)] == [
        "after_broken"
    ]
    materialized = _events(launcher, run_id, DagsterEventType.ASSET_MATERIALIZATION)
    assert [e.asset_key for e in materialized] == [AssetKey("fine")]


def test_a_step_process_that_dies_fails_its_step_only(launcher: RunLauncher) -> None:
    run_id = launcher.launch(_keys("dies", "fine"))
    run = launcher.wait(run_id, timeout=60)
    assert run is not None and run.status is DagsterRunStatus.FAILURE
    failure = _events(launcher, run_id, DagsterEventType.STEP_FAILURE)[0]
    assert failure.step_key == "dies" and "killed by signal 9" in failure.message
    materialized = _events(launcher, run_id, DagsterEventType.ASSET_MATERIALIZATION)
    assert [e.asset_key for e in materialized] == [AssetKey("fine")]


def test_cancel_stops_every_step_process(launcher: RunLauncher, marks: Path) -> None:
    run_id = launcher.launch(_keys("sleeper_a", "sleeper_b"))
    _wait_for(lambda: all(_pid_written(marks / f"{n}.pid") for n in ("sleeper_a", "sleeper_b")))
    step_pids = [int((marks / f"{n}.pid").read_text()) for n in ("sleeper_a", "sleeper_b")]
    worker_pid = launcher.storage.runs.get_run(run_id).pid
    launcher.cancel(run_id)
    run = launcher.wait(run_id, timeout=30)
    assert run is not None and run.status is DagsterRunStatus.CANCELED
    _wait_for(lambda: not launcher.is_running(run_id))
    for pid in [worker_pid, *step_pids]:
        _wait_for(lambda pid=pid: not _alive(pid))


def _pid_written(path: Path) -> bool:
    """The step wrote its pid (the file may exist a moment before its text is in it)."""
    return path.exists() and path.read_text().strip().isdigit()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/stat")
    # a zombie not yet reaped by its (test) parent counts as gone
    return not (status.exists() and status.read_text().split()[2] == "Z")


def test_in_process_executor_runs_steps_in_the_worker(write_project, marks: Path) -> None:
    target = find_project(write_project(PROJECT.replace("dg.multiprocess_executor", "None")))
    launcher = RunLauncher(resolve_home(target, None), target)
    run_id = launcher.launch(_keys("one", "two"))
    run = launcher.wait(run_id, timeout=60)
    assert run is not None and run.status is DagsterRunStatus.SUCCESS
    home = launcher.home / "storage"
    assert pickle.loads((home / "one").read_bytes()) == 1
    intervals = sorted(
        tuple(float(x) for x in (marks / f"{n}.interval").read_text().split())
        for n in ("one", "two")
    )
    assert intervals[0][1] <= intervals[1][0]


def test_in_memory_io_manager_is_refused_with_a_clear_error(write_project, marks: Path) -> None:
    source = PROJECT.replace(
        "executor=dg.multiprocess_executor,",
        'executor=dg.multiprocess_executor, resources={"io_manager": dg.InMemoryIOManager()},',
    )
    target = find_project(write_project(source))
    launcher = RunLauncher(resolve_home(target, None), target)
    run_id = launcher.launch(_keys("fine"))
    run = launcher.wait(run_id, timeout=60)
    assert run is not None and run.status is DagsterRunStatus.FAILURE
    messages = " ".join(e.message for e in launcher.storage.event_log.run_events(run_id))
    assert "in-memory IO manager" in messages and "in_process_executor" in messages


def test_run_config_selects_the_executor() -> None:
    mp = executor_from_run_config(
        None, {"execution": {"config": {"multiprocess": {"max_concurrent": 3}}}}
    )
    assert mp.name == "multiprocess" and mp.max_concurrent == 3
    assert executor_from_run_config(dg.multiprocess_executor, {}).name == "multiprocess"
    assert executor_from_run_config(None, {}).name == "in_process"
    with pytest.raises(DefinitionError, match="max_concurent"):
        executor_from_run_config(
            None, {"execution": {"config": {"multiprocess": {"max_concurent": 3}}}}
        )


def test_materialize_in_process_ignores_the_multiprocess_executor(tmp_path: Path) -> None:
    @dg.asset
    def a() -> int:
        return os.getpid()

    defs = dg.Definitions(assets=[a], executor=dg.multiprocess_executor)
    result = defs.get_implicit_global_asset_job_def().execute_in_process(
        instance=dg.DagsterInstance.ephemeral()
    )
    assert result.success and result.output_for_node("a") == os.getpid()


def test_a_jobs_executor_def_is_used_for_its_runs(write_project, marks: Path) -> None:
    source = PROJECT.replace("    executor=dg.multiprocess_executor,\n", "").replace(
        "defs = dg.Definitions(",
        'par = dg.define_asset_job("par", selection=["left", "right"], '
        "executor_def=dg.multiprocess_executor)\n\ndefs = dg.Definitions(jobs=[par], ",
    )
    assert "executor=dg.multiprocess_executor" not in source
    target = find_project(write_project(source))
    launcher = RunLauncher(resolve_home(target, None), target)
    run_id = launcher.launch(_keys("left", "right"), job_name="par")
    run = launcher.wait(run_id, timeout=60)
    assert run is not None and run.status is DagsterRunStatus.SUCCESS, run
    pids = {int((marks / f"{n}.started").read_text()) for n in ("left", "right")}
    assert len(pids) == 2 and run.pid not in pids
