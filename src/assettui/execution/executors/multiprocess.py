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
from dataclasses import dataclass, field
from typing import Any

from assettui.errors import ExecutionError
from assettui.execution.event_sink import LIVE_EAGER_TYPES, EventSink
from assettui.execution.io_managers.filesystem import InMemoryIOManager
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


@dataclass
class _Child:
    step: Step
    pid: int
    fd: int
    data: bytearray = field(default_factory=bytearray)


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


class _ForkedRun:
    """One run's steps scheduled onto forked step processes."""

    def __init__(
        self, plan: ExecutionPlan, runner: StepRunner, cancel: threading.Event, limit: int
    ):
        self.plan = plan
        self.runner = runner
        self.cancel = cancel
        self.max_concurrent = limit

    def execute(self) -> RunOutcome:
        self._refuse_in_memory_io()
        deps = {step.key: set(step.upstream_steps) for step in self.plan.steps}
        pending = list(self.plan.steps)
        running: dict[int, _Child] = {}
        selector = selectors.DefaultSelector()
        first_exc: BaseException | None = None
        canceled = False
        try:
            while pending or running:
                if self.cancel.is_set():
                    canceled = True
                    break
                self._start_ready(pending, running, deps, selector)
                if not running:
                    if pending:  # nothing runs and nothing can start: a plan bug, not user's
                        raise ExecutionError(
                            "The multiprocess executor found steps whose dependencies never "
                            f"ran: {', '.join(s.key for s in pending)}."
                        )
                    break
                for done in self._wait(selector, running):
                    outcome = self._collect(done)
                    if outcome.exception is not None and first_exc is None:
                        first_exc = outcome.exception
        except RunInterrupted:
            canceled = True
            self.cancel.set()
        finally:
            if running:
                self._stop_children(selector, running)
            selector.close()
        return self.runner.outcome(canceled, first_exc)

    # ---- scheduling ------------------------------------------------------------------------

    def _start_ready(
        self,
        pending: list[Step],
        running: dict[int, _Child],
        deps: dict[str, set[str]],
        selector: selectors.BaseSelector,
    ) -> None:
        progressed = True
        while progressed and len(running) < self.max_concurrent:
            progressed = False
            for step in list(pending):
                if len(running) >= self.max_concurrent:
                    return
                if not deps[step.key] <= self.runner.outcomes.keys():
                    continue
                pending.remove(step)
                progressed = True
                reason = self.runner.skip_reason(step)
                if reason:
                    self.runner.skip(step, reason)  # may make further steps ready: look again
                    break
                expanded = self.runner.expand(step)
                if expanded is not None:  # a dynamic op's steps, one per mapping key
                    for concrete in expanded:
                        deps[concrete.key] = set(concrete.upstream_steps)
                    pending[:0] = expanded
                    break
                child = self._fork(step)
                running[child.pid] = child
                selector.register(child.fd, selectors.EVENT_READ, child)

    def _wait(self, selector: selectors.BaseSelector, running: dict[int, _Child]) -> list[_Child]:
        """Block until at least one child has finished; return the finished ones."""
        finished: list[_Child] = []
        while not finished:
            for key, _ in selector.select(timeout=0.5):
                child: _Child = key.data
                chunk = os.read(child.fd, 65536)
                if chunk:
                    child.data.extend(chunk)
                    continue
                selector.unregister(child.fd)
                os.close(child.fd)
                del running[child.pid]
                finished.append(child)
            if self.cancel.is_set() and not finished:
                raise RunInterrupted()
        return finished

    def _collect(self, child: _Child) -> StepOutcome:
        _, status = os.waitpid(child.pid, 0)
        report = _parse_report(bytes(child.data))
        step = child.step
        if report is None:
            how = (
                f"killed by signal {os.WTERMSIG(status)}"
                if os.WIFSIGNALED(status)
                else f"exited with code {os.WEXITSTATUS(status) if os.WIFEXITED(status) else status}"
            )
            message = f'The process of step "{step.key}" {how} before reporting its outcome.'
            self.runner.emit(E.STEP_FAILURE, message, step=step.key, level="ERROR")
            self.runner.fail_assets(step, error_payload(message, "StepProcessDied"))
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
            self.runner.unavailable |= _keys(report["unavailable"])
            self.runner.blocked |= _keys(report["blocked_assets"])
            self.runner.absorb_child_state(report.get("runner") or {})
        self.runner.record_outcome(step, outcome)
        return outcome

    def _stop_children(self, selector: selectors.BaseSelector, running: dict[int, _Child]) -> None:
        """Cancel: SIGTERM every child, then SIGKILL those still there after the grace."""
        for pid in running:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + CHILD_STOP_GRACE_SECONDS
        while running and time.monotonic() < deadline:
            with contextlib.suppress(RunInterrupted):  # a second SIGTERM while we wait
                for child in self._wait(selector, running):
                    self._collect(child)
        for pid, child in list(running.items()):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            selector.unregister(child.fd)
            os.close(child.fd)
            self._collect(child)
        running.clear()

    def _refuse_in_memory_io(self) -> None:

        for step in self.plan.steps:
            definition = step.definition
            for name, out in getattr(definition, "outs", {}).items():  # an op's outputs
                if isinstance(self.runner.resources.get(out.io_manager_key), InMemoryIOManager):
                    raise ExecutionError(
                        f"Output {name!r} of op {step.key!r} uses an in-memory IO manager, which "
                        "cannot pass values between the multiprocess executor's step "
                        "processes. Use a filesystem IO manager or the in_process_executor."
                    )
            for key in step.asset_keys:
                manager = self.runner.resources.get(definition.get_io_manager_key(key))
                if isinstance(manager, InMemoryIOManager):
                    raise ExecutionError(
                        f"Asset {key.to_user_string()!r} uses an in-memory IO manager, which "
                        "cannot pass values between the multiprocess executor's step "
                        "processes. Use a filesystem IO manager or the in_process_executor."
                    )

    # ---- the child -------------------------------------------------------------------------

    def _fork(self, step: Step) -> _Child:
        self.runner.sink.flush()  # the parent's events so far land before the child's
        sys.stdout.flush()  # or the child would write the parent's buffered output again
        sys.stderr.flush()
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # the step's process: never returns
            os.close(read_fd)
            self._child_main(step, write_fd)
        os.close(write_fd)
        return _Child(step, pid, read_fd)

    def _child_main(self, step: Step, write_fd: int) -> None:
        code = 0
        try:
            _die_with_parent()

            runner = self.runner
            storage = Storage(runner.instance.storage.home)
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
