"""One way to end a run: ``Storage.end_run`` stores the end event and the status together.

Every path that ends a run (the worker, the launcher's cancel, the run monitor, the queue, a
backfill) goes through it, so a run has exactly one end event and its status agrees with it.
"""

from __future__ import annotations

import pytest

from assettui.automation.run_queue import RunQueue
from assettui.execution.launcher import fail_run
from assettui.model.records.events import DagsterEventType, error_payload
from assettui.storage import DagsterRun, DagsterRunStatus, Storage

S = DagsterRunStatus
END_EVENTS = {
    DagsterEventType.RUN_SUCCESS,
    DagsterEventType.RUN_FAILURE,
    DagsterEventType.RUN_CANCELED,
}


@pytest.fixture
def storage(tmp_path):
    with Storage(tmp_path / "home") as storage:
        yield storage


def _started(storage: Storage) -> str:
    run_id = storage.runs.create_run(DagsterRun()).run_id
    storage.runs.update_run_status(run_id, S.STARTING)
    storage.runs.update_run_status(run_id, S.STARTED)
    return run_id


def _end_events(storage: Storage, run_id: str) -> list:
    return [e for e in storage.event_log.run_events(run_id) if e.event_type in END_EVENTS]


def test_end_run_stores_event_and_status_together(storage):
    run_id = _started(storage)
    error = error_payload("boom", "ValueError", ["  File x.py, line 1\n"])
    event = storage.end_run(run_id, S.FAILURE, "The run failed: boom", error=error, reason="boom")
    assert event is not None and event.event_type is DagsterEventType.RUN_FAILURE
    run = storage.runs.get_run(run_id)
    assert run.status is S.FAILURE and run.failure_reason == "boom"
    (stored,) = _end_events(storage, run_id)
    assert stored.message == "The run failed: boom"
    assert stored.payload["error"]["class_name"] == "ValueError"


def test_a_second_end_is_a_no_op(storage):
    run_id = _started(storage)
    assert storage.end_run(run_id, S.SUCCESS, "done") is not None
    assert storage.end_run(run_id, S.FAILURE, "late failure") is None
    assert fail_run(storage, run_id, "worker died") is False
    assert storage.runs.get_run(run_id).status is S.SUCCESS
    assert [e.event_type for e in _end_events(storage, run_id)] == [DagsterEventType.RUN_SUCCESS]


def test_a_run_being_canceled_ends_canceled_whoever_ends_it(storage):
    for status in (S.SUCCESS, S.FAILURE):
        run_id = _started(storage)
        storage.runs.update_run_status(run_id, S.CANCELING)
        storage.end_run(run_id, status, "ended")
        assert storage.runs.get_run(run_id).status is S.CANCELED
        assert [e.event_type for e in _end_events(storage, run_id)] == [
            DagsterEventType.RUN_CANCELED
        ]


def test_expected_status_guards_the_end(storage):
    run_id = _started(storage)
    assert storage.end_run(run_id, S.CANCELED, "canceled", expected=S.QUEUED) is None
    assert storage.runs.get_run(run_id).status is S.STARTED
    assert _end_events(storage, run_id) == []


def test_a_failed_end_stores_neither_event_nor_status(storage, monkeypatch):
    run_id = _started(storage)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(storage.runs, "update_run_status", broken)
    with pytest.raises(RuntimeError):
        storage.end_run(run_id, S.SUCCESS, "done")
    monkeypatch.undo()
    assert storage.runs.get_run(run_id).status is S.STARTED
    assert _end_events(storage, run_id) == []


def test_monitor_and_queue_paths_store_the_one_error_shape(storage):
    died = _started(storage)
    assert fail_run(storage, died, "The worker died.")
    (event,) = _end_events(storage, died)
    assert event.payload["error"] == error_payload("The worker died.", "WorkerDied")

    queued = storage.runs.create_run(DagsterRun()).run_id

    class Unlaunchable:
        def launch(self, run_id: str) -> None:
            raise OSError("no such interpreter")

    assert RunQueue(storage, Unlaunchable()).launch_queued_runs() == []
    (event,) = _end_events(storage, queued)
    assert event.payload["error"]["class_name"] == "LaunchError"
    run = storage.runs.get_run(queued)
    assert run.status is S.FAILURE and "no such interpreter" in run.failure_reason
