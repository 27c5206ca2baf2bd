"""Load: 8 queued runs of 100 assets at once under the TUI and a ticking scheduler; 100,000
log lines streamed to ``assettui logs --follow``.

Everything is real: the project is a file on disk, runs execute in worker subprocesses and
write one SQLite instance, the TUI is ``AssetTuiApp`` with its embedded scheduler thread
(which ticks a sensor and dequeues the runs), and the follower is the ``assettui`` command.
The tests never sleep to wait for something: they poll a condition with a generous
deadline, and the user code waits on gate files the test opens when it has seen what it
needs (all runs in progress at once, the follower started).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
import time
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

from assettui.execution.launcher import RunLauncher, worker_command
from assettui.model.asset_key import AssetKey
from assettui.model.records.events import DagsterEventType as E
from assettui.model.records.runs import DagsterRunStatus
from assettui.project import find_project
from assettui.storage.automation_state import InstigatorType, TickStatus
from assettui.storage.instance_storage import Storage
from assettui.tui.app import AssetTuiApp
from assettui.tui.widgets.log_view import LogView, lines_for_events

RUNS = 8  # runs at once, one per asset group
ASSETS = 100  # assets per run: 10 roots, then 9 layers each fed by the one above
LAYER = 10
LOG_LINES = 50  # context.log records per asset
PRINT_LINES = 10  # printed (captured stdout) lines per asset
FOLLOW_LINES = 100_000
LOCKED = "database is locked"
RUN_SUCCESS = "The run finished successfully."

# A helper every generated asset calls. It waits on files the test writes (user code may
# sleep; the test never does): ``start.gate`` holds every run at its first asset until all
# runs are in progress, and the middle asset of each run waits until the sensor has ticked
# twice more after the gate opened, so scheduler ticks interleave with the runs' writes.
LOAD_HEADER = """
import time
from pathlib import Path

import assettui as dg

HERE = Path(__file__).parent
GATE = HERE / "start.gate"
TICKS = HERE / "sensor.ticks"


def _wait(condition, what):
    deadline = time.monotonic() + 120
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up waiting for {what}")
        time.sleep(0.01)


def _ticks():
    return len(TICKS.read_text().splitlines()) if TICKS.exists() else 0


def work(context, index, log_lines, print_lines):
    name = context.asset_key.to_user_string()
    if index == 0:
        _wait(GATE.exists, "the start gate")
    if index == 50:
        opened_at = int(GATE.read_text() or 0)
        _wait(lambda: _ticks() >= opened_at + 2, "two sensor ticks")
    for line in range(log_lines):
        context.log.info(f"{name} log {line}")
    for line in range(print_lines):
        print(f"{name} out {line}")
    return index


@dg.sensor(minimum_interval_seconds=1, default_status=dg.DefaultSensorStatus.RUNNING)
def ticker(context):
    with TICKS.open("a") as handle:
        handle.write("tick\\n")
    context.update_cursor(str(int(context.cursor or 0) + 1))
    return dg.SkipReason("only ticking")
"""

CHATTY = f"""
import sys
import time
from pathlib import Path

import assettui as dg

GATE = Path(__file__).parent / "start.gate"


@dg.asset
def chatty(context):
    context.log.info("waiting for the follower")
    deadline = time.monotonic() + 120
    while not GATE.exists():
        if time.monotonic() > deadline:
            raise TimeoutError("the follower never started")
        time.sleep(0.01)
    for i in range({FOLLOW_LINES}):
        context.log.info(f"line {{i:06d}}")
        print(f"out {{i:06d}}")
        if i % 10_000 == 0:
            print(f"err {{i:06d}}", file=sys.stderr)
    sys.stdout.write("no newline at the end")
    return {FOLLOW_LINES}


