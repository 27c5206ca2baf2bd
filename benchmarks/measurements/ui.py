"""The terminal UI: first frame, key latency, key latency under a log flood, memory, and
opening a run's detail and filtering the runs list.

Each figure comes from the real app (``AssetTuiApp``) driven headless with
``app.run_test(size=(120, 40))`` over the generated ``layered`` project, with a fresh
instance folder per run. Two probes define "rendered" (see :class:`FrameProbe`): the graph
widget's ``render_line`` notes that it drew rows of the state being waited for, and the
next screen update Textual hands to its driver (``App._display``) is the frame. Headless
Textual skips turning that update into terminal bytes, so the probe does it, as a real
terminal driver would.

- first frame: from the process start (``/proc/self/stat``, so interpreter start-up and
  imports count, as they do for someone typing ``assettui``) to the first frame in which
  the graph pane shows all the assets with their statuses. Project loading (import,
  validate, resolve the graph) and reading the statuses are part of it. Dagster's figure is
  ``dagster dev`` from launch until its GraphQL endpoint lists every asset node (a lower
  bound for its UI: the browser has yet to fetch and draw the graph).
- RSS: the memory of the process tree (sum of ``VmRSS``) at that moment; for Dagster the
  tree under ``dagster dev`` (webserver, daemon, code server).
- key → repaint: a ``down`` key event posted as a terminal driver posts it, to the next
  frame in which the graph drew the moved cursor; median of the presses.
- key latency under logs: the same while a run worker process appends log events at
  2,000 lines/s to the instance and the log view follows them; 95th percentile.

The driving functions run in the measured process (the harness's script imports this module
and calls one); they import the tools lazily, since the harness loads this module in
every interpreter.
"""

from __future__ import annotations

import asyncio
import math
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from benchmarks.generate import project_dir, write_pair
from benchmarks.measurements import ASSETTUI, BOTH, Context, Measurement

_IMPORTED_AT = time.perf_counter()

SHAPE = "layered"
SIZE = 5_000
QUICK_SIZE = 300  # above the graph's layered-drawing limit: the same list mode as 5,000
SCREEN = (120, 40)
PRESSES = 50
QUICK_PRESSES = 10
PRESS_GAP = 0.05  # seconds between presses: a brisk typist (about key-repeat speed)
LOG_RATE = 2_000  # lines per second
LOG_BATCHES_PER_SECOND = 20
FRAME_TIMEOUT = 60.0  # a frame that never comes fails the row instead of hanging it
MIB = 1024 * 1024


# ---- figures taken inside the measured process ---------------------------------------------


def process_age() -> float:
    """Seconds since this process started (10 ms resolution on Linux).

    Elsewhere: since this module was imported, which misses interpreter start-up.
    """
    try:
        stat = Path("/proc/self/stat").read_text()
        start_ticks = int(stat.rsplit(")", 1)[1].split()[19])  # field 22, starttime
        boot = time.clock_gettime(time.CLOCK_BOOTTIME)
        return boot - start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return time.perf_counter() - _IMPORTED_AT


