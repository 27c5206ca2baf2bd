"""Event values: the event types of the log, an event to append, and a stored event record.

Payload conventions (execution writes exactly these, readers rely on them):

- ``ASSET_MATERIALIZATION`` / ``ASSET_OBSERVATION``: ``{"metadata": metadata_to_json(...),
  "tags": {...}, "code_version": str | None, "description": str | None}``.
- ``ASSET_CHECK_EVALUATION``: ``{"check_name", "passed", "severity", "metadata",
  "description", "blocking"}``; ``ASSET_CHECK_EVALUATION_PLANNED``: ``{"check_name"}``.
- failures (``STEP_FAILURE``, ``RUN_FAILURE``, ``ASSET_FAILED_TO_MATERIALIZE``):
  ``{"error": {"message", "class_name", "stack": [str, ...], "cause": <error> | None}}``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache
from typing import Any

from assettui.model.asset_key import AssetKey


def error_payload(
    message: str,
    class_name: str,
    stack: Sequence[str] = (),
    cause: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """An error in the one shape every failure event carries (see the module docstring)."""
    return {"message": message, "class_name": class_name, "stack": list(stack), "cause": cause}


class DagsterEventType(Enum):
    """The kinds of event in the log, under Dagster's names (plus ``LOG`` for ``context.log``)."""

    RUN_ENQUEUED = "RUN_ENQUEUED"
    RUN_STARTING = "RUN_STARTING"
    RUN_START = "RUN_START"
    RUN_SUCCESS = "RUN_SUCCESS"
    RUN_FAILURE = "RUN_FAILURE"
    RUN_CANCELING = "RUN_CANCELING"
    RUN_CANCELED = "RUN_CANCELED"
    STEP_START = "STEP_START"
    STEP_SUCCESS = "STEP_SUCCESS"
    STEP_FAILURE = "STEP_FAILURE"
    STEP_SKIPPED = "STEP_SKIPPED"
    STEP_UP_FOR_RETRY = "STEP_UP_FOR_RETRY"
    STEP_RESTARTED = "STEP_RESTARTED"
    STEP_OUTPUT = "STEP_OUTPUT"
    STEP_INPUT = "STEP_INPUT"
    LOADED_INPUT = "LOADED_INPUT"
    HANDLED_OUTPUT = "HANDLED_OUTPUT"
    STEP_EXPECTATION_RESULT = "STEP_EXPECTATION_RESULT"
    HOOK_COMPLETED = "HOOK_COMPLETED"
    HOOK_ERRORED = "HOOK_ERRORED"
    ASSET_MATERIALIZATION = "ASSET_MATERIALIZATION"
    ASSET_MATERIALIZATION_PLANNED = "ASSET_MATERIALIZATION_PLANNED"
    ASSET_FAILED_TO_MATERIALIZE = "ASSET_FAILED_TO_MATERIALIZE"
    ASSET_OBSERVATION = "ASSET_OBSERVATION"
    ASSET_CHECK_EVALUATION = "ASSET_CHECK_EVALUATION"
    ASSET_CHECK_EVALUATION_PLANNED = "ASSET_CHECK_EVALUATION_PLANNED"
    LOGS_CAPTURED = "LOGS_CAPTURED"
    ENGINE_EVENT = "ENGINE_EVENT"
    LOG = "LOG"


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event to append to the log (the storage id is assigned when it is stored).

    Args:
        run_id: the run it belongs to (``None`` for run-less events, e.g. a reported
            observation).
        event_type: what happened.
        message: the human-readable line shown in the log view.
        level: a ``logging`` level name (``"DEBUG"`` for lifecycle events).
        step_key: the step it happened in.
        asset_key: the asset it is about.
        partition: the partition key it is about.
        payload: structured data, see the module docstring for the conventions.
        timestamp: seconds since the epoch; now when omitted.
    """

    run_id: str | None
    event_type: DagsterEventType
    message: str = ""
    level: str = "DEBUG"
    step_key: str | None = None
    asset_key: AssetKey | None = None
    partition: str | None = None
    payload: Mapping[str, Any] | None = None
    timestamp: float | None = None


@dataclass(frozen=True, slots=True)
class EventRecord:
    """One stored event; ``storage_id`` orders the whole log."""

    storage_id: int
    run_id: str | None
    timestamp: float
    event_type: DagsterEventType
    level: str
    step_key: str | None
    asset_key: AssetKey | None
    partition: str | None
    message: str
    payload: Mapping[str, Any] = field(default_factory=dict)


EVENT_COLUMNS = (
    "id, run_id, timestamp, event_type, level, step_key, asset_key, partition, message, payload"
)


def encode_json(value: Any) -> str:
    """Compact JSON; odd values become strings rather than failing a run's write."""
    return json.dumps(value, separators=(",", ":"), default=str)


def event_row(event: NewEvent, now: float) -> tuple[Any, ...]:
    """The insert parameters of ``event`` (columns of :data:`EVENT_COLUMNS` minus ``id``)."""
    kind = event.event_type
    return (
        event.run_id,
        event.timestamp if event.timestamp is not None else now,
        kind.value if isinstance(kind, DagsterEventType) else DagsterEventType(kind).value,
        event.level,
        event.step_key,
        event.asset_key.to_user_string() if event.asset_key is not None else None,
        event.partition,
        event.message,
        encode_json(event.payload) if event.payload else None,
    )


class StoredPayload(Mapping[str, Any]):
    """A payload read from the log, decoded from JSON on first access.

    Listing thousands of events (the latest materialization of every asset, a long run log)
    should not pay for decoding payloads nobody looks at. Compares equal to the plain dict.
    """

    __slots__ = ("_data", "_text")

    def __init__(self, text: str):
        self._text = text
        self._data: dict[str, Any] | None = None

    def _decoded(self) -> dict[str, Any]:
        if self._data is None:
            self._data = json.loads(self._text)
        return self._data

    def __getitem__(self, key: str) -> Any:
        return self._decoded()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._decoded())

    def __len__(self) -> int:
        return len(self._decoded())

    def __repr__(self) -> str:
        return repr(self._decoded())


_EVENT_TYPES = {kind.value: kind for kind in DagsterEventType}


@lru_cache(maxsize=65_536)
def asset_key_from_db(text: str) -> AssetKey:
    """The AssetKey stored as ``text`` (its user string); cached, keys are immutable."""
    return AssetKey.from_user_string(text)


def record_from_row(row: tuple[Any, ...]) -> EventRecord:
    """An :class:`EventRecord` from a row selected with :data:`EVENT_COLUMNS`."""
    storage_id, run_id, timestamp, event_type, level, step_key, asset_key, partition = row[:8]
    message, payload = row[8], row[9]
    return EventRecord(
        storage_id,
        run_id,
        timestamp,
        _EVENT_TYPES[event_type],
        level,
        step_key,
        asset_key_from_db(asset_key) if asset_key is not None else None,
        partition,
        message,
        StoredPayload(payload) if payload else {},
    )


def record_from_new(event: NewEvent, storage_id: int, now: float) -> EventRecord:
    """The record ``event`` became once stored under ``storage_id``."""
    kind = event.event_type
    # Positional: this runs once per stored event, on the hot path of every batch.
    return EventRecord(
        storage_id,
        event.run_id,
        event.timestamp if event.timestamp is not None else now,
        kind if isinstance(kind, DagsterEventType) else DagsterEventType(kind),
        event.level,
        event.step_key,
        event.asset_key,
        event.partition,
        event.message,
        event.payload if event.payload is not None else {},
    )


def now() -> float:
    """The wall clock, in one place (stored times are seconds since the epoch)."""
    return time.time()
