"""The run queue: max concurrent runs, tag concurrency limits, order, claims."""

from __future__ import annotations

import pytest

from assettui.automation.run_queue import RunQueue, TagConcurrencyLimit
from assettui.errors import ScheduleError
from assettui.model.records.runs import IN_PROGRESS_STATUSES
from assettui.storage import DagsterRun, DagsterRunStatus, RunsFilter, Storage


class StartingLauncher:
    """Starts the run for real in storage (STARTING -> STARTED) and leaves it running."""

    def __init__(self, storage: Storage):
        self.storage = storage
        self.launched: list[str] = []

    def launch(self, run_id: str) -> None:
        self.storage.runs.update_run_status(run_id, DagsterRunStatus.STARTED)
        self.launched.append(run_id)


class BrokenLauncher:
    def launch(self, run_id: str) -> None:
        raise OSError("no worker binary")


@pytest.fixture
def storage(tmp_path):
    with Storage(tmp_path / "home") as storage:
        yield storage


def queue_runs(storage, tags_list):
    return [
        storage.runs.create_run(DagsterRun(status=DagsterRunStatus.QUEUED, tags=tags)).run_id
        for tags in tags_list
    ]


def in_progress(storage):
    return storage.runs.list_runs(RunsFilter(statuses=list(IN_PROGRESS_STATUSES)))


def finish(storage, run_id):
    storage.runs.update_run_status(run_id, DagsterRunStatus.SUCCESS)


def test_burst_of_twenty_runs_respects_every_limit(storage):
    tags = [{"pool": "warehouse"} if i % 2 == 0 else {"team": "web"} for i in range(20)]
    queued = queue_runs(storage, tags)
    launcher = StartingLauncher(storage)
    queue = RunQueue(
        storage,
        launcher,
        max_concurrent_runs=4,
        tag_concurrency_limits=[{"key": "pool", "value": "warehouse", "limit": 2}],
    )
    rounds = 0
    while len(launcher.launched) < 20:
        rounds += 1
        assert rounds < 50
        queue.launch_queued_runs()
        running = in_progress(storage)
        assert len(running) <= 4
        assert sum(r.tags.get("pool") == "warehouse" for r in running) <= 2
        # The oldest running run finishes; the next round refills the freed slot.
        oldest = min(running, key=lambda r: queued.index(r.run_id))
        finish(storage, oldest.run_id)
    assert sorted(launcher.launched, key=queued.index) == queued
    # Within each kind, runs started oldest first.
    for kind in ("warehouse", None):
        started = [r for r in launcher.launched if storage.runs.get_run(r).tags.get("pool") == kind]
        assert started == sorted(started, key=queued.index)


def test_first_pass_fills_the_slots_and_skips_blocked_runs(storage):
    queued = queue_runs(storage, [{"pool": "warehouse"}] * 3 + [{}] * 3)
    queue = RunQueue(
        storage,
        StartingLauncher(storage),
        max_concurrent_runs=4,
        tag_concurrency_limits=[TagConcurrencyLimit("pool", 2, "warehouse")],
    )
    launched = queue.launch_queued_runs()
    # The third warehouse run waits, but does not hold back the untagged runs behind it.
    assert launched == [queued[0], queued[1], queued[3], queued[4]]
    assert storage.runs.get_run(queued[2]).status is DagsterRunStatus.QUEUED


def test_limit_per_unique_value(storage):
    queued = queue_runs(storage, [{"dagster/backfill": "a"}] * 2 + [{"dagster/backfill": "b"}] * 2)
    queue = RunQueue(
        storage,
        StartingLauncher(storage),
        max_concurrent_runs=-1,
        tag_concurrency_limits=[
            {"key": "dagster/backfill", "value": {"applyLimitPerUniqueValue": True}, "limit": 1}
        ],
    )
    assert queue.launch_queued_runs() == [queued[0], queued[2]]


def test_limit_on_a_key_whatever_its_value(storage):
    queue_runs(storage, [{"team": "a"}, {"team": "b"}, {"team": "c"}, {}])
    queue = RunQueue(
        storage, StartingLauncher(storage), tag_concurrency_limits=[{"key": "team", "limit": 2}]
    )
    assert len(queue.launch_queued_runs()) == 3


def test_priority_tag_goes_first(storage):
    _low, high = queue_runs(storage, [{}, {"dagster/priority": "5"}])
    queue = RunQueue(storage, StartingLauncher(storage), max_concurrent_runs=1)
    assert queue.launch_queued_runs() == [high]


def test_zero_pauses_and_runs_already_in_progress_count(storage):
    queued = queue_runs(storage, [{}, {}, {}])
    assert (
        RunQueue(storage, StartingLauncher(storage), max_concurrent_runs=0).launch_queued_runs()
        == []
    )
    queue = RunQueue(storage, StartingLauncher(storage), max_concurrent_runs=2)
    assert queue.launch_queued_runs() == queued[:2]
    assert queue.launch_queued_runs() == []
    finish(storage, queued[0])
    assert queue.launch_queued_runs() == [queued[2]]


def test_a_run_is_claimed_once_even_by_two_queues(tmp_path):
    first = Storage(tmp_path / "home")
    second = Storage(tmp_path / "home")  # another process's view of the same instance
    queued = queue_runs(first, [{}] * 3)
    a, b = StartingLauncher(first), StartingLauncher(second)
    RunQueue(first, a).launch_queued_runs()
    RunQueue(second, b).launch_queued_runs()
    assert a.launched == queued and b.launched == []
    first.close()
    second.close()


def test_launch_failure_fails_the_run_and_the_queue_goes_on(storage):
    queued = queue_runs(storage, [{}, {}])
    assert RunQueue(storage, BrokenLauncher()).launch_queued_runs() == []
    for run_id in queued:
        run = storage.runs.get_run(run_id)
        assert run.status is DagsterRunStatus.FAILURE
        assert "no worker binary" in (run.failure_reason or "")


def test_canceled_queued_run_is_not_launched(storage):
    [run_id] = queue_runs(storage, [{}])
    storage.runs.update_run_status(run_id, DagsterRunStatus.CANCELED)
    launcher = StartingLauncher(storage)
    assert RunQueue(storage, launcher).launch_queued_runs() == []


def test_malformed_limit_is_reported():
    with pytest.raises(ScheduleError, match="limit"):
        TagConcurrencyLimit.from_config({"key": "pool"})
