"""Launch dialog: `m` on an asset taking a Config opens a YAML editor with the defaults,
validates before launching, and the run gets the edited config."""

from __future__ import annotations

import pickle

import pytest
from pydantic import Field
from tests.tui.conftest import definitions_source, wait_loaded, wait_until

import assettui as dg
from assettui.errors import ConfigError
from assettui.model.asset_graph import AssetGraph as DefGraph
from assettui.model.asset_key import AssetKey
from assettui.model.run_config_yaml import (
    config_targets,
    default_run_config_yaml,
    parse_run_config,
)
from assettui.storage import DagsterRunStatus
from assettui.tui.screens.launch_dialog import LaunchDialog
from assettui.tui.widgets.asset_graph import AssetGraph

GREETING = """

class GreetingConfig(dg.Config):
    greeting: str = "hello"
    repeat: int = 2


@dg.asset(group_name="raw")
def greeting(config: GreetingConfig):
    return " ".join([config.greeting] * config.repeat)
"""


class Inner(dg.Config):
    x: int


class Settings(dg.Config):
    limit: int = Field(default=10, description="rows to read")
    name: str = "a: b"
    tags: list[str] = ["x"]
    needed: int
    inner: Inner


@dg.asset
def configured(config: Settings) -> int:
    return config.limit


@dg.asset
def plain() -> int:
    return 1


def test_defaults_yaml_and_validation():
    graph = DefGraph.from_assets([configured, plain])
    targets = config_targets(graph, [AssetKey("plain"), AssetKey("configured")])
    assert [t.node_name for t in targets] == ["configured"]
    text = default_run_config_yaml(targets)
    assert text.startswith("ops:\n  configured:\n    config:\n      limit: 10  # rows to read\n")
    assert "      name: 'a: b'\n" in text and "      tags:\n      - x\n" in text
    assert "      needed:  # required: int\n" in text
    assert "      inner:\n        x:  # required: int\n" in text
    # As written the required fields are empty: each is named.
    with pytest.raises(ConfigError) as missing:
        parse_run_config(text, targets)
    assert str(missing.value).splitlines() == [
        "ops.configured.config.needed: Input should be a valid integer",
        "ops.configured.config.inner.x: Input should be a valid integer",
    ]
    filled = text.replace("needed:", "needed: 3").replace("x:  #", "x: 4  #")
    config = parse_run_config(filled, targets)["ops"]["configured"]["config"]
    assert config == {"limit": 10, "name": "a: b", "tags": ["x"], "needed": 3, "inner": {"x": 4}}
    with pytest.raises(ConfigError, match=r"line 2, column 7: mapping values"):
        parse_run_config("ops:\n  a: b: c\n", targets)
    with pytest.raises(ConfigError, match="'elsewhere'"):
        parse_run_config("ops:\n  elsewhere:\n    config: {}\n", targets)
    with pytest.raises(ConfigError, match="limit"):
        parse_run_config(filled.replace("limit: 10", "limit: many"), targets)


def _line_end(text: str, start: str) -> tuple[int, int]:
    for row, line in enumerate(text.splitlines()):
        if line.strip().startswith(start):
            return row, len(line)
    raise AssertionError(f"no line starting with {start!r}")


@pytest.mark.slow
async def test_m_on_a_config_asset_edits_validates_and_launches(project_dir, target, home):
    from assettui.tui.app import AssetTuiApp

    (project_dir / "definitions.py").write_text(definitions_source(GREETING, ", greeting"))
    app = AssetTuiApp(target, home, run_scheduler=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_loaded(pilot, app)
        app.query_one(AssetGraph).select(AssetKey("greeting"))
        await pilot.press("m")
        await wait_until(pilot, lambda: isinstance(app.screen, LaunchDialog))
        dialog = app.screen
        assert isinstance(dialog, LaunchDialog)
        editor = dialog.editor
        assert editor.text == (
            "ops:\n  greeting:\n    config:\n      greeting: hello\n      repeat: 2\n"
        )
        assert editor.has_focus

        # A bad value: the error names the field, the dialog stays, no run exists.
        editor.cursor_location = _line_end(editor.text, "repeat:")
        await pilot.press("backspace", *"two", "ctrl+s")
        assert app.screen is dialog and dialog.error is not None
        assert dialog.error.startswith(
            "ops.greeting.config.repeat: Input should be a valid integer"
        )
        errors = dialog.query_one("#config-errors")
        assert errors.display and "repeat" in str(errors.render())
        assert app.storage.runs.list_runs() == []

        # Fixed: the run launches with the edited config and its output shows it.
        editor.cursor_location = _line_end(editor.text, "repeat:")
        await pilot.press("backspace", "backspace", "backspace", "3", "ctrl+s")
        await wait_until(pilot, lambda: not isinstance(app.screen, LaunchDialog))
        await wait_until(pilot, lambda: len(app.storage.runs.list_runs()) == 1)
        run = app.storage.runs.list_runs()[0]
        assert run.run_config == {
            "ops": {"greeting": {"config": {"greeting": "hello", "repeat": 3}}}
        }
        await wait_until(pilot, lambda: app.storage.runs.get_run(run.run_id).is_finished)
        assert app.storage.runs.get_run(run.run_id).status is DagsterRunStatus.SUCCESS
        output = home / "storage" / "greeting"
        assert pickle.loads(output.read_bytes()) == "hello hello hello"


async def test_escape_cancels_and_plain_assets_launch_without_a_dialog(project_dir, target, home):
    from assettui.tui.app import AssetTuiApp

    (project_dir / "definitions.py").write_text(definitions_source(GREETING, ", greeting"))
    app = AssetTuiApp(target, home, run_scheduler=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_loaded(pilot, app)
        app.query_one(AssetGraph).select(AssetKey("greeting"))
        await pilot.press("m")
        await wait_until(pilot, lambda: isinstance(app.screen, LaunchDialog))
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, LaunchDialog))
        assert app.storage.runs.list_runs() == []
        app.query_one(AssetGraph).select(AssetKey("raw_orders"))
        await pilot.press("m")
        await wait_until(pilot, lambda: len(app.storage.runs.list_runs()) == 1)
        assert not isinstance(app.screen, LaunchDialog)
        run = app.storage.runs.list_runs()[0]
        await wait_until(pilot, lambda: app.storage.runs.get_run(run.run_id).is_finished)
