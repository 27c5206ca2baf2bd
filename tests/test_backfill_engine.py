"""The backfill engine on a real instance: submit, drive with real workers, race, fail, cancel."""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest

from assettui.automation.backfill import (
    BACKFILL_ID_TAG,
    cancel_backfill,
    count_runs,
    drive_backfill,
    drive_backfills,
    get_backfill_progress,
    load_plan,
    submit_backfill,
)
from assettui.automation.run_queue import RunQueue
from assettui.execution.launcher import QueuedRunLauncher, RunLauncher
from assettui.model.asset_key import AssetKey
from assettui.model.partitions.definitions import PARTITION_NAME_TAG as PARTITION_TAG
from assettui.project import find_project, load_project, resolve_home
from assettui.storage import BulkActionStatus, DagsterRunStatus, RunsFilter

PROJECT = """
import os, time
import assettui as dg

daily = dg.DailyPartitionsDefinition(start_date="2024-01-01", end_date="2024-03-01")

@dg.asset(partitions_def=daily)
def raw(context):
    if context.partition_key == os.environ.get("BREAK_PARTITION"):
        raise ValueError("broken partition")
    if context.partition_key >= os.environ.get("SLOW_FROM", "9999"):
        time.sleep(60)
    return context.partition_key

@dg.asset(partitions_def=daily)
def clean(raw):
    return raw

@dg.asset(partitions_def=daily)
def report(clean):
    return clean

@dg.asset(deps=[report])
def summary():
    return 1

defs = dg.Definitions(assets=[raw, clean, report, summary])
"""

CHAIN = [AssetKey("raw"), AssetKey("clean"), AssetKey("report")]


def _days(n: int) -> list[str]:
    return [f"2024-01-{d:02d}" for d in range(1, n + 1)]


@pytest.fixture
def project(write_project):
    target = find_project(write_project(PROJECT))
    defs = load_project(target).defs
    launcher = RunLauncher(resolve_home(target, None), target)
    return launcher, defs.resolve_asset_graph()


def _pass(storage, backfill_id, launcher):
    """One scheduler-like pass: the backfill queues its due runs, the run queue starts them."""
    progress = drive_backfill(storage, backfill_id, launcher)
    RunQueue(storage, QueuedRunLauncher(launcher)).launch_queued_runs()
    return progress


