"""The ``?`` help screen: every key, by pane."""

from __future__ import annotations

from collections.abc import Iterable

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


def binding_rows(bindings: Iterable[BindingType]) -> list[tuple[str, str]]:
    """``(keys, description)`` of each binding (tuples and Binding objects alike)."""
    rows: list[tuple[str, str]] = []
    for item in bindings:
        binding = item if isinstance(item, Binding) else Binding(*item)
        keys = binding.key_display or ", ".join(
            k.strip()
            .replace("plus", "+")
            .replace("minus", "-")
            .replace("question_mark", "?")
            .replace("slash", "/")
            .replace("equals_sign", "=")
            for k in binding.key.split(",")
        )
        description = binding.tooltip or binding.description or binding.action.replace("_", " ")
        rows.append((keys, description))
    return rows


class HelpScreen(ModalScreen[None]):
    """A modal listing every key binding, grouped by where it applies."""

    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close")]

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 80%; max-width: 90; height: 85%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    """

    def __init__(self, sections: dict[str, list[tuple[str, str]]]) -> None:
        super().__init__()
        self.sections = sections

    def compose(self) -> ComposeResult:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold", no_wrap=True, min_width=12)
        table.add_column()
        for title, rows in self.sections.items():
            if not rows:
                continue
            table.add_row(Text(title, style="bold underline"), "")
            for keys, description in rows:
                table.add_row(keys, description)
            table.add_row("", "")
        with VerticalScroll() as scroll:
            scroll.border_title = "Keys — escape to close"
            yield Static(table, id="help-table")
