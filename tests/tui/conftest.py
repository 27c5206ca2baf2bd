"""Shared fixtures for the UI tests: a small real project in a temp dir, and its home."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot

from assettui.project import ProjectTarget, find_project
from assettui.tui.app import AssetTuiApp

DEFINITIONS = '''
import assettui as dg


@dg.asset(group_name="raw", kinds={"python"})
def raw_orders():
    """Orders as they arrive."""
    return [1, 2, 3]


@dg.asset(group_name="raw")
def raw_customers():
    return ["a", "b"]


@dg.asset(group_name="clean")
def clean_orders(raw_orders):
    return [o * 2 for o in raw_orders]


@dg.asset(group_name="marts")
def orders_report(clean_orders, raw_customers):
    return {"orders": len(clean_orders), "customers": len(raw_customers)}
{extra}

defs = dg.Definitions(assets=[raw_orders, raw_customers, clean_orders, orders_report{extra_names}])
'''


def definitions_source(extra: str = "", extra_names: str = "") -> str:
    """The test project's definitions.py, with optional extra code and asset names."""
    return DEFINITIONS.replace("{extra}", extra).replace("{extra_names}", extra_names)


@pytest.fixture(autouse=True)
def terminal_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every UI test sees the same terminal (256 colours, UTF-8, colour on), whatever the
    shell running the suite has: the app picks its theme and glyphs from these."""
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setenv("LANG", "C.UTF-8")
    for name in ("COLORTERM", "LC_ALL", "LC_CTYPE", "NO_COLOR", "ASSETTUI_ASCII",
                 "TEXTUAL_COLOR_SYSTEM"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def project_dir(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "definitions.py").write_text(definitions_source())
    return root


@pytest.fixture
def target(project_dir: Path) -> ProjectTarget:
    return find_project(project_dir)


@pytest.fixture
def home(project_dir: Path) -> Path:
    return project_dir / ".assettui"


@pytest.fixture
def make_app(target: ProjectTarget, home: Path) -> Callable[[], AssetTuiApp]:
    return lambda: AssetTuiApp(target, home, run_scheduler=False)


async def wait_until(pilot: Pilot, condition: Callable[[], bool], deadline: float = 30.0) -> None:
    """Let the app run until ``condition()`` holds (fails after a generous deadline)."""
    end = time.monotonic() + deadline
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"condition not met within {deadline}s")
        await pilot.pause(0.1)


async def wait_loaded(pilot: Pilot, app: AssetTuiApp, loads: int = 1) -> None:
    await wait_until(pilot, lambda: app.load_count >= loads)
    await pilot.pause()


def screen_text(app: AssetTuiApp) -> str:
    """What the screen shows, as plain text (as export_screenshot renders it)."""
    from rich.console import Console

    width, height = app.size
    console = Console(
        width=width, height=height, file=io.StringIO(), color_system=None, record=True
    )
    console.print(app.screen._compositor.render_update(full=True))
    return console.export_text()
