"""Storage contract suite: every instance-storage backend must pass these tests.

Backends are the params of the ``storage`` fixture: the instance folder's SQLite file, and a
fresh database on a real PostgreSQL server (started once per test session).
Covered so far: settings, dynamic partitions, run create/get, backfills, event
log append/tail, asset partition status, ending a run, the change token. Not yet in the suite: run pid/heartbeat/tags,
latest materialization, automation ticks/cursors.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from assettui.errors import InvalidRunTransitionError, StorageError
from assettui.model.asset_key import AssetKey
from assettui.storage import (
    AssetPartitionStatus,
    BulkActionStatus,
    DagsterEventType,
    DagsterRun,
    DagsterRunStatus,
    NewEvent,
    RunsFilter,
    Storage,
)

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(params=BACKENDS)
def storage(request: pytest.FixtureRequest, tmp_path) -> Iterator[Storage]:
    url = request.getfixturevalue("postgres_url") if request.param == "postgresql" else ""
    with Storage(tmp_path, url=url) as opened:
        yield opened


def test_settings_set_get_delete_all(storage: Storage) -> None:
    assert storage.settings.get("theme", "dark") == "dark"
    storage.settings.set("theme", "light")
    storage.settings.set("limits", {"max_concurrent_runs": 4})
    assert storage.settings.get("theme") == "light"
    assert storage.settings.all() == {"limits": {"max_concurrent_runs": 4}, "theme": "light"}
    storage.settings.delete("theme")
    assert storage.settings.get("theme") is None


def test_dynamic_partitions_add_has_get_delete(storage: Storage) -> None:
    storage.dynamic_partitions.add("customers", ["a", "b"])
    storage.dynamic_partitions.add("customers", ["b", "c"])
    assert sorted(storage.dynamic_partitions.get("customers")) == ["a", "b", "c"]
    assert storage.dynamic_partitions.has("customers", "a")
    assert not storage.dynamic_partitions.has("customers", "z")
    assert storage.dynamic_partitions.delete("customers", "a") is True
    assert storage.dynamic_partitions.delete("customers", "a") is False
    assert not storage.dynamic_partitions.has("customers", "a")
    assert storage.dynamic_partitions.get("other") == []


def test_runs_create_get_and_duplicate_refused(storage: Storage) -> None:
    run = DagsterRun(
        job_name="daily_job",
        asset_selection=frozenset({AssetKey(["raw", "orders"])}),
        tags={"team": "data"},
        run_config={"ops": {"b": {"config": {"n": 3}}}},
    )
    stored = storage.runs.create_run(run)
    assert storage.runs.get_run(run.run_id) == stored
    assert stored.tags == {"team": "data"}
    assert stored.run_config == run.run_config
    assert stored.status is DagsterRunStatus.QUEUED
    with pytest.raises(StorageError, match=run.run_id):
        storage.runs.create_run(DagsterRun(run_id=run.run_id))


def test_backfills_create_update_list(storage: Storage) -> None:
    backfills = storage.backfills
    first = backfills.create_backfill(
        [AssetKey(["raw", "orders"])], ["2024-01-01", "2024-01-02"], tags={"who": "me"}
    )
    assert first.status is BulkActionStatus.REQUESTED
    assert first.asset_selection == (AssetKey(["raw", "orders"]),)
    second = backfills.create_backfill([AssetKey("b")], ["x"], backfill_id="mine")
    updated = backfills.update_backfill(first.backfill_id, num_requested=2, cursor="1")
    assert (updated.num_requested, updated.cursor) == (2, "1")
    done = backfills.update_backfill(first.backfill_id, status=BulkActionStatus.COMPLETED)
    assert done.is_finished and done.tags == {"who": "me"}
    assert [b.backfill_id for b in backfills.list_backfills()] == ["mine", first.backfill_id]
    assert backfills.list_backfills(statuses=[BulkActionStatus.REQUESTED]) == [second]
    assert backfills.get_backfill("nope") is None
    with pytest.raises(StorageError, match="nope"):
        backfills.update_backfill("nope", num_failed=1)


def test_event_log_append_tail_and_get(storage: Storage) -> None:
    key = AssetKey(["raw", "orders"])
    records = storage.event_log.store_events(
        [
            NewEvent("r1", DagsterEventType.RUN_START, "started"),
            NewEvent("r1", DagsterEventType.LOG, "hello", level="WARNING"),
            NewEvent("r1", DagsterEventType.ASSET_MATERIALIZATION, asset_key=key, partition="p1"),
        ]
    )
    ids = [r.storage_id for r in records]
    assert ids == sorted(ids) and len(set(ids)) == 3
    assert storage.event_log.events_after(0) == records
    assert storage.event_log.events_after(ids[0]) == records[1:]
    stored = storage.event_log.get_event(ids[2])
    assert stored.asset_key == key and stored.partition == "p1"
    assert storage.event_log.latest_storage_id() == ids[2]


def test_runs_status_transitions_and_filters(storage: Storage) -> None:
    first = storage.runs.create_run(DagsterRun(job_name="j1", tags={"team": "t1"}))
    second = storage.runs.create_run(DagsterRun(job_name="j2"))
    storage.runs.update_run_status(first.run_id, DagsterRunStatus.STARTING)
    started = storage.runs.update_run_status(first.run_id, DagsterRunStatus.STARTED)
    assert started.status is DagsterRunStatus.STARTED
    with pytest.raises(InvalidRunTransitionError):
        storage.runs.update_run_status(
            second.run_id, DagsterRunStatus.SUCCESS, expected=DagsterRunStatus.STARTED
        )

    def listed(filters: RunsFilter | None = None) -> list[str]:
        return [r.run_id for r in storage.runs.list_runs(filters)]

    assert listed() == [second.run_id, first.run_id]
    assert listed(RunsFilter(job_name="j1")) == [first.run_id]
    assert listed(RunsFilter(statuses=[DagsterRunStatus.STARTED])) == [first.run_id]
    assert listed(RunsFilter(tags={"team": "t1"})) == [first.run_id]


def test_asset_partition_status_follows_events(storage: Storage) -> None:
    key = AssetKey(["raw", "orders"])
    planned = NewEvent(
        "r1", DagsterEventType.ASSET_MATERIALIZATION_PLANNED, asset_key=key, partition="p1"
    )
    storage.event_log.store_events([planned])
    row = storage.asset_status.partition_status(key, "p1")
    assert row is not None and row.status is AssetPartitionStatus.IN_PROGRESS
    payload = {"metadata": {}, "tags": {}, "code_version": "v7", "description": None}
    done = NewEvent(
        "r1", DagsterEventType.ASSET_MATERIALIZATION, asset_key=key, partition="p1", payload=payload
    )
    [record] = storage.event_log.store_events([done])
    row = storage.asset_status.partition_status(key, "p1")
    assert row is not None and row.status is AssetPartitionStatus.MATERIALIZED
    assert row.last_materialization_id == record.storage_id
    assert (row.code_version, row.last_materialization_run_id) == ("v7", "r1")
    assert storage.asset_status.partition_status(key, "p2") is None


def test_end_run_stores_one_end_event_with_the_status(storage: Storage) -> None:
    run_id = storage.runs.create_run(DagsterRun()).run_id
    storage.runs.update_run_status(run_id, DagsterRunStatus.STARTING)
    storage.runs.update_run_status(run_id, DagsterRunStatus.STARTED)
    event = storage.end_run(run_id, DagsterRunStatus.FAILURE, "boom")
    assert event is not None and event.event_type is DagsterEventType.RUN_FAILURE
    assert storage.end_run(run_id, DagsterRunStatus.SUCCESS, "late") is None
    run = storage.runs.get_run(run_id)
    assert run is not None and run.status is DagsterRunStatus.FAILURE
    assert run.failure_reason == "boom"
    ends = [
        e.event_type
        for e in storage.event_log.run_events(run_id)
        if e.event_type in (DagsterEventType.RUN_FAILURE, DagsterEventType.RUN_SUCCESS)
    ]
    assert ends == [DagsterEventType.RUN_FAILURE]


def test_change_token_moves_on_every_commit_from_any_connection(storage: Storage) -> None:
    quiet = storage.change_token()
    storage.runs.list_runs(limit=5)  # reads change nothing
    assert storage.change_token() == quiet
    storage.settings.set("theme", "light")  # this connection's own write
    own = storage.change_token()
    assert own != quiet
    with Storage(storage.home, url=storage.url or "") as other:  # another connection
        other.dynamic_partitions.add("customers", ["a"])
    assert storage.change_token() != own


def test_connections_of_ended_threads_are_closed(storage: Storage) -> None:
    def read() -> None:
        storage.settings.get("theme")

    for _ in range(20):
        worker = threading.Thread(target=read)
        worker.start()
        worker.join()
    storage.settings.get("theme")
    # This thread's connection and the last worker's (closed when the next thread opens one).
    assert len(storage._connections) <= 2
