"""Launching runs in worker subprocesses, canceling them, and noticing dead workers."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from assettui.errors import ExecutionError, InvalidRunTransitionError, RunNotFoundError
from assettui.model.asset_key import AssetKey
from assettui.model.records.events import DagsterEventType, NewEvent, error_payload
from assettui.model.records.runs import (
    ASSET_JOB_NAME,
    IN_PROCESS_TAG,
    IN_PROGRESS_STATUSES,
    RESUME_RETRY_TAG,
    DagsterRun,
    DagsterRunStatus,
    RunsFilter,
)
from assettui.model.results import AssetCheckKey
from assettui.project.target import ProjectTarget
from assettui.storage.instance_storage import STORAGE_ENV, Storage
from assettui.storage.private import make_private_folder, open_private

CANCEL_GRACE_SECONDS = 5.0
# Only for a worker whose identity cannot be checked (see monitor_runs): longer than the
# database busy timeout, so a worker waiting for a lock is not taken for a dead one.
DEAD_HEARTBEAT_SECONDS = 90.0
# A STARTING run without a worker pid for this long lost its launcher: it is queued again.
ORPHANED_START_SECONDS = 10.0


def worker_command(home: Path, run_id: str, target: ProjectTarget) -> list[str]:
    cmd = [
        sys.executable,
        "-m",
        "assettui.execution.worker",
        "--home",
        str(home),
        "--run-id",
        run_id,
        "--root",
        str(target.root),
    ]
    if target.module_name:
        cmd += ["--module", target.module_name]
    if target.python_file:
        cmd += ["--file", str(target.python_file)]
    if target.attribute:
        cmd += ["--attribute", target.attribute]
    return cmd


def pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie child still answers kill(0); treat it as dead
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def fail_run(storage: Storage, run_id: str, reason: str) -> bool:
    """End an unfinished run FAILURE with ``reason`` (CANCELED if it was being canceled).

    Returns:
        Whether this call ended it (False: missing, or already finished).
    """
    error = error_payload(reason, "WorkerDied")
    try:
        return storage.end_run(run_id, DagsterRunStatus.FAILURE, reason, error=error) is not None
    except InvalidRunTransitionError:
        return False


def monitor_runs(storage: Storage, now: float | None = None) -> list[str]:
    """Mark runs whose worker died FAILURE (or CANCELED if they were canceling).

    A run is dead when its recorded worker pid is gone. A live pid still running this run's
    worker (its command line names the run, read from ``/proc``) is alive even when its
    heartbeat is late: a worker waiting for a database lock cannot write heartbeats either.
    Where that cannot be checked (no ``/proc``, or the pid now runs something else) a
    heartbeat older than ``DEAD_HEARTBEAT_SECONDS`` means dead. A run executed inside
    another process (``materialize()``, tagged ``IN_PROCESS_TAG``) records that process's pid
    and no heartbeat: it is dead only when that process is gone. A STARTING run whose
    worker never started (its launcher died first) is queued again.

    Returns:
        The ids of the runs marked.
    """
    now = time.time() if now is None else now
    marked = []
    for run in storage.runs.list_runs(RunsFilter(statuses=list(IN_PROGRESS_STATUSES))):
        if run.pid is None:
            if run.status is DagsterRunStatus.STARTING:
                since = run.updated_at or run.created_at or now
                if now - since >= ORPHANED_START_SECONDS and requeue_run(storage, run.run_id):
                    marked.append(run.run_id)
            continue
        elif not pid_alive(run.pid):
            reason = f"The run's worker process (pid {run.pid}) died without finishing the run."
        elif runs_worker_of(run.pid, run.run_id):
            continue
        elif run.heartbeat is not None and now - run.heartbeat > DEAD_HEARTBEAT_SECONDS:
            reason = f"The run's worker stopped heartbeating ({now - run.heartbeat:.0f}s ago)."
        else:
            continue
        if fail_run(storage, run.run_id, reason):
            marked.append(run.run_id)
            if run.pid and not pid_alive(run.pid) and IN_PROCESS_TAG not in run.tags:
                end_orphaned_group(run.pid)  # an in-process run's pid leads no group of ours
    return marked


def requeue_run(storage: Storage, run_id: str) -> bool:
    """Put a STARTING run whose worker was never started back in the queue.

    The process that claimed it (a daemon or the UI) died between claiming it and starting
    its worker, which records the worker's pid within milliseconds; the queue starts it again.
    """
    try:
        storage.runs.update_run_status(
            run_id, DagsterRunStatus.QUEUED, expected=DagsterRunStatus.STARTING
        )
    except Exception:  # it moved on meanwhile (started, canceled): nothing to do
        return False
    storage.event_log.store_events(
        [
            NewEvent(
                run_id=run_id,
                event_type=DagsterEventType.ENGINE_EVENT,
                message="The process that claimed this run died before starting its worker; "
                "the run is queued again.",
                level="WARNING",
            )
        ]
    )
    return True


def runs_worker_of(pid: int, run_id: str) -> bool:
    """Whether process ``pid`` is the worker of ``run_id`` (false if it cannot be told)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            args = handle.read().split(b"\0")
    except OSError:
        return False
    return b"assettui.execution.worker" in args and run_id.encode() in args


