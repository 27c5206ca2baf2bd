"""Turning a schedule's or sensor's ``RunRequest`` into a QUEUED run, and storing a tick.

:func:`commit_tick` is the one place a tick is written: the runs it requests, their run
keys, dynamic partition changes, the cursor and the tick row commit in one transaction, so
a crash leaves either all of them or none.
"""

from __future__ import annotations

import os
import socket
import traceback
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from assettui.errors import AssettuiError, DefinitionError, ScheduleError
from assettui.model.asset_key import AssetKey
from assettui.model.automation.schedules import RunRequest
from assettui.model.partitions.definitions import (
    AddDynamicPartitionsRequest,
    DeleteDynamicPartitionsRequest,
)
from assettui.model.records.events import DagsterEventType, NewEvent
from assettui.model.records.runs import ASSET_JOB_NAME, DagsterRun, DagsterRunStatus
from assettui.model.selection.asset_selection import AssetSelection
from assettui.storage.automation_state import InstigatorType, TickRecord, TickStatus
from assettui.storage.instance_storage import Storage

RUN_KEY_TAG = "dagster/run_key"


@dataclass(frozen=True)
class RunOrigin:
    """Who requests runs and what a request without a job or selection targets.

    Attributes:
        name: the schedule/sensor name.
        kind: schedule or sensor.
        origin_tag: the tag naming it on each run (``dagster/schedule_name``, ...).
        job_names: the jobs it targets (a request must pick one if there are several).
        asset_selection: what it materializes when it targets assets, not a job.
        run_key_namespace: where its run keys are claimed (unique per instigator).
    """

    name: str
    kind: InstigatorType
    origin_tag: str
    job_names: tuple[str, ...] = ()
    asset_selection: Any = None
    run_key_namespace: str = ""


@dataclass(frozen=True)
class TickOutcome:
    """The result of one tick, as stored."""

    name: str
    kind: str
    status: TickStatus
    timestamp: float
    run_ids: tuple[str, ...] = ()
    run_keys: tuple[str, ...] = ()
    skip_reason: str | None = None
    error: str | None = None
    tick_id: int | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @staticmethod
    def from_record(record: TickRecord, kind: str | None = None) -> TickOutcome:
        return TickOutcome(
            name=record.name,
            kind=kind or record.kind.value,
            status=record.status,
            timestamp=record.timestamp,
            run_ids=record.run_ids,
            run_keys=record.run_keys,
            skip_reason=record.skip_reason,
            error=record.error,
            tick_id=record.tick_id,
        )


def error_text(exc: BaseException) -> str:
    """An error with its traceback, as stored on a failed tick."""
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)).rstrip()


