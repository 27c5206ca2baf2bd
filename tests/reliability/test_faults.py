"""Faults with real processes: killed workers and daemons, signals, a full disk, a locked
database and corrupt stored values. Each test provokes the fault for real and checks that
history is kept, the instance stays intact and the next run works.
"""

from __future__ import annotations

import os
import pickle
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from assettui.automation.run_monitor import RunMonitor
from assettui.execution.launcher import monitor_runs
from assettui.model.asset_key import AssetKey
from assettui.model.records.events import DagsterEventType, NewEvent
from assettui.model.records.runs import DagsterRun, DagsterRunStatus, RunsFilter
from assettui.storage.asset_status import AssetPartitionStatus
from assettui.storage.automation_state import InstigatorType, TickStatus
from assettui.storage.instance_storage import Storage
from reliability.conftest import FaultProject, subprocess_env, wait_for

PROJECT = '''
import os, resource, subprocess, sys, time
from pathlib import Path

import assettui as dg

MARKERS = Path(__file__).parent / "markers"
MARKERS.mkdir(exist_ok=True)


def mark(name, text=None):
    (MARKERS / name).write_text(str(os.getpid()) if text is None else text)


def wait_for_marker(name, timeout=60):
    deadline = time.monotonic() + timeout
    while not (MARKERS / name).exists():
        if time.monotonic() > deadline:
            raise TimeoutError(name)
        time.sleep(0.02)


class PayloadConfig(dg.Config):
    version: int = 1
    size: int = 1_000_000
    hang_while_writing: bool = False
    file_size_limit: int = 0


class HangWhenPickled:
    """Pickling this announces it and hangs: the test kills the worker mid-write."""

    def __reduce__(self):
        mark("writing")
        time.sleep(120)
        raise RuntimeError("the worker was not killed")


@dg.asset
def payload(config: PayloadConfig) -> dict:
    value = {"version": config.version, "blob": os.urandom(16) * (config.size // 16)}
    if config.hang_while_writing:
        value["hang"] = HangWhenPickled()
    if config.file_size_limit:
        # a full disk as this process sees it: writes past the limit fail
        _, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
        resource.setrlimit(resource.RLIMIT_FSIZE, (config.file_size_limit, hard))
    return value


@dg.asset
def payload_version(payload: dict) -> int:
    return payload["version"]


@dg.asset
def sleeper(context) -> int:
    child = subprocess.Popen(["sleep", "120"])
    mark("sleeper_child", str(child.pid))
    context.log.info("sleeper started")
    child.wait()
    return 1


@dg.asset
def gated(context) -> int:
    context.log.info("gated started")
    wait_for_marker("go")
    for i in range(300):
        context.log.info(f"line {i}")
    return 300


@dg.asset
def quick() -> int:
    return 7


letters = dg.StaticPartitionsDefinition(["a", "b", "c", "d", "e"])


@dg.asset(partitions_def=letters)
def letter(context) -> str:
    return context.partition_key * 3


@dg.asset(partitions_def=letters)
def shouted(letter: str) -> str:
    return letter.upper()


@dg.asset
def ticked(context) -> str:
    if (MARKERS / "hang_run").exists():
        mark("run_started")
        wait_for_marker("release_run")
    return "tick"


ticked_job = dg.define_asset_job("ticked_job", selection=["ticked"])


@dg.schedule(
    cron_schedule="0 * * * *",
    job=ticked_job,
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def hourly(context):
    if (MARKERS / "hang_schedule").exists():
        mark(f"evaluating-{os.getpid()}")
        wait_for_marker("release_schedule", 120)
    return dg.RunRequest()


defs = dg.Definitions(
    assets=[payload, payload_version, sleeper, gated, quick, letter, shouted, ticked],
    jobs=[ticked_job],
    schedules=[hourly],
)
'''


@pytest.fixture
def project(fault_project: Callable[[str], FaultProject]) -> FaultProject:
    return fault_project(PROJECT)


def _markers(project: FaultProject) -> Path:
    folder = project.root / "markers"
    folder.mkdir(exist_ok=True)
    return folder


def _payload_config(**config: object) -> dict:
    return {"ops": {"payload": {"config": config}}}


def _events(storage: Storage, run_id: str) -> list:
    return storage.event_log.run_events(run_id)


