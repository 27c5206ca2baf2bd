"""Commands that launch and inspect runs: materialize, runs, logs, cancel, wipe."""

from __future__ import annotations

import heapq
import json
import signal
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from assettui.cli.common import fail, instance_home, load, project_options, resolve_target
from assettui.errors import AssettuiError, ConfigError
from assettui.execution.errors_info import format_error
from assettui.model.asset_graph import AssetGraph
from assettui.model.asset_key import AssetKey
from assettui.model.records.events import DagsterEventType, EventRecord
from assettui.model.records.launched_by import LAUNCHED_BY_TAG, launched_by_text
from assettui.model.records.run_query import RunQueryError, parse_run_query
from assettui.model.records.runs import DagsterRun
from assettui.storage.compute_logs import CapturedOutput
from assettui.storage.instance_storage import Storage

LEVELS = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
_EVENT_PAGE = 5000
# A follower polls this often while the run is quiet (a busy run is read back to back).
_FOLLOW_POLL_SECONDS = 0.1
_DEAD_WORKER_CHECK_POLLS = 10  # quiet polls between checks that the run's worker still lives


def _select(graph: Any, select: str | None) -> tuple[frozenset, frozenset]:
    from assettui.model.selection.asset_selection import AssetSelection

    if not select:
        keys = graph.materializable_asset_keys
        return keys, frozenset(c for c in graph.asset_check_keys if c.asset_key in keys)
    try:
        sel = AssetSelection.from_string(select)
        keys = frozenset(k for k in sel.resolve(graph) if graph.get(k).is_materializable)
        checks = frozenset(sel.resolve_checks(graph))
    except AssettuiError as exc:
        fail(str(exc), 2)
        raise
    if not keys:
        fail(f"The selection {select!r} matches no materializable asset.", 2)
    return keys, checks


def _load_config(path: str | None, graph: AssetGraph, keys: frozenset[AssetKey]) -> dict[str, Any]:
    """The run config in ``path``, checked as the launch dialog checks it (each field that
    does not fit its asset's ``Config`` named by its path in the YAML)."""
    if not path:
        return {}
    from assettui.model.run_config_yaml import config_targets, parse_run_config

    try:
        text = Path(path).read_text()
    except OSError as exc:
        fail(f"Cannot read run config {path}: {exc.strerror or exc}", 2)
        raise
    try:
        return parse_run_config(text, config_targets(graph, graph.toposort(keys)))
    except ConfigError as exc:
        fail(f"Run config {path} does not fit this launch:\n{exc}", 2)
        raise


def format_event(event: EventRecord, show_errors: bool = True) -> str:
    stamp = _stamp(event.timestamp)
    step = f"[{event.step_key}] " if event.step_key else ""
    kind = event.event_type.value if event.event_type is not DagsterEventType.LOG else ""
    text = event.message or kind
    line = f"{stamp} {event.level:<7} {step}{text}"
    if kind and event.message and kind not in ("LOG",):
        line = f"{stamp} {event.level:<7} {step}{kind}: {event.message}"
    error = (event.payload or {}).get("error") if show_errors else None
    if error and event.event_type in (DagsterEventType.STEP_FAILURE, DagsterEventType.RUN_FAILURE):
        line += "\n" + "\n".join("    " + ln for ln in format_error(error).splitlines())
    return line


def _stamp(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp).strftime("%H:%M:%S.%f")[:-3]


def _level_ok(level_name: str, level: str | None) -> bool:
    if not level:
        return True
    try:
        return LEVELS.index(level_name.upper()) >= LEVELS.index(level.upper())
    except ValueError:
        return True


