"""The command palette: every app action, and a jump to any asset by name."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import TYPE_CHECKING

from textual.app import SystemCommand
from textual.command import Hit, Hits, Provider

if TYPE_CHECKING:
    from assettui.tui.app import AssetTuiApp

# (title, help, app action)
ACTIONS = (
    ("Materialize selected asset", "Launch a run of the selected asset (m)", "materialize"),
    (
        "Materialize with missing/stale upstream",
        "Also run upstream assets that are not fresh (M)",
        "materialize_upstream",
    ),
    ("Filter assets", "By part of a name or a selection string (/)", "filter"),
    ("Runs", "Show the run list (r)", "runs"),
    ("Logs", "Show the log of the selected run (L)", "logs"),
    ("Partition calendar", "Partitions of the selected asset (p)", "partitions"),
    ("Automation", "Schedules and sensors (a)", "automation"),
    ("Backfills", "Backfills and their progress (B)", "backfills"),
    ("Zoom pane", "Maximize or restore the focused pane (z)", "zoom"),
    ("Reload project", "Load the definitions again (ctrl+r)", "reload"),
    ("Neighbourhood depth +", "Show more of the graph around the selection (+)", "graph_depth(1)"),
    ("Neighbourhood depth -", "Show less of the graph around the selection (-)", "graph_depth(-1)"),
    ("Toggle list view", "Graph drawing or navigator list (v)", "graph_toggle_list"),
    ("Help", "Every key (?)", "help"),
)


def action_commands(app: AssetTuiApp) -> Iterable[SystemCommand]:
    """A palette command for each app action."""
    for title, help_text, action in ACTIONS:
        yield SystemCommand(title, help_text, partial(app.run_action, action))


class AssetCommands(Provider):
    """``Go to <asset>`` for every asset of the loaded graph."""

    async def search(self, query: str) -> Hits:
        app = self.app
        graph = getattr(app, "asset_graph", None)
        if graph is None:
            return
        matcher = self.matcher(query)
        for key in graph.toposorted_asset_keys:
            name = key.to_user_string()
            score = matcher.match(name)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(name),
                    partial(app.select_asset, key),  # type: ignore[attr-defined]
                    help=f"Go to {name} ({graph.get(key).group_name})",
                )
