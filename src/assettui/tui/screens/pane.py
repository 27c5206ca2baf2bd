"""The header bar, and the plain full screen the app wraps a pane in (calendar, ...)."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Static


class HeaderBar(Static):
    """One line: project, instance path, scheduler state, running-run count."""

    def show(self, project: str, home: str, scheduler: str, running: int, queued: int) -> None:
        runs = f"{running} running" + (f", {queued} queued" if queued else "")
        self.update(f" assettui · {project} · {home} · scheduler {scheduler} · {runs}")


class PaneScreen(Screen[None]):
    """A full screen around one pane (the partition calendar, say), closed with escape or p."""

    BINDINGS = [Binding("escape,p", "app.pop_screen", "Back")]

    def __init__(self, pane: Widget, title: str) -> None:
        super().__init__()
        self.pane = pane
        self.pane_title = title

    def compose(self) -> ComposeResult:
        yield HeaderBar(self.pane_title, id="header")
        yield Vertical(self.pane)
        yield Footer()

    def on_mount(self) -> None:
        self.pane.focus()


def as_screen(thing: Any, title: str = "") -> Screen[Any]:
    """Screens are pushed as they are; a widget gets a plain screen around it."""
    return thing if isinstance(thing, Screen) else PaneScreen(thing, title)
