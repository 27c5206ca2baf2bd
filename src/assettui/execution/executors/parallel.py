"""The scheduling loop the parallel executors share: a step starts once every step it
depends on has an outcome, at most ``limit`` at a time; where a step runs is the subclass's.

A subclass launches a step somewhere (a forked process, a Dask task), says how many are
running, blocks until some have finished (recording their outcomes), and stops what still
runs when the run is canceled.
"""

from __future__ import annotations

import threading

from assettui.errors import ExecutionError
from assettui.execution.io_managers.filesystem import InMemoryIOManager
from assettui.execution.plan import ExecutionPlan, Step
from assettui.execution.step_runner import RunInterrupted, RunOutcome, StepOutcome, StepRunner


class ParallelRun:
    """One run's steps scheduled onto concurrent workers of some kind."""

    executor_name = "parallel"

    def __init__(
        self, plan: ExecutionPlan, runner: StepRunner, cancel: threading.Event, limit: int
    ):
        self.plan = plan
        self.runner = runner
        self.cancel = cancel
        self.max_concurrent = max(1, limit)

    # ---- what a subclass provides -----------------------------------------------------------

    def _launch(self, step: Step) -> None:
        raise NotImplementedError

    def _running(self) -> int:
        raise NotImplementedError

    def _finished(self) -> list[StepOutcome]:
        """Block until at least one launched step has ended; record and return the outcomes
        of those that have. Raises :class:`RunInterrupted` once ``cancel`` is set."""
        raise NotImplementedError

    def _stop_all(self) -> None:
        """Cancel: stop every step still running and record its outcome."""
        raise NotImplementedError

    def _close(self) -> None:
        """Release what the run held (called last, whatever happened)."""

    # ---- the loop ---------------------------------------------------------------------------

    def execute(self) -> RunOutcome:
        self._refuse_in_memory_io()
        deps = {step.key: set(step.upstream_steps) for step in self.plan.steps}
        pending = list(self.plan.steps)
        first_exc: BaseException | None = None
        canceled = False
        try:
            while pending or self._running():
                if self.cancel.is_set():
                    canceled = True
                    break
                self._start_ready(pending, deps)
                if not self._running():
                    if pending:  # nothing runs and nothing can start: a plan bug, not user's
                        raise ExecutionError(
                            f"The {self.executor_name} executor found steps whose dependencies "
                            f"never ran: {', '.join(s.key for s in pending)}."
                        )
                    break
                for outcome in self._finished():
                    if outcome.exception is not None and first_exc is None:
                        first_exc = outcome.exception
        except RunInterrupted:
            canceled = True
            self.cancel.set()
        finally:
            try:
                if self._running():
                    self._stop_all()
            finally:
                self._close()
        return self.runner.outcome(canceled, first_exc)

    def _start_ready(self, pending: list[Step], deps: dict[str, set[str]]) -> None:
        progressed = True
        while progressed and self._running() < self.max_concurrent:
            progressed = False
            for step in list(pending):
                if self._running() >= self.max_concurrent:
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
                self._launch(step)

    def _refuse_in_memory_io(self) -> None:
        """Values cross processes here: an in-memory IO manager cannot carry them."""
        advice = (
            f"cannot pass values between the {self.executor_name} executor's step processes. "
            "Use a filesystem IO manager or the in_process_executor."
        )
        for step in self.plan.steps:
            definition = step.definition
            for name, out in getattr(definition, "outs", {}).items():  # an op's outputs
                if isinstance(self.runner.resources.get(out.io_manager_key), InMemoryIOManager):
                    raise ExecutionError(
                        f"Output {name!r} of op {step.key!r} uses an in-memory IO manager, "
                        f"which {advice}"
                    )
            for key in step.asset_keys:
                manager = self.runner.resources.get(definition.get_io_manager_key(key))
                if isinstance(manager, InMemoryIOManager):
                    raise ExecutionError(
                        f"Asset {key.to_user_string()!r} uses an in-memory IO manager, which "
                        f"{advice}"
                    )
