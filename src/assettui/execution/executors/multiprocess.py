"""The multiprocess executor: independent steps of a run in parallel child processes.

A run worker has already loaded the project and set up resources, so each step's process
is a ``fork`` of the worker: no re-import of user code, no second resource setup. A child
runs one step (with retries) exactly as the in-process executor would, writes its events to
the instance through its own connection, and reports its outcome on a pipe. The parent only
schedules: a step starts once every step it depends on has finished, at most
``max_concurrent`` at a time, and a step whose upstream did not materialize is skipped.

Cancellation (SIGTERM to the worker) is passed on to the children; a child that does not
stop within the grace period is killed. A child that dies without reporting (killed, out of
memory) fails its step with the signal or exit code it died of.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import selectors
import signal
import sys
import threading
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from assettui.errors import ExecutionError
from assettui.execution.event_sink import LIVE_EAGER_TYPES, EventSink
from assettui.execution.executors.parallel import ParallelRun
from assettui.execution.plan import ExecutionPlan, Step
from assettui.execution.step_runner import (
    RunInterrupted,
    RunOutcome,
    StepOutcome,
    StepRunner,
    StepStatus,
)
from assettui.model.asset_key import AssetKey
from assettui.model.records.events import DagsterEventType as E, error_payload
from assettui.storage.instance_storage import Storage

CHILD_STOP_GRACE_SECONDS = 5.0
_PR_SET_PDEATHSIG = 1


def can_fork() -> bool:
    """Whether this platform can run the multiprocess executor (it forks)."""
    return hasattr(os, "fork")


class MultiprocessExecutor:
    """Runs a plan's independent steps at the same time, each in a forked process.

    Args:
        max_concurrent: the most step processes at once (default: the CPU count).

    Values stay in the step's process, so a runner that keeps values (in-process
    ``materialize``) never uses this executor.
    """

    name = "multiprocess"

    def __init__(self, max_concurrent: int | None = None):
        self.max_concurrent = max(1, max_concurrent or os.cpu_count() or 1)

    def execute(
        self, plan: ExecutionPlan, runner: StepRunner, cancel: threading.Event
    ) -> RunOutcome:
        return _ForkedRun(plan, runner, cancel, self.max_concurrent).execute()


class _ForkedRun(ParallelRun):
    """One run's steps scheduled onto forked step processes."""

    executor_name = "multiprocess"

    def __init__(
        self, plan: ExecutionPlan, runner: StepRunner, cancel: threading.Event, limit: int
    ):
        super().__init__(plan, runner, cancel, limit)
        self.children: dict[int, StepProcess] = {}
        self.selector = selectors.DefaultSelector()

    def _launch(self, step: Step) -> None:
        child = fork_step(self.runner, step)
        self.children[child.pid] = child
        self.selector.register(child.fd, selectors.EVENT_READ, child)

    def _running(self) -> int:
        return len(self.children)

    def _finished(self) -> list[StepOutcome]:
        return [self._collect(child) for child in self._wait()]

    def _wait(self) -> list[StepProcess]:
        """Block until at least one child has finished; return the finished ones."""
        finished: list[StepProcess] = []
        while not finished:
            for key, _ in self.selector.select(timeout=0.5):
                child: StepProcess = key.data
                if child.read():
                    continue
                self.selector.unregister(child.fd)
                os.close(child.fd)
                del self.children[child.pid]
                finished.append(child)
            if self.cancel.is_set() and not finished:
                raise RunInterrupted()
        return finished

    def _collect(self, child: StepProcess) -> StepOutcome:
        _, status = os.waitpid(child.pid, 0)
        return record_report(self.runner, child.step, child.report(), exit_how(status))

    def _stop_all(self) -> None:
        """Cancel: SIGTERM every child, then SIGKILL those still there after the grace."""
        for pid in self.children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + CHILD_STOP_GRACE_SECONDS
        while self.children and time.monotonic() < deadline:
            with contextlib.suppress(RunInterrupted):  # a second SIGTERM while we wait
                for child in self._wait():
                    self._collect(child)
        for pid, child in list(self.children.items()):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            self.selector.unregister(child.fd)
            os.close(child.fd)
            self._collect(child)
        self.children.clear()

    def _close(self) -> None:
        self.selector.close()


# ---- one step in a forked process (also used by executors that fork on another host) ------


@dataclass
class StepProcess:
    """A forked process running one step, and what it has reported so far on its pipe."""

    step: Step
    pid: int
    fd: int
    data: bytearray = field(default_factory=bytearray)

    def read(self) -> bool:
        """Read what is waiting on the pipe; ``False`` once the child closed it."""
        chunk = os.read(self.fd, 65536)
        self.data.extend(chunk)
        return bool(chunk)

    def report(self) -> dict[str, Any] | None:
        return _parse_report(bytes(self.data))