def _drive_to_end(storage, backfill_id, launcher, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        progress = _pass(storage, backfill_id, launcher)
        if progress.is_finished:
            return progress
        time.sleep(0.05)
    raise AssertionError(f"backfill {backfill_id} did not finish: {progress}")


@pytest.mark.slow
def test_thirty_partitions_complete_then_missing_only_launches_nothing(project) -> None:
    launcher, graph = project
    storage = launcher.storage
    days = _days(30)
    assert count_runs(storage, graph, CHAIN, days) == 30
    backfill_id = submit_backfill(storage, graph, CHAIN, days, tags={"team": "data"})
    record = storage.backfills.get_backfill(backfill_id)
    assert record.status is BulkActionStatus.REQUESTED and record.partition_keys == tuple(days)
    assert storage.runs.count_runs() == 0  # persisted before any run exists

    progress = _drive_to_end(storage, backfill_id, launcher)
    assert progress.status is BulkActionStatus.COMPLETED
    assert (progress.done, progress.failed, progress.total) == (30, 0, 30)
    runs = storage.runs.list_runs(RunsFilter(backfill_id=backfill_id))
    assert Counter(r.partition_key for r in runs) == Counter(days)
    assert all(r.is_success and r.asset_selection == frozenset(CHAIN) for r in runs)
    sample = runs[0]
    assert sample.tags[BACKFILL_ID_TAG] == backfill_id
    assert sample.tags[PARTITION_TAG] == sample.partition_key and sample.tags["team"] == "data"
    record = storage.backfills.get_backfill(backfill_id)
    assert (record.num_requested, record.num_completed, record.num_failed) == (30, 30, 0)
    for key in CHAIN:
        assert storage.asset_status.materialized_partitions(key) == set(days)

    assert count_runs(storage, graph, CHAIN, days, policy="missing") == 0
    again = submit_backfill(storage, graph, CHAIN, days, policy="missing")
    assert storage.backfills.get_backfill(again).status is BulkActionStatus.COMPLETED
    drive_backfills(storage, launcher)
    assert storage.runs.count_runs() == 30


def test_racing_passes_never_create_two_runs_for_one_partition(project) -> None:
    launcher, graph = project
    storage = launcher.storage
    days = _days(12)
    backfill_id = submit_backfill(storage, graph, CHAIN, days, max_concurrent=12)
    barrier = threading.Barrier(4)

    def race() -> None:
        barrier.wait()
        for _ in range(3):
            drive_backfills(storage)  # no launcher: runs stay QUEUED for the run queue

    threads = [threading.Thread(target=race) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    runs = storage.runs.list_runs(RunsFilter(backfill_id=backfill_id))
    assert sorted(r.partition_key for r in runs) == days
    assert {r.status for r in runs} == {DagsterRunStatus.QUEUED}
    progress = get_backfill_progress(storage, backfill_id)
    assert (progress.queued, progress.not_launched) == (12, 0)


def test_at_most_max_concurrent_runs_are_in_flight(project) -> None:
    launcher, graph = project
    storage = launcher.storage
    backfill_id = submit_backfill(storage, graph, CHAIN, _days(10), max_concurrent=3)
    drive_backfills(storage)
    drive_backfills(storage)
    assert storage.runs.count_runs() == 3
    # two runs end: the next pass fills their slots, oldest partitions first
    for run in storage.runs.list_runs(RunsFilter(backfill_id=backfill_id), ascending=True)[:2]:
        storage.runs.update_run_status(run.run_id, DagsterRunStatus.CANCELED)
    drive_backfills(storage)
    runs = storage.runs.list_runs(RunsFilter(backfill_id=backfill_id), ascending=True)
    assert [r.partition_key for r in runs] == _days(5)


@pytest.mark.slow
def test_a_failed_partition_fails_the_backfill_and_skips_what_waits_for_it(
    project, monkeypatch
) -> None:
    monkeypatch.setenv("BREAK_PARTITION", "2024-01-02")
    launcher, graph = project
    storage = launcher.storage
    keys = [*CHAIN, AssetKey("summary")]
    backfill_id = submit_backfill(storage, graph, keys, _days(3))
    plan = load_plan(storage, backfill_id)
    assert [r.label for r in plan.runs][-1] == "(unpartitioned)"
    progress = _drive_to_end(storage, backfill_id, launcher)
    assert progress.status is BulkActionStatus.FAILED
    assert (progress.done, progress.failed, progress.blocked) == (2, 1, 1)
    record = storage.backfills.get_backfill(backfill_id)
    assert "1 of 4 runs failed" in (record.error or "")
    assert storage.runs.count_runs(RunsFilter(backfill_id=backfill_id)) == 3


@pytest.mark.slow
def test_cancel_ends_queued_and_running_runs(project, monkeypatch) -> None:
    monkeypatch.setenv("SLOW_FROM", "2024-01-01")
    launcher, graph = project
    storage = launcher.storage
    backfill_id = submit_backfill(storage, graph, CHAIN, _days(6), max_concurrent=2)
    _pass(storage, backfill_id, launcher)
    deadline = time.monotonic() + 30
    while not any(
        r.status is DagsterRunStatus.STARTED
        for r in storage.runs.list_runs(RunsFilter(backfill_id=backfill_id))
    ):
        assert time.monotonic() < deadline, "no run started"
        time.sleep(0.05)
    progress = cancel_backfill(storage, backfill_id, launcher)
    assert progress.status in (BulkActionStatus.CANCELING, BulkActionStatus.CANCELED)
    progress = _drive_to_end(storage, backfill_id, launcher)
    assert progress.status is BulkActionStatus.CANCELED
    runs = storage.runs.list_runs(RunsFilter(backfill_id=backfill_id))
    assert len(runs) == 2 and all(r.status is DagsterRunStatus.CANCELED for r in runs)
    drive_backfills(storage, launcher)  # a finished backfill creates nothing more
    assert storage.runs.count_runs() == 2


def test_backfill_runs_start_only_through_the_run_queue_and_within_its_limits(
    project, monkeypatch
) -> None:
    monkeypatch.setenv("SLOW_FROM", "2024-01-01")
    launcher, graph = project
    storage = launcher.storage
    backfill_id = submit_backfill(storage, graph, CHAIN, _days(4), max_concurrent=3)
    drive_backfill(storage, backfill_id, launcher)  # a launcher does not make it start runs
    runs = storage.runs.list_runs(RunsFilter(backfill_id=backfill_id))
    assert len(runs) == 3 and {r.status for r in runs} == {DagsterRunStatus.QUEUED}
    queue = RunQueue(storage, QueuedRunLauncher(launcher), max_concurrent_runs=1)
    assert len(queue.launch_queued_runs()) == 1  # the instance's limit holds for backfills too
    assert len(queue.launch_queued_runs()) == 0
    cancel_backfill(storage, backfill_id, launcher)
    _drive_to_end(storage, backfill_id, launcher)
