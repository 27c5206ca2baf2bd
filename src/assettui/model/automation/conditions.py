"""Declarative automation: ``AutomationCondition`` values put on assets.

A condition is a tree of frozen values: operands (``missing()``, ``newly_updated()``,
``cron_tick_passed(...)``, ...) combined with ``&``, ``|``, ``~`` and the stateful operators
``newly_true()`` and ``since()``. The scheduler evaluates the tree on every pass for each
asset (and each candidate partition) in :mod:`assettui.automation.declarative`; here the tree
is only built, labelled and described.

The built-in conditions are composed exactly as Dagster composes them, e.g.
``eager() = in_latest_time_window() & (newly_missing() | any_deps_updated())
.since_last_handled() & ~any_deps_missing() & ~any_deps_in_progress() & ~in_progress()``.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, ClassVar

from assettui.model.automation.schedules import check_cron_schedule


@dataclass(frozen=True)
class AutomationCondition:
    """Base of every automation condition; build them with the static methods."""

    label: str | None = dataclasses.field(default=None, kw_only=True)

    # ---- identity and description -----------------------------------------------------

    _kind: ClassVar[str] = "condition"

    @property
    def name(self) -> str:
        """A short name of the node's kind (``"AND"``, ``"missing"``, ...)."""
        return self._kind

    @property
    def description(self) -> str:
        return self.name

    @property
    def children(self) -> tuple[AutomationCondition, ...]:
        return ()

    def get_label(self) -> str | None:
        """The label given with :meth:`with_label`."""
        return self.label

    def structure(self) -> str:
        """A stable text of the whole tree (kinds, parameters, labels)."""
        params = ",".join(
            f"{f.name}={getattr(self, f.name)!r}"
            for f in dataclasses.fields(self)
            if f.name
            not in ("label", "operand", "operands", "trigger_condition", "reset_condition")
        )
        inner = ";".join(child.structure() for child in self.children)
        return f"{self.name}({params})[{inner}]#{self.label or ''}"

    def unique_id(self) -> str:
        """A short hash of :meth:`structure`; a changed condition starts from a clean state."""
        return hashlib.md5(self.structure().encode(), usedforsecurity=False).hexdigest()[:16]

    def walk(self, path: str = "0") -> Iterator[tuple[str, AutomationCondition]]:
        """Every node with its path (``"0"``, ``"0.1"``, ...), depth first."""
        yield path, self
        for index, child in enumerate(self.children):
            yield from child.walk(f"{path}.{index}")

    def __str__(self) -> str:
        return self.label or self.description

    # ---- combinators ------------------------------------------------------------------

    def with_label(self, label: str | None) -> AutomationCondition:
        """A copy of this condition with a human-readable label."""
        return dataclasses.replace(self, label=label)

    def __and__(self, other: AutomationCondition) -> AndAutomationCondition:
        left = (
            self.operands
            if isinstance(self, AndAutomationCondition) and not self.label
            else (self,)
        )
        right = (
            other.operands
            if isinstance(other, AndAutomationCondition) and not other.label
            else (other,)
        )
        return AndAutomationCondition(operands=(*left, *right))

    def __or__(self, other: AutomationCondition) -> OrAutomationCondition:
        left = (
            self.operands if isinstance(self, OrAutomationCondition) and not self.label else (self,)
        )
        right = (
            other.operands
            if isinstance(other, OrAutomationCondition) and not other.label
            else (other,)
        )
        return OrAutomationCondition(operands=(*left, *right))

    def __invert__(self) -> NotAutomationCondition:
        return NotAutomationCondition(operand=self)

    def since(self, reset_condition: AutomationCondition) -> SinceCondition:
        """True once this condition has become true, until ``reset_condition`` becomes true."""
        return SinceCondition(trigger_condition=self, reset_condition=reset_condition)

    def since_last_handled(self) -> SinceCondition:
        """True from when this becomes true until the target is next requested or updated."""
        handled = (
            AutomationCondition.newly_requested() | AutomationCondition.newly_updated()
        ).with_label("handled")
        return self.since(handled)

    def newly_true(self) -> NewlyTrueCondition:
        """True only on the evaluation where this condition goes from false to true."""
        return NewlyTrueCondition(operand=self)

    def replace(
        self, old: AutomationCondition | str, new: AutomationCondition
    ) -> AutomationCondition:
        """Replace every sub-condition equal to ``old`` (or labelled ``old``) with ``new``."""
        if old == self or (isinstance(old, str) and old == self.label):
            return new
        return self._map_children(lambda child: child.replace(old, new))

    def allow(self, selection: Any) -> AutomationCondition:
        """Only consider dependencies in ``selection`` (applies to every dep condition)."""
        return self._map_children(lambda child: child.allow(selection))

    def ignore(self, selection: Any) -> AutomationCondition:
        """Do not consider dependencies in ``selection`` (applies to every dep condition)."""
        return self._map_children(lambda child: child.ignore(selection))

    def _map_children(self, fn: Any) -> AutomationCondition:
        return self

    # ---- operands ---------------------------------------------------------------------

    @staticmethod
    def missing() -> MissingAutomationCondition:
        """True for a target that has never been materialized."""
        return MissingAutomationCondition()

    @staticmethod
    def in_progress() -> InProgressAutomationCondition:
        """True for a target that is part of a queued or running run."""
        return InProgressAutomationCondition()

    @staticmethod
    def execution_failed() -> ExecutionFailedAutomationCondition:
        """True for a target whose latest execution failed."""
        return ExecutionFailedAutomationCondition()

    failed = execution_failed

    @staticmethod
    def newly_updated() -> NewlyUpdatedAutomationCondition:
        """True for a target materialized since the previous evaluation."""
        return NewlyUpdatedAutomationCondition()

    @staticmethod
    def newly_requested() -> NewlyRequestedAutomationCondition:
        """True for a target requested by the previous evaluation."""
        return NewlyRequestedAutomationCondition()

    @staticmethod
    def code_version_changed() -> CodeVersionChangedAutomationCondition:
        """True when the asset's code version changed since the previous evaluation."""
        return CodeVersionChangedAutomationCondition()

    @staticmethod
    def cron_tick_passed(cron_schedule: str, cron_timezone: str = "UTC") -> AutomationCondition:
        """True when a tick of the cron schedule passed since the previous evaluation.

        Raises:
            ScheduleError: a bad cron string or timezone.
        """
        return CronTickPassedCondition(
            cron_schedule=cron_schedule, cron_timezone=cron_timezone
        ).with_label(f"cron_tick_passed({cron_schedule}, {cron_timezone})")

    @staticmethod
    def in_latest_time_window(
        lookback_delta: timedelta | None = None,
    ) -> InLatestTimeWindowCondition:
        """True for partitions in the latest time window (always true if not time-partitioned).

        Args:
            lookback_delta: also the partitions whose window ends within this long before the
                end of the latest window.
        """
        seconds = lookback_delta.total_seconds() if lookback_delta is not None else None
        return InLatestTimeWindowCondition(lookback_seconds=seconds)

    @staticmethod
    def will_be_requested() -> WillBeRequestedAutomationCondition:
        """True for a target requested by this evaluation (upstream assets come first)."""
        return WillBeRequestedAutomationCondition()

    @staticmethod
    def initial_evaluation() -> InitialEvaluationAutomationCondition:
        """True on the first evaluation of this condition (or after it changed)."""
        return InitialEvaluationAutomationCondition()

    @staticmethod
    def any_deps_match(condition: AutomationCondition) -> AnyDepsCondition:
        """True if ``condition`` holds for at least one partition of any dependency."""
        return AnyDepsCondition(operand=condition)

    @staticmethod
    def all_deps_match(condition: AutomationCondition) -> AllDepsCondition:
        """True if ``condition`` holds for each dependency (true when there are none)."""
        return AllDepsCondition(operand=condition)

    # ---- composites (as Dagster defines them) ------------------------------------------

    @staticmethod
    def newly_missing() -> AutomationCondition:
        """True on the evaluation where a target becomes missing."""
        return AutomationCondition.missing().newly_true().with_label("newly_missing")

    @staticmethod
    def any_deps_updated() -> AutomationCondition:
        """True if a dependency was updated since the previous evaluation or will be now."""
        return AutomationCondition.any_deps_match(
            AutomationCondition.newly_updated() | AutomationCondition.will_be_requested()
        ).with_label("any_deps_updated")

    @staticmethod
    def any_deps_missing() -> AutomationCondition:
        """True if a dependency is missing and will not be requested now."""
        return AutomationCondition.any_deps_match(
            AutomationCondition.missing() & ~AutomationCondition.will_be_requested()
        ).with_label("any_deps_missing")

    @staticmethod
    def any_deps_in_progress() -> AutomationCondition:
        """True if a dependency is part of a queued or running run."""
        return AutomationCondition.any_deps_match(AutomationCondition.in_progress()).with_label(
            "any_deps_in_progress"
        )

    @staticmethod
    def all_deps_updated_since_cron(
        cron_schedule: str, cron_timezone: str = "UTC"
    ) -> AutomationCondition:
        """True if every dependency updated since the latest tick of the cron schedule."""
        return AutomationCondition.all_deps_match(
            AutomationCondition.newly_updated().since(
                AutomationCondition.cron_tick_passed(cron_schedule, cron_timezone)
            )
            | AutomationCondition.will_be_requested()
        ).with_label(f"all_deps_updated_since_cron({cron_schedule}, {cron_timezone})")

    @staticmethod
    def eager() -> AutomationCondition:
        """Materialize missing targets, and again whenever a dependency updates.

        Only the latest time partition is considered; never while a dependency is missing or
        in progress, nor while the target itself is in progress.
        """
        return (
            AutomationCondition.in_latest_time_window()
            & (
                AutomationCondition.newly_missing() | AutomationCondition.any_deps_updated()
            ).since_last_handled()
            & ~AutomationCondition.any_deps_missing()
            & ~AutomationCondition.any_deps_in_progress()
            & ~AutomationCondition.in_progress()
        ).with_label("eager")

    @staticmethod
    def on_cron(cron_schedule: str, cron_timezone: str = "UTC") -> AutomationCondition:
        """Materialize once per cron tick, after every dependency has updated since the tick.

        Raises:
            ScheduleError: a bad cron string or timezone.
        """
        return (
            AutomationCondition.in_latest_time_window()
            & AutomationCondition.cron_tick_passed(
                cron_schedule, cron_timezone
            ).since_last_handled()
            & AutomationCondition.all_deps_updated_since_cron(cron_schedule, cron_timezone)
        ).with_label(f"on_cron({cron_schedule}, {cron_timezone})")

    @staticmethod
    def on_missing() -> AutomationCondition:
        """Materialize missing targets (latest time partition) once their dependencies exist."""
        return (
            AutomationCondition.in_latest_time_window()
            & AutomationCondition.missing()
            .newly_true()
            .since_last_handled()
            .with_label("missing_since_last_handled")
            & ~AutomationCondition.any_deps_missing()
        ).with_label("on_missing")


