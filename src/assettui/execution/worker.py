"""The run worker: ``python -m assettui.execution.worker --home H --run-id R --root P ...``.

One process per run, so user code can neither freeze nor crash the TUI or CLI, a run can be
canceled (SIGTERM interrupts the current step; the run ends CANCELED), and fresh code is
always used. It records its pid, heartbeats every second, captures each step's stdout and
stderr into files under the instance, and sends ``context.log`` records to the event log.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HEARTBEAT_SECONDS = 1.0
STEP_PROCESS_GRACE_SECONDS = 2.0


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="assettui-worker")
    parser.add_argument("--home", required=True)
    parser.add_argument("--run-id", required=True)
    parser.add_argument("--root", required=True)
    parser.add_argument("--module", default=None)
    parser.add_argument("--file", default=None)
    parser.add_argument("--attribute", default=None)
    return parser.parse_args(argv)


def end_step_processes(grace: float = STEP_PROCESS_GRACE_SECONDS) -> None:
    """After a cancel, end the processes the steps started, so none outlives the run.

    The launcher starts the worker as the leader of a new process group, which the steps'
    subprocesses join; they get SIGTERM and the worker reaps its own children for up to
    ``grace`` seconds. A worker not leading its group (run by hand from a shell) leaves the
    group alone: it is the shell's.
    """
    if os.getpgrp() != os.getpid():
        return
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # the group includes this process
    with contextlib.suppress(ProcessLookupError):
        os.killpg(os.getpgrp(), signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return  # no children left
        if pid == 0:
            time.sleep(0.02)


def scheduled_later_than_now(tags: Mapping[str, str]) -> datetime | None:
    """A scheduled run's time when it lies ahead of the clock (``daemon --once --now T``):
    the run's partitions are those that exist at T, as its schedule saw them."""
    from assettui.model.automation.schedules import SCHEDULED_TIME_TAG

    try:
        scheduled = datetime.fromisoformat(tags[SCHEDULED_TIME_TAG])
    except (KeyError, ValueError):
        return None
    if scheduled.tzinfo is None:
        scheduled = scheduled.replace(tzinfo=UTC)
    return scheduled if scheduled > datetime.now(UTC) else None


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    # Imports after parsing so `--help` is instant; the worker never imports Textual.
    from assettui.execution.capture import step_capture_into
    from assettui.execution.errors_info import error_info
    from assettui.execution.run_lifecycle import execute_stored_run
    from assettui.execution.step_runner import RunInterrupted
    from assettui.model.partitions.loading_context import partition_loading_context
    from assettui.model.records.events import error_payload
    from assettui.model.records.runs import DagsterRunStatus
    from assettui.project import LoadFailure, ProjectTarget, load_project
    from assettui.storage.instance import DagsterInstance
    from assettui.storage.instance_storage import Storage

    storage = Storage(args.home)
    instance = DagsterInstance(storage)
    run = storage.runs.get_run(args.run_id)
    if run is None:
        print(f"assettui worker: no run {args.run_id} in {args.home}", file=sys.stderr)
        return 2
    if run.is_finished or run.status is DagsterRunStatus.CANCELING:
        return 0
    storage.runs.set_run_pid(run.run_id, os.getpid())
    storage.runs.heartbeat(run.run_id)

    cancel = threading.Event()
    main_thread = threading.main_thread()

    def on_term(signum: int, frame: Any) -> None:
        if cancel.is_set():
            return
        cancel.set()
        if threading.current_thread() is main_thread:
            raise RunInterrupted()

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    if hasattr(signal, "SIGXFSZ"):
        # Past a file size limit (RLIMIT_FSIZE) a write must fail with EFBIG, which the IO
        # manager reports as a failed step, not kill the worker. CPython already ignores
        # SIGXFSZ at startup; the worker relies on it, so it says so.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)

    stop_heartbeat = threading.Event()

    def heartbeat() -> None:
        while not stop_heartbeat.wait(HEARTBEAT_SECONDS):
            with contextlib.suppress(Exception):
                storage.runs.heartbeat(run.run_id)

    threading.Thread(target=heartbeat, name="assettui-heartbeat", daemon=True).start()

    target = ProjectTarget(
        root=Path(args.root),
        module_name=args.module,
        python_file=Path(args.file) if args.file else None,
        attribute=args.attribute,
    )
    loaded = load_project(target, validate=False)
    if isinstance(loaded, LoadFailure):
        with contextlib.suppress(Exception):
            storage.end_run(
                run.run_id,
                DagsterRunStatus.FAILURE,
                f"The project failed to load: {loaded.message}",
                error=error_payload(loaded.message, "ProjectLoadError", [loaded.traceback]),
                reason="project failed to load",
            )
        return 1
    defs = loaded.defs
    graph = defs.resolve_asset_graph()
    job = None
    if run.job_name and run.job_name in defs.job_names:
        job = defs.resolve_job_def(run.job_name)

    try:
        with partition_loading_context(effective_dt=scheduled_later_than_now(run.tags)):
            outcome, _sink = execute_stored_run(
                instance=instance,
                graph=graph,
                run=run,
                resources={**defs.resources, **(job.resources if job and job.is_op_job else {})},
                run_config=run.run_config,
                live=True,
                cancel=cancel,
                step_capture=step_capture_into(storage, run.run_id),
                op_retry_policy=job.op_retry_policy if job else None,
                executor_def=(job.executor_def if job else None) or defs.executor,
                job=job if job is not None and job.is_op_job else None,
                project=target,
            )
    except RunInterrupted:
        with contextlib.suppress(Exception):
            storage.end_run(
                run.run_id, DagsterRunStatus.CANCELED, "The run was canceled.", reason="canceled"
            )
        end_step_processes()
        return 1
    except Exception as exc:  # an engine bug: record it rather than leave the run hanging
        with contextlib.suppress(Exception):
            storage.end_run(
                run.run_id,
                DagsterRunStatus.FAILURE,
                f"The run worker failed: {exc}",
                error=error_info(exc),
                reason=str(exc),
            )
        return 1
    finally:
        stop_heartbeat.set()
    if outcome.canceled:
        end_step_processes()
    return 0 if outcome.success else 1


if __name__ == "__main__":
    code = main()
    from assettui.execution.leftover_threads import leftovers_alive

    if leftovers_alive():  # the run ended: threads its steps left running end with it
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)