def tree_rss_mib(root: int) -> float:
    """The summed ``VmRSS`` of process ``root`` and all its descendants, in MiB (Linux)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue  # it ended meanwhile
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in tree]
        tree.update(children)
        frontier += children
    total_kib = 0
    for pid in tree:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total_kib += int(line.split()[1])
    return total_kib * 1024 / MIB


def percentile(values: list[float], fraction: float) -> float:
    """The ``fraction`` quantile of ``values`` (nearest rank)."""
    ordered = sorted(values)
    rank = math.ceil(fraction * len(ordered))  # 1-based
    return ordered[min(len(ordered), max(1, rank)) - 1]


class FrameProbe:
    """Tells when a frame showing a wanted state of the graph pane has been produced.

    The graph widget class's ``render_line`` is wrapped to note when it draws a row while
    ``wanted(widget)`` holds; the app's ``_display`` is wrapped so that the next screen
    update after such a row — encoded to terminal bytes here, as a real driver would —
    completes the frame. Arm it before causing the change, then await :meth:`frame`.
    """

    def __init__(self) -> None:
        self._wanted: Callable[[Any], bool] = lambda widget: False
        self._drawn = False
        self._frame: asyncio.Future[float] | None = None

    def patch_graph(self, graph_class: Any) -> None:
        draw_row = graph_class.render_line

        def render_line(widget: Any, y: int) -> Any:
            strip = draw_row(widget, y)
            if self._frame is not None and not self._drawn and self._wanted(widget):
                self._drawn = True
            return strip

        graph_class.render_line = render_line

    def patch_app(self, app: Any) -> None:
        display = app._display

        def display_frame(screen: Any, update: Any) -> None:
            if update is not None and self._drawn and not app._batch_count:
                encode = getattr(update, "render_segments", None)
                if encode is not None:
                    encode(app.console)
                self._drawn = False
                if self._frame is not None and not self._frame.done():
                    self._frame.set_result(time.perf_counter())
            display(screen, update)

        app._display = display_frame

    def arm(self, wanted: Callable[[Any], bool]) -> None:
        """Wait (with :meth:`frame`) for the next frame drawn while ``wanted(graph)`` holds."""
        self._wanted, self._drawn = wanted, False
        self._frame = asyncio.get_running_loop().create_future()

    async def frame(self) -> float:
        """The ``perf_counter`` time the armed frame was produced."""
        assert self._frame is not None, "arm() the probe first"
        try:
            return await asyncio.wait_for(self._frame, FRAME_TIMEOUT)
        except TimeoutError:
            raise SystemExit(f"no frame with the wanted graph within {FRAME_TIMEOUT:g} s") from None


# ---- assettui -----------------------------------------------------------------------------


def assettui_ui(project: str, size: int, figure: str, presses: int = 0, log_rate: int = 0) -> None:
    """Print one figure of the assettui UI on ``project`` (run in the measured process).

    Args:
        project: the generated project folder.
        size: its asset count.
        figure: ``first_frame`` (s), ``rss`` (MiB), ``key_median`` or ``key_p95`` (s).
        presses: ``down`` presses for the key figures.
        log_rate: lines per second a run worker logs meanwhile (0: none).
    """
    print(asyncio.run(_drive_assettui(project, size, figure, presses, log_rate)))


async def _drive_assettui(
    project: str, size: int, figure: str, presses: int, log_rate: int
) -> float:
    import tempfile

    from assettui.project import find_project
    from assettui.tui.app import AssetTuiApp
    from assettui.tui.widgets.asset_graph import AssetGraph

    probe = FrameProbe()
    probe.patch_graph(AssetGraph)
    probe.arm(
        lambda graph: (
            graph.graph is not None and len(graph.graph) == size and len(graph.states) == size
        )
    )
    home = Path(tempfile.mkdtemp(prefix="bench-ui-"))
    try:
        app = AssetTuiApp(find_project(project), home)
        probe.patch_app(app)
        async with app.run_test(size=SCREEN):
            shown = await probe.frame()
            age = process_age() - (time.perf_counter() - shown)
            if figure == "first_frame":
                return age
            if figure == "rss":
                return tree_rss_mib(os.getpid())
            if figure == "run_detail":
                return statistics.median(await _run_detail_opens(app, presses))
            if figure == "runs_filter":
                return statistics.median(await _runs_filterings(app, presses))
            latencies = await _key_latencies(app, probe, presses, log_rate)
            return (
                statistics.median(latencies)
                if figure == "key_median"
                else percentile(latencies, 0.95)
            )
    finally:
        shutil.rmtree(home, ignore_errors=True)


async def _key_latencies(app: Any, probe: FrameProbe, presses: int, log_rate: int) -> list[float]:
    from textual import events

    from assettui.tui.widgets.asset_graph import AssetGraph

    graph = app.query_one(AssetGraph)
    if not graph.is_list_mode:  # in the layered drawing `down` stops at a column's end
        raise SystemExit("the key rows need a project big enough for the navigator list")
    feed = await _start_log_feed(app, log_rate) if log_rate else None
    try:
        graph.focus()
        await asyncio.sleep(0.5)  # the log view is in its steady state of following
        lines_before, started = _log_line_count(app), time.perf_counter()
        latencies = []
        for _ in range(presses):
            probe.arm(_moved_from(graph.selected))
            pressed = time.perf_counter()
            app.post_message(events.Key("down", None))  # what a terminal driver posts
            latencies.append(await probe.frame() - pressed)
            await asyncio.sleep(PRESS_GAP)
        if feed is not None:
            _check_log_followed(app, lines_before, started, log_rate)
        return latencies
    finally:
        if feed is not None:
            feed.terminate()
            feed.wait()


RUN_DETAIL_STEPS = 200
FILTERED_RUNS = 2_000


async def _until(condition: Callable[[], bool]) -> float:
    """Let the app work until ``condition()`` holds; the time it did (perf_counter)."""
    deadline = time.monotonic() + FRAME_TIMEOUT
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit("the view never showed what was waited for")
        await asyncio.sleep(0.001)
    return time.perf_counter()


async def _run_detail_opens(app: Any, times: int) -> list[float]:
    """Opening a finished run of 200 steps: until its timeline lists every step."""
    from assettui.model.records.events import DagsterEventType as E
    from assettui.storage import DagsterRun, DagsterRunStatus, NewEvent
    from assettui.tui.screens.run_detail import RunDetailScreen

    now = time.time()
    run = app.storage.runs.create_run(
        DagsterRun(status=DagsterRunStatus.SUCCESS, started_at=now - 60, ended_at=now)
    )
    events = []
    for i in range(RUN_DETAIL_STEPS):
        step = f"step_{i}"
        events += [
            NewEvent(run.run_id, E.STEP_START, step, "DEBUG", step, timestamp=now - 60 + i * 0.2),
            NewEvent(run.run_id, E.STEP_SUCCESS, step, "DEBUG", step, timestamp=now - 59 + i * 0.2),
        ]
    app.storage.event_log.store_events(events)
    latencies = []
    for _ in range(max(times, 3)):
        started = time.perf_counter()
        screen = RunDetailScreen(app.storage, app.launcher, run.run_id)
        app.push_screen(screen)
        shown = await _until(
            lambda screen=screen: (
                screen.data is not None
                and screen.query_one("#run-steps").row_count == RUN_DETAIL_STEPS
            )
        )
        latencies.append(shown - started)
        app.pop_screen()
        await asyncio.sleep(0.05)
    return latencies


async def _runs_filterings(app: Any, times: int) -> list[float]:
    """Filtering 2,000 runs by status and launcher: until the list holds the matches."""
    from assettui.storage import DagsterRun, DagsterRunStatus
    from assettui.tui.widgets.runs_pane import RunsPane

    for i in range(FILTERED_RUNS):
        status = DagsterRunStatus.FAILURE if i % 10 == 0 else DagsterRunStatus.SUCCESS
        app.storage.runs.create_run(DagsterRun(status=status, tags={"team": f"t{i % 7}"}))
    app.action_runs()
    pane = app.query_one(RunsPane)
    await _until(lambda: len(pane.runs) > 0)
    latencies = []
    for index in range(max(times, 3)):
        text = "status:failure" if index % 2 == 0 else "tag:team=t3 status:success"
        wanted = DagsterRunStatus.FAILURE if index % 2 == 0 else DagsterRunStatus.SUCCESS
        started = time.perf_counter()
        pane.set_query(text)
        shown = await _until(
            lambda wanted=wanted: bool(pane.runs) and all(r.status is wanted for r in pane.runs)
        )
        latencies.append(shown - started)
    return latencies


def _moved_from(key: Any) -> Callable[[Any], bool]:
    """The graph state a press waits for: its cursor left ``key``."""
    return lambda graph: graph.selected != key


async def _start_log_feed(app: Any, rate: int) -> subprocess.Popen[bytes]:
    """A run in progress whose worker process logs ``rate`` lines/s; the log view follows it."""
    from assettui.storage import DagsterRun, DagsterRunStatus

    assert app.asset_graph is not None
    first = app.asset_graph.toposorted_asset_keys[0]
    run = app.storage.runs.create_run(DagsterRun(asset_selection=frozenset({first})))
    app.storage.runs.update_run_status(run.run_id, DagsterRunStatus.STARTING)
    call = f"feed_log({str(app.home)!r}, {run.run_id!r}, {first.to_user_string()!r}, {rate})"
    feed = subprocess.Popen(
        [sys.executable, "-c", f"from benchmarks.measurements.ui import feed_log\n{call}"],
        cwd=Path(__file__).resolve().parents[2],
        start_new_session=True,  # a worker leads its own group, as the launcher's do
    )
    app.action_logs()  # opens the runs area and shows (and follows) the latest run
    deadline = time.monotonic() + FRAME_TIMEOUT
    while _log_line_count(app) == 0:
        if time.monotonic() > deadline or feed.poll() is not None:
            feed.kill()
            raise SystemExit("the log view never showed the fed run's lines")
        await asyncio.sleep(0.05)
    return feed


def _log_line_count(app: Any) -> int:
    from assettui.tui.widgets.log_view import LogView

    views = app.query(LogView)
    return len(views.first().log_lines.lines) if views else 0


def _check_log_followed(app: Any, lines_before: int, started: float, rate: int) -> None:
    """The figure counts only if the log view really took the flood and kept following."""
    from assettui.tui.widgets.log_view import LogView

    lines = app.query_one(LogView).log_lines
    received = (len(lines.lines) - lines_before) / (time.perf_counter() - started)
    if received < rate / 2:
        raise SystemExit(f"the log view took only {received:.0f} lines/s of {rate}")
    if not lines.follow or lines.scroll_y != lines.max_scroll_y:
        raise SystemExit("the log view stopped following during the key presses")


def feed_log(home: str, run_id: str, step_key: str, rate: int) -> None:
    """Append LOG events of ``run_id`` at ``rate`` lines/s, as a run worker's logger would.

    Like a worker it records its pid, marks the run started and heartbeats (else the run
    monitor would fail the run). Runs until terminated, until its parent is gone, or for
    ten minutes at most.
    """
    from assettui.storage import DagsterEventType, DagsterRunStatus, NewEvent, Storage

    storage, parent = Storage(home), os.getppid()
    storage.runs.set_run_pid(run_id, os.getpid())
    storage.runs.update_run_status(run_id, DagsterRunStatus.STARTED)
    batch, period = rate // LOG_BATCHES_PER_SECOND, 1 / LOG_BATCHES_PER_SECOND
    due = started = time.monotonic()
    written = 0
    while os.getppid() == parent and due - started < 600:
        if written % rate < batch:
            storage.runs.heartbeat(run_id)  # about once a second
        storage.event_log.store_events(
            [
                NewEvent(
                    run_id,
                    DagsterEventType.LOG,
                    f"processed chunk {written + i}: 4096 rows, 12 columns, 0 rejected",
                    level="INFO",
                    step_key=step_key,
                )
                for i in range(batch)
            ]
        )
        written += batch
        due += period
        time.sleep(max(0.0, due - time.monotonic()))


# ---- Dagster ------------------------------------------------------------------------------


def dagster_ui(project: str, size: int, figure: str) -> None:
    """Print ``dagster dev``'s start-up time (s) or its process tree's RSS (MiB) on ``project``.

    Ready means its GraphQL endpoint lists ``size`` asset nodes. Run in Dagster's
    interpreter, which needs ``dagster-webserver`` (``make bench-dagster`` installs it).
    """
    import importlib.util
    import signal
    import tempfile

    if importlib.util.find_spec("dagster_webserver") is None:
        raise SystemExit("dagster-webserver is missing from .venv-dagster: run make bench-dagster")
    home = Path(tempfile.mkdtemp(prefix="bench-dagster-"))
    command = [str(Path(sys.executable).parent / "dagster"), "dev", "-f", "definitions.py"]
    port = _free_port()
    with (home / "dagster-dev.log").open("wb") as log:
        started = time.perf_counter()
        server = subprocess.Popen(
            [*command, "-h", "127.0.0.1", "-p", str(port)],
            cwd=project,
            env={**os.environ, "DAGSTER_HOME": str(home)},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so all of it can be stopped
        )
        try:
            while _asset_node_count(port) != size:
                if server.poll() is not None:
                    tail = (home / "dagster-dev.log").read_text(errors="replace").strip()
                    raise SystemExit(f"dagster dev exited ({server.returncode}): {tail[-300:]}")
                if time.perf_counter() - started > 300:
                    raise SystemExit("dagster dev did not list the asset nodes within 300 s")
                time.sleep(0.1)
            seconds = time.perf_counter() - started
            rss = tree_rss_mib(server.pid)
        finally:
            _stop_group(server, signal)
            shutil.rmtree(home, ignore_errors=True)
    print(seconds if figure == "first_frame" else rss)


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _asset_node_count(port: int) -> int | None:
    """How many asset nodes the webserver's GraphQL API lists (None: not answering yet)."""
    import json
    import urllib.error
    import urllib.request

    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": "{ assetNodes { id } }"}).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            answer = json.load(response)
    except (OSError, ValueError):  # refused, reset, timed out, or not JSON yet
        return None
    nodes = (answer.get("data") or {}).get("assetNodes")
    return len(nodes) if isinstance(nodes, list) else None