def fork_step(runner: StepRunner, step: Step, *, own_signals: bool = False) -> StepProcess:
    """Fork a process that runs ``step`` through ``runner`` (with its retries), writes its
    events to the instance through its own connection and reports on a pipe.

    A step process forked by a run worker keeps the worker's SIGTERM handling (cancel);
    with ``own_signals`` (forked from a process that is not a run worker) the child sets
    its own: SIGTERM or SIGINT interrupts the step, which ends canceled.
    """
    runner.sink.flush()  # the parent's events so far land before the child's
    sys.stdout.flush()  # or the child would write the parent's buffered output again
    sys.stderr.flush()
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the step's process: never returns
        os.close(read_fd)
        _child_main(runner, step, write_fd, own_signals)
    os.close(write_fd)
    return StepProcess(step, pid, read_fd)


def exit_how(status: int) -> str:
    """How a child process ended, from its ``waitpid`` status."""
    if os.WIFSIGNALED(status):
        return f"killed by signal {os.WTERMSIG(status)}"
    return f"exited with code {os.WEXITSTATUS(status) if os.WIFEXITED(status) else status}"


def record_report(
    runner: StepRunner,
    step: Step,
    report: Mapping[str, Any] | None,
    how: str,
    died: str | None = None,
) -> StepOutcome:
    """Record the outcome a step's process reported; with no report, fail the step with
    ``died`` (or a message saying the process ended ``how``)."""
    if report is None:
        message = died or f'The process of step "{step.key}" {how} before reporting its outcome.'
        runner.emit(E.STEP_FAILURE, message, step=step.key, level="ERROR")
        runner.fail_assets(step, error_payload(message, "StepProcessDied"))
        outcome = StepOutcome(StepStatus.FAILURE, missing=set(step.asset_keys))
        outcome.exception = ExecutionError(message)
    else:
        outcome = StepOutcome(
            StepStatus(report["status"]),
            materialized=_keys(report["materialized"]),
            missing=_keys(report["missing"]),
            blocked=_keys(report["blocked"]),
        )
        if report.get("error"):
            outcome.exception = ExecutionError(report["error"])
        runner.unavailable |= _keys(report["unavailable"])
        runner.blocked |= _keys(report["blocked_assets"])
        runner.absorb_child_state(report.get("runner") or {})
    runner.record_outcome(step, outcome)
    return outcome


def _child_main(runner: StepRunner, step: Step, write_fd: int, own_signals: bool) -> None:
    code = 0
    try:
        _die_with_parent()
        runner.log_lock = threading.Lock()  # another thread may have held it at the fork
        if own_signals:
            _interrupt_on_term(runner.cancel)
        parent = runner.instance.storage
        storage = Storage(parent.home, url=parent.url or "")
        runner.sink = EventSink(
            storage.event_log.store_events, flush_interval=0.1, eager_types=LIVE_EAGER_TYPES
        )
        runner.sink.start_flusher()
        unavailable, blocked = set(runner.unavailable), set(runner.blocked)
        error: str | None = None
        try:
            outcome = runner.run_step(step)
            if outcome.exception is not None:
                error = f"{type(outcome.exception).__name__}: {outcome.exception}"
        except RunInterrupted:
            runner.interrupted(step)
            outcome = runner.outcomes[step.key]
            error = "The run was canceled during this step."
        runner.sink.flush()
        runner.sink.close()
        report = {
            "status": outcome.status,
            "materialized": _names(outcome.materialized),
            "missing": _names(outcome.missing),
            "blocked": _names(outcome.blocked),
            "unavailable": _names(runner.unavailable - unavailable),
            "blocked_assets": _names(runner.blocked - blocked),
            "error": error,
            "runner": runner.child_state(),
        }
        with os.fdopen(write_fd, "wb") as pipe:
            pipe.write(json.dumps(report).encode())
    except BaseException:  # never let the child run on into the parent's code
        traceback.print_exc(file=sys.stderr)
        code = 1
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def _interrupt_on_term(cancel: threading.Event) -> None:
    """SIGTERM or SIGINT: set ``cancel`` and interrupt the step (once)."""

    def on_term(signum: int, frame: Any) -> None:
        if not cancel.is_set():
            cancel.set()
            raise RunInterrupted()

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)


def _die_with_parent() -> None:
    """On Linux, have the kernel kill this step process if the run worker dies."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _parse_report(data: bytes) -> dict[str, Any] | None:
    if not data:
        return None
    try:
        report = json.loads(data)
    except ValueError:
        return None
    return report if isinstance(report, dict) else None


def _names(keys: set[AssetKey]) -> list[list[str]]:
    return [list(k.path) for k in sorted(keys, key=lambda k: k.to_user_string())]


def _keys(paths: list[list[str]]) -> set[AssetKey]:
    return {AssetKey(path) for path in paths}