defs = dg.Definitions(assets=[chatty])
"""


def asset_name(group: int, index: int) -> str:
    return f"g{group}_a{index:03d}"


def load_project_source() -> str:
    """RUNS groups of ASSETS layered assets (each fed by the asset one layer up) + a sensor."""
    parts = [LOAD_HEADER]
    for group in range(RUNS):
        for index in range(ASSETS):
            name = asset_name(group, index)
            upstream = asset_name(group, index - LAYER) if index >= LAYER else ""
            parts.append(
                f"\n@dg.asset(group_name='g{group}')\n"
                f"def {name}(context{', ' + upstream if upstream else ''}):\n"
                f"    return work(context, {index}, {LOG_LINES}, {PRINT_LINES})\n"
            )
    names = ", ".join(asset_name(g, i) for g in range(RUNS) for i in range(ASSETS))
    parts.append(f"\ndefs = dg.Definitions(assets=[{names}], sensors=[ticker])\n")
    return "".join(parts)


def write_project(root: Path, source: str) -> Path:
    root.mkdir()
    (root / "definitions.py").write_text(textwrap.dedent(source))
    return root


def child_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "ASSETTUI_HOME"}


def wait_for(condition: Callable[[], Any], what: str, timeout: float = 90.0) -> Any:
    """Poll ``condition`` until truthy; fail after ``timeout`` (a deadline, not a measure)."""
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(0.02)
    return value


async def pilot_wait(pilot: Any, condition: Callable[[], Any], what: str, timeout: float = 90.0):
    """As :func:`wait_for`, but lets the app run while waiting."""
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")
        await pilot.pause(0.05)
    return value


def locked_mentions(files: Iterable[Path], texts: Iterable[str]) -> list[str]:
    found = [str(path) for path in files if LOCKED in path.read_text(errors="replace").lower()]
    return found + [text[:200] for text in texts if LOCKED in text.lower()]


def report(figures: str) -> None:
    # The README's reliability section quotes these (run with -s to see them).
    print(f"\n[load] {figures}")


@pytest.mark.slow
async def test_eight_queued_runs_of_a_hundred_assets_under_the_tui_and_the_scheduler(
    tmp_path: Path,
) -> None:
    began = time.monotonic()
    root = write_project(tmp_path / "load", load_project_source())
    target = find_project(root)
    home = root / ".assettui"
    app = AssetTuiApp(target, home, run_scheduler=True)
    pass_errors: list[tuple[str, str]] = []
    app.scheduler.on_pass = lambda passed: pass_errors.extend(passed.errors)
    storage = Storage(home)  # the test's own connection, as another process would have
    launcher = RunLauncher(home, target, storage)
    groups = {
        group: frozenset(AssetKey(asset_name(group, i)) for i in range(ASSETS))
        for group in range(RUNS)
    }
    run_ids: list[str] = []
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot_wait(pilot, lambda: app.defs is not None, "the project to load")
            run_ids += [
                launcher.create_run(keys, tags={"load/group": f"g{group}"}).run_id
                for group, keys in groups.items()
            ]
            assert all(storage.runs.get_run(r).status is DagsterRunStatus.QUEUED for r in run_ids)

            # The app's scheduler dequeues them; all 8 are in progress at once (each holds at
            # its first asset until the gate opens), so the queue allows at least 8.
            def in_progress() -> bool:
                runs = [storage.runs.get_run(r) for r in run_ids]
                return all(r.status is DagsterRunStatus.STARTED and r.pid for r in runs)

            await pilot_wait(pilot, in_progress, "8 runs in progress at once")
            await pilot.press("L")  # the log view tails a run (the newest the runs list saw)
            view = app.query_one(LogView)
            await pilot_wait(pilot, lambda: view.run_id in run_ids, "the log view to tail a run")
            tailed_id = view.run_id
            ticks_file = root / "sensor.ticks"
            ticks = len(ticks_file.read_text().splitlines()) if ticks_file.exists() else 0
            (root / "start.gate").write_text(str(ticks))

            def all_finished() -> bool:
                return all(storage.runs.get_run(r).is_finished for r in run_ids)

            await pilot_wait(pilot, all_finished, "every run to finish", timeout=120)
            tailed = storage.event_log.run_events(tailed_id)
            await pilot_wait(
                pilot,
                lambda: any(line.text == RUN_SUCCESS for line in view.log_lines.lines),
                "the log view to show the end of the run",
            )
            assert view.run_id == tailed_id  # it tailed that one run all along
            shown = view.log_lines.lines
        elapsed = time.monotonic() - began

        statuses = {r: storage.runs.get_run(r).status for r in run_ids}
        assert set(statuses.values()) == {DagsterRunStatus.SUCCESS}, statuses
        total_events = 0
        for group, run_id in zip(groups, run_ids, strict=True):
            events = storage.event_log.run_events(run_id)
            total_events += len(events)
            counts = Counter(e.event_type for e in events)
            assert counts[E.RUN_START] == counts[E.RUN_SUCCESS] == 1
            assert counts[E.STEP_START] == counts[E.STEP_SUCCESS] == ASSETS
            assert counts[E.ASSET_MATERIALIZATION] == ASSETS
            assert counts[E.LOG] == ASSETS * LOG_LINES
            assert not counts[E.STEP_FAILURE] and not counts[E.RUN_FAILURE]
            materialized = [e.asset_key for e in events if e.event_type is E.ASSET_MATERIALIZATION]
            assert set(materialized) == groups[group] and len(materialized) == ASSETS
            logged = Counter(e.message for e in events if e.event_type is E.LOG)
            assert all(n == 1 for n in logged.values())  # none stored twice
            # The per-asset status table kept up with the event log for every asset.
            latest = storage.asset_status.latest_materializations(groups[group])
            assert {key: e.run_id for key, e in latest.items()} == dict.fromkeys(
                groups[group], run_id
            )
            for key in groups[group]:
                out = storage.step_log_paths(run_id, key.to_user_string()).stdout
                assert out.read_text().count(" out ") == PRINT_LINES

        # The TUI showed every event of the run it tailed, once and in order, and its
        # captured output.
        shown_events = [line.text for line in shown if line.level not in ("STDOUT", "STDERR")]
        assert shown_events == [line.text for line in lines_for_events(tailed)]
        assert sum(line.level == "STDOUT" for line in shown) == ASSETS * PRINT_LINES

        # The scheduler kept ticking all along: sensor ticks were stored, none failed.
        sensor_ticks = storage.automation.list_ticks("ticker", InstigatorType.SENSOR)
        assert len(sensor_ticks) >= 2
        assert {t.status for t in sensor_ticks} == {TickStatus.SKIPPED}
        assert pass_errors == []

        logs = [p for p in (home / "logs").rglob("*") if p.is_file()]
        messages = [
            e.message or "" for run_id in run_ids for e in storage.event_log.run_events(run_id)
        ]
        assert locked_mentions(logs, messages) == []
        report(
            f"{RUNS} runs x {ASSETS} assets through the queue, {total_events} events stored, "
            f"{len(sensor_ticks)} sensor ticks, TUI tailing {len(shown)} lines, "
            f"{elapsed:.1f}s"
        )
    finally:
        for run_id in run_ids:  # a failed test must not leave workers behind
            launcher.cancel(run_id)
        storage.close()


LINE = re.compile(r"^\S+ (\S+)\s+\[chatty\] (?:line|out|err) (\d{6})$")


def test_a_hundred_thousand_log_lines_stream_to_logs_follow(tmp_path: Path) -> None:
    began = time.monotonic()
    root = write_project(tmp_path / "chatty", CHATTY)
    target = find_project(root)
    home = root / ".assettui"
    with Storage(home) as storage:
        launcher = RunLauncher(home, target, storage)
        run_id = launcher.launch([AssetKey("chatty")])
        wait_for(
            lambda: any(
                e.message == "waiting for the follower"
                for e in storage.event_log.run_events(run_id)
            ),
            "the step to start",
        )
        assert not storage.runs.get_run(run_id).is_finished
        follower = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "assettui.cli.main_entry",
                "logs",
                str(root),
                run_id,
                "--follow",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=child_env(),
        )
        try:
            (root / "start.gate").touch()  # the run writes only once the follower runs
            out, err = follower.communicate(timeout=120)
        finally:
            if follower.poll() is None:
                follower.kill()
        run = storage.runs.get_run(run_id)
        elapsed = time.monotonic() - began

    assert follower.returncode == 0, err
    assert run is not None and run.status is DagsterRunStatus.SUCCESS
    lines = out.splitlines()
    assert sum(line.endswith(f"RUN_SUCCESS: {RUN_SUCCESS}") for line in lines) == 1
    by_stream: dict[str, list[int]] = {"INFO": [], "STDOUT": [], "STDERR": []}
    for line in lines:
        if match := LINE.match(line):
            by_stream[match.group(1)].append(int(match.group(2)))
    # context.log records (events) and printed lines (captured stdout/stderr): each line
    # exactly once, in order.
    assert by_stream["INFO"] == list(range(FOLLOW_LINES))
    assert by_stream["STDOUT"] == list(range(FOLLOW_LINES))
    assert by_stream["STDERR"] == list(range(0, FOLLOW_LINES, 10_000))
    assert sum(line.endswith("[chatty] no newline at the end") for line in lines) == 1
    assert LOCKED not in out.lower() and LOCKED not in err.lower()
    report(
        f"{FOLLOW_LINES} context.log lines + {FOLLOW_LINES} printed lines from one step, "
        f"{len(lines)} lines followed live by `assettui logs --follow`, {elapsed:.1f}s"
    )


STUCK = """
import time

