"""Run values: statuses and their allowed transitions, the run record, run filters.

Lifecycle: ``QUEUED -> STARTING -> STARTED -> SUCCESS | FAILURE``; any unfinished run may go to
``CANCELING`` and then ``CANCELED``, or straight to ``CANCELED``/``FAILURE`` (cancelled
before it started, or its worker died); a ``STARTING`` run whose launcher died before
starting its worker goes back to ``QUEUED``. ``NOT_STARTED`` is the status of a run executed in
process (``materialize``): it may go to ``STARTED`` directly. A finished run
(``SUCCESS``/``FAILURE``/``CANCELED``) never changes again; a ``CANCELING`` run can only end
``CANCELED`` or ``FAILURE`` (a cancel request wins over a late success).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any

from assettui.model.asset_key import AssetKey
from assettui.model.partitions.definitions import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
    PARTITION_NAME_TAG,
)
from assettui.model.results import AssetCheckKey

ASSET_JOB_NAME = "__ASSET_JOB"
# Marks a run executed inside the calling process (``materialize()``), not by a worker.
IN_PROCESS_TAG = "assettui/in_process"
BACKFILL_ID_TAG = "dagster/backfill"  # the backfill a run belongs to
RESUME_RETRY_TAG = "dagster/is_resume_retry"  # Dagster's tag on a retry from failure


class DagsterRunStatus(Enum):
    """The status of a run, under Dagster's names."""

    QUEUED = "QUEUED"
    NOT_STARTED = "NOT_STARTED"
    STARTING = "STARTING"
    STARTED = "STARTED"
    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"
    CANCELING = "CANCELING"
    CANCELED = "CANCELED"


FINISHED_STATUSES = frozenset(
    {DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED}
)
IN_PROGRESS_STATUSES = frozenset(
    {DagsterRunStatus.STARTING, DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING}
)

_S = DagsterRunStatus
ALLOWED_TRANSITIONS: Mapping[DagsterRunStatus, frozenset[DagsterRunStatus]] = {
    _S.QUEUED: frozenset({_S.STARTING, _S.CANCELING, _S.CANCELED, _S.FAILURE}),
    _S.NOT_STARTED: frozenset({_S.STARTING, _S.STARTED, _S.CANCELING, _S.CANCELED, _S.FAILURE}),
    _S.STARTING: frozenset({_S.STARTED, _S.QUEUED, _S.CANCELING, _S.CANCELED, _S.FAILURE}),
    _S.STARTED: frozenset({_S.SUCCESS, _S.FAILURE, _S.CANCELING, _S.CANCELED}),
    _S.CANCELING: frozenset({_S.CANCELED, _S.FAILURE}),
    _S.SUCCESS: frozenset(),
    _S.FAILURE: frozenset(),
    _S.CANCELED: frozenset(),
}


def allowed_predecessors(status: DagsterRunStatus) -> frozenset[DagsterRunStatus]:
    """The statuses a run may be in to move to ``status``."""
    return frozenset(src for src, targets in ALLOWED_TRANSITIONS.items() if status in targets)


def new_run_id() -> str:
    """A fresh run id (a UUID4, as Dagster's)."""
    return str(uuid.uuid4())


@dataclass(frozen=True)
class DagsterRun:
    """One run: what it materializes, for which partitions, and where it stands.

    Build one with the fields you know and pass it to ``RunStorage.create_run``; the stored
    copy (with times filled in) is what every read returns.
    """

    job_name: str = ASSET_JOB_NAME
    run_id: str = field(default_factory=new_run_id)
    status: DagsterRunStatus = DagsterRunStatus.QUEUED
    asset_selection: frozenset[AssetKey] | None = None
    asset_check_selection: frozenset[AssetCheckKey] | None = None
    partition_key: str | None = None
    partition_range_start: str | None = None
    partition_range_end: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    run_config: Mapping[str, Any] = field(default_factory=dict)
    pid: int | None = None
    heartbeat: float | None = None
    created_at: float | None = None
    updated_at: float | None = None
    started_at: float | None = None
    ended_at: float | None = None
    failure_reason: str | None = None
    parent_run_id: str | None = None
    root_run_id: str | None = None
    backfill_id: str | None = None

    @classmethod
    def for_partitions(
        cls,
        *,
        partition_key: str | None = None,
        partition_range: tuple[str, str] | None = None,
        tags: Mapping[str, Any] | None = None,
        **fields: Any,
    ) -> DagsterRun:
        """A run of one partition or a range, with Dagster's partition tags set.

        The one way every launcher (the UI, the CLI, ``materialize``, backfills, schedules and
        sensors) builds a partitioned run: ``dagster/partition`` names a single partition,
        ``dagster/asset_partition_range_start``/``_end`` a range.
        """
        run_tags = {str(k): str(v) for k, v in (tags or {}).items()}
        if partition_key is not None:
            run_tags[PARTITION_NAME_TAG] = partition_key
        if partition_range is not None:
            run_tags[ASSET_PARTITION_RANGE_START_TAG] = partition_range[0]
            run_tags[ASSET_PARTITION_RANGE_END_TAG] = partition_range[1]
        return cls(
            partition_key=partition_key,
            partition_range_start=partition_range[0] if partition_range else None,
            partition_range_end=partition_range[1] if partition_range else None,
            tags=run_tags,
            **fields,
        )

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_STATUSES

    @property
    def is_success(self) -> bool:
        return self.status is DagsterRunStatus.SUCCESS

    @property
    def is_failure(self) -> bool:
        return self.status is DagsterRunStatus.FAILURE

    @property
    def is_failure_or_canceled(self) -> bool:
        return self.status in (DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED)

    @property
    def is_cancelable(self) -> bool:
        return not self.is_finished and self.status is not DagsterRunStatus.CANCELING

    @property
    def partition_range(self) -> tuple[str, str] | None:
        """``(start, end)`` of a run over a partition range."""
        if self.partition_range_start is None or self.partition_range_end is None:
            return None
        return (self.partition_range_start, self.partition_range_end)

    @property
    def job_snapshot_id(self) -> None:
        return None  # Dagster has snapshots; assettui does not.


@dataclass(frozen=True, slots=True)
class RunRecord:
    """A stored run with its storage bookkeeping (Dagster's ``RunRecord``)."""

    storage_id: int
    dagster_run: DagsterRun
    create_timestamp: datetime
    update_timestamp: datetime
    start_time: float | None
    end_time: float | None


@dataclass(frozen=True)
class RunsFilter:
    """Which runs to list (Dagster's ``RunsFilter``; ``asset_key`` is assettui's addition).

    Every given field must match. ``tags`` values may be a string or a list of accepted
    strings. Times are datetimes or seconds since the epoch.
    """

    run_ids: Sequence[str] | None = None
    job_name: str | None = None
    statuses: Sequence[DagsterRunStatus] | None = None
    tags: Mapping[str, str | Sequence[str]] | None = None
    snapshot_id: str | None = None
    updated_after: datetime | float | None = None
    updated_before: datetime | float | None = None
    created_after: datetime | float | None = None
    created_before: datetime | float | None = None
    exclude_subruns: bool | None = None
    asset_key: AssetKey | None = None
    backfill_id: str | None = None
