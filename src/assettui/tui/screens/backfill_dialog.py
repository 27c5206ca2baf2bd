"""The backfill dialog: which of the selected partitions to run, and exactly how many runs.

The dialog plans the backfill for each policy with the backfill engine
(:func:`assettui.automation.backfill.plan_for`, in a thread: it reads partition statuses) and
shows each plan's run count. It dismisses with the chosen plan, which the caller submits
as it is (``submit_backfill(..., plan=plan)``), so the count shown is the count launched.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, RadioButton, RadioSet

from assettui.automation.backfill import plan_for
from assettui.automation.backfill_plan import BackfillPlan
from assettui.errors import AssettuiError
from assettui.model.asset_graph import AssetGraph
from assettui.model.asset_key import AssetKey
from assettui.storage import Storage

POLICIES: tuple[tuple[str, str], ...] = (
    ("missing", "Missing only"),
    ("failed_and_missing", "Failed and missing"),
    ("all", "All selected"),
)


@dataclass(frozen=True)
class BackfillChoice:
    """What the dialog dismisses with: the policy and the plan made for it."""

    policy: str
    plan: BackfillPlan

    @property
    def run_count(self) -> int:
        return len(self.plan.runs)


def plan_policies(
    storage: Storage,
    graph: AssetGraph,
    asset_keys: Sequence[AssetKey],
    partition_keys: Sequence[str],
) -> dict[str, BackfillPlan]:
    """The backfill plan of each policy (reads partition statuses: call from a thread).

    Raises:
        SelectionError, PartitionError: the selection cannot be backfilled.
    """
    return {
        policy: plan_for(storage, graph, asset_keys, partition_keys, policy=policy)
        for policy, _ in POLICIES
    }


def _runs(count: int) -> str:
    return f"{count} run{'s' if count != 1 else ''}"


class BackfillDialog(ModalScreen[BackfillChoice | None]):
    """Choose missing-only / failed-and-missing / all; dismisses with the chosen plan.

    Args:
        storage: the instance storage (planning reads partition statuses).
        graph: the asset graph.
        asset_key: the asset being backfilled.
        partition_keys: the selected partitions, in order.
    """

    DEFAULT_CSS = """
    BackfillDialog { align: center middle; }
    BackfillDialog > Vertical {
        width: 64; height: auto; border: thick $accent; background: $surface; padding: 1 2;
    }
    BackfillDialog #backfill-count { margin-top: 1; text-style: bold; }
    BackfillDialog Horizontal { height: auto; margin-top: 1; }
    BackfillDialog Button { margin-right: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("enter", "launch", "Launch", priority=True),
        Binding("1", "policy(0)", "Missing", show=False),
        Binding("2", "policy(1)", "Failed+missing", show=False),
        Binding("3", "policy(2)", "All", show=False),
    ]

    def __init__(
        self,
        storage: Storage,
        graph: AssetGraph,
        asset_key: AssetKey,
        partition_keys: Sequence[str],
    ) -> None:
        super().__init__()
        self.storage = storage
        self.graph = graph
        self.asset_key = asset_key
        self.partition_keys = list(partition_keys)
        self.policy = POLICIES[0][0]
        self.plans: dict[str, BackfillPlan] | None = None  # None while planning
        self.error: str | None = None

    def compose(self) -> ComposeResult:
        keys = self.partition_keys
        span = keys[0] if len(keys) == 1 else f"{keys[0]} … {keys[-1]}"
        with Vertical():
            yield Label(f"Backfill {self.asset_key.to_user_string()}")
            yield Label(f"{len(keys)} selected partitions: {span}")
            with RadioSet(id="backfill-policy"):
                for index, (name, label) in enumerate(POLICIES):
                    yield RadioButton(f"{index + 1} {label}", value=index == 0, name=name)
            yield Label("Counting runs…", id="backfill-count")
            with Horizontal():
                yield Button("Launch", id="launch", variant="primary", disabled=True)
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self._plan()

    @work(thread=True, exclusive=True, group="backfill-plan", exit_on_error=False)
    def _plan(self) -> None:
        try:
            plans = plan_policies(self.storage, self.graph, [self.asset_key], self.partition_keys)
        except AssettuiError as exc:
            self.app.call_from_thread(self._planned, None, str(exc))
            return
        self.app.call_from_thread(self._planned, plans, None)

    def _planned(self, plans: dict[str, BackfillPlan] | None, error: str | None) -> None:
        self.plans, self.error = plans, error
        if plans is not None:
            buttons = self.query(RadioButton)
            for index, ((name, label), button) in enumerate(zip(POLICIES, buttons, strict=True)):
                button.label = f"{index + 1} {label} ({_runs(len(plans[name].runs))})"
        self._update_count()

    @property
    def choice(self) -> BackfillChoice | None:
        """The current policy and its plan (None while planning or after an error)."""
        if self.plans is None:
            return None
        return BackfillChoice(self.policy, self.plans[self.policy])

    def _update_count(self) -> None:
        label = self.query_one("#backfill-count", Label)
        launch = self.query_one("#launch", Button)
        choice = self.choice
        if choice is None:
            label.update(self.error or "Counting runs…")
            launch.disabled = True
            return
        count = choice.run_count
        label.update(f"Will launch exactly {_runs(count)}.")
        launch.disabled = count == 0

    @on(RadioSet.Changed)
    def _policy_changed(self, event: RadioSet.Changed) -> None:
        self.policy = POLICIES[event.index][0]
        self._update_count()

    @on(Button.Pressed, "#launch")
    def _launch_pressed(self) -> None:
        self.action_launch()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.dismiss(None)

    def action_policy(self, index: int) -> None:
        buttons = list(self.query(RadioButton))
        buttons[index].value = True  # RadioSet.Changed updates the policy and count

    def action_launch(self) -> None:
        choice = self.choice
        if choice is not None and choice.run_count:
            self.dismiss(choice)

    def action_cancel(self) -> None:
        self.dismiss(None)
