"""The per-asset-partition status table, kept current by store_events, and wiping history."""

from __future__ import annotations

import pytest

from assettui.model.asset_key import AssetKey
from assettui.model.metadata.values import MetadataValue, metadata_to_json
from assettui.model.results import AssetCheckSeverity
from assettui.storage import AssetPartitionStatus, DagsterEventType, DagsterRun, NewEvent, Storage

# Each test runs on SQLite and on a fresh PostgreSQL database (see conftest.backend).
pytestmark = pytest.mark.usefixtures("backend")

T = DagsterEventType
P = AssetPartitionStatus
KEY = AssetKey(["raw", "orders"])


@pytest.fixture
def storage(tmp_path):
    with Storage(tmp_path / "home") as storage:
        yield storage


def _planned(run_id, partition=None, key=KEY):
    return NewEvent(run_id, T.ASSET_MATERIALIZATION_PLANNED, asset_key=key, partition=partition)


def _materialized(run_id, partition=None, key=KEY, code_version="v1"):
    payload = {"metadata": {}, "tags": {}, "code_version": code_version, "description": None}
    return NewEvent(
        run_id, T.ASSET_MATERIALIZATION, asset_key=key, partition=partition, payload=payload
    )


def _status(storage, partition=None, key=KEY):
    row = storage.asset_status.partition_status(key, partition)
    return row.status if row else None


def test_planned_then_materialized(storage):
    storage.event_log.store_events([_planned("r1", "p1")])
    row = storage.asset_status.partition_status(KEY, "p1")
    assert row.status is P.IN_PROGRESS and row.last_run_id == "r1"
    records = storage.event_log.store_events([_materialized("r1", "p1", code_version="v7")])
    row = storage.asset_status.partition_status(KEY, "p1")
    assert row.status is P.MATERIALIZED
    assert row.last_materialization_id == records[0].storage_id
    assert row.last_materialization_timestamp == records[0].timestamp
    assert (row.code_version, row.last_materialization_run_id) == ("v7", "r1")
    assert _status(storage, "p2") is None  # missing: no row


def test_unpartitioned_rows_have_no_partition(storage):
    storage.event_log.store_events([_materialized("r1")])
    [row] = storage.asset_status.partition_statuses(KEY)
    assert row.partition is None and row.status is P.MATERIALIZED
    assert storage.asset_status.materialized_partitions(KEY) == set()


def test_failed_to_materialize(storage):
    error = {"message": "boom", "class_name": "ValueError", "stack": ["line"], "cause": None}
    storage.event_log.store_events(
        [_materialized("r0", "p"), _planned("r1", "p"),
         NewEvent("r1", T.ASSET_FAILED_TO_MATERIALIZE, asset_key=KEY, partition="p",
                  payload={"error": error})]
    )  # fmt: skip
    row = storage.asset_status.partition_status(KEY, "p")
    assert row.status is P.FAILED and "boom" in row.last_failure
    assert row.last_materialization_run_id == "r0"  # what staleness still needs
    assert storage.asset_status.materialized_partitions(KEY) == {"p"}


def test_run_failure_fails_its_in_progress_rows_only(storage):
    storage.event_log.store_events(
        [_planned("r1", "a"), _planned("r1", "b"), _materialized("r1", "a"), _planned("r2", "c")]
    )
    storage.event_log.store_events([NewEvent("r1", T.RUN_FAILURE, "worker died")])
    assert _status(storage, "a") is P.MATERIALIZED
    assert _status(storage, "b") is P.FAILED
    assert _status(storage, "c") is P.IN_PROGRESS


@pytest.mark.parametrize("end", [T.RUN_CANCELED, T.RUN_SUCCESS])
def test_cancel_or_success_restores_what_was_there(storage, end):
    storage.event_log.store_events(
        [_materialized("r0", "was_done"), _planned("r0", "was_failed"),
         NewEvent("r0", T.ASSET_FAILED_TO_MATERIALIZE, asset_key=KEY, partition="was_failed")]
    )  # fmt: skip
    storage.event_log.store_events(
        [_planned("r1", "was_done"), _planned("r1", "was_failed"), _planned("r1", "was_missing")]
    )
    storage.event_log.store_events([_planned("r2", "was_done")])  # a second run re-plans it
    storage.event_log.store_events([NewEvent("r1", end)])
    assert _status(storage, "was_failed") is P.FAILED
    assert _status(storage, "was_missing") is None
    assert _status(storage, "was_done") is P.IN_PROGRESS  # now r2's
    storage.event_log.store_events([NewEvent("r2", end)])
    assert _status(storage, "was_done") is P.MATERIALIZED


