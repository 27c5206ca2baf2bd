"""A step that calls sys.exit or raises KeyboardInterrupt fails inside its run (a
STEP_FAILURE with that reason); the worker lives on, other steps run (issue 18 point 4)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.test_cli import assettui

PROJECT = """
import sys
import assettui as dg


@dg.asset
def quits():
    sys.exit("stop here")


@dg.asset
def interrupted():
    raise KeyboardInterrupt


@dg.asset
def exits_with_a_code():
    sys.exit(3)


@dg.asset
def fine():
    return 1


defs = dg.Definitions(assets=[quits, interrupted, exits_with_a_code, fine])
"""


@pytest.fixture
def project(write_project) -> Path:
    return write_project(PROJECT)


def test_sys_exit_and_keyboard_interrupt_are_step_failures(project: Path) -> None:
    out = assettui("materialize", str(project))
    assert out.returncode == 1
    log = assettui("logs", str(project), "latest").stdout
    assert "[quits] STEP_FAILURE" in log and "SystemExit: stop here" in log
    assert "[interrupted] STEP_FAILURE" in log and "KeyboardInterrupt" in log
    assert "[exits_with_a_code] STEP_FAILURE" in log and "SystemExit: 3" in log
    assert "Materialized fine" in log  # the run went on
    [run] = json.loads(assettui("runs", str(project), "--json").stdout)
    assert run["status"] == "FAILURE"
    reason = run["failure_reason"] or ""
    assert "killed" not in reason and "SIGINT" not in reason
    assert "quits" in reason


LEFTOVER_THREAD = """
import threading
import time

import assettui as dg


@dg.asset
def starts_thread(context):
    def chatter():
        for i in range(60):
            print(f"thread line {i}", flush=True)
            context.log.info(f"thread event {i}")
            time.sleep(0.05)

    threading.Thread(target=chatter).start()  # not a daemon: it outlives the step and run
    print("starts_thread's own line")
    return 1


@dg.asset(deps=[starts_thread])
def after():
    time.sleep(0.6)
    print("after's own line")


defs = dg.Definitions(assets=[starts_thread, after], executor=dg.in_process_executor)
"""


def test_a_thread_left_running_cannot_write_into_later_steps_or_the_ended_run(
    write_project,
) -> None:
    project = write_project(LEFTOVER_THREAD)
    out = assettui("materialize", str(project))
    assert out.returncode == 0, out.stdout + out.stderr
    after = assettui("logs", str(project), "latest", "--step", "after").stdout
    assert "after's own line" in after
    assert "thread line" not in after and "thread event" not in after
    log = assettui("logs", str(project), "latest").stdout.splitlines()
    ended = next(i for i, line in enumerate(log) if "[starts_thread] STEP_SUCCESS" in line)
    assert not [line for line in log[ended:] if "thread event" in line]
    warning = [line for line in log if "Threads left running by step(s) 'starts_thread'" in line]
    assert len(warning) == 1 and "dropped" in warning[0]
    assert "still run" in warning[0]  # the thread outlived the run, and ended with its worker
    assert "RUN_SUCCESS" in log[-1] or any("RUN_SUCCESS" in line for line in log[-3:])


def test_in_process_a_thread_logging_after_the_run_ended_adds_nothing() -> None:
    import threading
    import time

    import assettui as dg

    done = threading.Event()

    @dg.asset
    def leaves_a_thread(context):
        def later():
            time.sleep(0.2)  # the run has ended by now
            for i in range(5):
                context.log.info(f"late {i}")
            done.set()

        threading.Thread(target=later, daemon=True).start()
        return 1

    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize([leaves_a_thread], instance=instance)
    assert result.success
    assert done.wait(5)
    events = instance.all_logs(result.run_id)
    assert not [e for e in events if "late" in (e.message or "")]
    assert events[-1].dagster_event_type.value == "RUN_SUCCESS"
