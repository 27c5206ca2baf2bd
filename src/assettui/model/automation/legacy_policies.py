"""Older Dagster policies: ``AutoMaterializePolicy`` / ``AutoMaterializeRule`` and ``FreshnessPolicy``.

Projects written for Dagster 1.5-1.9 put ``auto_materialize_policy=AutoMaterializePolicy.eager()``
on their assets. Dagster turns a policy into an ``AutomationCondition``; so does assettui
(:meth:`AutoMaterializePolicy.to_automation_condition`), and the scheduler then evaluates
that condition like any other:

- ``eager()`` (unchanged) is ``AutomationCondition.eager()``;
- ``lazy()`` only materializes to meet freshness policies of downstream assets, which
  assettui does not evaluate: it maps to no condition (the asset is not automated);
- a policy whose rules were changed maps rule by rule: ``(m1 | m2 ...) & ~(s1 | s2 ...)``,
  each rule to its nearest condition (see :class:`AutoMaterializeRule`).

``FreshnessPolicy`` is Dagster 1.11+'s (``time_window`` / ``cron``); called the old way,
``FreshnessPolicy(maximum_lag_minutes=...)`` gives a :class:`LegacyFreshnessPolicy`. Both are
declarations only: they are kept on the asset and shown, and ``assettui.automation.freshness``
computes their state; they never trigger runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import timedelta
from enum import Enum
from typing import Any

from assettui.errors import DefinitionError, ScheduleError
from assettui.model.automation.conditions import AutomationCondition
from assettui.model.automation.schedules import check_cron_schedule, check_timezone

# ---- AutoMaterializeRule -----------------------------------------------------------------


class AutoMaterializeDecisionType(Enum):
    """Whether a rule asks to materialize or to skip."""

    MATERIALIZE = "MATERIALIZE"
    SKIP = "SKIP"


@dataclass(frozen=True)
class AutoMaterializeRule:
    """One rule of an :class:`AutoMaterializePolicy`; build them with the static methods.

    Attributes:
        name: which rule (``"materialize_on_missing"``...).
        decision_type: materialize or skip.
        params: the rule's parameters, as ``(name, value)`` pairs.
    """

    name: str
    decision_type: AutoMaterializeDecisionType
    params: tuple[tuple[str, Any], ...] = ()

    @property
    def description(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params)
        return f"{self.name}({args})"

    def _param(self, key: str, default: Any = None) -> Any:
        return dict(self.params).get(key, default)

    def to_automation_condition(self) -> AutomationCondition | None:
        """The nearest ``AutomationCondition`` (``None``: the rule has no assettui effect).

        ``materialize_on_required_for_freshness`` and
        ``skip_on_required_but_nonexistent_parents`` have no counterpart; ``skip_on_parent_outdated``
        is approximated by "a dependency is in progress".
        """
        c = AutomationCondition
        name = self.name
        if name == "materialize_on_missing":
            return c.newly_missing().since_last_handled()
        if name == "materialize_on_parent_updated":
            return c.any_deps_updated().since_last_handled()
        if name == "materialize_on_cron":
            cron_tick = c.cron_tick_passed(self._param("cron_schedule"), self._param("timezone"))
            return cron_tick.since_last_handled()
        if name == "skip_on_parent_missing":
            return c.any_deps_missing()
        if name == "skip_on_parent_outdated":
            return c.any_deps_in_progress()
        if name == "skip_on_not_all_parents_updated":
            return ~c.all_deps_match(c.newly_updated().since_last_handled() | c.will_be_requested())
        if name == "skip_on_not_all_parents_updated_since_cron":
            return ~c.all_deps_updated_since_cron(
                self._param("cron_schedule"), self._param("timezone")
            )
        if name in ("skip_on_backfill_in_progress", "skip_on_run_in_progress"):
            return c.in_progress()
        return None

    # ---- constructors, under Dagster's names ---------------------------------------------

    @staticmethod
    def materialize_on_missing() -> AutoMaterializeRule:
        """Materialize an asset (partition) that has never been materialized."""
        return AutoMaterializeRule("materialize_on_missing", _MATERIALIZE)

    @staticmethod
    def materialize_on_parent_updated(updated_parent_filter: Any = None) -> AutoMaterializeRule:
        """Materialize when a parent was updated more recently than the asset."""
        return AutoMaterializeRule("materialize_on_parent_updated", _MATERIALIZE)

    @staticmethod
    def materialize_on_required_for_freshness() -> AutoMaterializeRule:
        """Materialize to meet a freshness policy (no effect in assettui)."""
        return AutoMaterializeRule("materialize_on_required_for_freshness", _MATERIALIZE)

    @staticmethod
    def materialize_on_cron(
        cron_schedule: str, timezone: str = "UTC", all_partitions: bool = False
    ) -> AutoMaterializeRule:
        """Materialize once per tick of ``cron_schedule``.

        Raises:
            ScheduleError: a bad cron string or timezone.
        """
        check_cron_schedule(cron_schedule, timezone, "AutoMaterializeRule.materialize_on_cron")
        params = (("cron_schedule", cron_schedule), ("timezone", timezone))
        return AutoMaterializeRule("materialize_on_cron", _MATERIALIZE, params)

    @staticmethod
    def skip_on_parent_missing() -> AutoMaterializeRule:
        """Skip while a parent has never been materialized."""
        return AutoMaterializeRule("skip_on_parent_missing", _SKIP)

    @staticmethod
    def skip_on_parent_outdated() -> AutoMaterializeRule:
        """Skip while a parent is about to be updated (approximated: a parent is in progress)."""
        return AutoMaterializeRule("skip_on_parent_outdated", _SKIP)

    @staticmethod
    def skip_on_not_all_parents_updated(
        require_update_for_all_parent_partitions: bool = False,
    ) -> AutoMaterializeRule:
        """Skip until every parent was updated since the asset's last materialization."""
        return AutoMaterializeRule("skip_on_not_all_parents_updated", _SKIP)

    @staticmethod
    def skip_on_not_all_parents_updated_since_cron(
        cron_schedule: str, timezone: str = "UTC"
    ) -> AutoMaterializeRule:
        """Skip until every parent was updated since the latest tick of ``cron_schedule``."""
        check_cron_schedule(cron_schedule, timezone, "AutoMaterializeRule")
        params = (("cron_schedule", cron_schedule), ("timezone", timezone))
        return AutoMaterializeRule("skip_on_not_all_parents_updated_since_cron", _SKIP, params)

    @staticmethod
    def skip_on_required_but_nonexistent_parents() -> AutoMaterializeRule:
        """Skip when a required parent partition does not exist (no effect in assettui)."""
        return AutoMaterializeRule("skip_on_required_but_nonexistent_parents", _SKIP)

    @staticmethod
    def skip_on_backfill_in_progress(all_partitions: bool = False) -> AutoMaterializeRule:
        """Skip while a backfill targets the asset (assettui: while it is in progress)."""
        return AutoMaterializeRule("skip_on_backfill_in_progress", _SKIP)

    @staticmethod
    def skip_on_run_in_progress() -> AutoMaterializeRule:
        """Skip while a run targeting the asset is in progress."""
        return AutoMaterializeRule("skip_on_run_in_progress", _SKIP)


