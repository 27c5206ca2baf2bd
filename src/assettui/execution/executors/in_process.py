"""The in-process executor: a plan's steps one after another, in the run's own process."""

from __future__ import annotations

import threading

from assettui.execution.plan import ExecutionPlan
from assettui.execution.step_runner import RunInterrupted, RunOutcome, StepRunner


class InProcessExecutor:
    """Runs the steps in plan order (a topological order) in this process."""

    name = "in_process"

    def execute(
        self, plan: ExecutionPlan, runner: StepRunner, cancel: threading.Event
    ) -> RunOutcome:
        first_exc: BaseException | None = None
        canceled = False
        queue = list(plan.steps)
        while queue:
            step = queue.pop(0)
            if cancel.is_set():
                canceled = True
                break
            reason = runner.skip_reason(step)
            if reason:
                runner.skip(step, reason)
                continue
            expanded = runner.expand(step)
            if expanded is not None:  # e.g. one step per mapping key, run next
                queue[:0] = expanded
                continue
            try:
                outcome = runner.run_step(step)
            except RunInterrupted:
                canceled = True
                runner.interrupted(step)
                break
            runner.record_outcome(step, outcome)
            if outcome.exception is not None and first_exc is None:
                first_exc = outcome.exception
        return runner.outcome(canceled, first_exc)