# ---- operands -----------------------------------------------------------------------------


@dataclass(frozen=True)
class MissingAutomationCondition(AutomationCondition):
    _kind: ClassVar[str] = "missing"


@dataclass(frozen=True)
class InProgressAutomationCondition(AutomationCondition):
    _kind: ClassVar[str] = "in_progress"


@dataclass(frozen=True)
class ExecutionFailedAutomationCondition(AutomationCondition):
    _kind: ClassVar[str] = "execution_failed"


@dataclass(frozen=True)
class NewlyUpdatedAutomationCondition(AutomationCondition):
    _kind: ClassVar[str] = "newly_updated"


@dataclass(frozen=True)
class NewlyRequestedAutomationCondition(AutomationCondition):
    _kind: ClassVar[str] = "newly_requested"


@dataclass(frozen=True)
class CodeVersionChangedAutomationCondition(AutomationCondition):
    _kind: ClassVar[str] = "code_version_changed"


@dataclass(frozen=True)
class WillBeRequestedAutomationCondition(AutomationCondition):
    _kind: ClassVar[str] = "will_be_requested"


@dataclass(frozen=True)
class InitialEvaluationAutomationCondition(AutomationCondition):
    _kind: ClassVar[str] = "initial_evaluation"


@dataclass(frozen=True)
class CronTickPassedCondition(AutomationCondition):
    cron_schedule: str = "0 0 * * *"
    cron_timezone: str = "UTC"
    _kind: ClassVar[str] = "cron_tick_passed"

    def __post_init__(self) -> None:
        check_cron_schedule(
            self.cron_schedule,
            self.cron_timezone,
            f"AutomationCondition.cron ({self.cron_schedule!r})",
        )

    @property
    def description(self) -> str:
        return f"cron_tick_passed({self.cron_schedule}, {self.cron_timezone})"


