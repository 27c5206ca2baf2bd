"""Who or what launched a run, read from its tags (as Dagster's UI shows it): a schedule, a
sensor, a backfill, a re-execution, or a person in the UI or on the command line."""

from __future__ import annotations

from assettui.model.automation.schedules import SCHEDULE_NAME_TAG
from assettui.model.automation.sensors import SENSOR_NAME_TAG
from assettui.model.records.runs import BACKFILL_ID_TAG, IN_PROCESS_TAG, DagsterRun

LAUNCHED_BY_TAG = "assettui/launched_by"  # "ui" or "cli", set where a person launched it
LAUNCHERS = ("ui", "cli", "schedule", "sensor", "backfill", "re-execution", "python")


def launched_by(run: DagsterRun) -> tuple[str, str]:
    """``(kind, detail)``: kind is one of :data:`LAUNCHERS` (or ``"unknown"``), detail names
    the schedule, sensor, backfill or parent run."""
    tags = run.tags
    if run.parent_run_id:  # it carries its parent's tags: it is first a re-execution
        return "re-execution", run.parent_run_id
    if BACKFILL_ID_TAG in tags:
        return "backfill", tags[BACKFILL_ID_TAG]
    if SCHEDULE_NAME_TAG in tags:
        return "schedule", tags[SCHEDULE_NAME_TAG]
    if SENSOR_NAME_TAG in tags:
        return "sensor", tags[SENSOR_NAME_TAG]
    person = tags.get(LAUNCHED_BY_TAG)
    if person in ("ui", "cli"):
        return person, ""
    if IN_PROCESS_TAG in tags:
        return "python", ""
    return "unknown", ""


def launched_by_text(run: DagsterRun) -> str:
    """``schedule nightly``, ``backfill abc123``, ``ui``: one short phrase."""
    kind, detail = launched_by(run)
    if kind == "re-execution":
        return f"re-execution of {detail[:8]}"
    return f"{kind} {detail}".strip()
