"""Step and asset states are enums whose values are the strings stored and shown before."""

from __future__ import annotations

from assettui.execution import asset_state
from assettui.execution.asset_state import AssetStatus
from assettui.execution.step_runner import StepOutcome, StepStatus


def test_step_status_values_are_the_stored_strings() -> None:
    assert [s.value for s in StepStatus] == ["success", "failure", "skipped"]
    assert StepStatus("failure") is StepStatus.FAILURE
    assert f"{StepStatus.SKIPPED}" == "skipped"
    assert StepOutcome(StepStatus.FAILURE).status == "failure"


def test_asset_status_constants_are_the_enum_members() -> None:
    assert tuple(AssetStatus) == asset_state.STATUSES
    assert [s.value for s in AssetStatus] == [
        "fresh",
        "stale",
        "missing",
        "failed",
        "running",
        "queued",
    ]
    assert asset_state.FRESH is AssetStatus.FRESH
    assert str(AssetStatus.QUEUED) == "queued"