def build_run(
    defs: Any,
    request: RunRequest,
    origin: RunOrigin,
    *,
    now: datetime,
    dynamic_store: Any = None,
    extra_tags: Mapping[str, str] | None = None,
) -> DagsterRun:
    """The QUEUED run for ``request``, resolved against the Definitions.

    Raises:
        ScheduleError: the request names no job or an unknown one, or a partition key its
            target does not have.
    """
    job_name = request.job_name
    if job_name is None and len(origin.job_names) == 1:
        job_name = origin.job_names[0]
    if job_name is None and len(origin.job_names) > 1 and request.asset_selection is None:
        raise ScheduleError(
            f"{origin.kind.value.capitalize()} {origin.name!r} targets several jobs "
            f"({', '.join(origin.job_names)}); set RunRequest(job_name=...)."
        )
    graph = defs.resolve_asset_graph()
    base_tags: dict[str, str] = {}
    checks: frozenset[Any] | None = None
    job = None
    if job_name is not None and job_name != ASSET_JOB_NAME:
        try:
            job = defs.resolve_job_def(job_name)
        except DefinitionError as exc:
            raise ScheduleError(
                f"{origin.kind.value.capitalize()} {origin.name!r} requested job {job_name!r}: "
                f"{exc}"
            ) from exc
        keys = frozenset(request.asset_selection or job.asset_keys)
        if request.asset_selection is None or job.is_op_job:
            checks = frozenset(job.asset_check_keys)
        if job.is_op_job:
            keys = frozenset()  # an op job runs its ops, not assets
        partitions_def = job.partitions_def
        base_tags = {k: str(v) for k, v in (job.run_tags or {}).items()}
    else:
        job_name = ASSET_JOB_NAME
        if request.asset_selection is not None:
            keys = frozenset(request.asset_selection)
        elif origin.asset_selection is not None:
            keys = frozenset(AssetSelection.from_coercible(origin.asset_selection).resolve(graph))
        else:
            raise ScheduleError(
                f"{origin.kind.value.capitalize()} {origin.name!r} has no job or asset "
                "selection; give it job=/target=/asset_selection=, or set "
                "RunRequest(asset_selection=...)."
            )
        unknown = sorted(k.to_user_string() for k in keys if not graph.has(k))
        if unknown:
            raise ScheduleError(
                f"{origin.kind.value.capitalize()} {origin.name!r} requested unknown assets: "
                f"{', '.join(unknown)}."
            )
        defs_of = {graph.get(k).partitions_def for k in keys} - {None}
        partitions_def = defs_of.pop() if len(defs_of) == 1 else None
    partition_key = request.partition_key
    if partition_key is not None:
        if partitions_def is None:
            raise ScheduleError(
                f"{origin.kind.value.capitalize()} {origin.name!r} requested partition "
                f"{partition_key!r}, but its target {job_name!r} is not partitioned."
            )
        try:
            has_key = partitions_def.has_partition_key(
                partition_key, current_time=now, dynamic_partitions_store=dynamic_store
            )
        except AssettuiError as exc:
            raise ScheduleError(f"{origin.name!r}: {exc}") from exc
        if not has_key:
            raise ScheduleError(
                f"{origin.kind.value.capitalize()} {origin.name!r} requested partition "
                f"{partition_key!r}, which {job_name!r} does not have (yet)."
            )
    tags = {
        **base_tags,
        **(request.tags or {}),
        **(extra_tags or {}),
        origin.origin_tag: origin.name,
    }
    if request.run_key is not None:
        tags[RUN_KEY_TAG] = request.run_key
    run_config = request.run_config_dict()
    if job is not None and job.is_op_job and partition_key is not None:
        tags = {**job.tags_for_partition_key(partition_key), **tags}
        if not run_config:
            run_config = job.run_config_for_partition_key(partition_key)
    return DagsterRun.for_partitions(
        partition_key=partition_key,
        tags=tags,
        job_name=job_name,
        status=DagsterRunStatus.QUEUED,
        asset_selection=keys,
        asset_check_selection=checks,
        run_config=run_config,
    )


LEASE_MARGIN_SECONDS = 60.0  # a lease outlives the longest evaluation by this much