@dataclass(frozen=True)
class InLatestTimeWindowCondition(AutomationCondition):
    lookback_seconds: float | None = None
    _kind: ClassVar[str] = "in_latest_time_window"


# ---- operators ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AndAutomationCondition(AutomationCondition):
    operands: tuple[AutomationCondition, ...] = ()
    _kind: ClassVar[str] = "AND"

    @property
    def children(self) -> tuple[AutomationCondition, ...]:
        return self.operands

    @property
    def description(self) -> str:
        return " & ".join(f"({child})" for child in self.operands)

    def without(self, condition: AutomationCondition | str) -> AndAutomationCondition:
        """A copy without the operand equal to (or labelled) ``condition``.

        Raises:
            ValueError: no operand matches.
        """
        kept = tuple(
            op
            for op in self.operands
            if not (op == condition or (isinstance(condition, str) and op.label == condition))
        )
        if len(kept) == len(self.operands):
            raise ValueError(f"{condition} is not an operand of {self}.")
        return dataclasses.replace(self, operands=kept, label=None)

    def _map_children(self, fn: Any) -> AutomationCondition:
        return dataclasses.replace(self, operands=tuple(fn(op) for op in self.operands))


@dataclass(frozen=True)
class OrAutomationCondition(AutomationCondition):
    operands: tuple[AutomationCondition, ...] = ()
    _kind: ClassVar[str] = "OR"

    @property
    def children(self) -> tuple[AutomationCondition, ...]:
        return self.operands

    @property
    def description(self) -> str:
        return " | ".join(f"({child})" for child in self.operands)

    def _map_children(self, fn: Any) -> AutomationCondition:
        return dataclasses.replace(self, operands=tuple(fn(op) for op in self.operands))