def _event_types(storage: Storage, run_id: str) -> list[DagsterEventType]:
    return [e.event_type for e in _events(storage, run_id)]


def _logged(storage: Storage, run_id: str, message: str) -> bool:
    return any(e.message == message for e in _events(storage, run_id))


def _assert_database_intact(home: Path) -> None:
    conn = sqlite3.connect(str(home / "assettui.db"))
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        conn.close()


def _assert_run_log_consistent(storage: Storage, run_id: str, end: DagsterEventType) -> None:
    """Ids increase, the run starts once and ends once with ``end``, nothing is in progress."""
    events = _events(storage, run_id)
    ids = [e.storage_id for e in events]
    assert ids == sorted(set(ids))
    types = [e.event_type for e in events]
    ends = [
        t
        for t in types
        if t
        in (
            DagsterEventType.RUN_SUCCESS,
            DagsterEventType.RUN_FAILURE,
            DagsterEventType.RUN_CANCELED,
        )
    ]
    assert ends == [end], types
    assert types.count(DagsterEventType.RUN_START) == 1
    assert types[-1] is end, types
    stuck = storage.database().execute(
        "SELECT asset_key, partition FROM asset_partition_status "
        "WHERE last_run_id = ? AND status = 'in_progress'",
        (run_id,),
    )
    assert stuck.fetchall() == []


def _process_state(pid: int) -> tuple[str, int] | None:
    """``(state letter, parent pid)`` of a process, ``None`` once it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()
    return fields[0], int(fields[1])


def _not_running(pid: int) -> bool:
    state = _process_state(pid)
    return state is None or state[0] in ("Z", "X")


def _kill_group(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=10)


# ---- 1. SIGKILL of a run worker while it writes the asset's value ---------------------------


def test_worker_killed_while_writing_keeps_the_previous_value(project: FaultProject) -> None:
    launcher = project.launcher()
    storage = launcher.storage
    first = launcher.launch([AssetKey("payload")], run_config=_payload_config(version=1))
    assert launcher.wait(first, timeout=30).status is DagsterRunStatus.SUCCESS
    value_path = project.home / "storage" / "payload"
    good = value_path.read_bytes()

    run_id = launcher.launch(
        [AssetKey("payload")],
        run_config=_payload_config(version=2, size=4_000_000, hang_while_writing=True),
    )
    writing = _markers(project) / "writing"
    wait_for(writing.exists, 30, "the worker to start writing the value")
    pid = storage.runs.get_run(run_id).pid
    assert pid == int(writing.read_text())
    # events are stored in batches every 0.1 s; the step's start is in the log before the kill
    wait_for(lambda: DagsterEventType.STEP_START in _event_types(storage, run_id), 10, "STEP_START")
    # the value is half written: a temporary file beside the good one holds the first megabytes
    partial = [p for p in value_path.parent.iterdir() if p.name.startswith(".payload.")]
    assert partial and partial[0].stat().st_size > 1_000_000
    os.kill(pid, signal.SIGKILL)
    killed_at = time.monotonic()

    run = wait_for(
        lambda: (r := storage.runs.get_run(run_id)).is_finished and r, 10, "the run to end"
    )
    assert time.monotonic() - killed_at < 10
    assert run.status is DagsterRunStatus.FAILURE
    assert "SIGKILL" in run.failure_reason
    assert value_path.read_bytes() == good
    assert pickle.loads(good)["version"] == 1
    _assert_run_log_consistent(storage, run_id, DagsterEventType.RUN_FAILURE)
    assert DagsterEventType.ASSET_MATERIALIZATION not in _event_types(storage, run_id)
    status = storage.asset_status.partition_status(AssetKey("payload"))
    assert status.status is AssetPartitionStatus.FAILED
    assert status.last_materialization_run_id == first
    _assert_database_intact(project.home)

    # the previous value still feeds downstream, and the next write clears the torn file
    down = launcher.launch([AssetKey("payload_version")])
    assert launcher.wait(down, timeout=30).status is DagsterRunStatus.SUCCESS
    assert pickle.loads((project.home / "storage" / "payload_version").read_bytes()) == 1
    again = launcher.launch([AssetKey("payload")], run_config=_payload_config(version=3))
    assert launcher.wait(again, timeout=30).status is DagsterRunStatus.SUCCESS
    assert [p.name for p in value_path.parent.iterdir() if p.name.startswith(".payload.")] == []


def test_orphaned_worker_killed_is_failed_by_the_run_monitor(project: FaultProject) -> None:
    """The process that launched the run is gone (a closed TUI): only the monitor can tell."""
    storage = project.storage()
    script = (
        "import sys\n"
        "from assettui.execution.launcher import RunLauncher\n"
        "from assettui.model.asset_key import AssetKey\n"
        "from assettui.project import find_project\n"
        "launcher = RunLauncher(sys.argv[1], find_project(sys.argv[2]))\n"
        "print(launcher.launch([AssetKey('sleeper')]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(project.home), str(project.root)],
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    run_id = out.stdout.strip()
    wait_for(lambda: _logged(storage, run_id, "sleeper started"), 30, "the step to start")
    pid = storage.runs.get_run(run_id).pid
    os.kill(pid, signal.SIGKILL)
    killed_at = time.monotonic()
    monitor = RunMonitor()
    ended = wait_for(lambda: monitor.check(storage), 10, "the run monitor to notice")
    assert time.monotonic() - killed_at < 10
    assert ended == [run_id]
    run = storage.runs.get_run(run_id)
    assert run.status is DagsterRunStatus.FAILURE
    assert f"pid {pid}" in run.failure_reason and "died" in run.failure_reason
    _assert_run_log_consistent(storage, run_id, DagsterEventType.RUN_FAILURE)
    # the step's own subprocess, orphaned by the kill, does not outlive the run
    child = int((_markers(project) / "sleeper_child").read_text())
    wait_for(lambda: _not_running(child), 10, "the step's orphaned subprocess to end")
    _assert_database_intact(project.home)


def test_run_monitor_leaves_in_process_runs_alone(tmp_path: Path) -> None:
    """``materialize()`` runs in the caller's process (no worker pid): never "died"."""
    import assettui as dg

    started, release = threading.Event(), threading.Event()

    @dg.asset
    def waiting() -> int:
        started.set()
        release.wait(30)
        return 1

    instance = dg.DagsterInstance(Storage(tmp_path))
    results: list = []
    runner = threading.Thread(
        target=lambda: results.append(dg.materialize([waiting], instance=instance))
    )
    runner.start()
    try:
        assert started.wait(30)
        assert RunMonitor().check(Storage(tmp_path)) == []
    finally:
        release.set()
        runner.join(30)
    assert results and results[0].success


