"""Run records: creation, guarded status transitions, pid/heartbeat, filtered paged listing."""

from __future__ import annotations

import pytest

from assettui.errors import InvalidRunTransitionError, RunNotFoundError, StorageError
from assettui.model.asset_key import AssetKey
from assettui.model.results import AssetCheckKey
from assettui.storage import DagsterRun, DagsterRunStatus, RunsFilter, Storage

# Each test runs on SQLite and on a fresh PostgreSQL database (see conftest.backend).
pytestmark = pytest.mark.usefixtures("backend")

S = DagsterRunStatus


@pytest.fixture
def storage(tmp_path):
    with Storage(tmp_path / "home") as storage:
        yield storage


def test_create_run_round_trips_every_field(storage):
    run = DagsterRun(
        job_name="daily_job",
        asset_selection=frozenset({AssetKey(["raw", "orders"]), AssetKey("b")}),
        asset_check_selection=frozenset({AssetCheckKey(AssetKey("b"), "not_empty")}),
        partition_range_start="2024-01-01",
        partition_range_end="2024-01-31",
        tags={"team": "data", "dagster/backfill": "abc"},
        run_config={"ops": {"b": {"config": {"n": 3}}}},
        parent_run_id="p",
        root_run_id="r",
        backfill_id="abc",
    )
    stored = storage.runs.create_run(run)
    assert stored.created_at is not None
    assert storage.runs.get_run(run.run_id) == stored
    assert stored.asset_selection == run.asset_selection
    assert stored.asset_check_selection == run.asset_check_selection
    assert stored.partition_range == ("2024-01-01", "2024-01-31")
    assert stored.tags == run.tags
    assert stored.run_config == run.run_config
    assert (stored.parent_run_id, stored.root_run_id, stored.backfill_id) == ("p", "r", "abc")
    assert stored.status is S.QUEUED and not stored.is_finished


def test_duplicate_run_id_is_refused(storage):
    run = storage.runs.create_run(DagsterRun())
    with pytest.raises(StorageError, match=run.run_id):
        storage.runs.create_run(DagsterRun(run_id=run.run_id))


def test_happy_path_records_start_and_end_times(storage):
    run_id = storage.runs.create_run(DagsterRun()).run_id
    storage.runs.update_run_status(run_id, S.STARTING)
    started = storage.runs.update_run_status(run_id, S.STARTED)
    assert started.started_at is not None and started.ended_at is None
    done = storage.runs.update_run_status(run_id, S.SUCCESS)
    assert done.is_finished and done.is_success
    assert done.ended_at is not None and done.ended_at >= done.started_at


@pytest.mark.parametrize(
    "path",
    [
        [S.CANCELING, S.CANCELED],
        [S.CANCELED],
        [S.FAILURE],
        [S.STARTING, S.CANCELING, S.CANCELED],
        [S.STARTING, S.STARTED, S.CANCELING, S.FAILURE],
        [S.STARTING, S.STARTED, S.CANCELED],
        [S.STARTING, S.FAILURE],
    ],
)
def test_allowed_paths(storage, path):
    run_id = storage.runs.create_run(DagsterRun()).run_id
    for status in path:
        assert storage.runs.update_run_status(run_id, status).status is status


def test_in_process_runs_go_from_not_started_to_started(storage):
    run_id = storage.runs.create_run(DagsterRun(status=S.NOT_STARTED)).run_id
    assert storage.runs.update_run_status(run_id, S.STARTED).status is S.STARTED


@pytest.mark.parametrize("final", [S.SUCCESS, S.FAILURE, S.CANCELED])
@pytest.mark.parametrize("target", list(S))
def test_finished_runs_never_change(storage, final, target):
    run_id = storage.runs.create_run(DagsterRun(status=S.STARTED)).run_id
    storage.runs.update_run_status(run_id, final)
    with pytest.raises(InvalidRunTransitionError, match="finished"):
        storage.runs.update_run_status(run_id, target)
    assert storage.runs.get_run(run_id).status is final


@pytest.mark.parametrize(
    ("start", "target"),
    [(S.QUEUED, S.STARTED), (S.QUEUED, S.SUCCESS), (S.STARTING, S.SUCCESS),
     (S.STARTED, S.STARTING), (S.CANCELING, S.SUCCESS), (S.STARTED, S.STARTED)],
)  # fmt: skip
def test_forbidden_transitions(storage, start, target):
    run_id = storage.runs.create_run(DagsterRun(status=start)).run_id
    with pytest.raises(InvalidRunTransitionError, match=f"{start.value} to {target.value}"):
        storage.runs.update_run_status(run_id, target)


def test_compare_and_set_with_expected_status(storage):
    run_id = storage.runs.create_run(DagsterRun(status=S.STARTED)).run_id
    with pytest.raises(InvalidRunTransitionError):
        storage.runs.update_run_status(run_id, S.FAILURE, expected=S.STARTING)
    failed = storage.runs.update_run_status(
        run_id, S.FAILURE, expected=[S.STARTING, S.STARTED], failure_reason="worker died"
    )
    assert failed.failure_reason == "worker died"


def test_unknown_run(storage):
    assert storage.runs.get_run("nope") is None
    with pytest.raises(RunNotFoundError, match="nope"):
        storage.runs.update_run_status("nope", S.STARTING)
    with pytest.raises(RunNotFoundError):
        storage.runs.heartbeat("nope")