def end_orphaned_group(worker_pid: int) -> None:
    """SIGKILL what is left of a dead worker's process group (its steps' subprocesses).

    A worker leads its own group (``start_new_session``), and Linux does not hand out a pid
    that is still a group id, so once the worker is gone the group holds only its orphans.
    """
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(worker_pid, signal.SIGKILL)


class RunLauncher:
    """Stores runs and starts a worker subprocess for each.

    Args:
        home: the instance folder.
        target: the project the workers load.
    """

    def __init__(self, home: Path, target: ProjectTarget, storage: Storage | None = None):
        self.home = Path(home)
        self.target = target
        self.storage = storage or Storage(home)
        # As in Dagster: the steps of a `.py` target run in the caller's working directory;
        # those of a project folder or module in the project's root.
        self.cwd = Path.cwd() if target.python_file is not None else Path(target.root)
        self._procs: dict[str, subprocess.Popen[bytes]] = {}
        self._lock = threading.Lock()

    # ---- creating runs ------------------------------------------------------------------

    def create_run(
        self,
        asset_keys: Iterable[AssetKey],
        *,
        partition_key: str | None = None,
        partition_range: tuple[str, str] | None = None,
        tags: Mapping[str, str] | None = None,
        run_config: Mapping[str, Any] | None = None,
        check_keys: Iterable[AssetCheckKey] | None = None,
        job_name: str = ASSET_JOB_NAME,
        status: DagsterRunStatus = DagsterRunStatus.QUEUED,
        parent_run_id: str | None = None,
        backfill_id: str | None = None,
    ) -> DagsterRun:
        run = DagsterRun.for_partitions(
            partition_key=partition_key,
            partition_range=partition_range,
            tags=tags,
            job_name=job_name,
            status=status,
            asset_selection=frozenset(asset_keys),
            asset_check_selection=frozenset(check_keys) if check_keys is not None else None,
            run_config=dict(run_config or {}),
            parent_run_id=parent_run_id,
            root_run_id=parent_run_id,
            backfill_id=backfill_id,
        )
        return self.storage.runs.create_run(run)

    def launch(
        self,
        asset_keys: Iterable[AssetKey],
        *,
        partition_key: str | None = None,
        partition_range: tuple[str, str] | None = None,
        tags: Mapping[str, str] | None = None,
        run_config: Mapping[str, Any] | None = None,
        check_keys: Iterable[AssetCheckKey] | None = None,
        job_name: str = ASSET_JOB_NAME,
    ) -> str:
        """Store a run and start its worker now; returns the run id (does not wait)."""
        run = self.create_run(
            asset_keys,
            partition_key=partition_key,
            partition_range=partition_range,
            tags=tags,
            run_config=run_config,
            check_keys=check_keys,
            job_name=job_name,
            status=DagsterRunStatus.NOT_STARTED,
        )
        self.start_worker(run.run_id)
        return run.run_id

    def launch_queued(self, run_id: str) -> None:
        """Start the worker of a QUEUED run (what the run queue calls)."""
        self.storage.runs.update_run_status(
            run_id, DagsterRunStatus.STARTING, expected=DagsterRunStatus.QUEUED
        )
        self.start_worker(run_id)

    def start_worker(self, run_id: str) -> subprocess.Popen[bytes]:
        run = self.storage.runs.get_run(run_id)
        if run is not None and run.status is DagsterRunStatus.NOT_STARTED:
            self.storage.runs.update_run_status(run_id, DagsterRunStatus.STARTING)
        log_dir = self.home / "logs" / run_id
        make_private_folder(log_dir)
        with open_private(log_dir / "worker.log") as log:
            proc = subprocess.Popen(
                worker_command(self.home, run_id, self.target),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=str(self.cwd),
                env=self._worker_env(),
                start_new_session=True,
            )
        self.storage.runs.set_run_pid(run_id, proc.pid)
        with self._lock:
            self._procs[run_id] = proc
        threading.Thread(
            target=self._reap, args=(run_id, proc), daemon=True, name=f"assettui-reap-{run_id[:8]}"
        ).start()
        return proc

    def _worker_env(self) -> dict[str, str]:
        """The worker's environment: this one, with the storage this launcher uses (the
        URL travels in the environment, never on a command line others can read)."""
        env = dict(os.environ)
        env[STORAGE_ENV] = self.storage.url or ""
        return env

    def _reap(self, run_id: str, proc: subprocess.Popen[bytes]) -> None:
        code = proc.wait()
        with self._lock:
            self._procs.pop(run_id, None)
        if code < 0:
            name = signal.Signals(-code).name
            reason = f"The run's worker process was killed by {name}."
        else:
            reason = f"The run's worker process exited with code {code} without finishing the run."
        with contextlib.suppress(Exception):
            if fail_run(self.storage, run_id, reason):
                end_orphaned_group(proc.pid)

    def is_running(self, run_id: str) -> bool:
        with self._lock:
            proc = self._procs.get(run_id)
        return proc is not None and proc.poll() is None

    def wait(self, run_id: str, timeout: float | None = None) -> DagsterRun | None:
        """Wait until the run finishes (or ``timeout``); returns the stored run."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            run = self.storage.runs.get_run(run_id)
            if run is None or run.is_finished:
                return run
            if deadline is not None and time.monotonic() > deadline:
                return run
            time.sleep(0.05)

    # ---- canceling and re-executing ---------------------------------------------------------

    def cancel(self, run_id: str, grace: float = CANCEL_GRACE_SECONDS) -> None:
        """Cancel a run: a queued run ends CANCELED at once; a running one is sent SIGTERM,
        then SIGKILL after ``grace`` seconds. Does not wait."""
        run = self.storage.runs.get_run(run_id)
        if run is None or run.is_finished:
            return
        if run.status in (DagsterRunStatus.QUEUED, DagsterRunStatus.NOT_STARTED):
            with contextlib.suppress(Exception):
                self.storage.end_run(
                    run_id,
                    DagsterRunStatus.CANCELED,
                    "Canceled before it started.",
                    reason="canceled",
                    expected=run.status,
                )
            return
        if run.status is not DagsterRunStatus.CANCELING:
            with contextlib.suppress(Exception):
                self.storage.runs.update_run_status(run_id, DagsterRunStatus.CANCELING)
                self.storage.event_log.store_events(
                    [
                        NewEvent(
                            run_id=run_id,
                            event_type=DagsterEventType.RUN_CANCELING,
                            message="Canceling the run.",
                            level="WARNING",
                        )
                    ]
                )
        pid = run.pid
        if pid and pid_alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
            threading.Thread(
                target=self._kill_later, args=(run_id, pid, grace), daemon=True
            ).start()
        else:
            fail_run(self.storage, run_id, "canceled (the worker was not running)")

    def _kill_later(self, run_id: str, pid: int, grace: float) -> None:
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            if not pid_alive(pid):
                break
            time.sleep(0.05)
        else:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
        time.sleep(0.2)
        fail_run(self.storage, run_id, "canceled")

    def reexecute(
        self,
        run_id: str,
        from_failure: bool = False,
        asset_keys: Iterable[AssetKey] | None = None,
    ) -> str:
        """Launch a new run of the same selection (or only what failed or was skipped, or
        only ``asset_keys`` of it: the steps a user picked)."""
        parent = self.storage.runs.get_run(run_id)
        if parent is None:
            raise RunNotFoundError(f"No run with id {run_id!r}.")
        keys = set(parent.asset_selection or ())
        if asset_keys is not None:
            chosen = set(asset_keys)
            if not chosen or not chosen <= keys:
                raise ExecutionError(
                    f"Re-execute picks among run {run_id[:8]}'s assets; "
                    f"{sorted(k.to_user_string() for k in chosen - keys) or 'nothing'} "
                    "is not one of them."
                )
            keys = chosen
        tags = {**parent.tags, "dagster/parent_run_id": run_id}
        if from_failure and not keys:  # an op job: the new run reuses what succeeded
            tags[RESUME_RETRY_TAG] = "true"
        elif from_failure:
            done = {
                e.asset_key
                for e in self.storage.event_log.run_events(run_id)
                if e.event_type is DagsterEventType.ASSET_MATERIALIZATION and e.asset_key
            }
            keys -= done
        run = self.create_run(
            keys,
            partition_key=parent.partition_key,
            partition_range=parent.partition_range,
            tags=tags,
            run_config=parent.run_config,
            job_name=parent.job_name,
            status=DagsterRunStatus.NOT_STARTED,
            parent_run_id=run_id,
        )
        self.start_worker(run.run_id)
        return run.run_id


class QueuedRunLauncher:
    """What the run queue calls once it has moved a run to STARTING: start its worker."""

    def __init__(self, launcher: RunLauncher):
        self.launcher = launcher

    def launch(self, run_id: str) -> None:
        self.launcher.start_worker(run_id)
