"""Every query the UI lives on is an indexed search: EXPLAIN QUERY PLAN shows no full scans."""

from __future__ import annotations

import pytest

from assettui.model.asset_key import AssetKey
from assettui.storage import (
    DagsterEventType,
    DagsterRun,
    DagsterRunStatus,
    NewEvent,
    RunsFilter,
    Storage,
)

T = DagsterEventType
KEY = AssetKey(["raw", "orders"])


@pytest.fixture
def storage(tmp_path):
    with Storage(tmp_path / "home") as storage:
        run = storage.runs.create_run(DagsterRun(run_id="r1", asset_selection=frozenset({KEY})))
        storage.event_log.store_events(
            [NewEvent(run.run_id, T.LOG, str(i)) for i in range(50)]
            + [NewEvent(run.run_id, T.ASSET_MATERIALIZATION, asset_key=KEY, partition=str(i),
                        payload={"check_name": "c"}) for i in range(20)]
            + [NewEvent(run.run_id, T.ASSET_CHECK_EVALUATION, asset_key=KEY,
                        payload={"check_name": "c", "passed": True})]
        )  # fmt: skip
        yield storage


def _plans(storage, call):
    """The query plan details of every SQL statement ``call`` runs."""
    statements = []
    db = storage.database()
    with db.tracer(lambda sql, params: statements.append((sql, params))):
        call()
    assert statements, "the call ran no traced query"
    plans = []
    for sql, params in statements:
        rows = db.conn.execute("EXPLAIN QUERY PLAN " + sql, params or ()).fetchall()
        plans.append((sql, [row[-1] for row in rows]))
    return plans


QUERIES = {
    "tail of a run": lambda s: s.event_log.events_after(10, run_id="r1", limit=1000),
    "tail of the whole log": lambda s: s.event_log.events_after(10, limit=1000),
    "partition statuses": lambda s: s.asset_status.partition_statuses(KEY, limit=100),
    "materialization history": lambda s: s.event_log.asset_events(KEY, limit=10, before_id=60),
    "history of some partitions": lambda s: s.event_log.asset_events(KEY, partitions=["1"]),
    "latest check results": lambda s: s.asset_status.latest_check_results(KEY),
    "runs touching an asset": lambda s: s.runs.runs_for_asset(KEY, limit=10, cursor="r1"),
    "runs by status": lambda s: s.runs.list_runs(
        RunsFilter(statuses=[DagsterRunStatus.STARTED]), limit=10
    ),
    "one run": lambda s: s.runs.get_run("r1"),
    "materialized partitions": lambda s: s.asset_status.materialized_partitions(KEY),
}


@pytest.mark.parametrize("name", list(QUERIES))
def test_query_never_scans_a_table(storage, name):
    for sql, details in _plans(storage, lambda: QUERIES[name](storage)):
        scans = [d for d in details if d.startswith("SCAN")]
        assert not scans, f"{name}: {sql}\n{details}"


def test_latest_materializations_walk_assets_and_look_events_up_by_id(storage):
    [(_sql, details)] = _plans(storage, storage.asset_status.latest_materializations)
    assert any(d.startswith("SEARCH e USING INTEGER PRIMARY KEY") for d in details), details
    # The only scan is of the one-row-per-asset table, never of the log.
    assert [d for d in details if d.startswith("SCAN")] == ["SCAN a"], details