import assettui as dg


@dg.asset
def stuck(context):
    context.log.info("stuck started")
    time.sleep(120)


defs = dg.Definitions(assets=[stuck])
"""


def test_follower_ends_a_run_whose_worker_died_and_exits(tmp_path: Path) -> None:
    # No TUI, daemon or launcher watches this worker: only the follower can notice it died.
    root = write_project(tmp_path / "stuck", STUCK)
    target = find_project(root)
    home = root / ".assettui"
    with Storage(home) as storage:
        run = RunLauncher(home, target, storage).create_run(
            [AssetKey("stuck")], status=DagsterRunStatus.NOT_STARTED
        )
        storage.runs.update_run_status(run.run_id, DagsterRunStatus.STARTING)
        worker = subprocess.Popen(
            worker_command(home, run.run_id, target),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=child_env(),
        )
        follower = subprocess.Popen(
            [sys.executable, "-m", "assettui.cli.main_entry", "logs", str(root), "latest", "-f"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=child_env(),
        )
        try:
            wait_for(
                lambda: any(
                    e.message == "stuck started" for e in storage.event_log.run_events(run.run_id)
                ),
                "the step to start",
            )
            worker.kill()
            out, err = follower.communicate(timeout=60)
        finally:
            for proc in (worker, follower):
                if proc.poll() is None:
                    proc.kill()
                proc.wait()
        ended = storage.runs.get_run(run.run_id)
    assert follower.returncode == 0, err
    assert "stuck started" in out and "died without finishing the run" in out
    assert ended is not None and ended.status is DagsterRunStatus.FAILURE
    assert "died" in (ended.failure_reason or "")