def _stop_group(server: subprocess.Popen[bytes], signal: Any) -> None:
    """Ctrl-C for the whole ``dagster dev`` group, as in a terminal; then kill what is left."""
    try:
        os.killpg(server.pid, signal.SIGINT)
        server.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass
    except ProcessLookupError:
        return
    try:
        os.killpg(server.pid, signal.SIGKILL)  # the daemon and code server may linger
    except ProcessLookupError:
        pass
    server.wait()


# ---- rows ---------------------------------------------------------------------------------


def _prepare(size: int, workdir: Path) -> None:
    write_pair(SHAPE, size, workdir)


def _script(size: int, figure: str, presses: int, log_rate: int, context: Context) -> str:
    project = str(project_dir(context.workdir, SHAPE, size, context.tool))
    if context.tool == ASSETTUI:
        call = f"assettui_ui({project!r}, {size}, {figure!r}, {presses}, {log_rate})"
    else:
        call = f"dagster_ui({project!r}, {size}, {figure!r})"
    return f"from benchmarks.measurements.ui import {call.split('(')[0]}\n{call}\n"


def ui_measurements(size: int, presses: int, with_dagster: bool) -> list[Measurement]:
    """The four UI rows on the ``layered`` project of ``size`` assets."""
    tools = BOTH if with_dagster else (ASSETTUI,)
    prepare = partial(_prepare, size)

    def row(name: str, figure: str, goal: str, **options: Any) -> Measurement:
        log_rate = options.pop("log_rate", 0)
        return Measurement(
            name=f"ui: {name}",
            script=partial(_script, size, figure, presses, log_rate),
            goal=goal,
            prepare=prepare,
            **options,
        )

    return [
        row(f"first frame, {SHAPE} {size:,}", "first_frame", "< 1.5 s", tools=tools),
        row(
            f"RSS after first frame, {SHAPE} {size:,}",
            "rss",
            "< 300 MB",
            tools=tools,
            unit="MB",
        ),
        row(
            f"key -> graph repaint, {SHAPE} {size:,} (median of {presses})",
            "key_median",
            "< 50 ms",
            tools=(ASSETTUI,),
        ),
        row(
            f"key latency, log following {LOG_RATE:,} lines/s (p95 of {presses})",
            "key_p95",
            "< 100 ms",
            tools=(ASSETTUI,),
            log_rate=LOG_RATE,
        ),
        row(
            f"open run detail of {RUN_DETAIL_STEPS} steps (median of {max(presses, 3)})",
            "run_detail",
            "< 250 ms",
            tools=(ASSETTUI,),
        ),
        row(
            f"runs filter over {FILTERED_RUNS:,} runs (median of {max(presses, 3)})",
            "runs_filter",
            "< 250 ms",
            tools=(ASSETTUI,),
        ),
    ]


MEASUREMENTS = ui_measurements(SIZE, PRESSES, with_dagster=True)
QUICK_MEASUREMENTS = ui_measurements(QUICK_SIZE, QUICK_PRESSES, with_dagster=False)
