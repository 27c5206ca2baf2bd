"""The instance storage: one database per instance, shared by every process (and, on
PostgreSQL, every machine).

``Storage(home)`` opens (creating and migrating as needed) ``<home>/assettui.db``, or the
PostgreSQL database a storage URL names (``Storage(home, url=...)``,
``$ASSETTUI_STORAGE``), and exposes one object per area: ``runs``, ``event_log``,
``asset_status``, ``automation``, ``dynamic_partitions``, ``backfills`` and ``settings``.
``DagsterInstance`` is Dagster's instance API over it.
"""

from assettui.model.records.event_log_entry import (
    AssetRecordsFilter as AssetRecordsFilter,
    DagsterEvent as DagsterEvent,
    EventLogEntry as EventLogEntry,
    EventLogRecord as EventLogRecord,
    EventRecordsResult as EventRecordsResult,
    SerializableErrorInfo as SerializableErrorInfo,
)
from assettui.model.records.events import (
    DagsterEventType as DagsterEventType,
    EventRecord as EventRecord,
    NewEvent as NewEvent,
)
from assettui.model.records.runs import (
    DagsterRun as DagsterRun,
    DagsterRunStatus as DagsterRunStatus,
    RunRecord as RunRecord,
    RunsFilter as RunsFilter,
)
from assettui.storage.asset_status import (
    AssetPartitionStatus as AssetPartitionStatus,
    AssetSummary as AssetSummary,
    CheckResultRecord as CheckResultRecord,
    PartitionStatusRecord as PartitionStatusRecord,
)
from assettui.storage.automation_state import (
    InstigatorState as InstigatorState,
    InstigatorStatus as InstigatorStatus,
    InstigatorType as InstigatorType,
    TickRecord as TickRecord,
    TickStatus as TickStatus,
)
from assettui.storage.backfills import (
    BackfillRecord as BackfillRecord,
    BulkActionStatus as BulkActionStatus,
)
from assettui.storage.instance import DagsterInstance as DagsterInstance
from assettui.storage.instance_storage import Storage as Storage
from assettui.storage.sqlite.database import (
    InstancePaths as InstancePaths,
    StepLogPaths as StepLogPaths,
    instance_paths as instance_paths,
    step_log_paths as step_log_paths,
)

__all__ = [
    "AssetPartitionStatus",
    "AssetRecordsFilter",
    "AssetSummary",
    "BackfillRecord",
    "BulkActionStatus",
    "CheckResultRecord",
    "DagsterEvent",
    "DagsterEventType",
    "DagsterInstance",
    "DagsterRun",
    "DagsterRunStatus",
    "EventLogEntry",
    "EventLogRecord",
    "EventRecord",
    "EventRecordsResult",
    "InstancePaths",
    "InstigatorState",
    "InstigatorStatus",
    "InstigatorType",
    "NewEvent",
    "PartitionStatusRecord",
    "RunRecord",
    "RunsFilter",
    "SerializableErrorInfo",
    "StepLogPaths",
    "Storage",
    "TickRecord",
    "TickStatus",
    "instance_paths",
    "step_log_paths",
]