def test_an_in_process_run_whose_process_died_is_marked_failed(tmp_path: Path) -> None:
    """``materialize()`` in a script that is killed: the run does not stay STARTED."""
    script = tmp_path / "script.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import time
            import assettui as dg

            @dg.asset
            def waiting() -> int:
                time.sleep(60)
                return 1

            dg.materialize([waiting], instance=dg.DagsterInstance.from_home({str(tmp_path / "home")!r}))
            """
        )
    )
    script_process = subprocess.Popen([sys.executable, str(script)], env=subprocess_env())
    try:
        storage = Storage(tmp_path / "home")
        run = wait_for(
            lambda: [r for r in storage.runs.list_runs() if r.status is DagsterRunStatus.STARTED],
            30,
            "the in-process run to start",
        )[0]
        assert run.pid == script_process.pid
        assert RunMonitor().check(storage) == []  # alive: left alone
        script_process.kill()
        script_process.wait(10)
        assert RunMonitor().check(storage) == [run.run_id]
    finally:
        _kill_group(script_process)
    run = storage.runs.get_run(run.run_id)
    assert run.status is DagsterRunStatus.FAILURE and "died" in (run.failure_reason or "")


# ---- 2. SIGKILL of the daemon mid-tick ------------------------------------------------------


def _daemon(project: FaultProject, now: str, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        project.cli("daemon", "--once", "--now", now, *extra),
        env=subprocess_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _daemon_pass(project: FaultProject, now: str, *extra: str) -> str:
    proc = _daemon(project, now, *extra)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    return out


def _schedule_runs(storage: Storage) -> dict[str, list[str]]:
    """Scheduled time -> run ids of the ``hourly`` schedule."""
    runs: dict[str, list[str]] = {}
    for run in storage.runs.list_runs(RunsFilter(tags={"dagster/schedule_name": "hourly"})):
        runs.setdefault(run.tags["dagster/scheduled_execution_time"], []).append(run.run_id)
    return runs


def _ticks(storage: Storage) -> list:
    return storage.automation.list_ticks("hourly", InstigatorType.SCHEDULE)


def test_daemon_killed_mid_tick_neither_duplicates_nor_loses_runs(project: FaultProject) -> None:
    storage = project.storage()
    markers = _markers(project)
    _daemon_pass(project, "2026-03-01T05:59:30+00:00")  # first sight: the cursor starts here
    assert _ticks(storage) == []

    # killed while the schedule function runs: nothing of the tick is stored ...
    (markers / "hang_schedule").touch()
    daemon = _daemon(project, "2026-03-01T06:00:05+00:00", "--no-wait")
    wait_for(lambda: list(markers.glob("evaluating-*")), 30, "the tick to be evaluated")
    daemon.send_signal(signal.SIGKILL)
    daemon.wait(timeout=10)
    (markers / "hang_schedule").unlink()
    assert _ticks(storage) == [] and _schedule_runs(storage) == {}

    # ... so the restarted daemon runs the tick, once, even if restarted again and again
    _daemon_pass(project, "2026-03-01T06:00:06+00:00")
    _daemon_pass(project, "2026-03-01T06:00:40+00:00")
    six = "2026-03-01T06:00:00+00:00"
    assert list(_schedule_runs(storage)) == [six] and len(_schedule_runs(storage)[six]) == 1
    assert [t.status for t in _ticks(storage)] == [TickStatus.SUCCESS]
    first_run = storage.runs.get_run(_schedule_runs(storage)[six][0])
    assert first_run.status is DagsterRunStatus.SUCCESS

    # killed after the tick committed, while its run executes: the run finishes on its own
    # (the worker is not the daemon's), and the restarted daemon does not request it again
    (markers / "hang_run").touch()
    daemon = _daemon(project, "2026-03-01T07:00:02+00:00", "--wait")
    wait_for((markers / "run_started").exists, 30, "the 07:00 run to start")
    daemon.send_signal(signal.SIGKILL)
    daemon.wait(timeout=10)
    _daemon_pass(project, "2026-03-01T07:00:03+00:00", "--no-wait")
    (markers / "release_run").touch()
    seven = "2026-03-01T07:00:00+00:00"
    assert sorted(_schedule_runs(storage)) == [six, seven]
    (seven_run,) = _schedule_runs(storage)[seven]
    run = wait_for(
        lambda: (r := storage.runs.get_run(seven_run)).is_finished and r, 30, "the 07:00 run"
    )
    assert run.status is DagsterRunStatus.SUCCESS
    (markers / "hang_run").unlink()

    # killed right after the tick committed its run, right after the queue claimed it, and at
    # a blind moment of a pass: every tick still ends with exactly one successful run
    def queued(at: str) -> bool:
        return bool(_schedule_runs(storage).get(at))

    def claimed(at: str) -> bool:
        ids = _schedule_runs(storage).get(at, [])
        return any(storage.runs.get_run(i).status is not DagsterRunStatus.QUEUED for i in ids)

    kill_points: list[Callable[[str], object]] = [
        queued,
        claimed,
        lambda _at: time.sleep(0.4) or True,  # a kill point, not a wait for a condition
    ]
    for hour, kill_point in zip(range(8, 11), kill_points, strict=True):
        daemon = _daemon(project, f"2026-03-01T{hour:02d}:00:01+00:00", "--no-wait")
        scheduled = f"2026-03-01T{hour:02d}:00:00+00:00"
        wait_for(
            lambda kill_point=kill_point, scheduled=scheduled, daemon=daemon: (
                kill_point(scheduled) or daemon.poll() is not None
            ),
            30,
            "a kill point",
        )
        daemon.send_signal(signal.SIGKILL)
        daemon.wait(timeout=10)
        _daemon_pass(project, f"2026-03-01T{hour:02d}:00:02+00:00", "--no-wait")
    runs = _schedule_runs(storage)
    assert len(runs) == 5 and all(len(ids) == 1 for ids in runs.values()), runs
    assert len(_ticks(storage)) == 5

    # A daemon killed between claiming a run and starting its worker leaves it STARTING with
    # no worker; later passes queue it again and start it (no new tick is due at 10:00:03).
    def finished_or_recovered(run_id: str) -> Any:
        run = storage.runs.get_run(run_id)
        if run.is_finished:
            return run
        if run.status in (DagsterRunStatus.STARTING, DagsterRunStatus.QUEUED) and not run.pid:
            _daemon_pass(project, "2026-03-01T10:00:03+00:00", "--no-wait")
        return None

    for (run_id,) in runs.values():
        run = wait_for(lambda run_id=run_id: finished_or_recovered(run_id), 60, f"run {run_id}")
        assert run.status is DagsterRunStatus.SUCCESS, run.failure_reason
    assert len(_schedule_runs(storage)) == 5 and len(_ticks(storage)) == 5
    _assert_database_intact(project.home)


def test_a_run_whose_launcher_died_before_its_worker_is_queued_again(tmp_path: Path) -> None:
    storage = Storage(tmp_path / "home")
    run = storage.runs.create_run(
        DagsterRun(job_name="__ASSET_JOB", status=DagsterRunStatus.QUEUED)
    )
    storage.runs.update_run_status(run.run_id, DagsterRunStatus.STARTING)  # claimed, no worker
    claimed = storage.runs.get_run(run.run_id).updated_at
    assert monitor_runs(storage, now=claimed + 1) == []  # a launcher may still be starting it
    assert monitor_runs(storage, now=claimed + 11) == [run.run_id]
    assert storage.runs.get_run(run.run_id).status is DagsterRunStatus.QUEUED
    messages = [e.message for e in storage.event_log.run_events(run.run_id)]
    assert any("queued again" in m for m in messages)


def test_two_schedulers_on_one_instance_run_a_tick_once(project: FaultProject) -> None:
    """The TUI's scheduler and a headless daemon may tick the same schedule at once: the
    one holding the schedule's lease evaluates it, the other skips it this pass."""
    storage = project.storage()
    markers = _markers(project)
    _daemon_pass(project, "2026-03-01T05:59:30+00:00")
    (markers / "hang_schedule").touch()
    daemons = [_daemon(project, "2026-03-01T06:00:05+00:00", "--no-wait") for _ in range(2)]
    try:
        wait_for(lambda: len(list(markers.glob("evaluating-*"))) == 1, 30, "one to evaluate")
        time.sleep(2.0)  # the other daemon's pass has come and gone meanwhile
        assert len(list(markers.glob("evaluating-*"))) == 1  # it did not evaluate the tick
        (markers / "release_schedule").touch()
        for daemon in daemons:
            _out, err = daemon.communicate(timeout=60)
            assert daemon.returncode == 0, err
    finally:
        for daemon in daemons:
            _kill_group(daemon)
    runs = _schedule_runs(storage)
    assert list(runs) == ["2026-03-01T06:00:00+00:00"]
    assert len(runs["2026-03-01T06:00:00+00:00"]) == 1, runs
    assert [t.status for t in _ticks(storage)] == [TickStatus.SUCCESS]