_MATERIALIZE = AutoMaterializeDecisionType.MATERIALIZE
_SKIP = AutoMaterializeDecisionType.SKIP

_R = AutoMaterializeRule
_SHARED_RULES = frozenset(
    {
        _R.materialize_on_required_for_freshness(),
        _R.skip_on_parent_outdated(),
        _R.skip_on_parent_missing(),
        _R.skip_on_required_but_nonexistent_parents(),
        _R.skip_on_backfill_in_progress(),
    }
)
EAGER_RULES = frozenset(
    {*_SHARED_RULES, _R.materialize_on_missing(), _R.materialize_on_parent_updated()}
)
LAZY_RULES = _SHARED_RULES


# ---- AutoMaterializePolicy ---------------------------------------------------------------


class AutoMaterializePolicyType(Enum):
    EAGER = "EAGER"
    LAZY = "LAZY"


@dataclass(frozen=True)
class AutoMaterializePolicy:
    """How an asset is kept up to date automatically (Dagster's older API).

    Prefer ``automation_condition=AutomationCondition.eager()``; this class exists so older
    projects load unchanged.

    Args:
        rules: the policy's rules.
        max_materializations_per_minute: accepted for compatibility; assettui does not
            rate-limit automatic materializations per asset.
        asset_condition: a condition given directly (:meth:`from_automation_condition`).

    Raises:
        DefinitionError: neither or both of ``rules`` and ``asset_condition``.
    """

    rules: frozenset[AutoMaterializeRule] = field(default_factory=frozenset)
    max_materializations_per_minute: int | None = 1
    asset_condition: AutomationCondition | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "rules", frozenset(self.rules))
        if bool(self.rules) == (self.asset_condition is not None):
            raise DefinitionError(
                "AutoMaterializePolicy needs exactly one of rules= or asset_condition=."
            )
        for rule in self.rules:
            if not isinstance(rule, AutoMaterializeRule):
                raise DefinitionError(
                    f"AutoMaterializePolicy rules must be AutoMaterializeRule values; got {rule!r}."
                )
        limit = self.max_materializations_per_minute
        if limit is not None and limit <= 0:
            raise DefinitionError(
                "max_materializations_per_minute must be positive (or None for no limit)."
            )

    @staticmethod
    def eager(max_materializations_per_minute: int | None = 1) -> AutoMaterializePolicy:
        """Materialize missing assets and again whenever a parent updates."""
        return AutoMaterializePolicy(EAGER_RULES, max_materializations_per_minute)

    @staticmethod
    def lazy(max_materializations_per_minute: int | None = 1) -> AutoMaterializePolicy:
        """Materialize only to meet freshness policies (assettui: never automatically)."""
        return AutoMaterializePolicy(LAZY_RULES, max_materializations_per_minute)

    @staticmethod
    def from_automation_condition(condition: AutomationCondition) -> AutoMaterializePolicy:
        """A policy that is exactly ``condition``."""
        return AutoMaterializePolicy(
            rules=frozenset(), max_materializations_per_minute=None, asset_condition=condition
        )

    def with_rules(self, *rules_to_add: AutoMaterializeRule) -> AutoMaterializePolicy:
        """A copy with ``rules_to_add`` (a rule of the same kind is replaced)."""
        names = {r.name for r in rules_to_add}
        kept = {r for r in self.rules if r.name not in names}
        return replace(self, rules=frozenset({*kept, *rules_to_add}))

    def without_rules(self, *rules_to_remove: AutoMaterializeRule) -> AutoMaterializePolicy:
        """A copy without ``rules_to_remove``.

        Raises:
            DefinitionError: if a rule is not in this policy.
        """
        missing = [r.description for r in rules_to_remove if r not in self.rules]
        if missing:
            raise DefinitionError(f"Rules {missing} are not in this AutoMaterializePolicy.")
        return replace(self, rules=self.rules - set(rules_to_remove))

    @property
    def materialize_rules(self) -> frozenset[AutoMaterializeRule]:
        return frozenset(r for r in self.rules if r.decision_type is _MATERIALIZE)

    @property
    def skip_rules(self) -> frozenset[AutoMaterializeRule]:
        return frozenset(r for r in self.rules if r.decision_type is _SKIP)

    @property
    def policy_type(self) -> AutoMaterializePolicyType:
        if AutoMaterializeRule.materialize_on_parent_updated() in self.rules:
            return AutoMaterializePolicyType.EAGER
        return AutoMaterializePolicyType.LAZY

    def to_automation_condition(self) -> AutomationCondition | None:
        """The condition the scheduler evaluates for this policy (``None``: not automated)."""
        if self.asset_condition is not None:
            return self.asset_condition
        if self.rules == EAGER_RULES:
            return AutomationCondition.eager()
        materialize = _any_of(self.materialize_rules)
        if materialize is None:
            return None  # lazy: only freshness-driven, which assettui does not evaluate
        skip = _any_of(self.skip_rules)
        condition = materialize if skip is None else materialize & ~skip
        return condition.with_label("auto_materialize_policy")


