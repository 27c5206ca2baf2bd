"""The freshness state of an asset under its ``FreshnessPolicy``, at a given time.

Pure computation over the time of the asset's latest materialization: the UI shows the
state beside the asset; nothing here launches runs or reads storage.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from assettui.automation.cron import previous_tick
from assettui.model.automation.legacy_policies import (
    CronFreshnessPolicy,
    FreshnessState,
    LegacyFreshnessPolicy,
    TimeWindowFreshnessPolicy,
)


def _as_datetime(value: datetime | float) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromtimestamp(value, tz=UTC)


def freshness_state(
    policy: object, last_materialized: datetime | float | None, now: datetime | float
) -> FreshnessState:
    """How fresh an asset is at ``now``.

    Args:
        policy: a ``FreshnessPolicy`` (time window or cron), a ``LegacyFreshnessPolicy``,
            or ``None``.
        last_materialized: when the asset was last materialized (``None``: never).
        now: the time to evaluate at.

    Returns:
        ``NOT_APPLICABLE`` without a policy, ``UNKNOWN`` if never materialized, else
        ``PASS``, ``WARN`` or ``FAIL``.
    """
    if policy is None:
        return FreshnessState.NOT_APPLICABLE
    if last_materialized is None:
        return FreshnessState.UNKNOWN
    last = _as_datetime(last_materialized)
    at = _as_datetime(now)
    if isinstance(policy, TimeWindowFreshnessPolicy):
        age = at - last
        if age > policy.fail_window:
            return FreshnessState.FAIL
        if policy.warn_window is not None and age > policy.warn_window:
            return FreshnessState.WARN
        return FreshnessState.PASS
    if isinstance(policy, CronFreshnessPolicy):
        return _by_deadline(
            policy.deadline_cron, policy.timezone, policy.lower_bound_delta, last, at
        )
    if isinstance(policy, LegacyFreshnessPolicy):
        if policy.cron_schedule is None:
            ok = at - last <= policy.maximum_lag_delta
            return FreshnessState.PASS if ok else FreshnessState.FAIL
        timezone = policy.cron_schedule_timezone or "UTC"
        return _by_deadline(policy.cron_schedule, timezone, policy.maximum_lag_delta, last, at)
    return FreshnessState.NOT_APPLICABLE


def _by_deadline(
    cron: str, timezone: str, allowed: timedelta, last: datetime, at: datetime
) -> FreshnessState:
    deadline = previous_tick(cron, timezone, at)
    if deadline is None:  # no deadline has passed yet
        return FreshnessState.PASS
    return FreshnessState.PASS if last >= deadline - allowed else FreshnessState.FAIL