# ---- 3. SIGTERM / Ctrl-C of `assettui materialize` ------------------------------------------


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_interrupted_materialize_cancels_the_run_and_leaves_no_process(
    project: FaultProject, signum: signal.Signals
) -> None:
    storage = project.storage()
    cli = subprocess.Popen(
        project.cli("materialize", "--select", "sleeper"),
        env=subprocess_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        run = wait_for(lambda: storage.runs.list_runs(limit=1), 30, "the run to be stored")[0]
        wait_for(lambda: _logged(storage, run.run_id, "sleeper started"), 30, "the step")
        worker = storage.runs.get_run(run.run_id).pid
        child = int((_markers(project) / "sleeper_child").read_text())
        assert _process_state(worker)[1] == cli.pid
        cli.send_signal(signum)
        _out, err = cli.communicate(timeout=30)
    finally:
        _kill_group(cli)
    assert cli.returncode == 1, err
    assert "CANCELED" in err
    run = storage.runs.get_run(run.run_id)
    assert run.status is DagsterRunStatus.CANCELED
    _assert_run_log_consistent(storage, run.run_id, DagsterEventType.RUN_CANCELED)
    # the worker was reaped by the CLI before it exited; the user's child process went too
    assert _process_state(worker) is None
    wait_for(lambda: _not_running(child), 10, "the step's child process to end")
    _assert_database_intact(project.home)


# ---- 4. A full disk while writing an asset value --------------------------------------------


def test_full_disk_while_writing_fails_the_step_clearly(project: FaultProject) -> None:
    launcher = project.launcher()
    storage = launcher.storage
    first = launcher.launch([AssetKey("payload")], run_config=_payload_config(version=1))
    assert launcher.wait(first, timeout=30).status is DagsterRunStatus.SUCCESS
    value_path = project.home / "storage" / "payload"
    good = value_path.read_bytes()

    run_id = launcher.launch(
        [AssetKey("payload"), AssetKey("payload_version")],
        run_config=_payload_config(version=2, size=6_000_000, file_size_limit=3_000_000),
    )
    run = launcher.wait(run_id, timeout=30)
    assert run.status is DagsterRunStatus.FAILURE, run.failure_reason
    failure = next(
        e for e in _events(storage, run_id) if e.event_type is DagsterEventType.STEP_FAILURE
    )
    message = failure.message
    assert "No space left or file too large (File too large)" in message
    assert "'payload'" in message and str(value_path) in message
    types = _event_types(storage, run_id)
    assert DagsterEventType.ASSET_MATERIALIZATION not in types
    assert DagsterEventType.STEP_SKIPPED in types  # payload_version did not run on nothing
    _assert_run_log_consistent(storage, run_id, DagsterEventType.RUN_FAILURE)
    assert value_path.read_bytes() == good
    assert [p.name for p in value_path.parent.iterdir() if p.name.startswith(".payload.")] == []
    _assert_database_intact(project.home)
    down = launcher.launch([AssetKey("payload_version")])
    assert launcher.wait(down, timeout=30).status is DagsterRunStatus.SUCCESS


# ---- 5. The instance database locked by another process for 10 s ----------------------------

LOCKER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN EXCLUSIVE")
conn.execute("INSERT INTO kv (key, value, updated_at) VALUES ('locker', 'held', 0)")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("COMMIT")
"""

APPENDER = """
import sys
import textwrap
from assettui.storage import DagsterEventType, NewEvent, Storage
storage = Storage(sys.argv[1])
for start in range(0, 500, 50):
    storage.event_log.store_events(
        [NewEvent("appender", DagsterEventType.LOG, f"append {i}", level="INFO")
         for i in range(start, start + 50)]
    )
print("appended", flush=True)
"""


@pytest.mark.slow
def test_writers_wait_out_a_database_locked_for_ten_seconds(project: FaultProject) -> None:
    launcher = project.launcher()
    storage = launcher.storage
    running = launcher.launch([AssetKey("gated")])
    wait_for(lambda: _logged(storage, running, "gated started"), 30, "the step to start")

    locker = subprocess.Popen(
        [sys.executable, "-c", LOCKER, str(project.home / "assettui.db"), "10"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert locker.stdout is not None and locker.stdout.readline().strip() == "locked"
    locked_at = time.monotonic()
    # the monitor keeps running as in the TUI or daemon, and must not take a blocked worker
    # for a dead one
    stop = threading.Event()
    wrongly_ended: list[str] = []

    def monitor() -> None:
        own = Storage(project.home)
        while not stop.is_set():
            wrongly_ended.extend(monitor_runs(own))
            stop.wait(0.5)
        own.close()

    monitor_thread = threading.Thread(target=monitor, daemon=True)
    monitor_thread.start()
    (_markers(project) / "go").touch()  # the running step now logs 300 lines and finishes
    cli = subprocess.Popen(
        project.cli("materialize", "--select", "quick"),
        env=subprocess_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    appender = subprocess.Popen(
        [sys.executable, "-c", APPENDER, str(project.home)],
        env=subprocess_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert locker.wait(timeout=30) == 0
        assert time.monotonic() - locked_at >= 9.5  # the lock really was held all along
        out, err = appender.communicate(timeout=60)
        assert appender.returncode == 0 and out.strip() == "appended", err
        _out, err = cli.communicate(timeout=60)
        assert cli.returncode == 0, err
        run = launcher.wait(running, timeout=60)
    finally:
        stop.set()
        monitor_thread.join(10)
        for proc in (locker, cli, appender):
            _kill_group(proc)
    assert run.status is DagsterRunStatus.SUCCESS, run.failure_reason
    assert wrongly_ended == []
    logged = [e.message for e in _events(storage, running) if e.event_type is DagsterEventType.LOG]
    assert logged == ["gated started", *(f"line {i}" for i in range(300))]
    appended = [e.message for e in _events(storage, "appender")]
    assert appended == [f"append {i}" for i in range(500)]
    (quick_run,) = storage.runs.list_runs(RunsFilter(statuses=[DagsterRunStatus.SUCCESS]), limit=1)
    assert quick_run.asset_selection == {AssetKey("quick")}
    _assert_run_log_consistent(storage, running, DagsterEventType.RUN_SUCCESS)
    _assert_database_intact(project.home)


# ---- 6. A corrupt or truncated pickle in storage --------------------------------------------


def _corrupt(path: Path, how: str) -> None:
    data = path.read_bytes()
    if how == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif how == "garbage":
        path.write_bytes(b"\x80\x05" + bytes(range(256)) * 4)
    elif how == "empty":
        path.write_bytes(b"")
    elif how == "folder":  # a folder where the file should be (the asset was repartitioned)
        path.unlink()
        path.mkdir()


def test_corrupt_stored_values_fail_clearly_and_harm_nothing_else(project: FaultProject) -> None:
    launcher = project.launcher()
    storage = launcher.storage
    parts = ["a", "b", "c", "d", "e"]
    for part in parts:
        run_id = launcher.launch([AssetKey("letter")], partition_key=part)
        assert launcher.wait(run_id, timeout=30).status is DagsterRunStatus.SUCCESS
    folder = project.home / "storage" / "letter" / "%partitions"
    kinds = dict(zip(parts, ["truncated", "garbage", "empty", "folder"], strict=False))
    for part, how in kinds.items():
        _corrupt(folder / part, how)

    for part, how in kinds.items():
        if part == "a":  # through the CLI: a clear message, exit code 1, no CLI traceback
            cli = subprocess.run(
                project.cli("materialize", "--select", "shouted", "--partition", part),
                env=subprocess_env(),
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert cli.returncode == 1
            assert "partition 'a'" in cli.stdout and "Re-materialize it" in cli.stdout
            assert "Traceback (most recent call last)" not in cli.stderr
            run_id = storage.runs.list_runs(limit=1)[0].run_id
        else:
            run_id = launcher.launch([AssetKey("shouted")], partition_key=part)
        run = launcher.wait(run_id, timeout=30)
        assert run.status is DagsterRunStatus.FAILURE, how
        failure = next(
            e for e in _events(storage, run_id) if e.event_type is DagsterEventType.STEP_FAILURE
        )
        assert "asset 'letter' partition" in failure.message and f"'{part}'" in failure.message
        assert str(folder / part) in failure.message, failure.message
        assert "Re-materialize it" in failure.message, failure.message
        assert "worker" not in (run.failure_reason or ""), run.failure_reason  # not a crash
        _assert_run_log_consistent(storage, run_id, DagsterEventType.RUN_FAILURE)

    # a sound partition still works, and re-materializing repairs a corrupt one
    ok = launcher.launch([AssetKey("shouted")], partition_key="e")
    assert launcher.wait(ok, timeout=30).status is DagsterRunStatus.SUCCESS
    assert (
        pickle.loads((project.home / "storage" / "shouted" / "%partitions" / "e").read_bytes())
        == "EEE"
    )
    repair = launcher.launch([AssetKey("letter"), AssetKey("shouted")], partition_key="b")
    assert launcher.wait(repair, timeout=30).status is DagsterRunStatus.SUCCESS
    assert (
        pickle.loads((project.home / "storage" / "shouted" / "%partitions" / "b").read_bytes())
        == "BBB"
    )
    _assert_database_intact(project.home)
    storage.event_log.store_events([NewEvent("after", DagsterEventType.LOG, "still writable")])