def _any_of(rules: frozenset[AutoMaterializeRule]) -> AutomationCondition | None:
    conditions = [
        condition
        for rule in sorted(rules, key=lambda r: r.description)
        if (condition := rule.to_automation_condition()) is not None
    ]
    if not conditions:
        return None
    result = conditions[0]
    for condition in conditions[1:]:
        result = result | condition
    return result


def resolve_automation_condition(
    automation_condition: AutomationCondition | None,
    auto_materialize_policy: AutoMaterializePolicy | None,
    where: str = "asset",
) -> AutomationCondition | None:
    """The condition of an asset given either argument (Dagster's rule: not both).

    Raises:
        DefinitionError: if both are given, or the policy is not an AutoMaterializePolicy.
    """
    if auto_materialize_policy is None:
        return automation_condition
    if automation_condition is not None:
        raise DefinitionError(
            f"{where}: give automation_condition= or auto_materialize_policy=, not both."
        )
    if not isinstance(auto_materialize_policy, AutoMaterializePolicy):
        raise DefinitionError(
            f"{where}: auto_materialize_policy must be an AutoMaterializePolicy; got "
            f"{auto_materialize_policy!r}. Prefer automation_condition=AutomationCondition.eager()."
        )
    return auto_materialize_policy.to_automation_condition()


# ---- FreshnessPolicy ---------------------------------------------------------------------