class RunLogReader:
    """A run's log as printed lines: its events and (optionally) its steps' captured output.

    Captured stdout/stderr (Dagster's compute logs) are shown as the TUI's log view shows
    them: at the time each line was written, among the events, as level ``STDOUT``/``STDERR``,
    passing a ``--level`` filter up to INFO (``print`` has no level).

    Args:
        storage: the instance storage.
        run_id: the run.
        level: only records at this level or above.
        step: only this step's records.
        compute_logs: include the steps' captured stdout/stderr.
    """

    def __init__(
        self,
        storage: Storage,
        run_id: str,
        *,
        level: str | None = None,
        step: str | None = None,
        compute_logs: bool = True,
    ):
        self.storage = storage
        self.run_id = run_id
        self.level = level
        self.step = step
        self.captured = CapturedOutput(storage, run_id) if compute_logs else None
        self.last_id = 0
        self._steps: dict[str, None] = {}  # steps seen, in order: their output files to read

    def read_new(self, *, final: bool = False) -> Iterator[str]:
        """Lines for everything stored or written since the previous call, in time order.

        Args:
            final: the run has ended: read to the end and flush unterminated output lines.
        """
        horizon = time.time()  # captured output after it waits for the events before it
        events: list[tuple[float, str]] = []
        while True:
            page = self.storage.event_log.events_after(
                self.last_id, run_id=self.run_id, limit=_EVENT_PAGE
            )
            for event in page:
                self.last_id = event.storage_id
                if event.step_key:
                    self._steps.setdefault(event.step_key, None)
                if self.step and event.step_key != self.step:
                    continue
                if _level_ok(event.level, self.level):
                    events.append((event.timestamp, format_event(event)))
            if len(page) < _EVENT_PAGE:
                break
        captured: list[tuple[float, str]] = []
        if self.captured is not None and _level_ok("INFO", self.level):
            steps = [s for s in self._steps if not self.step or s == self.step]
            captured = [
                (line.timestamp, f"{_stamp(line.timestamp)} {line.stream:<7} [{step}] {line.text}")
                for step, line in self.captured.lines_until(steps, horizon, final=final)
            ]
        for _, text in heapq.merge(events, captured, key=lambda entry: entry[0]):
            yield text


def stream_run(
    storage: Storage,
    run_id: str,
    *,
    follow: bool,
    level: str | None = None,
    step: str | None = None,
    compute_logs: bool = True,
    out: Callable[[str], Any] | None = None,
) -> DagsterRun | None:
    """Print a run's log; with ``follow``, keep printing new lines until the run ends.

    Every line is printed exactly once and in order, however fast the run writes: the
    run's status is read *before* each read of its log, and a run's worker stores all of
    its events before it marks the run finished, so the read after seeing a finished
    status is the last one needed.

    Args:
        storage: the instance storage.
        run_id: the run.
        follow: keep printing until the run ends.
        level: only records at this level or above.
        step: only this step's records.
        compute_logs: include the steps' captured stdout/stderr.
        out: called with a block of lines (default: ``click.echo``).

    Returns:
        The run as stored when the stream ended (``None``: no such run).
    """
    from assettui.execution.launcher import monitor_runs

    echo = out or click.echo
    reader = RunLogReader(storage, run_id, level=level, step=step, compute_logs=compute_logs)
    quiet = 0  # polls in a row that found nothing new
    while True:
        run = storage.runs.get_run(run_id)
        if run is None:
            return None
        done = run.is_finished or not follow
        block: list[str] = []
        printed = 0
        for line in reader.read_new(final=done):
            block.append(line)
            if len(block) >= _EVENT_PAGE:  # one write per block: 100k lines stream fast
                echo("\n".join(block))
                printed += len(block)
                block = []
        if block:
            echo("\n".join(block))
            printed += len(block)
        if done:
            return run
        if printed:
            quiet = 0
            continue
        quiet += 1
        if quiet % _DEAD_WORKER_CHECK_POLLS == 0 and not run.is_finished:
            # With no UI or daemon running, nothing else would end a run whose worker died,
            # and the follower would wait forever: run the monitor's own check.
            monitor_runs(storage)
        time.sleep(_FOLLOW_POLL_SECONDS)


