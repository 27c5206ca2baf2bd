"""`assettui serve`: the same app in a web browser through textual-serve, loaded by a real
headless Chromium that receives the asset graph over the page's websocket."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from screenshots.browser import CHROMIUM, load_page, serving

pytestmark = pytest.mark.slow
needs_chromium = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason="no Chromium here (make test installs Debian's chromium with apt-get)",
)


@needs_chromium
def test_serve_shows_the_asset_graph_in_headless_chromium(project_dir: Path, tmp_path: Path):
    shot = tmp_path / "serve.png"
    with serving([str(project_dir), "--no-scheduler"], project_dir) as url:
        drawn = asyncio.run(load_page(url, shot, until="orders_report"))
    assert "Assets (4/4)" in drawn  # the graph pane, as the terminal app titles it
    for name in ("raw_orders", "clean_orders", "orders_report"):
        assert name in drawn
    assert shot.stat().st_size > 20_000  # a drawn page, not a blank one


def test_serve_without_textual_serve_says_what_to_install(project_dir: Path, tmp_path: Path):
    blocker = tmp_path / "block"
    blocker.mkdir()
    (blocker / "textual_serve").mkdir()
    (blocker / "textual_serve" / "__init__.py").write_text("raise ImportError('absent')\n")
    env = {**os.environ, "PYTHONPATH": f"{blocker}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    out = subprocess.run(
        [sys.executable, "-m", "assettui.cli.main_entry", "serve", str(project_dir)],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    assert out.returncode == 2
    assert "pip install 'assettui[serve]'" in out.stderr and "Traceback" not in out.stderr
