"""The event sink batches events and never drops a batch that failed to store."""

from __future__ import annotations

import sqlite3

import pytest

from assettui.execution.event_sink import EventSink
from assettui.model.records.events import DagsterEventType, NewEvent


def _event(n: int) -> NewEvent:
    return NewEvent(run_id="r", event_type=DagsterEventType.LOG, message=str(n), level="INFO")


def test_a_batch_that_fails_to_store_is_kept_and_stored_by_the_next_flush() -> None:
    stored: list[str] = []
    failures = [sqlite3.OperationalError("database is locked")]

    def store(batch: list[NewEvent]) -> None:
        if failures:
            raise failures.pop()
        stored.extend(e.message for e in batch)

    sink = EventSink(store, max_batch=1000)
    sink.emit(_event(1))
    sink.emit(_event(2))
    with pytest.raises(sqlite3.OperationalError):
        sink.flush()
    sink.emit(_event(3))
    sink.flush()
    assert stored == ["1", "2", "3"]


def test_a_full_batch_is_stored_without_waiting_for_a_flush() -> None:
    batches: list[int] = []
    sink = EventSink(lambda batch: batches.append(len(batch)), max_batch=3)
    for n in range(7):
        sink.emit(_event(n))
    assert batches == [3, 3]
    sink.flush()
    assert batches == [3, 3, 1]


def test_eager_types_are_stored_at_once_with_what_came_before() -> None:
    batches: list[list[str]] = []
    sink = EventSink(
        lambda batch: batches.append([e.message for e in batch]),
        eager_types=frozenset({DagsterEventType.ASSET_MATERIALIZATION}),
    )
    sink.emit(_event(1))
    assert batches == []
    sink.emit(NewEvent(run_id="r", event_type=DagsterEventType.ASSET_MATERIALIZATION, message="m"))
    assert batches == [["1", "m"]]
