"""``DagsterInstance``: Dagster's instance API as a thin facade over :class:`Storage`.

Only the calls ported user code makes (tests, sensors, assets reading the instance) live
here; assettui's own code uses the storage areas directly.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import weakref
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from assettui.model.asset_key import AssetKey
from assettui.model.records.event_log_entry import (
    AssetRecordsFilter,
    EventLogEntry,
    EventLogRecord,
    EventRecordsResult,
)
from assettui.model.records.events import DagsterEventType
from assettui.model.records.runs import DagsterRun, RunRecord, RunsFilter
from assettui.storage.instance_storage import Storage

HOME_ENV_VARS = ("ASSETTUI_HOME", "DAGSTER_HOME")
DEFAULT_HOME_DIRNAME = ".assettui"


def default_home(cwd: str | os.PathLike[str] | None = None) -> Path:
    """The instance folder: ``$ASSETTUI_HOME``, else ``$DAGSTER_HOME``, else ``<cwd>/.assettui``."""
    for var in HOME_ENV_VARS:
        value = os.environ.get(var)
        if value:
            return Path(value).expanduser()
    return Path(cwd or os.getcwd()) / DEFAULT_HOME_DIRNAME


class DagsterInstance:
    """The instance: where runs, events and asset state are kept.

    Args:
        storage: the storage to wrap.
        temporary: delete the instance folder on :meth:`dispose` (ephemeral instances).
    """

    def __init__(self, storage: Storage, *, temporary: bool = False):
        self.storage = storage
        self._temporary = temporary
        if temporary:
            self._finalizer: Any = weakref.finalize(
                self, _remove_instance, storage, str(storage.home)
            )

    # ------------------------------------------------------------ construction

    @staticmethod
    def ephemeral() -> DagsterInstance:
        """A throwaway instance in a temporary folder (removed on dispose or exit), always on
        SQLite there: nothing of it reaches a shared storage."""
        home = tempfile.mkdtemp(prefix="assettui-instance-")
        return DagsterInstance(Storage(home, url=""), temporary=True)

    @staticmethod
    def get() -> DagsterInstance:
        """The project's instance (see :func:`default_home`)."""
        return DagsterInstance.from_home(default_home())

    @staticmethod
    def from_home(path: str | os.PathLike[str]) -> DagsterInstance:
        """The instance in folder ``path`` (created if needed)."""
        return DagsterInstance(Storage(path))

    @property
    def root_directory(self) -> str:
        """The instance folder."""
        return str(self.storage.home)

    @property
    def storage_directory(self) -> str:
        """Where the default IO manager keeps values (``<home>/storage``)."""
        return str(self.storage.paths.storage)

    def dispose(self) -> None:
        """Close the database (and delete the folder of an ephemeral instance)."""
        if self._temporary:
            self._finalizer()
        else:
            self.storage.close()

    def __enter__(self) -> DagsterInstance:
        return self

    def __exit__(self, *exc: object) -> None:
        self.dispose()

    # ------------------------------------------------------------ assets

    def get_latest_materialization_event(self, asset_key: AssetKey) -> EventLogEntry | None:
        """The latest materialization of ``asset_key`` (any partition), or ``None``."""
        return self.get_latest_materialization_events([asset_key])[asset_key]

    def get_latest_materialization_events(
        self, asset_keys: Iterable[AssetKey]
    ) -> dict[AssetKey, EventLogEntry | None]:
        """The latest materialization of each of ``asset_keys`` (``None`` if never)."""
        keys = [AssetKey.from_coercible(key) for key in asset_keys]
        found = self.storage.asset_status.latest_materializations(keys)
        return {
            key: EventLogEntry.from_record(found[key], self._job_name(found[key].run_id))
            if key in found
            else None
            for key in keys
        }

    def _job_name(self, run_id: str | None) -> str | None:
        run = self.storage.runs.get_run(run_id) if run_id else None
        return run.job_name if run else None

    def fetch_materializations(
        self,
        records_filter: AssetKey | AssetRecordsFilter,
        limit: int,
        cursor: str | None = None,
        ascending: bool = False,
    ) -> EventRecordsResult:
        """A page of an asset's materializations (newest first unless ``ascending``)."""
        return self._fetch(
            DagsterEventType.ASSET_MATERIALIZATION, records_filter, limit, cursor, ascending
        )

    def fetch_observations(
        self,
        records_filter: AssetKey | AssetRecordsFilter,
        limit: int,
        cursor: str | None = None,
        ascending: bool = False,
    ) -> EventRecordsResult:
        """A page of an asset's observations (newest first unless ``ascending``)."""
        return self._fetch(
            DagsterEventType.ASSET_OBSERVATION, records_filter, limit, cursor, ascending
        )

    def _fetch(
        self,
        event_type: DagsterEventType,
        records_filter: AssetKey | AssetRecordsFilter,
        limit: int,
        cursor: str | None,
        ascending: bool,
    ) -> EventRecordsResult:
        f = (
            records_filter
            if isinstance(records_filter, AssetRecordsFilter)
            else AssetRecordsFilter(AssetKey.from_coercible(records_filter))
        )
        after, before = f.after_storage_id, f.before_storage_id
        if cursor:
            position = int(cursor)
            if ascending:
                after = max(after or 0, position)
            else:
                before = min(before, position) if before is not None else position
        records = self.storage.event_log.asset_events(
            f.asset_key,
            event_type,
            partitions=f.asset_partitions,
            before_id=before,
            after_id=after,
            limit=limit + 1,
            ascending=ascending,
        )
        page = [EventLogRecord.from_record(r) for r in records[:limit]]
        next_cursor = str(page[-1].storage_id) if page else (cursor or "")
        return EventRecordsResult(records=page, cursor=next_cursor, has_more=len(records) > limit)

    def get_materialized_partitions(self, asset_key: AssetKey) -> set[str]:
        """Partition keys of ``asset_key`` that have been materialized."""
        return self.storage.asset_status.materialized_partitions(asset_key)

    def get_asset_keys(self) -> Sequence[AssetKey]:
        """Every asset key with recorded events."""
        return self.storage.asset_status.asset_keys()

    def wipe_assets(self, asset_keys: Sequence[AssetKey]) -> None:
        """Delete the materialization history and status of ``asset_keys``."""
        self.storage.event_log.wipe_asset_history(asset_keys)

    # ------------------------------------------------------------ dynamic partitions

    def add_dynamic_partitions(
        self, partitions_def_name: str, partition_keys: Sequence[str]
    ) -> None:
        """Add keys to a dynamic partitions definition (existing keys are ignored)."""
        self.storage.dynamic_partitions.add(partitions_def_name, partition_keys)

    def get_dynamic_partitions(self, partitions_def_name: str) -> Sequence[str]:
        """The keys of a dynamic partitions definition, in the order they were added."""
        return self.storage.dynamic_partitions.get(partitions_def_name)

    def delete_dynamic_partition(self, partitions_def_name: str, partition_key: str) -> None:
        """Remove a key from a dynamic partitions definition."""
        self.storage.dynamic_partitions.delete(partitions_def_name, partition_key)

    def has_dynamic_partition(self, partitions_def_name: str, partition_key: str) -> bool:
        """Whether a dynamic partitions definition has ``partition_key``."""
        return self.storage.dynamic_partitions.has(partitions_def_name, partition_key)

    # ------------------------------------------------------------ runs

    def get_run_by_id(self, run_id: str) -> DagsterRun | None:
        """The run with ``run_id``, or ``None``."""
        return self.storage.runs.get_run(run_id)

    def get_run_record_by_id(self, run_id: str) -> RunRecord | None:
        """The run record with ``run_id``, or ``None``."""
        return self.storage.runs.get_run_record(run_id)

    def get_runs(
        self,
        filters: RunsFilter | None = None,
        cursor: str | None = None,
        limit: int | None = None,
    ) -> Sequence[DagsterRun]:
        """Runs matching ``filters``, newest first."""
        return self.storage.runs.list_runs(filters, limit=limit, cursor=cursor)

    def get_runs_count(self, filters: RunsFilter | None = None) -> int:
        """How many runs match ``filters``."""
        return self.storage.runs.count_runs(filters)

    def get_run_records(
        self,
        filters: RunsFilter | None = None,
        limit: int | None = None,
        order_by: str | None = None,
        ascending: bool = False,
        cursor: str | None = None,
    ) -> Sequence[RunRecord]:
        """Run records matching ``filters``, newest first (``order_by`` is accepted, unused)."""
        return self.storage.runs.list_run_records(
            filters, limit=limit, cursor=cursor, ascending=ascending
        )

    def all_logs(
        self,
        run_id: str,
        of_type: DagsterEventType | Iterable[DagsterEventType] | None = None,
    ) -> Sequence[EventLogEntry]:
        """Every event of a run, oldest first (only ``of_type`` events if given)."""
        types: list[DagsterEventType] | None
        if of_type is None:
            types = None
        elif isinstance(of_type, DagsterEventType):
            types = [of_type]
        else:
            types = list(of_type)
        run = self.storage.runs.get_run(run_id)
        job_name = run.job_name if run else None
        records = self.storage.event_log.run_events(run_id, event_types=types)
        return [EventLogEntry.from_record(record, job_name) for record in records]

    def __repr__(self) -> str:
        return f"DagsterInstance({self.root_directory!r})"


def _remove_instance(storage: Storage, home: str) -> None:
    storage.close()
    shutil.rmtree(home, ignore_errors=True)
