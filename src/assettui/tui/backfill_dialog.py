"""The backfill dialog: which of the selected partitions to run, and how many runs that is.

Until the scheduler's backfill engine exists, :func:`start_backfill` records the backfill in
storage (so the backfills screen shows it) and launches one run per partition itself, tagged
with ``dagster/backfill``; the record's counters say every partition was requested.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar, Protocol

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, RadioButton, RadioSet

from assettui.model.asset_key import AssetKey
from assettui.storage import AssetPartitionStatus, Storage

BACKFILL_ID_TAG = "dagster/backfill"
PARTITION_TAG = "dagster/partition"
POLICIES: tuple[tuple[str, str], ...] = (
    ("missing", "Missing only"),
    ("failed_and_missing", "Failed and missing"),
    ("all", "All selected"),
)


class BackfillLauncher(Protocol):
    """What a backfill needs from the run launcher (``execution.launcher.RunLauncher``)."""

    def launch(
        self,
        asset_keys: Iterable[AssetKey],
        *,
        partition_key: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> str: ...


@dataclass(frozen=True, slots=True)
class BackfillStarted:
    """A started backfill and the runs launched for it."""

    backfill_id: str
    run_ids: tuple[str, ...]


def partitions_for_policy(
    partition_keys: Sequence[str], statuses: Mapping[str, str], policy: str
) -> list[str]:
    """The partitions a backfill with ``policy`` runs (``statuses``: key -> status value).

    Args:
        partition_keys: the selected partitions, in order.
        statuses: stored status value per partition; absent means missing.
        policy: ``"missing"``, ``"failed_and_missing"`` or ``"all"``.
    """
    if policy == "all":
        return list(partition_keys)
    wanted: set[str | None] = {None}
    if policy == "failed_and_missing":
        wanted.add(AssetPartitionStatus.FAILED.value)
    return [key for key in partition_keys if statuses.get(key) in wanted]


def start_backfill(
    storage: Storage,
    launcher: BackfillLauncher,
    asset_keys: Sequence[AssetKey],
    partition_keys: Sequence[str],
) -> BackfillStarted:
    """Record a backfill and launch one run per partition (call from a worker thread).

    Returns:
        The backfill id and the launched run ids, in partition order.
    """
    record = storage.backfills.create_backfill(
        asset_keys,
        partition_keys,
        partition_filter=f"{partition_keys[0]}...{partition_keys[-1]}" if partition_keys else None,
    )
    run_ids: list[str] = []
    for key in partition_keys:
        tags = {BACKFILL_ID_TAG: record.backfill_id, PARTITION_TAG: key}
        run_ids.append(launcher.launch(asset_keys, partition_key=key, tags=tags))
        storage.backfills.update_backfill(
            record.backfill_id, num_requested=len(run_ids), cursor=str(len(run_ids))
        )
    return BackfillStarted(record.backfill_id, tuple(run_ids))


class BackfillDialog(ModalScreen[list[str] | None]):
    """Choose missing-only / failed-and-missing / all; dismisses with the partitions to run.

    Args:
        asset_key: the asset being backfilled.
        partition_keys: the selected partitions, in order.
        statuses: status value per partition key (absent: missing).
    """

    DEFAULT_CSS = """
    BackfillDialog { align: center middle; }
    BackfillDialog > Vertical {
        width: 60; height: auto; border: thick $accent; background: $surface; padding: 1 2;
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
        self, asset_key: AssetKey, partition_keys: Sequence[str], statuses: Mapping[str, str]
    ) -> None:
        super().__init__()
        self.asset_key = asset_key
        self.partition_keys = list(partition_keys)
        self.statuses = dict(statuses)
        self.policy = POLICIES[0][0]

    def compose(self) -> ComposeResult:
        keys = self.partition_keys
        span = keys[0] if len(keys) == 1 else f"{keys[0]} … {keys[-1]}"
        with Vertical():
            yield Label(f"Backfill {self.asset_key.to_user_string()}")
            yield Label(f"{len(keys)} selected partitions: {span}")
            with RadioSet(id="backfill-policy"):
                for index, (name, label) in enumerate(POLICIES):
                    count = len(partitions_for_policy(keys, self.statuses, name))
                    yield RadioButton(f"{index + 1} {label} ({count})", value=index == 0, name=name)
            yield Label("", id="backfill-count")
            with Horizontal():
                yield Button("Launch", id="launch", variant="primary")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self._update_count()

    @property
    def chosen_keys(self) -> list[str]:
        """The partitions the current choice will run (one run each)."""
        return partitions_for_policy(self.partition_keys, self.statuses, self.policy)

    def _update_count(self) -> None:
        count = len(self.chosen_keys)
        text = f"Will launch exactly {count} run{'s' if count != 1 else ''}."
        self.query_one("#backfill-count", Label).update(text)
        self.query_one("#launch", Button).disabled = count == 0

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
        keys = self.chosen_keys
        if keys:
            self.dismiss(keys)

    def action_cancel(self) -> None:
        self.dismiss(None)
