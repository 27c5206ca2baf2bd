"""Serving assettui to a headless Chromium: ``assettui serve`` in a process, the page loaded
by Playwright driving the machine's Chromium. Used by the serve test and ``make screenshots``."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen, deadline: float = 30.0) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if process.poll() is not None:
            raise AssertionError(f"assettui serve exited with {process.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise AssertionError(f"nothing listens on {port}")


async def load_page(url: str, screenshot: Path, until: str = "") -> str:
    """Load ``url`` and screenshot it once the page's websocket carried ``until``; returns
    everything the app sent."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS
        )
        try:
            page = await browser.new_page(viewport={"width": 1400, "height": 900})
            frames: list[str] = []

            def on_socket(ws) -> None:
                ws.on(
                    "framereceived",
                    lambda data: frames.append(
                        data if isinstance(data, str) else data.decode("utf-8", "replace")
                    ),
                )

            page.on("websocket", on_socket)
            await page.goto(url)
            for _ in range(100):  # the app starts in its own process, then draws
                if until in "".join(frames) and frames:
                    break
                await page.wait_for_timeout(200)
            await page.wait_for_timeout(500)
            await page.screenshot(path=str(screenshot))
            return "".join(frames)
        finally:
            await browser.close()


@contextmanager
def serving(args: Sequence[str], cwd: Path) -> Iterator[str]:
    """``assettui serve ARGS`` on a free loopback port; yields its URL, stops it after."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "ASSETTUI_HOME"}
    process = subprocess.Popen(
        [sys.executable, "-m", "assettui.cli.main_entry", "serve", *args, "--port", str(port)],
        cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    try:
        wait_for_port(port, process)
        yield f"http://localhost:{port}"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