def lease_owner() -> str:
    """A scheduler's name on leases: ``<host>:<pid>:<random>`` (one per scheduler object)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@contextmanager
def exclusive_tick(
    storage: Storage, name: str, kind: InstigatorType, owner: str, seconds: float
) -> Iterator[bool]:
    """Whether this scheduler holds ``name``'s lease for the block (evaluation to commit);
    another scheduler holding it means: skip ``name`` this pass. Released at the end."""
    taken = storage.automation.acquire_lease(name, kind, owner, seconds + LEASE_MARGIN_SECONDS)
    try:
        yield taken
    finally:
        if taken:
            storage.automation.release_lease(name, kind, owner)


@dataclass(frozen=True)
class TickGuard:
    """The newest tick of a schedule/sensor when its evaluation began.

    Two schedulers may share an instance (the TUI's thread and a headless daemon). Each
    reads this before evaluating; the one that commits second finds a newer tick inside its
    write transaction and stores nothing, so a tick's runs are requested once.
    """

    previous_tick_id: int | None

    @classmethod
    def read(cls, storage: Storage, origin: RunOrigin) -> TickGuard:
        latest = storage.automation.latest_tick(origin.name, origin.kind)
        return cls(latest.tick_id if latest is not None else None)

    def committed_by_another(self, storage: Storage, origin: RunOrigin) -> TickRecord | None:
        """The tick another scheduler stored since :meth:`read`, if any."""
        latest = storage.automation.latest_tick(origin.name, origin.kind)
        if latest is None:
            return None
        if self.previous_tick_id is None or latest.tick_id > self.previous_tick_id:
            return latest
        return None


def commit_tick(
    storage: Storage,
    origin: RunOrigin,
    timestamp: float,
    requests: Sequence[RunRequest],
    build: Callable[[RunRequest], DagsterRun],
    *,
    skip_reason: str | None = None,
    cursor: str | None = None,
    set_cursor: bool = False,
    dynamic_requests: Sequence[Any] = (),
    guard: TickGuard | None = None,
    log_lines: Sequence[str] = (),
) -> TickOutcome:
    """Store a tick with its runs (QUEUED), run keys, partition changes and cursor, atomically.

    A run whose run key was claimed before (ever) is dropped; if every run is dropped the
    tick is SKIPPED.

    Args:
        requests: the run requests.
        build: makes the run of a request (called after the partition changes are applied,
            so a request may name a partition added by the same tick).
        set_cursor: store ``cursor`` as the instigator's cursor.
        guard: read before the evaluation; if another scheduler stored a tick since,
            nothing is stored and that tick is returned.

    Raises:
        ScheduleError: a request cannot be resolved (nothing is stored).
    """
    with storage.transaction():
        if guard is not None and (other := guard.committed_by_another(storage, origin)):
            return TickOutcome.from_record(other)
        apply_dynamic_requests(storage, dynamic_requests)
        run_ids: list[str] = []
        run_keys: list[str] = []
        skipped_keys: list[str] = []
        for request in requests:
            run = build(request)
            run_key = request.run_key
            if run_key is not None:
                if not storage.automation.claim_run_key(
                    origin.run_key_namespace or origin.name, run_key, run.run_id
                ):
                    skipped_keys.append(run_key)
                    continue
                run_keys.append(run_key)
            storage.runs.create_run(run)
            storage.event_log.store_event(
                NewEvent(
                    run_id=run.run_id,
                    event_type=DagsterEventType.RUN_ENQUEUED,
                    message=f"Run requested by {origin.kind.value} {origin.name}.",
                )
            )
            run_ids.append(run.run_id)
        if not run_ids and skip_reason is None:
            skip_reason = (
                f"Run keys already requested before: {', '.join(skipped_keys)}."
                if skipped_keys
                else "No run requests."
            )
        status = TickStatus.SUCCESS if run_ids else TickStatus.SKIPPED
        if set_cursor:
            storage.automation.set_cursor(origin.name, origin.kind, cursor)
        record = storage.automation.create_tick(
            origin.name,
            origin.kind,
            timestamp,
            status=status,
            run_ids=run_ids,
            run_keys=run_keys,
            skip_reason=None if run_ids else skip_reason,
            cursor=cursor if set_cursor else None,
            log_lines=log_lines,
        )
    return TickOutcome.from_record(record)


def commit_failed_tick(
    storage: Storage,
    origin: RunOrigin,
    timestamp: float,
    error: str,
    *,
    guard: TickGuard | None = None,
    cursor: str | None = None,
    set_cursor: bool = False,
    log_lines: Sequence[str] = (),
) -> TickOutcome:
    """Store a FAILURE tick carrying ``error`` (its traceback included).

    ``guard``, ``cursor`` and ``set_cursor`` as in :func:`commit_tick` (a schedule's cursor
    moves past a failed tick, so it is recorded once rather than retried forever).
    """
    with storage.transaction():
        if guard is not None and (other := guard.committed_by_another(storage, origin)):
            return TickOutcome.from_record(other)
        if set_cursor:
            storage.automation.set_cursor(origin.name, origin.kind, cursor)
        record = storage.automation.create_tick(
            origin.name,
            origin.kind,
            timestamp,
            status=TickStatus.FAILURE,
            error=error,
            cursor=cursor if set_cursor else None,
            log_lines=log_lines,
        )
    return TickOutcome.from_record(record)


def apply_dynamic_requests(storage: Storage, requests: Sequence[Any]) -> None:
    """Add or delete dynamic partitions as a sensor asked."""
    for request in requests:
        if isinstance(request, AddDynamicPartitionsRequest):
            storage.dynamic_partitions.add(request.partitions_def_name, request.partition_keys)
        elif isinstance(request, DeleteDynamicPartitionsRequest):
            for key in request.partition_keys:
                storage.dynamic_partitions.delete(request.partitions_def_name, key)
        else:
            raise ScheduleError(
                f"dynamic_partitions_requests got {request!r}; use "
                "DynamicPartitionsDefinition.build_add_request/build_delete_request."
            )


def asset_key_strings(keys: Sequence[AssetKey]) -> list[str]:
    return sorted(k.to_user_string() for k in keys)
