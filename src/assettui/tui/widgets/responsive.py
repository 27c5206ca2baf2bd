"""Containers that adapt to a narrow terminal: the runs area stacks the runs list above the
log (so their lines stay long enough to read), the footer bar packs its keys and always
keeps ``?`` and ``q`` in view."""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Footer, Static

NARROW_WIDTH = 110  # below this many columns, stack and pack


class RunsArea(Horizontal):
    """The runs list and the log side by side, or stacked when narrow."""

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.width < NARROW_WIDTH, "-stacked")


class FooterBar(Horizontal):
    """Textual's footer (cut when too long) and the keys that must stay in view."""

    def compose(self) -> ComposeResult:
        yield Footer(show_command_palette=False)
        yield Static("? help  ^p palette  q quit", id="footer-keys")

    def on_resize(self, event: events.Resize) -> None:
        self.query_one(Footer).compact = event.size.width < NARROW_WIDTH