@click.command()
@project_options
@click.option("--select", "select", default=None, help="Assets to materialize (default: all).")
@click.option("--partition", default=None, help="The partition key to materialize.")
@click.option("--partition-range", default=None, help="A range START...END, run as one run.")
@click.option(
    "--config",
    "config_file",
    default=None,
    type=click.Path(dir_okay=False),
    help="Run config YAML ({ops: {asset: {config: {...}}}}).",
)
@click.option("--tag", "tags", multiple=True, help="A run tag key=value (repeatable).")
@click.option("--job", "job_name", default=None, help="Run this job (asset or op job) instead.")
def materialize(
    project: str | None,
    module: str | None,
    home: str | None,
    select: str | None,
    partition: str | None,
    partition_range: str | None,
    config_file: str | None,
    tags: tuple[str, ...],
    job_name: str | None,
) -> None:
    """Materialize assets now in a worker process, streaming the run's log; exit 0 on success.

    With --job NAME, run that job (its assets, or its ops) with --config and --partition.
    """
    from assettui.execution.in_process import check_asset_config
    from assettui.execution.launch_checks import check_partition_choice
    from assettui.execution.launcher import RunLauncher
    from assettui.execution.plan import build_plan
    from assettui.execution.resources import check_resource_config
    from assettui.storage.instance import DagsterInstance

    ctx = load(project, module, home)
    if job_name is not None:
        if select or partition_range:
            fail("--job runs the whole job: drop --select and --partition-range.", 2)
        execute_job(ctx, job_name, config_file, partition, parse_tags(tags))
        return
    graph = ctx.defs.resolve_asset_graph()
    keys, checks = _select(graph, select)
    run_config = _load_config(config_file, graph, keys)
    prange = None
    if partition_range:
        if "..." not in partition_range:
            fail("--partition-range takes START...END (three dots).", 2)
        start, end = partition_range.split("...", 1)
        prange = (start, end)
    tag_map = parse_tags(tags)
    launcher = RunLauncher(ctx.home, ctx.target)
    instance = DagsterInstance(launcher.storage)
    try:  # check the partition and the config before starting a process, as Dagster does
        check_partition_choice(graph, keys, partition, prange)
        if partition:
            build_plan(graph, keys, checks, [partition], dynamic_partitions_store=instance)
        check_asset_config(graph, frozenset(keys), frozenset(checks or ()), run_config or {})
        check_resource_config(ctx.defs.resources, run_config)
    except AssettuiError as exc:
        fail(str(exc), 2)
    launch_and_follow(
        launcher,
        keys,
        what=f"{len(keys)} assets",
        partition_key=partition,
        partition_range=prange,
        tags=tag_map,
        run_config=run_config,
        check_keys=checks,
    )


def parse_tags(tags: tuple[str, ...]) -> dict[str, str]:
    """``--tag key=value`` options as a dict."""
    tag_map = {}
    for tag in tags:
        if "=" not in tag:
            fail(f"--tag takes key=value; got {tag!r}.", 2)
        k, v = tag.split("=", 1)
        tag_map[k] = v
    return tag_map


def read_config_file(path: str | None) -> dict[str, Any]:
    """The run config YAML in ``path`` (its shape checked), or ``{}``."""
    if not path:
        return {}
    from assettui.model.run_config_yaml import read_run_config_yaml

    try:
        text = Path(path).read_text()
    except OSError as exc:
        fail(f"Cannot read run config {path}: {exc.strerror or exc}", 2)
        raise
    try:
        return read_run_config_yaml(text)
    except ConfigError as exc:
        fail(f"Run config {path} is not valid:\n{exc}", 2)
        raise


def execute_job(
    ctx: Any, job_name: str, config_file: str | None, partition: str | None, tags: dict[str, str]
) -> None:
    """Run job ``job_name`` in a worker and follow it (``materialize --job``, ``job execute``).

    The job, its partition and its config are checked before any run exists.
    """
    from assettui.execution.launcher import RunLauncher
    from assettui.execution.ops.in_process import check_op_config
    from assettui.execution.ops.plan import build_op_plan, op_job_run_config
    from assettui.execution.plan import build_plan
    from assettui.execution.resources import check_resource_config
    from assettui.storage.instance import DagsterInstance

    try:
        job = ctx.defs.resolve_job_def(job_name)
    except AssettuiError as exc:
        fail(str(exc), 2)
        raise
    run_config = read_config_file(config_file)
    launcher = RunLauncher(ctx.home, ctx.target)
    instance = DagsterInstance(launcher.storage)
    try:
        if job.is_op_job:
            run_config = op_job_run_config(job, run_config, partition)
            check_op_config(build_op_plan(job, run_config), run_config)
            keys: frozenset[AssetKey] = frozenset()
            checks: frozenset[Any] = frozenset()
            what = f"job {job_name}, {len(job.graph_def.nodes)} ops"
        else:
            keys, checks = frozenset(job.asset_keys), frozenset(job.asset_check_keys)
            graph = ctx.defs.resolve_asset_graph()
            from assettui.execution.in_process import check_asset_config

            build_plan(graph, keys, checks, [partition] if partition else [], instance)
            check_asset_config(graph, keys, checks, run_config)
            what = f"job {job_name}, {len(keys)} assets"
        check_resource_config(job.resources if job.is_op_job else ctx.defs.resources, run_config)
    except AssettuiError as exc:
        fail(str(exc), 2)
        raise
    launch_and_follow(
        launcher,
        keys,
        what=what,
        job_name=job_name,
        partition_key=partition,
        tags={**{k: str(v) for k, v in job.run_tags.items()}, **tags},
        run_config=run_config,
        check_keys=checks,
    )