@dataclass(frozen=True)
class NotAutomationCondition(AutomationCondition):
    operand: AutomationCondition = dataclasses.field(default_factory=MissingAutomationCondition)
    _kind: ClassVar[str] = "NOT"

    @property
    def children(self) -> tuple[AutomationCondition, ...]:
        return (self.operand,)

    @property
    def description(self) -> str:
        return f"~({self.operand})"

    def _map_children(self, fn: Any) -> AutomationCondition:
        return dataclasses.replace(self, operand=fn(self.operand))


@dataclass(frozen=True)
class NewlyTrueCondition(AutomationCondition):
    operand: AutomationCondition = dataclasses.field(default_factory=MissingAutomationCondition)
    _kind: ClassVar[str] = "NEWLY_TRUE"

    @property
    def children(self) -> tuple[AutomationCondition, ...]:
        return (self.operand,)

    @property
    def description(self) -> str:
        return f"({self.operand}).newly_true()"

    def _map_children(self, fn: Any) -> AutomationCondition:
        return dataclasses.replace(self, operand=fn(self.operand))


@dataclass(frozen=True)
class SinceCondition(AutomationCondition):
    trigger_condition: AutomationCondition = dataclasses.field(
        default_factory=MissingAutomationCondition
    )
    reset_condition: AutomationCondition = dataclasses.field(
        default_factory=MissingAutomationCondition
    )
    _kind: ClassVar[str] = "SINCE"

    @property
    def children(self) -> tuple[AutomationCondition, ...]:
        return (self.trigger_condition, self.reset_condition)

    @property
    def description(self) -> str:
        return f"({self.trigger_condition}).since({self.reset_condition})"

    def _map_children(self, fn: Any) -> AutomationCondition:
        return dataclasses.replace(
            self,
            trigger_condition=fn(self.trigger_condition),
            reset_condition=fn(self.reset_condition),
        )


@dataclass(frozen=True)
class _DepsCondition(AutomationCondition):
    operand: AutomationCondition = dataclasses.field(default_factory=MissingAutomationCondition)
    allow_selection: Any = None
    ignore_selection: Any = None

    @property
    def children(self) -> tuple[AutomationCondition, ...]:
        return (self.operand,)

    def allow(self, selection: Any) -> AutomationCondition:
        current = self.allow_selection
        return dataclasses.replace(
            self, allow_selection=selection if current is None else current & selection
        )

    def ignore(self, selection: Any) -> AutomationCondition:
        current = self.ignore_selection
        return dataclasses.replace(
            self, ignore_selection=selection if current is None else current | selection
        )

    def _map_children(self, fn: Any) -> AutomationCondition:
        return dataclasses.replace(self, operand=fn(self.operand))


@dataclass(frozen=True)
class AnyDepsCondition(_DepsCondition):
    _kind: ClassVar[str] = "ANY_DEPS_MATCH"

    @property
    def description(self) -> str:
        return f"any_deps_match({self.operand})"


@dataclass(frozen=True)
class AllDepsCondition(_DepsCondition):
    _kind: ClassVar[str] = "ALL_DEPS_MATCH"

    @property
    def description(self) -> str:
        return f"all_deps_match({self.operand})"


def condition_nodes(condition: AutomationCondition) -> Sequence[tuple[str, int, str]]:
    """``(path, depth, text)`` of each node, for showing why an asset was (not) requested."""
    return [(path, path.count("."), str(node)) for path, node in condition.walk()]
