"""The DagsterInstance facade: construction, Dagster-shaped lookups over the storage."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from assettui.model.asset_key import AssetKey
from assettui.model.metadata.values import MetadataValue, metadata_to_json
from assettui.model.results import AssetMaterialization
from assettui.storage import (
    AssetRecordsFilter,
    DagsterEventType,
    DagsterInstance,
    DagsterRun,
    DagsterRunStatus,
    NewEvent,
    RunsFilter,
)

# Each test runs on SQLite and on a fresh PostgreSQL database (see conftest.backend).
pytestmark = pytest.mark.usefixtures("backend")

T = DagsterEventType
KEY = AssetKey(["raw", "orders"])


@pytest.fixture
def instance(tmp_path):
    with DagsterInstance.from_home(tmp_path / "home") as instance:
        yield instance


def _materialize(instance, run_id, partition=None, rows=1, code_version="abc"):
    payload = {
        "metadata": metadata_to_json({"rows": MetadataValue.int(rows)}),
        "tags": {"source": "test"},
        "code_version": code_version,
        "description": "loaded",
    }
    [record] = instance.storage.event_log.store_events(
        [NewEvent(run_id, T.ASSET_MATERIALIZATION, asset_key=KEY, partition=partition,
                  payload=payload, step_key="raw__orders")]
    )  # fmt: skip
    return record


def test_ephemeral_lives_in_a_temporary_folder(tmp_path):
    instance = DagsterInstance.ephemeral()
    home = Path(instance.root_directory)
    assert (home / "assettui.db").exists()
    instance.dispose()
    assert not home.exists()


@pytest.mark.parametrize("var", ["ASSETTUI_HOME", "DAGSTER_HOME"])
def test_get_reads_the_home_from_the_environment(tmp_path, monkeypatch, var):
    monkeypatch.delenv("ASSETTUI_HOME", raising=False)
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    monkeypatch.setenv(var, str(tmp_path / var))
    with DagsterInstance.get() as instance:
        assert instance.root_directory == str((tmp_path / var).resolve())


def test_assettui_home_wins_and_cwd_is_the_fallback(tmp_path, monkeypatch):
    monkeypatch.setenv("ASSETTUI_HOME", str(tmp_path / "a"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "d"))
    with DagsterInstance.get() as instance:
        assert Path(instance.root_directory).name == "a"
    monkeypatch.delenv("ASSETTUI_HOME")
    monkeypatch.delenv("DAGSTER_HOME")
    monkeypatch.chdir(tmp_path)
    with DagsterInstance.get() as instance:
        assert instance.root_directory == str((tmp_path / ".assettui").resolve())


def test_latest_materialization_event_matches_dagster_shape(instance):
    assert instance.get_latest_materialization_event(KEY) is None
    _materialize(instance, "r1", "2024-01-01", rows=1)
    record = _materialize(instance, "r2", "2024-01-02", rows=2, code_version="v2")
    entry = instance.get_latest_materialization_event(KEY)
    assert entry.run_id == "r2" and entry.timestamp == record.timestamp
    assert entry.is_dagster_event and entry.dagster_event_type is T.ASSET_MATERIALIZATION
    assert entry.storage_id == record.storage_id and entry.step_key == "raw__orders"
    materialization = entry.asset_materialization
    assert isinstance(materialization, AssetMaterialization)
    assert materialization.metadata["rows"] == MetadataValue.int(2)
    assert materialization.partition == "2024-01-02"
    assert materialization.tags == {"source": "test", "dagster/code_version": "v2"}
    assert materialization.description == "loaded"
    event = entry.dagster_event
    assert event.asset_key == KEY and event.partition == "2024-01-02"
    assert event.event_specific_data.materialization == materialization
    other = AssetKey("other")
    assert instance.get_latest_materialization_events([KEY, other]) == {
        KEY: entry,
        other: None,
    }


def test_fetch_materializations_pages(instance):
    for i in range(5):
        _materialize(instance, f"r{i}", partition=str(i % 2))
    first = instance.fetch_materializations(KEY, limit=2)
    assert [r.run_id for r in first.records] == ["r4", "r3"] and first.has_more
    second = instance.fetch_materializations(KEY, limit=2, cursor=first.cursor)
    third = instance.fetch_materializations(KEY, limit=2, cursor=second.cursor)
    assert [r.run_id for r in second.records + third.records] == ["r2", "r1", "r0"]
    assert not third.has_more
    only_odd = instance.fetch_materializations(
        AssetRecordsFilter(KEY, asset_partitions=["1"]), limit=10, ascending=True
    )
    assert [(r.run_id, r.partition_key) for r in only_odd.records] == [("r1", "1"), ("r3", "1")]
    assert only_odd.records[0].asset_materialization.partition == "1"


def test_partitions_keys_and_wipe(instance):
    _materialize(instance, "r1", "a")
    _materialize(instance, "r1", "b")
    assert instance.get_materialized_partitions(KEY) == {"a", "b"}
    assert instance.get_asset_keys() == [KEY]
    instance.wipe_assets([KEY])
    assert instance.get_materialized_partitions(KEY) == set()
    assert instance.get_latest_materialization_event(KEY) is None
    assert instance.get_asset_keys() == []


def test_dynamic_partitions(instance):
    instance.add_dynamic_partitions("files", ["a", "b"])
    instance.add_dynamic_partitions("files", ["b", "c"])
    assert instance.get_dynamic_partitions("files") == ["a", "b", "c"]
    assert instance.has_dynamic_partition("files", "b")
    instance.delete_dynamic_partition("files", "b")
    assert not instance.has_dynamic_partition("files", "b")


def test_runs_and_logs(instance):
    runs = instance.storage.runs
    run = runs.create_run(DagsterRun(job_name="my_job", tags={"team": "x"}))
    runs.create_run(DagsterRun(job_name="other"))
    runs.update_run_status(run.run_id, DagsterRunStatus.STARTING)
    error = {"message": "boom\n", "class_name": "ValueError", "stack": ["  File x\n"],
             "cause": None}  # fmt: skip
    instance.storage.event_log.store_events(
        [NewEvent(run.run_id, T.RUN_START, "Started"),
         NewEvent(run.run_id, T.LOG, "hello from the asset", level="WARNING", step_key="s"),
         NewEvent(run.run_id, T.STEP_FAILURE, "failed", step_key="s", payload={"error": error})]
    )  # fmt: skip
    assert instance.get_run_by_id(run.run_id).status is DagsterRunStatus.STARTING
    assert instance.get_run_by_id("nope") is None
    assert [r.job_name for r in instance.get_runs()] == ["other", "my_job"]
    assert [r.run_id for r in instance.get_runs(RunsFilter(tags={"team": "x"}))] == [run.run_id]
    assert len(instance.get_runs(limit=1)) == 1
    assert instance.get_runs_count() == 2
    [record] = instance.get_run_records(RunsFilter(job_name="my_job"))
    assert record.dagster_run.run_id == run.run_id

    logs = instance.all_logs(run.run_id)
    assert [e.dagster_event_type for e in logs] == [T.RUN_START, None, T.STEP_FAILURE]
    log = logs[1]
    assert not log.is_dagster_event and log.level == logging.WARNING
    assert log.user_message == "hello from the asset" and log.job_name == "my_job"
    failure = logs[2]
    assert failure.error_info.cls_name == "ValueError"
    assert "boom" in failure.error_info.to_string()
    assert failure.dagster_event.is_step_failure
    [only] = instance.all_logs(run.run_id, of_type=T.STEP_FAILURE)
    assert only == failure
    assert len(instance.all_logs(run.run_id, of_type={T.RUN_START, T.STEP_FAILURE})) == 2
