"""The instance storage: one SQLite database per project, shared by every process.

``Storage(home)`` opens (creating and migrating as needed) ``<home>/assettui.db`` and exposes
one object per area: ``runs``, ``event_log``, ``asset_status``, ``automation``,
``dynamic_partitions``, ``backfills`` and ``settings``. ``DagsterInstance`` is Dagster's
instance API over it.
"""

from assettui.storage.asset_status import (
    AssetPartitionStatus as AssetPartitionStatus,
)
from assettui.storage.asset_status import (
    AssetSummary as AssetSummary,
)
from assettui.storage.asset_status import (
    CheckResultRecord as CheckResultRecord,
)
from assettui.storage.asset_status import (
    PartitionStatusRecord as PartitionStatusRecord,
)
from assettui.storage.automation_state import (
    InstigatorState as InstigatorState,
)
from assettui.storage.automation_state import (
    InstigatorStatus as InstigatorStatus,
)
from assettui.storage.automation_state import (
    InstigatorType as InstigatorType,
)
from assettui.storage.automation_state import (
    TickRecord as TickRecord,
)
from assettui.storage.automation_state import (
    TickStatus as TickStatus,
)
from assettui.storage.backfills import (
    BackfillRecord as BackfillRecord,
)
from assettui.storage.backfills import (
    BulkActionStatus as BulkActionStatus,
)
from assettui.storage.event_log_entry import (
    AssetRecordsFilter as AssetRecordsFilter,
)
from assettui.storage.event_log_entry import (
    DagsterEvent as DagsterEvent,
)
from assettui.storage.event_log_entry import (
    EventLogEntry as EventLogEntry,
)
from assettui.storage.event_log_entry import (
    EventLogRecord as EventLogRecord,
)
from assettui.storage.event_log_entry import (
    EventRecordsResult as EventRecordsResult,
)
from assettui.storage.event_log_entry import (
    SerializableErrorInfo as SerializableErrorInfo,
)
from assettui.storage.events import (
    DagsterEventType as DagsterEventType,
)
from assettui.storage.events import (
    EventRecord as EventRecord,
)
from assettui.storage.events import (
    NewEvent as NewEvent,
)
from assettui.storage.instance import DagsterInstance as DagsterInstance
from assettui.storage.instance_storage import Storage as Storage
from assettui.storage.runs import (
    DagsterRun as DagsterRun,
)
from assettui.storage.runs import (
    DagsterRunStatus as DagsterRunStatus,
)
from assettui.storage.runs import (
    RunRecord as RunRecord,
)
from assettui.storage.runs import (
    RunsFilter as RunsFilter,
)
from assettui.storage.sqlite.database import (
    InstancePaths as InstancePaths,
)
from assettui.storage.sqlite.database import (
    StepLogPaths as StepLogPaths,
)
from assettui.storage.sqlite.database import (
    instance_paths as instance_paths,
)
from assettui.storage.sqlite.database import (
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
