"""The load error panel: why the project failed to load, with its traceback."""

from __future__ import annotations

from rich.console import Group
from rich.syntax import Syntax
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from assettui.project import LoadFailure


class LoadErrorPanel(VerticalScroll, can_focus=True):
    """Shows the last :class:`LoadFailure`; hidden while the project loads cleanly."""

    ALLOW_MAXIMIZE = True  # `z` zooms the pane

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.failure: LoadFailure | None = None
        self.border_title = "Load error"
        self.display = False

    def compose(self):  # type: ignore[no-untyped-def]
        yield Static(id="load-error-body")

    def show_failure(self, failure: LoadFailure, keeping_last_good: bool) -> None:
        """Show ``failure``; say whether the graph on screen is the last good one."""
        self.failure = failure
        note = (
            "Showing the last good definitions. Save a fix and this panel clears."
            if keeping_last_good
            else "Nothing loaded yet. Save a fix and the graph appears."
        )
        # paths inside the project read shorter relative to it
        root = f"{failure.target.root.resolve()}/"
        message, trace = failure.message.replace(root, ""), failure.traceback.replace(root, "")
        parts: list[Text | Syntax] = [Text(message, style="bold red"), Text(note, style="dim")]
        if trace:
            parts.append(Syntax(trace, "pytb", theme="ansi_dark", word_wrap=True))
        self.query_one("#load-error-body", Static).update(Group(*parts))
        self.display = True

    def clear(self) -> None:
        self.failure = None
        self.display = False