def launch_and_follow(
    launcher: Any, asset_keys: Any, *, what: str, job_name: str | None = None, **launch: Any
) -> None:
    """Launch a run in a worker, stream its log until it ends and exit 0 on success (a
    Ctrl-C cancels the run)."""
    # Handlers first: a Ctrl-C between storing the run and streaming it still cancels it
    # rather than leaving its worker running unsupervised.
    launched: list[str] = []
    interrupted: list[int] = []

    def on_signal(signum: int, frame: Any) -> None:
        interrupted.append(signum)
        if launched:
            click.echo(f"\nCanceling run {launched[0]}...", err=True)
            launcher.cancel(launched[0])

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    if job_name is not None:
        launch["job_name"] = job_name
    launch["tags"] = {**(launch.get("tags") or {}), LAUNCHED_BY_TAG: "cli"}
    run_id = launcher.launch(asset_keys, **launch)
    launched.append(run_id)
    click.echo(f"Launched run {run_id} ({what})", err=True)
    if interrupted:
        click.echo(f"\nCanceling run {run_id}...", err=True)
        launcher.cancel(run_id)
    run = stream_run(launcher.storage, run_id, follow=True)
    # wait for the worker to exit so no process is left behind
    deadline = time.monotonic() + 10
    while launcher.is_running(run_id) and time.monotonic() < deadline:
        time.sleep(0.05)
    status = run.status.value if run else "UNKNOWN"
    click.echo(f"Run {run_id} {status}", err=True)
    sys.exit(0 if run is not None and run.is_success else 1)


def run_json(run: DagsterRun) -> dict[str, Any]:
    partition = run.partition_key
    if partition is None and run.partition_range:
        partition = f"{run.partition_range[0]}...{run.partition_range[1]}"
    return {
        "run_id": run.run_id,
        "status": run.status.value,
        "job_name": run.job_name,
        "asset_selection": sorted(k.to_user_string() for k in run.asset_selection or ()),
        "partition": partition,
        "tags": dict(run.tags),
        "start_time": run.started_at,
        "end_time": run.ended_at,
        "failure_reason": run.failure_reason,
        "launched_by": launched_by_text(run),
    }


def _storage(project: str | None, module: str | None, home: str | None) -> Storage:
    target = resolve_target(project, module)
    return Storage(instance_home(target, home))


@click.command()
@project_options
@click.option("--limit", default=20, show_default=True, help="How many runs, newest first.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@click.option(
    "--filter",
    "query_text",
    default=None,
    help="As the UI's runs filter: status:failure job:x asset:y tag:k=v partition:p by:schedule.",
)
def runs(
    project: str | None,
    module: str | None,
    home: str | None,
    limit: int,
    as_json: bool,
    query_text: str | None,
) -> None:
    """List runs, newest first."""
    storage = _storage(project, module, home)
    if query_text:
        try:
            query = parse_run_query(query_text)
        except RunQueryError as exc:
            fail(str(exc), 2)
            raise
        candidates = storage.runs.list_runs(query.runs_filter, limit=limit * 10)
        found = [run for run in candidates if query.matches(run)][:limit]
    else:
        found = storage.runs.list_runs(limit=limit)
    if as_json:
        click.echo(json.dumps([run_json(r) for r in found], indent=2))
        return
    if not found:
        click.echo("(no runs)")
        return
    for r in found:
        data = run_json(r)
        start = (
            datetime.fromtimestamp(r.started_at).strftime("%Y-%m-%d %H:%M:%S")
            if r.started_at
            else "-"
        )
        took = f"{r.ended_at - r.started_at:.1f}s" if r.started_at and r.ended_at else "-"
        sel = ",".join(data["asset_selection"][:3]) + (
            "…" if len(data["asset_selection"]) > 3 else ""
        )
        if not sel and r.job_name and not r.job_name.startswith("__"):
            sel = f"job {r.job_name}"  # an op job's run selects ops, not assets
        click.echo(
            f"{r.run_id[:8]}  {r.status.value:<9} {start}  {took:>7}  "
            f"{data['partition'] or '':<12} {sel}"
        )


