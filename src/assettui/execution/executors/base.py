"""The executor interface: where and when the steps of a run's plan run.

A :class:`~assettui.execution.step_runner.StepRunner` knows how to run one step; an executor
decides the order, the parallelism and the process each step runs in. Every executor keeps
the same contract (the contract suite in ``tests/contracts`` runs against each):

- a step runs only after every step it depends on has an outcome, and a step whose upstream
  did not materialize is skipped with the runner's reason (``runner.skip``);
- every step of the plan ends with an outcome in ``runner.outcomes`` (run, skipped, or
  skipped because the run was canceled);
- once ``cancel`` is set no new step starts; the run's outcome says it was canceled;
- the result is ``runner.outcome(canceled, first_exception)``.
"""

from __future__ import annotations

import threading
from typing import Protocol

from assettui.execution.plan import ExecutionPlan
from assettui.execution.step_runner import RunOutcome, StepRunner


class Executor(Protocol):
    """Runs every step of ``plan`` through ``runner`` and returns the run's outcome."""

    name: str

    def execute(
        self, plan: ExecutionPlan, runner: StepRunner, cancel: threading.Event
    ) -> RunOutcome: ...
