"""The backfill engine: submit a persisted backfill, drive it to the end, cancel it.

A backfill is planned once, when submitted (see :mod:`backfill_plan`), and the plan is stored
with the backfill record (in its ``cursor`` column, as JSON) before any run exists. From then
on the database is the whole state: a run of the backfill carries its ``backfill_id``, the
tags ``dagster/backfill`` and ``dagster/partition`` (or the range tags) and the index of the
planned run it is (``assettui/backfill_run``). A :func:`drive_backfills` pass — from the
scheduler loop or the ``assettui backfill`` command, in any process, after any crash — reads
which planned runs exist, creates the ones now due and finishes the backfill when its runs
are done. The check "has this planned run a run yet" and the run's creation happen in one
write transaction, so two racing passes never create two runs for one partition.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from assettui.automation.backfill_plan import BackfillPlan, PlannedRun, plan_backfill
from assettui.errors import PartitionError, StorageError
from assettui.model.asset_graph import AssetGraph
from assettui.model.asset_key import AssetKey
from assettui.model.records.runs import BACKFILL_ID_TAG, DagsterRun, DagsterRunStatus, RunsFilter
from assettui.storage.backfills import BackfillRecord, BulkActionStatus
from assettui.storage.instance import DagsterInstance
from assettui.storage.instance_storage import Storage

BACKFILL_JOB_TAG = "assettui/backfill_job"  # a job backfill: every run is of this job
PLANNED_RUN_TAG = "assettui/backfill_run"
DEFAULT_MAX_CONCURRENT = 4

_UNFINISHED = (BulkActionStatus.REQUESTED, BulkActionStatus.CANCELING)


class BackfillRunCanceler(Protocol):
    """What canceling a backfill needs from the run launcher (``execution.launcher.RunLauncher``).

    A backfill never starts runs itself: it creates them QUEUED, and the run queue starts
    them within the instance's limits.
    """

    def cancel(self, run_id: str) -> None: ...


@dataclass(frozen=True, slots=True)
class BackfillProgress:
    """Where a backfill stands, counted in planned runs.

    Attributes:
        backfill_id: the backfill.
        status: its stored status.
        total: runs in its plan.
        done: runs that succeeded.
        failed: runs that failed or were canceled.
        queued: runs waiting for a slot.
        in_progress: runs starting or running.
        not_launched: planned runs without a run yet.
        blocked: of those, runs that will never launch (a run they wait for failed).
    """

    backfill_id: str
    status: BulkActionStatus
    total: int
    done: int
    failed: int
    queued: int
    in_progress: int
    not_launched: int
    blocked: int

    @property
    def finished(self) -> int:
        """Runs that ended (the progress bar's position)."""
        return self.done + self.failed + self.blocked

    @property
    def is_finished(self) -> bool:
        return self.status not in _UNFINISHED


# ---------------------------------------------------------------- planning and submitting


def partition_statuses(storage: Storage, asset_keys: Iterable[AssetKey]) -> dict:
    """Stored status value per partition of each asset (absent partitions are missing)."""
    return {
        key: {row.partition or "": row.status.value for row in _all_statuses(storage, key)}
        for key in asset_keys
    }


def _all_statuses(storage: Storage, key: AssetKey) -> list[Any]:
    return storage.asset_status.partition_statuses(key)


def plan_for(
    storage: Storage,
    graph: AssetGraph,
    asset_keys: Iterable[AssetKey],
    partition_keys: Sequence[str],
    *,
    policy: str = "all",
) -> BackfillPlan:
    """Plan a backfill against the instance's current partition statuses.

    Raises:
        SelectionError, PartitionError: see :func:`backfill_plan.plan_backfill`.
    """
    keys = list(asset_keys)
    statuses = partition_statuses(storage, keys) if policy != "all" else None
    return plan_backfill(
        graph,
        keys,
        partition_keys,
        policy=policy,
        statuses=statuses,
        dynamic_partitions_store=DagsterInstance(storage),
    )


def count_runs(
    storage: Storage,
    graph: AssetGraph,
    asset_keys: Iterable[AssetKey],
    partition_keys: Sequence[str],
    *,
    policy: str = "all",
) -> int:
    """How many runs :func:`submit_backfill` with the same arguments would launch."""
    return len(plan_for(storage, graph, asset_keys, partition_keys, policy=policy).runs)


def submit_backfill(
    storage: Storage,
    graph: AssetGraph,
    asset_keys: Iterable[AssetKey],
    partition_keys: Sequence[str],
    *,
    policy: str = "all",
    tags: Mapping[str, str] | None = None,
    max_concurrent: int = DEFAULT_MAX_CONCURRENT,
    plan: BackfillPlan | None = None,
) -> str:
    """Plan and store a backfill; its runs are created by :func:`drive_backfills` passes.

    Args:
        storage: the instance storage.
        graph: the asset graph.
        asset_keys: the selected assets.
        partition_keys: the partitions to backfill (of the first partitioned selected asset).
        policy: ``"all"``, ``"missing"`` or ``"failed_and_missing"``.
        tags: tags for every run of the backfill.
        max_concurrent: at most this many of its runs queued or running at once.
        plan: a plan made already (by :func:`plan_for`), to store as it is.

    Returns:
        The backfill id. A backfill with nothing to run is stored ``COMPLETED``.

    Raises:
        SelectionError, PartitionError: a bad selection or partition key.
    """
    keys = sorted(set(asset_keys))
    if plan is None:
        plan = plan_for(storage, graph, keys, partition_keys, policy=policy)
    with storage.transaction():
        record = storage.backfills.create_backfill(
            keys,
            plan.partition_keys,
            partition_filter=_describe(plan.partition_keys),
            tags=dict(tags or {}),
        )
        storage.backfills.update_backfill(
            record.backfill_id,
            cursor=plan.to_json(max_concurrent=max(1, max_concurrent)),
            status=None if plan.runs else BulkActionStatus.COMPLETED,
        )
    return record.backfill_id


def _describe(keys: Sequence[str]) -> str | None:
    return f"{keys[0]}...{keys[-1]}" if keys else None


def find_unfinished_backfill(
    storage: Storage, asset_keys: Iterable[AssetKey], partition_keys: Sequence[str], policy: str
) -> str | None:
    """The newest unfinished backfill of exactly this selection, partitions and policy."""
    wanted = frozenset(asset_keys)
    for record in storage.backfills.list_backfills(statuses=[BulkActionStatus.REQUESTED]):
        if frozenset(record.asset_selection) != wanted:
            continue
        if tuple(record.partition_keys) != tuple(dict.fromkeys(partition_keys)):
            continue
        if _load(record)[0].policy == policy:
            return record.backfill_id
    return None


def _load(record: BackfillRecord) -> tuple[BackfillPlan, int]:
    if not record.cursor:
        raise StorageError(
            f"Backfill {record.backfill_id} has no stored plan (it was not made by the "
            "backfill engine); it cannot be driven."
        )
    plan, extra = BackfillPlan.from_json(record.cursor, record.partition_keys)
    return plan, int(extra.get("max_concurrent", DEFAULT_MAX_CONCURRENT))


def load_plan(storage: Storage, backfill_id: str) -> BackfillPlan:
    """The stored plan of a backfill.

    Raises:
        StorageError: no such backfill, or it has no plan.
    """
    return _load(_record(storage, backfill_id))[0]


def _record(storage: Storage, backfill_id: str) -> BackfillRecord:
    record = storage.backfills.get_backfill(backfill_id)
    if record is None:
        raise StorageError(f"No backfill with id {backfill_id!r} in this instance.")
    return record


# ---------------------------------------------------------------- driving


def _runs_by_planned_index(storage: Storage, backfill_id: str) -> dict[int, DagsterRun]:
    found: dict[int, DagsterRun] = {}
    for run in storage.runs.list_runs(RunsFilter(backfill_id=backfill_id), ascending=True):
        index = run.tags.get(PLANNED_RUN_TAG)
        if index is not None and index.isdigit():
            found.setdefault(int(index), run)
    return found


def _progress(
    record: BackfillRecord, plan: BackfillPlan, runs: Mapping[int, DagsterRun]
) -> tuple[BackfillProgress, list[int]]:
    """Count the planned runs by state; also returns the indexes ready to be created."""
    done = failed = queued = running = blocked = 0
    state: list[str] = []  # per planned run: ok, bad, open, blocked, ready, waiting
    ready: list[int] = []
    for index, planned in enumerate(plan.runs):
        run = runs.get(index)
        if run is not None:
            if run.is_success:
                done += 1
                state.append("ok")
            elif run.is_finished:
                failed += 1
                state.append("bad")
            else:
                if run.status is DagsterRunStatus.QUEUED:
                    queued += 1
                else:
                    running += 1
                state.append("open")
            continue
        deps = [state[i] for i in planned.after]
        if any(s in ("bad", "blocked") for s in deps):
            blocked += 1
            state.append("blocked")
        elif all(s == "ok" for s in deps):
            ready.append(index)
            state.append("ready")
        else:
            state.append("waiting")
    progress = BackfillProgress(
        backfill_id=record.backfill_id,
        status=record.status,
        total=len(plan.runs),
        done=done,
        failed=failed,
        queued=queued,
        in_progress=running,
        not_launched=len(plan.runs) - len(runs),
        blocked=blocked,
    )
    return progress, ready


def get_backfill_progress(storage: Storage, backfill_id: str) -> BackfillProgress:
    """Where a backfill stands (counted from its runs; no writes).

    Raises:
        StorageError: no such backfill, or it has no stored plan.
    """
    record = _record(storage, backfill_id)
    plan, _ = _load(record)
    return _progress(record, plan, _runs_by_planned_index(storage, backfill_id))[0]


def _new_run(record: BackfillRecord, planned: PlannedRun, index: int) -> DagsterRun:
    tags = {**record.tags, BACKFILL_ID_TAG: record.backfill_id, PLANNED_RUN_TAG: str(index)}
    job_name = record.tags.get(BACKFILL_JOB_TAG)
    return DagsterRun.for_partitions(
        partition_key=planned.partition_key,
        partition_range=planned.partition_range,
        tags=tags,
        status=DagsterRunStatus.QUEUED,
        asset_selection=frozenset(planned.asset_keys),
        backfill_id=record.backfill_id,
        **({"job_name": job_name} if job_name else {}),
    )


def submit_job_backfill(
    storage: Storage,
    job: Any,
    partition_keys: Sequence[str],
    *,
    tags: Mapping[str, str] | None = None,
    max_concurrent: int = DEFAULT_MAX_CONCURRENT,
) -> str:
    """Store a backfill of partitioned op job ``job``: one run of the job per partition
    (each with that partition's config, as Dagster's job backfills do).

    Raises:
        PartitionError: the job is not partitioned, or a key is not one of its partitions.
    """
    pdef = job.partitions_def
    if pdef is None:
        raise PartitionError(f"Job {job.name!r} is not partitioned, so it cannot be backfilled.")
    keys = list(dict.fromkeys(partition_keys))
    unknown = [k for k in keys if not pdef.has_partition_key(k, dynamic_partitions_store=storage)]
    if unknown:
        raise PartitionError(
            f"{unknown[0]!r} is not a partition of job {job.name!r}; see its partitions with "
            f"`assettui job list`."
        )
    plan = BackfillPlan(tuple(PlannedRun((), (k,)) for k in keys), tuple(keys), "all")
    run_tags = {**{k: str(v) for k, v in job.run_tags.items()}, **(tags or {})}
    with storage.transaction():
        record = storage.backfills.create_backfill(
            [],
            plan.partition_keys,
            partition_filter=_describe(plan.partition_keys),
            tags={**run_tags, BACKFILL_JOB_TAG: job.name},
        )
        storage.backfills.update_backfill(
            record.backfill_id,
            cursor=plan.to_json(max_concurrent=max(1, max_concurrent)),
            status=None if plan.runs else BulkActionStatus.COMPLETED,
        )
    return record.backfill_id


def _create_due_runs(
    storage: Storage, backfill_id: str, plan: BackfillPlan, candidates: list[int], room: int
) -> list[str]:
    """Create QUEUED runs for up to ``room`` candidates that still have none (one transaction)."""
    created: list[str] = []
    with storage.transaction():
        # Re-read under the write lock: another pass may have created some meanwhile.
        record = _record(storage, backfill_id)
        if record.status is not BulkActionStatus.REQUESTED:
            return []
        existing = _runs_by_planned_index(storage, backfill_id)
        in_flight = sum(1 for run in existing.values() if not run.is_finished)
        room = min(room, _max_concurrent(record) - in_flight)
        for index in candidates:
            if len(created) >= room:
                break
            if index in existing:
                continue
            run = storage.runs.create_run(_new_run(record, plan.runs[index], index))
            created.append(run.run_id)
        if created:
            storage.backfills.update_backfill(
                backfill_id, num_requested=len(existing) + len(created)
            )
    return created


def _max_concurrent(record: BackfillRecord) -> int:
    return _load(record)[1]


def drive_backfill(
    storage: Storage, backfill_id: str, launcher: BackfillRunCanceler | None = None
) -> BackfillProgress:
    """One pass over one backfill: queue the runs now due, finish the backfill when done.

    The runs are created QUEUED; the run queue starts them.

    Args:
        storage: the instance storage.
        backfill_id: the backfill.
        launcher: cancels the running runs of a canceled backfill (``None``: they are left
            for a pass with a launcher).

    Returns:
        The backfill's progress after the pass.
    """
    record = _record(storage, backfill_id)
    if record.status is BulkActionStatus.CANCELING:
        return _drive_canceling(storage, record, launcher)
    plan, max_concurrent = _load(record)
    runs = _runs_by_planned_index(storage, backfill_id)
    progress, ready = _progress(record, plan, runs)
    if record.is_finished:
        return progress
    room = max_concurrent - progress.queued - progress.in_progress
    if ready and room > 0 and _create_due_runs(storage, backfill_id, plan, ready, room):
        runs = _runs_by_planned_index(storage, backfill_id)
    progress, ready = _progress(record, plan, runs)
    return _record_progress(storage, record, progress)


def _record_progress(
    storage: Storage, record: BackfillRecord, progress: BackfillProgress
) -> BackfillProgress:
    """Store the counters, and the end status once nothing can run any more."""
    open_runs = progress.queued + progress.in_progress
    status: BulkActionStatus | None = None
    error: str | None = None
    if open_runs == 0 and progress.not_launched == progress.blocked:
        if progress.done == progress.total:
            status = BulkActionStatus.COMPLETED
        else:
            status = BulkActionStatus.FAILED
            error = f"{progress.failed} of {progress.total} runs failed or were canceled" + (
                f"; {progress.blocked} were not launched because a run they wait for failed."
                if progress.blocked
                else "."
            )
    counters = (progress.total - progress.not_launched, progress.done, progress.failed)
    if status is None and counters == (
        record.num_requested,
        record.num_completed,
        record.num_failed,
    ):
        return progress
    with storage.transaction():
        current = _record(storage, record.backfill_id)
        if current.status is not BulkActionStatus.REQUESTED:
            status = error = None  # canceled meanwhile: the cancel wins
        storage.backfills.update_backfill(
            record.backfill_id,
            status=status,
            num_requested=counters[0],
            num_completed=counters[1],
            num_failed=counters[2],
            error=error,
        )
    if status is None:
        return progress
    return BackfillProgress(**{**_fields(progress), "status": status})


def _fields(progress: BackfillProgress) -> dict[str, Any]:
    return {name: getattr(progress, name) for name in BackfillProgress.__slots__}


def _drive_canceling(
    storage: Storage, record: BackfillRecord, launcher: BackfillRunCanceler | None
) -> BackfillProgress:
    plan, _ = _load(record)
    runs = _runs_by_planned_index(storage, record.backfill_id)
    for run in runs.values():
        if run.is_finished:
            continue
        if launcher is not None:
            with contextlib.suppress(Exception):
                launcher.cancel(run.run_id)
        elif run.status is DagsterRunStatus.QUEUED:
            _cancel_queued(storage, run.run_id)
    runs = _runs_by_planned_index(storage, record.backfill_id)
    progress, _ = _progress(record, plan, runs)
    if progress.queued + progress.in_progress == 0:
        storage.backfills.update_backfill(
            record.backfill_id,
            status=BulkActionStatus.CANCELED,
            num_completed=progress.done,
            num_failed=progress.failed,
        )
        return BackfillProgress(**{**_fields(progress), "status": BulkActionStatus.CANCELED})
    return progress


def _cancel_queued(storage: Storage, run_id: str) -> None:
    # A run that started meanwhile is left alone; a pass with a launcher cancels it.
    storage.end_run(
        run_id,
        DagsterRunStatus.CANCELED,
        "Canceled with its backfill before it started.",
        reason="canceled with its backfill",
        expected=DagsterRunStatus.QUEUED,
    )


def cancel_backfill(
    storage: Storage, backfill_id: str, launcher: BackfillRunCanceler | None = None
) -> BackfillProgress:
    """Cancel a backfill: no new runs; queued runs end CANCELED, running ones are canceled.

    The backfill is ``CANCELING`` until its runs have ended, then ``CANCELED`` (the next
    :func:`drive_backfills` pass finishes what this call could not).

    Raises:
        StorageError: no such backfill.
    """
    with storage.transaction():
        record = _record(storage, backfill_id)
        if record.is_finished:
            return get_backfill_progress(storage, backfill_id)
        record = storage.backfills.update_backfill(backfill_id, status=BulkActionStatus.CANCELING)
    return _drive_canceling(storage, record, launcher)


def drive_backfills(
    storage: Storage, launcher: BackfillRunCanceler | None = None
) -> list[BackfillProgress]:
    """One pass over every unfinished backfill (what the scheduler loop calls).

    A backfill that cannot be driven (no stored plan) is marked ``FAILED`` with the reason.

    Returns:
        The progress of each backfill driven.
    """
    results = []
    for record in storage.backfills.list_backfills(statuses=_UNFINISHED):
        try:
            results.append(drive_backfill(storage, record.backfill_id, launcher))
        except StorageError as exc:
            if record.cursor:
                raise
            storage.backfills.update_backfill(
                record.backfill_id, status=BulkActionStatus.FAILED, error=str(exc)
            )
    return results