@click.command()
@project_options
@click.argument("run_id", required=False)
@click.option("--follow", "-f", is_flag=True, help="Keep printing until the run finishes.")
@click.option(
    "--level",
    type=click.Choice(LEVELS, case_sensitive=False),
    default=None,
    help="Only records at this level or above.",
)
@click.option("--step", default=None, help="Only this step's records.")
@click.option(
    "--compute-logs/--no-compute-logs",
    default=True,
    show_default=True,
    help="Include each step's captured stdout/stderr (as the TUI's log view does).",
)
def logs(
    project: str | None,
    module: str | None,
    home: str | None,
    run_id: str | None,
    follow: bool,
    level: str | None,
    step: str | None,
    compute_logs: bool,
) -> None:
    """Print a run's log (RUN_ID or 'latest'); --follow tails it live until the run ends.

    The log is the run's events and, as STDOUT/STDERR lines, what its steps printed.
    """
    project, run_id = _project_and_run_id(project, run_id)
    storage = _storage(project, module, home)
    run_id = _resolve_run_id(storage, run_id)
    stream_run(storage, run_id, follow=follow, level=level, step=step, compute_logs=compute_logs)


def _project_and_run_id(project: str | None, run_id: str | None) -> tuple[str | None, str]:
    """PROJECT is optional: a lone positional that is not a folder or .py file is the RUN_ID."""
    if run_id is None:
        if project is None or Path(project).is_dir() or project.endswith(".py"):
            fail("Name the run: RUN_ID or 'latest' (see `assettui runs`).", 2)
            raise SystemExit(2)
        return None, project
    return project, run_id


def _resolve_run_id(storage: Storage, run_id: str) -> str:
    if run_id == "latest":
        found = storage.runs.list_runs(limit=1)
        if not found:
            fail("There are no runs yet.", 1)
        return found[0].run_id
    if storage.runs.get_run(run_id) is not None:
        return run_id
    matches = [r.run_id for r in storage.runs.list_runs(limit=500) if r.run_id.startswith(run_id)]
    if len(matches) == 1:
        return matches[0]
    fail(f"No run {run_id!r} in this instance (try `assettui runs`).", 1)
    raise SystemExit(1)


@click.command()
@project_options
@click.argument("run_id", required=False)
def cancel(project: str | None, module: str | None, home: str | None, run_id: str | None) -> None:
    """Cancel a run (terminate its worker, then kill it after a grace period)."""
    from assettui.execution.launcher import RunLauncher

    project, run_id = _project_and_run_id(project, run_id)
    target = resolve_target(project, module)
    launcher = RunLauncher(instance_home(target, home), target)
    run_id = _resolve_run_id(launcher.storage, run_id)
    launcher.cancel(run_id)
    run = launcher.wait(run_id, timeout=15)
    click.echo(f"Run {run_id} {run.status.value if run else 'UNKNOWN'}")


@click.command()
@project_options
@click.option("--select", "select", required=True, help="Assets whose history to wipe.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def wipe(project: str | None, module: str | None, home: str | None, select: str, yes: bool) -> None:
    """Wipe the materialization history of the selected assets."""
    ctx = load(project, module, home)
    graph = ctx.defs.resolve_asset_graph()
    keys, _ = _select(graph, select)
    names = ", ".join(sorted(k.to_user_string() for k in keys))
    if not yes and not click.confirm(f"Wipe the history of {len(keys)} assets ({names})?"):
        click.echo("Nothing wiped.")
        return
    storage = Storage(ctx.home)
    storage.event_log.wipe_asset_history(keys)
    click.echo(f"Wiped the history of {len(keys)} assets.")


COMMANDS = [materialize, runs, logs, cancel, wipe]