class FreshnessState(Enum):
    """How fresh an asset is under its freshness policy."""

    PASS = "PASS"
    WARN = "WARN"
    FAIL = "FAIL"
    UNKNOWN = "UNKNOWN"
    NOT_APPLICABLE = "NOT_APPLICABLE"


class FreshnessPolicy:
    """How recently an asset should have been materialized; build with the static methods.

    ``FreshnessPolicy.time_window(fail_window=timedelta(hours=24))`` or
    ``FreshnessPolicy.cron(deadline_cron="0 10 * * *", lower_bound_delta=timedelta(hours=1))``.
    Called the pre-1.10 way, ``FreshnessPolicy(maximum_lag_minutes=60)`` returns a
    :class:`LegacyFreshnessPolicy`.
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        if cls is FreshnessPolicy:
            if args or kwargs:
                return LegacyFreshnessPolicy(*args, **kwargs)
            raise DefinitionError(
                "Build a FreshnessPolicy with FreshnessPolicy.time_window(...) or "
                "FreshnessPolicy.cron(...)."
            )
        return super().__new__(cls)

    @staticmethod
    def time_window(
        fail_window: timedelta, warn_window: timedelta | None = None
    ) -> TimeWindowFreshnessPolicy:
        """Fresh if materialized within ``fail_window`` (warn after ``warn_window``).

        Raises:
            DefinitionError: windows under a minute, or ``warn_window >= fail_window``.
        """
        return TimeWindowFreshnessPolicy(fail_window, warn_window)

    @staticmethod
    def cron(
        deadline_cron: str, lower_bound_delta: timedelta, timezone: str = "UTC"
    ) -> CronFreshnessPolicy:
        """Fresh if materialized within ``lower_bound_delta`` before the latest deadline tick.

        Raises:
            DefinitionError: a bad cron, timezone, or ``lower_bound_delta`` under a minute.
        """
        return CronFreshnessPolicy(deadline_cron, lower_bound_delta, timezone)


_MINUTE = timedelta(minutes=1)


@dataclass(frozen=True)
class TimeWindowFreshnessPolicy(FreshnessPolicy):
    """Fresh if the latest materialization is within ``fail_window`` (warn: ``warn_window``)."""

    fail_window: timedelta
    warn_window: timedelta | None = None

    def __post_init__(self) -> None:
        if self.fail_window < _MINUTE:
            raise DefinitionError("FreshnessPolicy.time_window: fail_window must be >= 1 minute.")
        if self.warn_window is not None:
            if self.warn_window < _MINUTE:
                raise DefinitionError(
                    "FreshnessPolicy.time_window: warn_window must be >= 1 minute."
                )
            if self.warn_window >= self.fail_window:
                raise DefinitionError(
                    "FreshnessPolicy.time_window: warn_window must be less than fail_window."
                )


@dataclass(frozen=True)
class CronFreshnessPolicy(FreshnessPolicy):
    """Fresh if materialized after (latest ``deadline_cron`` tick - ``lower_bound_delta``)."""

    deadline_cron: str
    lower_bound_delta: timedelta
    timezone: str = "UTC"

    def __post_init__(self) -> None:

        try:
            check_cron_schedule(self.deadline_cron, self.timezone, "FreshnessPolicy.cron")
        except ScheduleError as exc:
            raise DefinitionError(str(exc)) from None
        if self.lower_bound_delta < _MINUTE:
            raise DefinitionError("FreshnessPolicy.cron: lower_bound_delta must be >= 1 minute.")


@dataclass(frozen=True)
class LegacyFreshnessPolicy:
    """Dagster's pre-1.10 freshness policy: data at most ``maximum_lag_minutes`` old.

    With ``cron_schedule``, the lag must hold at each tick of the schedule only.
    """

    maximum_lag_minutes: float
    cron_schedule: str | None = None
    cron_schedule_timezone: str | None = None

    def __post_init__(self) -> None:
        if self.maximum_lag_minutes < 0:
            raise DefinitionError("FreshnessPolicy: maximum_lag_minutes must be >= 0.")
        if self.cron_schedule is not None:
            try:
                check_cron_schedule(
                    self.cron_schedule, self.cron_schedule_timezone, "FreshnessPolicy"
                )
            except ScheduleError as exc:
                raise DefinitionError(str(exc)) from None
        elif self.cron_schedule_timezone is not None:
            try:
                check_timezone(self.cron_schedule_timezone, "FreshnessPolicy")
            except Exception as exc:
                raise DefinitionError(str(exc)) from None

    @property
    def maximum_lag_delta(self) -> timedelta:
        return timedelta(minutes=self.maximum_lag_minutes)
