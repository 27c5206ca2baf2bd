"""The run queue: QUEUED runs start, oldest first, as concurrency slots free up.

Limits follow Dagster's ``QueuedRunCoordinator``: ``max_concurrent_runs`` in-progress runs in
all (default 10; ``-1`` for no limit, ``0`` pauses the queue) and tag concurrency limits such
as ``{"key": "pool", "value": "warehouse", "limit": 2}`` (no ``value``: every run carrying the
key counts; ``{"applyLimitPerUniqueValue": True}``: the limit applies per value). A run held
back by a tag limit does not hold back the runs queued after it. A ``dagster/priority`` tag
(an integer, default 0) starts higher-priority runs first.

A run is claimed with a compare-and-set ``QUEUED -> STARTING`` before it is handed to the
launcher, so two processes running the queue never launch a run twice.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from assettui.errors import InvalidRunTransitionError, ScheduleError
from assettui.model.records.events import error_payload
from assettui.model.records.runs import (
    IN_PROGRESS_STATUSES,
    DagsterRun,
    DagsterRunStatus,
    RunsFilter,
)
from assettui.storage.instance_storage import Storage

DEFAULT_MAX_CONCURRENT_RUNS = 10
PRIORITY_TAG = "dagster/priority"


class RunLauncher(Protocol):
    """Starts the worker of a run the queue has claimed (moved to ``STARTING``).

    ``launch`` must not block on the run; it raises if the worker cannot be started.
    """

    def launch(self, run_id: str) -> None: ...


@dataclass(frozen=True)
class TagConcurrencyLimit:
    """At most ``limit`` in-progress runs carrying tag ``key`` (= ``value``)."""

    key: str
    limit: int
    value: str | None = None
    per_unique_value: bool = False

    @staticmethod
    def from_config(item: Mapping[str, Any]) -> TagConcurrencyLimit:
        """Parse Dagster's dict form, e.g. ``{"key": "pool", "value": "w", "limit": 2}``.

        Raises:
            ScheduleError: a malformed limit.
        """
        try:
            key = str(item["key"])
            limit = int(item["limit"])
        except (KeyError, TypeError, ValueError):
            raise ScheduleError(
                f"Tag concurrency limit {dict(item)!r} needs a 'key' and an integer 'limit'."
            ) from None
        value = item.get("value")
        if isinstance(value, Mapping):
            return TagConcurrencyLimit(
                key, limit, per_unique_value=bool(value.get("applyLimitPerUniqueValue"))
            )
        return TagConcurrencyLimit(key, limit, None if value is None else str(value))

    def slot(self, tags: Mapping[str, str]) -> tuple[str, str | None] | None:
        """The counter a run with ``tags`` uses under this limit (``None``: not limited)."""
        if self.key not in tags:
            return None
        if self.value is not None:
            return (self.key, self.value) if tags[self.key] == self.value else None
        return (self.key, tags[self.key] if self.per_unique_value else None)


def parse_limits(limits: Iterable[Any]) -> tuple[TagConcurrencyLimit, ...]:
    """Tag limits from ``TagConcurrencyLimit`` values or Dagster's dicts."""
    return tuple(
        item if isinstance(item, TagConcurrencyLimit) else TagConcurrencyLimit.from_config(item)
        for item in limits
    )


class RunQueue:
    """Starts queued runs within the concurrency limits.

    Args:
        storage: the instance storage.
        launcher: starts a claimed run's worker (``None``: claim nothing, launch nothing).
        max_concurrent_runs: in-progress runs allowed at once (``-1``: no limit).
        tag_concurrency_limits: per-tag limits (``TagConcurrencyLimit`` or Dagster's dicts).
    """

    def __init__(
        self,
        storage: Storage,
        launcher: RunLauncher | None,
        max_concurrent_runs: int = DEFAULT_MAX_CONCURRENT_RUNS,
        tag_concurrency_limits: Sequence[Any] = (),
    ):
        self.storage = storage
        self.launcher = launcher
        self.max_concurrent_runs = max_concurrent_runs
        self.tag_limits = parse_limits(tag_concurrency_limits)

    def launch_queued_runs(self) -> list[str]:
        """Claim and launch as many queued runs as the limits allow; returns their ids.

        Counting what is in progress and claiming happen in one write transaction, so two
        schedulers on one instance (the UI's and a daemon, or two daemons) never claim more
        than the limits allow between them; workers are started after it commits.
        """
        if self.launcher is None or self.max_concurrent_runs == 0:
            return []
        claimed: list[str] = []
        with self.storage.transaction():
            in_progress = self.storage.runs.list_runs(
                RunsFilter(statuses=list(IN_PROGRESS_STATUSES))
            )
            queued = self.storage.runs.list_runs(
                RunsFilter(statuses=[DagsterRunStatus.QUEUED]), ascending=True
            )
            total = len(in_progress)
            used: Counter[tuple[str, str | None]] = Counter()
            for run in in_progress:
                used.update(self._slots(run).keys())
            for run in sorted(queued, key=_priority):  # stable: oldest first within a priority
                if self.max_concurrent_runs >= 0 and total >= self.max_concurrent_runs:
                    break
                slots = self._slots(run)
                if any(used[slot] >= limit for slot, limit in slots.items()):
                    continue
                if not self._claim(run.run_id):
                    continue
                total += 1
                used.update(slots.keys())
                claimed.append(run.run_id)
        launched: list[str] = []
        for run_id in claimed:
            try:
                self.launcher.launch(run_id)
            except Exception as exc:
                self._fail(run_id, f"The run could not be launched: {exc}")
                continue
            launched.append(run_id)
        return launched

    def _slots(self, run: DagsterRun) -> dict[tuple[str, str | None], int]:
        slots: dict[tuple[str, str | None], int] = {}
        for limit in self.tag_limits:
            slot = limit.slot(run.tags)
            if slot is not None:
                slots[slot] = min(limit.limit, slots.get(slot, limit.limit))
        return slots

    def _claim(self, run_id: str) -> bool:
        try:
            self.storage.runs.update_run_status(
                run_id, DagsterRunStatus.STARTING, expected=DagsterRunStatus.QUEUED
            )
        except InvalidRunTransitionError:
            return False  # canceled meanwhile, or another process claimed it
        return True

    def _fail(self, run_id: str, reason: str) -> None:
        error = error_payload(reason, "LaunchError")
        self.storage.end_run(run_id, DagsterRunStatus.FAILURE, reason, error=error)


def _priority(run: DagsterRun) -> int:
    try:
        return -int(run.tags.get(PRIORITY_TAG, 0))
    except ValueError:
        return 0
