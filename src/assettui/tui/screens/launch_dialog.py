"""The launch dialog: a YAML run config editor for assets that take a ``Config``.

It opens pre-filled with every field's default; ``ctrl+s`` (or Launch) checks the YAML and
each schema, shows what is wrong field by field and stays open, or dismisses with the run
config dict to launch. ``escape`` cancels.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static, TextArea

from assettui.errors import ConfigError
from assettui.model.asset_key import AssetKey
from assettui.model.run_config_yaml import ConfigTarget, default_run_config_yaml, parse_run_config


def yaml_language() -> str | None:
    """``"yaml"`` when tree-sitter and its YAML grammar are installed (highlighting), else None."""
    found = importlib.util.find_spec("tree_sitter") and importlib.util.find_spec("tree_sitter_yaml")
    return "yaml" if found else None


class LaunchDialog(ModalScreen[dict[str, Any] | None]):
    """Edit the run config of a launch; dismisses with the checked run config, or ``None``.

    Args:
        asset_keys: what the run materializes (shown in the title).
        targets: the functions of the launch that take a ``Config``.
    """

    DEFAULT_CSS = """
    LaunchDialog { align: center middle; }
    LaunchDialog > Vertical {
        width: 90%; max-width: 100; height: 90%; max-height: 34;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    LaunchDialog #launch-title { text-style: bold; }
    LaunchDialog #launch-hint { color: $text-muted; }
    LaunchDialog #config-editor { width: 100%; height: 1fr; min-height: 5; }
    LaunchDialog #config-errors {
        display: none; height: auto; max-height: 8; color: $error;
        border-left: thick $error; padding: 0 1; overflow-y: auto;
    }
    LaunchDialog.-invalid #config-errors { display: block; }
    LaunchDialog Horizontal { height: auto; }
    LaunchDialog Button { margin-right: 1; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "launch", "Launch", priority=True),
        Binding("escape", "cancel", "Cancel", priority=True),
    ]

    def __init__(
        self,
        asset_keys: Sequence[AssetKey],
        targets: Sequence[ConfigTarget],
        *,
        title: str | None = None,
        initial: str | None = None,
        check: Callable[[str], dict[str, Any]] | None = None,
    ) -> None:
        """``title``, ``initial`` (the YAML to start from) and ``check`` (YAML -> run config,
        raising ``ConfigError``) replace the asset launch's, e.g. for a job."""
        super().__init__()
        self.asset_keys = list(asset_keys)
        self.targets = list(targets)
        self.error: str | None = None
        self._title = title
        self._initial = initial
        self._check = check

    def compose(self) -> ComposeResult:
        names = ", ".join(k.to_user_string() for k in self.asset_keys[:4])
        if len(self.asset_keys) > 4:
            names += f" +{len(self.asset_keys) - 4}"
        with Vertical():
            yield Label(self._title or f"Launch a run of {names}", id="launch-title")
            yield Static(
                "Run config (YAML) · ctrl+s launch · escape cancel", id="launch-hint", markup=False
            )
            yield TextArea(
                self._initial
                if self._initial is not None
                else default_run_config_yaml(self.targets),
                language=yaml_language(),
                show_line_numbers=True,
                tab_behavior="indent",
                soft_wrap=False,
                id="config-editor",
            )
            yield Static("", id="config-errors", markup=False)
            with Horizontal():
                yield Button("Launch (ctrl+s)", id="launch", variant="primary")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        editor = self.editor
        editor.indent_width = 2
        editor.focus()

    @property
    def editor(self) -> TextArea:
        return self.query_one("#config-editor", TextArea)

    def validate(self) -> dict[str, Any] | None:
        """Check the editor's YAML; shows the problems and returns None when it is invalid."""
        try:
            if self._check is not None:
                run_config = self._check(self.editor.text)
            else:
                run_config = parse_run_config(self.editor.text, self.targets)
        except ConfigError as exc:
            self.error = str(exc)
            self.query_one("#config-errors", Static).update(self.error)
            self.add_class("-invalid")
            return None
        self.error = None
        self.remove_class("-invalid")
        return run_config

    def action_launch(self) -> None:
        run_config = self.validate()
        if run_config is not None:
            self.dismiss(run_config)

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#launch")
    def _launch_pressed(self) -> None:
        self.action_launch()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.dismiss(None)
