"""The run monitor: runs whose worker died, and runs stuck canceling, get an end.

The scheduler calls :meth:`RunMonitor.check` on each pass. Dead workers are found by
``dead_worker_check`` (by default the execution layer's ``monitor_runs``: worker pid gone or
heartbeat stale); runs that stayed ``CANCELING`` longer than ``canceling_timeout_seconds``
are ended ``CANCELED`` here. Stored run times are wall-clock times, so the monitor reads the
wall clock (injectable) rather than the scheduler's clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from assettui.execution.launcher import fail_run, monitor_runs
from assettui.model.records.runs import DagsterRunStatus, RunsFilter
from assettui.storage.instance_storage import Storage

DEFAULT_CANCELING_TIMEOUT_SECONDS = 180.0


class RunMonitorHook(Protocol):
    """Called once per scheduler pass; returns the ids of the runs it ended."""

    def check(self, storage: Storage) -> list[str]: ...


def _default_dead_worker_check(storage: Storage, now: float) -> list[str]:
    return monitor_runs(storage, now)


class RunMonitor:
    """Ends runs that can no longer end by themselves.

    Args:
        dead_worker_check: ``(storage, now) -> ended run ids`` for runs whose worker died.
        canceling_timeout_seconds: a run ``CANCELING`` for longer is ended ``CANCELED``.
        wall_clock: the time source compared with stored run times.
    """

    def __init__(
        self,
        dead_worker_check: Callable[[Storage, float], list[str]]
        | None = _default_dead_worker_check,
        canceling_timeout_seconds: float = DEFAULT_CANCELING_TIMEOUT_SECONDS,
        wall_clock: Callable[[], float] = time.time,
    ):
        self.dead_worker_check = dead_worker_check
        self.canceling_timeout_seconds = canceling_timeout_seconds
        self.wall_clock = wall_clock

    def check(self, storage: Storage) -> list[str]:
        """End dead and stuck runs; returns their ids."""
        now = self.wall_clock()
        ended = list(self.dead_worker_check(storage, now)) if self.dead_worker_check else []
        for run in storage.runs.list_runs(RunsFilter(statuses=[DagsterRunStatus.CANCELING])):
            if run.run_id in ended:
                continue
            since = run.updated_at or run.created_at or now
            if now - since < self.canceling_timeout_seconds:
                continue
            reason = (
                f"The run was canceling for more than {self.canceling_timeout_seconds:g} "
                "seconds; marked canceled by the run monitor."
            )
            if fail_run(storage, run.run_id, reason):
                ended.append(run.run_id)
        return ended
