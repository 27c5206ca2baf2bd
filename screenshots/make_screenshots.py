"""Write SVG and PNG screenshots of assettui's main screens into ``screenshots/``.

Runs a few real materializations of ``sample_project`` into a temporary instance, then drives
the real app (``run_test`` + pilot) screen by screen. ``make screenshots`` runs it.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import cairosvg

from assettui.execution.launcher import RunLauncher
from assettui.model.asset_key import AssetKey
from assettui.project import find_project, load_project
from assettui.tui.app import AssetTuiApp
from assettui.tui.widgets.asset_graph import AssetGraph
from browser import CHROMIUM, load_page, serving  # screenshots/browser.py

HERE = Path(__file__).resolve().parent
SAMPLE = HERE.parent / "sample_project"
SIZE = (120, 40)


def materialize_some(home: Path) -> None:
    """A few real runs: most assets fresh, so the graph shows several statuses."""
    target = find_project(SAMPLE)
    result = load_project(target)
    if not result.ok:
        sys.exit(f"sample_project does not load: {result.describe()}")  # type: ignore[union-attr]
    graph = result.defs.resolve_asset_graph()
    launcher = RunLauncher(home, target)
    unpartitioned = [k for k in graph.toposorted_asset_keys if not graph.get(k).is_partitioned]
    first = unpartitioned[: max(1, len(unpartitioned) - 2)]
    for keys in (first[:3], first):
        run_id = launcher.launch(keys)
        launcher.wait(run_id, timeout=120)
    # a few days of January, so the partition calendar shows materialized days
    daily = [AssetKey("raw_orders"), AssetKey("clean_orders"), AssetKey("daily_revenue")]
    for day in ("2026-01-02", "2026-01-03", "2026-01-05", "2026-01-06", "2026-01-07"):
        launcher.wait(launcher.launch(daily, partition_key=day), timeout=120)


async def until(pilot, condition: Callable[[], bool], deadline: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    end = time.monotonic() + deadline
    while not condition() and time.monotonic() < end:
        await pilot.pause(0.1)


async def shoot(home: Path) -> list[Path]:
    app = AssetTuiApp(find_project(SAMPLE), home, run_scheduler=False)
    written: list[Path] = []

    def save(name: str) -> None:
        path = HERE / f"{name}.svg"
        path.write_text(app.export_screenshot(title=f"assettui · {name}"))
        written.append(path)

    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.load_count > 0 and bool(app.states))
        graph = app.query_one(AssetGraph)
        if app.asset_graph is not None:
            middle = [
                k for k in app.asset_graph.toposorted_asset_keys if "orders" in k.to_user_string()
            ]
            graph.select(middle[-1] if middle else app.asset_graph.toposorted_asset_keys[0])
        await until(pilot, lambda: app.query_one("#details").data is not None)
        await pilot.pause(0.3)
        save("graph")

        await pilot.press("tab")
        await pilot.press("z")
        await pilot.pause(0.3)
        save("details")
        await pilot.press("z")
        graph.focus()

        await pilot.press("r")
        await pilot.pause(1.0)
        await pilot.press("L")
        await pilot.pause(1.5)
        save("runs_logs")
        runs = app.query_one("#runs-pane")
        runs.query_one("DataTable").focus()
        await pilot.press("d")  # the newest run's detail: its step timeline and log
        await pilot.pause(1.5)
        save("run_detail")
        await pilot.press("escape")
        await pilot.press("r")
        graph.focus()

        partitioned = [AssetKey("raw_orders")]
        if partitioned:
            graph.select(partitioned[0])
            await pilot.press("p")
            await pilot.pause(1.0)
            save("partition_calendar")
            await pilot.press("escape")

        await pilot.press("a")
        await pilot.pause(1.0)
        if len(app.screen_stack) > 1:
            save("automation")
            await pilot.press("escape")

        graph.focus()
        await pilot.press("question_mark")
        await pilot.pause(0.3)
        save("help")
    return written


def shoot_browser(home: Path) -> None:
    """``assettui serve`` in headless Chromium (skipped, saying so, without Chromium)."""
    if not Path(CHROMIUM).exists():
        print("no Chromium: screenshots/serve.png left as it is")
        return
    with serving([str(SAMPLE), "--home", str(home), "--no-scheduler"], SAMPLE) as url:
        asyncio.run(load_page(url, HERE / "serve.png", until="Assets ("))
    print("wrote serve.png")


def main() -> None:
    # The default look, whatever terminal runs this: 256 colours, UTF-8, colour on.
    os.environ["TERM"] = "xterm-256color"
    for name in ("NO_COLOR", "ASSETTUI_ASCII", "LC_ALL", "LC_CTYPE"):
        os.environ.pop(name, None)
    with tempfile.TemporaryDirectory(prefix="assettui-shots-") as tmp:
        home = Path(tmp) / "home"
        materialize_some(home)
        svgs = asyncio.run(shoot(home))
        shoot_browser(home)
    for svg in svgs:
        png = svg.with_suffix(".png")
        cairosvg.svg2png(url=str(svg), write_to=str(png))
        print(f"wrote {svg.name} and {png.name}")


if __name__ == "__main__":
    main()
