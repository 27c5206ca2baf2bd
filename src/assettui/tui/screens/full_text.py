"""A screen showing texts in full that a pane had to shorten: an asset's description
(Markdown), its definition metadata and its last materialization's metadata."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.console import Group
from rich.markdown import Markdown
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


def full_value(value: Any) -> str:
    """A metadata value's whole text (no shortening)."""
    return str(getattr(value, "value", value))


class FullTextScreen(ModalScreen[None]):
    """Titled sections of ``(name, value)`` rows, in full and wrapped; escape closes.

    Args:
        title: what is shown (the asset).
        description: Markdown text shown first.
        sections: heading -> rows.
    """

    DEFAULT_CSS = """
    FullTextScreen { align: center middle; }
    FullTextScreen > VerticalScroll {
        width: 90%; height: 90%; border: round $accent; background: $surface; padding: 0 1;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,f", "dismiss", "Close"),
    ]

    def __init__(
        self, title: str, description: str | None, sections: dict[str, list[tuple[str, str]]]
    ) -> None:
        super().__init__()
        self.title_text = title
        self.description = description
        self.sections = sections

    def compose(self) -> ComposeResult:
        parts: list[Any] = []
        if self.description:
            parts.append(Markdown(self.description))
        for heading, rows in self.sections.items():
            if not rows:
                continue
            table = Table.grid(padding=(0, 1))
            table.add_column(style="dim", no_wrap=True)
            table.add_column(overflow="fold")
            for name, value in rows:
                table.add_row(name, value)
            parts += [Text(""), Text(heading, style="bold underline"), table]
        with VerticalScroll() as scroll:
            scroll.border_title = f"{self.title_text} — in full · escape to close"
            yield Static(Group(*parts), id="full-text")

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