def test_partition_statuses_are_ordered_and_paged(storage):
    days = [f"2024-01-{d:02d}" for d in range(1, 11)]
    storage.event_log.store_events([_materialized("r", d) for d in reversed(days)])
    rows = storage.asset_status.partition_statuses(KEY)
    assert [r.partition for r in rows] == days
    page = storage.asset_status.partition_statuses(KEY, after_partition="2024-01-03", limit=2)
    assert [r.partition for r in page] == ["2024-01-04", "2024-01-05"]
    storage.event_log.store_events([_planned("r2", "2024-01-01")])
    assert storage.asset_status.status_counts(KEY) == {P.MATERIALIZED: 9, P.IN_PROGRESS: 1}


def test_latest_materialization_of_every_asset(storage):
    other = AssetKey("other")
    storage.event_log.store_events(
        [_materialized("r1", "p1"), _materialized("r2", "p2"), _materialized("r3", key=other),
         _planned("r4", key=AssetKey("never"))]
    )  # fmt: skip
    latest = storage.asset_status.latest_materializations()
    assert set(latest) == {KEY, other}
    assert (latest[KEY].run_id, latest[KEY].partition) == ("r2", "p2")
    assert list(storage.asset_status.latest_materializations([other])) == [other]
    assert storage.asset_status.asset_keys() == sorted([KEY, other, AssetKey("never")])
    summary = {s.asset_key: s for s in storage.asset_status.asset_summaries()}
    assert summary[KEY].last_materialization_partition == "p2"
    assert summary[AssetKey("never")].last_materialization_id is None


def test_observations_are_tracked_per_asset(storage):
    [record] = storage.event_log.store_events(
        [NewEvent(None, T.ASSET_OBSERVATION, asset_key=KEY, payload={"metadata": {}})]
    )
    [summary] = storage.asset_status.asset_summaries([KEY])
    assert summary.last_observation_id == record.storage_id
    assert summary.last_materialization_id is None
    assert storage.asset_status.partition_statuses(KEY) == []


def _check(run_id, name, passed, partition=None, severity="ERROR"):
    payload = {"check_name": name, "passed": passed, "severity": severity,
               "metadata": metadata_to_json({"rows": MetadataValue.int(5)}),
               "description": "d", "blocking": True}  # fmt: skip
    return NewEvent(
        run_id, T.ASSET_CHECK_EVALUATION, asset_key=KEY, partition=partition, payload=payload
    )


def test_latest_check_results(storage):
    planned = NewEvent("r2", T.ASSET_CHECK_EVALUATION_PLANNED, asset_key=KEY,
                       payload={"check_name": "not_empty"})  # fmt: skip
    storage.event_log.store_events(
        [_check("r1", "not_empty", True), _check("r1", "unique", False, severity="WARN")]
    )
    storage.event_log.store_events([planned])
    results = storage.asset_status.latest_check_results(KEY)
    assert [r.check_name for r in results] == ["not_empty", "unique"]
    not_empty, unique = results
    assert not_empty.passed is True and not_empty.in_progress_run_id == "r2"
    assert unique.evaluation.severity is AssetCheckSeverity.WARN and unique.passed is False
    assert unique.evaluation.metadata["rows"].value == 5 and unique.evaluation.blocking
    storage.event_log.store_events([_check("r2", "not_empty", False)])
    assert storage.asset_status.latest_check_results(KEY)[0].passed is False
    assert storage.asset_status.latest_check_results(KEY)[0].in_progress_run_id is None


def test_check_results_per_partition_and_run_end_clears_in_progress(storage):
    storage.event_log.store_events([_check("r1", "c", True, "p1"), _check("r1", "c", False, "p2")])
    assert storage.asset_status.latest_check_results(KEY)[0].partition == "p2"
    assert storage.asset_status.latest_check_results(KEY, "p1")[0].passed is True
    storage.event_log.store_events(
        [NewEvent("r2", T.ASSET_CHECK_EVALUATION_PLANNED, asset_key=KEY, partition="p1",
                  payload={"check_name": "c"}),
         NewEvent("r2", T.RUN_FAILURE)]
    )  # fmt: skip
    assert storage.asset_status.latest_check_results(KEY, "p1")[0].in_progress_run_id is None


def test_asset_events_link_runs_to_assets(storage):
    run = storage.runs.create_run(DagsterRun(job_name="job"))  # no explicit selection
    storage.event_log.store_events([_planned(run.run_id, "p")])
    assert [r.run_id for r in storage.runs.runs_for_asset(KEY)] == [run.run_id]


def test_wipe_asset_history(storage):
    other = AssetKey("other")
    storage.event_log.store_events(
        [NewEvent("r1", T.RUN_START), _planned("r1", "p"), _materialized("r1", "p"),
         _materialized("r1", key=other)]
    )  # fmt: skip
    deleted = storage.event_log.wipe_asset_history([KEY])
    assert deleted == 2
    assert storage.asset_status.partition_statuses(KEY) == []
    assert storage.event_log.asset_events(KEY) == []
    assert KEY not in storage.asset_status.latest_materializations()
    assert other in storage.asset_status.latest_materializations()
    assert [r.event_type for r in storage.event_log.run_events("r1")] == [
        T.RUN_START, T.ASSET_MATERIALIZATION
    ]  # fmt: skip