def test_pid_heartbeat_and_tags(storage):
    run_id = storage.runs.create_run(DagsterRun(tags={"a": "1"})).run_id
    storage.runs.set_run_pid(run_id, 4242)
    storage.runs.heartbeat(run_id, 123.5)
    run = storage.runs.add_run_tags(run_id, {"a": "2", "b": "x"})
    assert (run.pid, run.heartbeat) == (4242, 123.5)
    assert run.tags == {"a": "2", "b": "x"}
    assert storage.runs.list_runs(RunsFilter(tags={"a": "2"})) == [run]
    assert storage.runs.list_runs(RunsFilter(tags={"a": "1"})) == []


def _make_runs(storage):
    a, b = AssetKey("a"), AssetKey(["x", "b"])
    runs = [
        storage.runs.create_run(DagsterRun(job_name="j1", asset_selection=frozenset({a}))),
        storage.runs.create_run(DagsterRun(job_name="j2", asset_selection=frozenset({a, b}))),
        storage.runs.create_run(DagsterRun(job_name="j1", tags={"team": "t1"}, status=S.STARTED)),
        storage.runs.create_run(DagsterRun(job_name="j2", tags={"team": "t2"}, status=S.STARTED)),
        storage.runs.create_run(DagsterRun(job_name="j1", asset_selection=frozenset({b}))),
    ]
    return runs, a, b


def test_list_runs_filters(storage):
    runs, a, b = _make_runs(storage)
    ids = [r.run_id for r in runs]

    def listed(f=None, **kw):
        return [r.run_id for r in storage.runs.list_runs(f, **kw)]

    assert listed() == ids[::-1]
    assert listed(ascending=True) == ids
    assert listed(RunsFilter(job_name="j1")) == [ids[4], ids[2], ids[0]]
    assert listed(RunsFilter(statuses=[S.STARTED])) == [ids[3], ids[2]]
    assert listed(RunsFilter(tags={"team": ["t1", "t2"]})) == [ids[3], ids[2]]
    assert listed(RunsFilter(run_ids=[ids[0], ids[3]])) == [ids[3], ids[0]]
    assert listed(RunsFilter(asset_key=a)) == [ids[1], ids[0]]
    assert listed(RunsFilter(asset_key=b, job_name="j1")) == [ids[4]]
    assert [r.run_id for r in storage.runs.runs_for_asset(b)] == [ids[4], ids[1]]
    created = [r.created_at for r in runs]
    assert listed(RunsFilter(created_after=created[2])) == [ids[4], ids[3]]
    assert listed(RunsFilter(created_before=created[1])) == [ids[0]]


def test_list_runs_pages_with_a_run_id_cursor(storage):
    runs, a, _ = _make_runs(storage)
    ids = [r.run_id for r in runs][::-1]
    first = storage.runs.list_runs(limit=2)
    second = storage.runs.list_runs(limit=2, cursor=first[-1].run_id)
    third = storage.runs.list_runs(limit=2, cursor=second[-1].run_id)
    assert [r.run_id for r in first + second + third] == ids
    by_asset = storage.runs.list_runs(RunsFilter(asset_key=a), limit=1)
    rest = storage.runs.list_runs(RunsFilter(asset_key=a), limit=5, cursor=by_asset[0].run_id)
    assert [r.run_id for r in by_asset + rest] == [runs[1].run_id, runs[0].run_id]


def test_counts(storage):
    _make_runs(storage)
    assert storage.runs.count_runs() == 5
    assert storage.runs.count_runs(RunsFilter(job_name="j2")) == 2
    assert storage.runs.count_runs(RunsFilter(asset_key=AssetKey("a"))) == 2
    assert storage.runs.count_runs_by_status() == {S.QUEUED: 3, S.STARTED: 2}


def test_run_records_carry_timestamps(storage):
    run = storage.runs.create_run(DagsterRun())
    record = storage.runs.get_run_record(run.run_id)
    assert record.dagster_run == run
    assert record.create_timestamp.timestamp() == pytest.approx(run.created_at)
    assert record.start_time is None and record.end_time is None


def test_delete_run_removes_it_and_its_events(storage):
    from assettui.storage import DagsterEventType, NewEvent

    run = storage.runs.create_run(DagsterRun(asset_selection=frozenset({AssetKey("a")})))
    storage.event_log.store_events([NewEvent(run.run_id, DagsterEventType.RUN_START)])
    storage.runs.delete_run(run.run_id)
    assert storage.runs.get_run(run.run_id) is None
    assert storage.event_log.run_events(run.run_id) == []
    assert storage.runs.runs_for_asset(AssetKey("a")) == []


def test_for_partitions_sets_dagsters_partition_tags():
    one = DagsterRun.for_partitions(partition_key="2024-01-02", tags={"team": "data"})
    assert one.partition_key == "2024-01-02" and one.partition_range is None
    assert one.tags == {"team": "data", "dagster/partition": "2024-01-02"}
    span = DagsterRun.for_partitions(partition_range=("a", "c"), job_name="j")
    assert span.partition_range == ("a", "c") and span.job_name == "j"
    assert span.tags == {
        "dagster/asset_partition_range_start": "a",
        "dagster/asset_partition_range_end": "c",
    }


def test_runs_of_materialize_carry_the_partition_tag(tmp_path):
    import assettui as dg

    @dg.asset(partitions_def=dg.StaticPartitionsDefinition(["a", "b"]))
    def letters(context) -> str:
        return context.partition_key

    with dg.DagsterInstance.from_home(tmp_path / "home") as instance:
        result = dg.materialize([letters], partition_key="b", instance=instance)
        assert result.dagster_run.tags["dagster/partition"] == "b"
