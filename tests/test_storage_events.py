"""The event log: batched appends, tailing by id, run and asset history, payload conventions."""

from __future__ import annotations

import pytest

from assettui.model.asset_key import AssetKey
from assettui.model.metadata.values import MetadataValue, metadata_to_json
from assettui.storage import DagsterEventType, DagsterRun, NewEvent, Storage

# Each test runs on SQLite and on a fresh PostgreSQL database (see conftest.backend).
pytestmark = pytest.mark.usefixtures("backend")

T = DagsterEventType


@pytest.fixture
def storage(tmp_path):
    with Storage(tmp_path / "home") as storage:
        yield storage


def test_store_events_assigns_increasing_ids_and_round_trips(storage):
    key = AssetKey(["raw", "orders"])
    events = [
        NewEvent("r1", T.RUN_START, "started"),
        NewEvent("r1", T.LOG, "hello", level="WARNING", step_key="raw/orders"),
        NewEvent("r1", T.ASSET_MATERIALIZATION, asset_key=key, partition="2024-01-01",
                 payload={"metadata": metadata_to_json({"n": MetadataValue.int(3)})},
                 timestamp=1000.5),
    ]  # fmt: skip
    records = storage.event_log.store_events(events)
    assert [r.storage_id for r in records] == [1, 2, 3]
    assert storage.event_log.events_after(0) == records
    stored = storage.event_log.get_event(3)
    assert stored.asset_key == key and stored.partition == "2024-01-01"
    assert stored.timestamp == 1000.5
    assert stored.payload == {"metadata": {"n": {"kind": "int", "value": 3}}}
    assert storage.event_log.get_event(2).level == "WARNING"
    assert storage.event_log.latest_storage_id() == 3


def test_ids_stay_contiguous_per_batch_across_batches(storage):
    first = storage.event_log.store_events([NewEvent("r", T.LOG, str(i)) for i in range(5)])
    second = storage.event_log.store_events([NewEvent("r", T.LOG, str(i)) for i in range(3)])
    assert [r.storage_id for r in first + second] == list(range(1, 9))
    assert [r.message for r in storage.event_log.events_after(5)] == ["0", "1", "2"]
    assert storage.event_log.store_events([]) == []


def test_tail_of_a_run_after_an_id(storage):
    storage.event_log.store_events(
        [NewEvent("a" if i % 2 else "b", T.LOG, str(i)) for i in range(20)]
    )
    tail = storage.event_log.events_after(10, run_id="a", limit=3)
    assert [(r.storage_id, r.run_id) for r in tail] == [(12, "a"), (14, "a"), (16, "a")]
    assert len(storage.event_log.run_events("b")) == 10
    assert storage.event_log.run_events("b", event_types=[T.RUN_START]) == []


def test_events_after_filters_types(storage):
    storage.event_log.store_events(
        [NewEvent("r", T.STEP_START), NewEvent("r", T.LOG), NewEvent("r", T.STEP_SUCCESS)]
    )
    found = storage.event_log.events_after(0, event_types=[T.STEP_START, T.STEP_SUCCESS])
    assert [r.event_type for r in found] == [T.STEP_START, T.STEP_SUCCESS]


def test_materialization_history_newest_first_and_paged(storage):
    key = AssetKey("a")
    storage.event_log.store_events(
        [NewEvent("r", T.ASSET_MATERIALIZATION, asset_key=key, partition=str(i % 2))
         for i in range(7)]
        + [NewEvent("r", T.ASSET_OBSERVATION, asset_key=key)]
    )  # fmt: skip
    history = storage.event_log.asset_events(key)
    assert [r.storage_id for r in history] == [7, 6, 5, 4, 3, 2, 1]
    page = storage.event_log.asset_events(key, limit=3, before_id=5)
    assert [r.storage_id for r in page] == [4, 3, 2]
    assert [r.storage_id for r in storage.event_log.asset_events(key, partitions=["1"])] == [
        6, 4, 2
    ]  # fmt: skip
    ascending = storage.event_log.asset_events(key, after_id=5, ascending=True)
    assert [r.storage_id for r in ascending] == [6, 7]
    assert len(storage.event_log.asset_events(key, T.ASSET_OBSERVATION)) == 1


def test_a_failed_batch_writes_nothing(storage):
    storage.event_log.store_events([NewEvent("r", T.LOG, "kept")])
    # The second row fails in the database driver inside the transaction, after the first
    # was inserted: SQLite cannot bind a list, PostgreSQL's text cannot hold a NUL.
    bad = [1] if storage.dialect == "sqlite" else "nul\x00byte"
    with pytest.raises(Exception) as failed:
        storage.event_log.store_events(
            [NewEvent("r", T.LOG, "lost"), NewEvent("r", T.LOG, "bad", step_key=bad)]
        )
    assert failed.type.__module__.split(".")[0] in {"sqlite3", "psycopg"}
    assert [r.message for r in storage.event_log.events_after(0)] == ["kept"]


def test_group_writes_in_one_transaction(storage):
    with pytest.raises(RuntimeError), storage.transaction():
        storage.runs.create_run(DagsterRun(run_id="r1"))
        storage.event_log.store_events([NewEvent("r1", T.RUN_ENQUEUED)])
        raise RuntimeError("crash mid-way")
    assert storage.runs.get_run("r1") is None
    assert storage.event_log.events_after(0) == []
    with storage.transaction():
        storage.runs.create_run(DagsterRun(run_id="r1"))
        storage.event_log.store_events([NewEvent("r1", T.RUN_ENQUEUED)])
    assert storage.runs.get_run("r1") is not None
    assert len(storage.event_log.events_after(0)) == 1


def test_step_log_paths(storage):
    paths = storage.step_log_paths("run-1", "raw/orders")
    assert paths.stdout == storage.home / "logs" / "run-1" / "raw__orders.out"
    assert paths.stderr.name == "raw__orders.err"
    assert paths.stdout.parent.is_dir()
