"""Dagster-shaped views of stored events: ``EventLogEntry``, ``DagsterEvent``, ``EventLogRecord``.

These are what ported Dagster code sees (``instance.get_latest_materialization_event(key)``,
``context.instance.all_logs(run_id)``, an ``asset_sensor``'s event). They are built from an
:class:`~assettui.model.records.events.EventRecord` and read its payload by the conventions in
:mod:`assettui.model.records.events`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from assettui.model.asset_key import AssetKey
from assettui.model.metadata.values import metadata_from_json
from assettui.model.records.events import DagsterEventType, EventRecord, NewEvent
from assettui.model.results import (
    AssetCheckEvaluation,
    AssetCheckSeverity,
    AssetMaterialization,
    AssetObservation,
)

CODE_VERSION_TAG = "dagster/code_version"


@dataclass(frozen=True, slots=True)
class SerializableErrorInfo:
    """An error as stored with a failure (Dagster's ``SerializableErrorInfo``)."""

    message: str
    stack: Sequence[str]
    cls_name: str | None
    cause: SerializableErrorInfo | None = None

    @staticmethod
    def from_payload(error: Mapping[str, Any] | None) -> SerializableErrorInfo | None:
        """Read the ``{"message", "class_name", "stack", "cause"}`` payload form."""
        if not error:
            return None
        return SerializableErrorInfo(
            message=str(error.get("message", "")),
            stack=tuple(error.get("stack") or ()),
            cls_name=error.get("class_name"),
            cause=SerializableErrorInfo.from_payload(error.get("cause")),
        )

    def to_string(self) -> str:
        """The message and stack, then the cause's, as a traceback reads."""
        text = self.message.rstrip() + "\n\n" + "".join(self.stack)
        if self.cause is not None:
            text += "\nThe above exception was caused by:\n\n" + self.cause.to_string()
        return text


@dataclass(frozen=True, slots=True)
class StepMaterializationData:
    """``event.event_specific_data`` of a materialization event."""

    materialization: AssetMaterialization


@dataclass(frozen=True, slots=True)
class AssetObservationData:
    """``event.event_specific_data`` of an observation event."""

    asset_observation: AssetObservation


@dataclass(frozen=True, slots=True)
class StepFailureData:
    """``event.event_specific_data`` of a failure event."""

    error: SerializableErrorInfo | None


@dataclass(frozen=True, slots=True)
class StepOutputHandle:
    """Which output of which step (Dagster's ``StepOutputHandle``)."""

    step_key: str
    output_name: str = "result"
    mapping_key: str | None = None


@dataclass(frozen=True, slots=True)
class StepOutputData:
    """``event.event_specific_data`` of a ``STEP_OUTPUT`` event of an op."""

    step_output_handle: StepOutputHandle
    metadata: Mapping[str, Any]

    @property
    def output_name(self) -> str:
        return self.step_output_handle.output_name

    @property
    def mapping_key(self) -> str | None:
        return self.step_output_handle.mapping_key


@dataclass(frozen=True)
class DagsterEvent:
    """A structured event (Dagster's ``DagsterEvent``), as found on ``EventLogEntry``."""

    event_type_value: str
    job_name: str | None = None
    step_key: str | None = None
    message: str | None = None
    asset_key: AssetKey | None = None
    partition: str | None = None
    payload: Mapping[str, Any] = field(default_factory=dict)

    @staticmethod
    def of(event: NewEvent | EventRecord, job_name: str | None = None) -> DagsterEvent:
        """The structured form of an event, emitted (``NewEvent``) or stored."""
        return DagsterEvent(
            event_type_value=event.event_type.value,
            job_name=job_name,
            step_key=event.step_key,
            message=event.message,
            asset_key=event.asset_key,
            partition=event.partition,
            payload=event.payload or {},
        )

    @property
    def event_type(self) -> DagsterEventType:
        return DagsterEventType(self.event_type_value)

    @property
    def is_step_success(self) -> bool:
        return self.event_type is DagsterEventType.STEP_SUCCESS

    @property
    def is_step_failure(self) -> bool:
        return self.event_type is DagsterEventType.STEP_FAILURE

    @property
    def is_run_failure(self) -> bool:
        return self.event_type is DagsterEventType.RUN_FAILURE

    @property
    def is_successful_output(self) -> bool:
        return self.event_type is DagsterEventType.STEP_OUTPUT

    @property
    def is_step_materialization(self) -> bool:
        return self.event_type is DagsterEventType.ASSET_MATERIALIZATION

    @property
    def is_asset_materialization_planned(self) -> bool:
        return self.event_type is DagsterEventType.ASSET_MATERIALIZATION_PLANNED

    @property
    def is_asset_observation(self) -> bool:
        return self.event_type is DagsterEventType.ASSET_OBSERVATION

    @property
    def step_materialization_data(self) -> StepMaterializationData | None:
        materialization = self.asset_materialization
        return StepMaterializationData(materialization) if materialization else None

    @property
    def asset_materialization(self) -> AssetMaterialization | None:
        if not self.is_step_materialization or self.asset_key is None:
            return None
        tags = dict(self.payload.get("tags") or {})
        code_version = self.payload.get("code_version")
        if code_version is not None:
            tags[CODE_VERSION_TAG] = str(code_version)
        return AssetMaterialization(
            asset_key=self.asset_key,
            metadata=metadata_from_json(self.payload.get("metadata")),
            partition=self.partition,
            tags=tags,
            description=self.payload.get("description"),
        )

    @property
    def asset_observation(self) -> AssetObservation | None:
        if not self.is_asset_observation or self.asset_key is None:
            return None
        return AssetObservation(
            asset_key=self.asset_key,
            metadata=metadata_from_json(self.payload.get("metadata")),
            partition=self.partition,
            tags=dict(self.payload.get("tags") or {}),
            description=self.payload.get("description"),
        )

    @property
    def asset_check_evaluation(self) -> AssetCheckEvaluation | None:
        if self.event_type is not DagsterEventType.ASSET_CHECK_EVALUATION:
            return None
        if self.asset_key is None:
            return None
        return AssetCheckEvaluation(
            asset_key=self.asset_key,
            check_name=str(self.payload.get("check_name", "")),
            passed=bool(self.payload.get("passed")),
            metadata=metadata_from_json(self.payload.get("metadata")),
            severity=AssetCheckSeverity(self.payload.get("severity", "ERROR")),
            description=self.payload.get("description"),
            blocking=bool(self.payload.get("blocking", False)),
        )

    @property
    def error(self) -> SerializableErrorInfo | None:
        return SerializableErrorInfo.from_payload(self.payload.get("error"))

    @property
    def event_specific_data(self) -> Any:
        """The typed data of this event, as Dagster's field of the same name."""
        if self.is_step_materialization:
            return self.step_materialization_data
        if self.is_asset_observation:
            observation = self.asset_observation
            return AssetObservationData(observation) if observation else None
        if self.event_type is DagsterEventType.ASSET_CHECK_EVALUATION:
            return self.asset_check_evaluation
        if self.event_type is DagsterEventType.STEP_OUTPUT:
            handle = StepOutputHandle(
                self.step_key or "",
                self.payload.get("output_name", "result"),
                self.payload.get("mapping_key"),
            )
            return StepOutputData(handle, self.payload.get("metadata") or {})
        if "error" in self.payload:
            return StepFailureData(self.error)
        return None


@dataclass(frozen=True)
class EventLogEntry:
    """One entry of a run's event log (Dagster's ``EventLogEntry``).

    ``dagster_event`` is ``None`` for plain log records (``context.log``); ``level`` is a
    ``logging`` level number.
    """

    error_info: SerializableErrorInfo | None
    level: int
    user_message: str
    run_id: str
    timestamp: float
    step_key: str | None = None
    job_name: str | None = None
    dagster_event: DagsterEvent | None = None
    storage_id: int | None = None

    @staticmethod
    def from_record(record: EventRecord, job_name: str | None = None) -> EventLogEntry:
        """The entry for a stored event."""
        level = logging.getLevelName(record.level)
        dagster_event = None
        if record.event_type is not DagsterEventType.LOG:
            dagster_event = DagsterEvent.of(record, job_name)
        return EventLogEntry(
            error_info=SerializableErrorInfo.from_payload(record.payload.get("error")),
            level=level if isinstance(level, int) else logging.INFO,
            user_message=record.message,
            run_id=record.run_id or "",
            timestamp=record.timestamp,
            step_key=record.step_key,
            job_name=job_name,
            dagster_event=dagster_event,
            storage_id=record.storage_id,
        )

    @property
    def is_dagster_event(self) -> bool:
        return self.dagster_event is not None

    @property
    def dagster_event_type(self) -> DagsterEventType | None:
        return self.dagster_event.event_type if self.dagster_event else None

    @property
    def message(self) -> str:
        return self.user_message

    def get_dagster_event(self) -> DagsterEvent:
        """The structured event (raises if this is a plain log record)."""
        if self.dagster_event is None:
            raise ValueError("This EventLogEntry is a log message, not a DagsterEvent.")
        return self.dagster_event

    @property
    def asset_materialization(self) -> AssetMaterialization | None:
        return self.dagster_event.asset_materialization if self.dagster_event else None

    @property
    def asset_observation(self) -> AssetObservation | None:
        return self.dagster_event.asset_observation if self.dagster_event else None

    @property
    def asset_check_evaluation(self) -> AssetCheckEvaluation | None:
        return self.dagster_event.asset_check_evaluation if self.dagster_event else None

    @property
    def tags(self) -> Mapping[str, str] | None:
        materialization = self.asset_materialization
        return materialization.tags if materialization else None


@dataclass(frozen=True, slots=True)
class EventLogRecord:
    """An entry with its storage id (Dagster's ``EventLogRecord``)."""

    storage_id: int
    event_log_entry: EventLogEntry

    @staticmethod
    def from_record(record: EventRecord) -> EventLogRecord:
        return EventLogRecord(record.storage_id, EventLogEntry.from_record(record))

    @property
    def run_id(self) -> str:
        return self.event_log_entry.run_id

    @property
    def timestamp(self) -> float:
        return self.event_log_entry.timestamp

    @property
    def asset_key(self) -> AssetKey | None:
        event = self.event_log_entry.dagster_event
        return event.asset_key if event else None

    @property
    def partition_key(self) -> str | None:
        event = self.event_log_entry.dagster_event
        return event.partition if event else None

    @property
    def asset_materialization(self) -> AssetMaterialization | None:
        return self.event_log_entry.asset_materialization

    @property
    def asset_observation(self) -> AssetObservation | None:
        return self.event_log_entry.asset_observation


@dataclass(frozen=True, slots=True)
class EventRecordsResult:
    """A page of event records (Dagster's ``EventRecordsResult``)."""

    records: Sequence[EventLogRecord]
    cursor: str
    has_more: bool


@dataclass(frozen=True, slots=True)
class AssetRecordsFilter:
    """Which events of one asset to fetch (Dagster's ``AssetRecordsFilter``)."""

    asset_key: AssetKey
    asset_partitions: Sequence[str] | None = None
    after_storage_id: int | None = None
    before_storage_id: int | None = None
