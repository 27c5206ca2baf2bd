"""Commands that launch and inspect runs: materialize, runs, logs, cancel, wipe."""

from __future__ import annotations

import json
import signal
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from assettui.cli.common import fail, load, project_options, resolve_target
from assettui.errors import AssettuiError
from assettui.execution.errors_info import format_error
from assettui.project import resolve_home
from assettui.storage.events import DagsterEventType, EventRecord
from assettui.storage.instance_storage import Storage
from assettui.storage.runs import DagsterRun

LEVELS = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


def _select(graph: Any, select: str | None) -> tuple[frozenset, frozenset]:
    from assettui.model.selection import AssetSelection

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


def _load_config(path: str | None) -> dict[str, Any]:
    if not path:
        return {}
    import yaml

    try:
        data = yaml.safe_load(Path(path).read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        fail(f"Cannot read run config {path}: {exc}", 2)
    if not isinstance(data, dict):
        fail(f"Run config {path} must be a mapping like {{ops: {{asset: {{config: ...}}}}}}.", 2)
    return data


def format_event(event: EventRecord, show_errors: bool = True) -> str:
    stamp = datetime.fromtimestamp(event.timestamp).strftime("%H:%M:%S.%f")[:-3]
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


def _level_ok(event: EventRecord, level: str | None) -> bool:
    if not level:
        return True
    try:
        return LEVELS.index(event.level.upper()) >= LEVELS.index(level.upper())
    except ValueError:
        return True


def stream_run(
    storage: Storage,
    run_id: str,
    *,
    follow: bool,
    level: str | None = None,
    step: str | None = None,
    out: Any = None,
) -> DagsterRun | None:
    """Print a run's events (and keep printing new ones until it finishes if ``follow``)."""
    echo = out or click.echo
    after = 0
    while True:
        batch = storage.event_log.events_after(after, run_id=run_id, limit=5000)
        for event in batch:
            after = event.storage_id
            if step and event.step_key != step:
                continue
            if not _level_ok(event, level):
                continue
            echo(format_event(event))
        run = storage.runs.get_run(run_id)
        if run is None:
            return None
        if len(batch) == 5000:
            continue
        if not follow or (run.is_finished and not batch):
            if run.is_finished and follow:
                # one last read: events stored just before the status changed
                for event in storage.event_log.events_after(after, run_id=run_id, limit=None):
                    if (not step or event.step_key == step) and _level_ok(event, level):
                        echo(format_event(event))
            return run
        time.sleep(0.1)


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
def materialize(
    project: str | None,
    module: str | None,
    home: str | None,
    select: str | None,
    partition: str | None,
    partition_range: str | None,
    config_file: str | None,
    tags: tuple[str, ...],
) -> None:
    """Materialize assets now in a worker process, streaming the run's log; exit 0 on success."""
    from assettui.execution.launcher import RunLauncher
    from assettui.execution.plan import build_plan
    from assettui.storage.instance import DagsterInstance

    ctx = load(project, module, home)
    graph = ctx.defs.resolve_asset_graph()
    keys, checks = _select(graph, select)
    run_config = _load_config(config_file)
    prange = None
    if partition_range:
        if "..." not in partition_range:
            fail("--partition-range takes START...END (three dots).", 2)
        start, end = partition_range.split("...", 1)
        prange = (start, end)
    tag_map = {}
    for tag in tags:
        if "=" not in tag:
            fail(f"--tag takes key=value; got {tag!r}.", 2)
        k, v = tag.split("=", 1)
        tag_map[k] = v
    launcher = RunLauncher(ctx.home, ctx.target)
    instance = DagsterInstance(launcher.storage)
    try:  # check the partition before starting a process, for a clear error
        if partition:
            build_plan(graph, keys, checks, [partition], dynamic_partitions_store=instance)
    except AssettuiError as exc:
        fail(str(exc), 2)
    run_id = launcher.launch(
        keys,
        partition_key=partition,
        partition_range=prange,
        tags=tag_map,
        run_config=run_config,
        check_keys=checks,
    )
    click.echo(f"Launched run {run_id} ({len(keys)} assets)", err=True)

    def on_signal(signum: int, frame: Any) -> None:
        click.echo(f"\nCanceling run {run_id}...", err=True)
        launcher.cancel(run_id)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
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
    }


def _storage(project: str | None, module: str | None, home: str | None) -> Storage:
    target = resolve_target(project, module)
    return Storage(resolve_home(target, home))


@click.command()
@project_options
@click.option("--limit", default=20, show_default=True, help="How many runs, newest first.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
def runs(
    project: str | None, module: str | None, home: str | None, limit: int, as_json: bool
) -> None:
    """List runs, newest first."""
    storage = _storage(project, module, home)
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
        click.echo(
            f"{r.run_id[:8]}  {r.status.value:<9} {start}  {took:>7}  "
            f"{data['partition'] or '':<12} {sel}"
        )


@click.command()
@project_options
@click.argument("run_id")
@click.option("--follow", "-f", is_flag=True, help="Keep printing until the run finishes.")
@click.option(
    "--level",
    type=click.Choice(LEVELS, case_sensitive=False),
    default=None,
    help="Only records at this level or above.",
)
@click.option("--step", default=None, help="Only this step's records.")
def logs(
    project: str | None,
    module: str | None,
    home: str | None,
    run_id: str,
    follow: bool,
    level: str | None,
    step: str | None,
) -> None:
    """Print a run's log (RUN_ID or 'latest'); --follow tails it live."""
    storage = _storage(project, module, home)
    run_id = _resolve_run_id(storage, run_id)
    stream_run(storage, run_id, follow=follow, level=level, step=step)


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
@click.argument("run_id")
def cancel(project: str | None, module: str | None, home: str | None, run_id: str) -> None:
    """Cancel a run (terminate its worker, then kill it after a grace period)."""
    from assettui.execution.launcher import RunLauncher

    target = resolve_target(project, module)
    launcher = RunLauncher(resolve_home(target, home), target)
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
