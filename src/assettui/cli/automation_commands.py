"""``assettui daemon`` (the scheduler, headless) and ``assettui automation ...``."""

from __future__ import annotations

import signal
from datetime import UTC, datetime
from typing import Any

import click

from assettui.cli.common import ProjectContext, ProjectFirstGroup, fail, load, project_options
from assettui.errors import AssettuiError


def _now(value: str | None) -> datetime:
    if not value:
        return datetime.now(UTC)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        fail(f"--now takes an ISO time like 2026-03-01T06:00:00+00:00; got {value!r}.", 2)
        raise
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def build_scheduler(ctx: ProjectContext, clock: Any = None, definitions: Any = None) -> Any:
    from assettui.automation.scheduler import Scheduler
    from assettui.execution.launcher import QueuedRunLauncher, RunLauncher

    launcher = RunLauncher(ctx.home, ctx.target)
    return Scheduler(
        launcher.storage,
        definitions if definitions is not None else ctx.defs,
        QueuedRunLauncher(launcher),
        clock=clock,
    )


def _report(report: Any) -> None:
    requested = len(report.requested_run_ids)
    launched = len(report.launched_run_ids)
    ticks = len(report.schedule_ticks) + len(report.sensor_ticks)
    line = f"pass at {report.now.isoformat()}: {ticks} ticks, {requested} runs requested, {launched} launched"
    click.echo(line)
    for stage, error in report.errors:
        click.echo(f"  error in {stage}: {error.strip().splitlines()[-1]}", err=True)


@click.command()
@project_options
@click.option("--once", is_flag=True, help="Run exactly one pass and exit.")
@click.option("--now", "now", default=None, help="With --once: the pass's time (ISO 8601).")
@click.option(
    "--wait/--no-wait", default=True, help="With --once: wait for the runs it launched to finish."
)
def daemon(
    project: str | None,
    module: str | None,
    home: str | None,
    once: bool,
    now: str | None,
    wait: bool,
) -> None:
    """Run schedules, sensors, automation and the run queue headless (Ctrl-C stops)."""
    from assettui.automation.clock import ManualClock
    from assettui.automation.scheduler import SchedulerThread
    from assettui.project import LoadFailure, load_project
    from assettui.project.watcher import ProjectWatcher

    ctx = load(project, module, home)
    if once:
        scheduler = build_scheduler(ctx, clock=ManualClock(_now(now)) if now else None)
        report = scheduler.run_once()
        _report(report)
        if wait and report.launched_run_ids:
            from assettui.execution.launcher import RunLauncher

            launcher = RunLauncher(ctx.home, ctx.target, scheduler.storage)
            for run_id in report.launched_run_ids:
                run = launcher.wait(run_id, timeout=600)
                click.echo(f"run {run_id} {run.status.value if run else 'UNKNOWN'}")
        return
    # The project reloads on save, as in the UI; a save that does not load keeps the last
    # definitions that did. Run workers always import the project afresh.
    current = {"defs": ctx.defs}

    def reload(paths: set[str]) -> None:
        result = load_project(ctx.target)
        if isinstance(result, LoadFailure):
            click.echo(
                "The project no longer loads; keeping the last definitions that did.\n"
                + result.describe(),
                err=True,
            )
            return
        current["defs"] = result.defs
        click.echo(f"definitions reloaded ({len(paths)} file(s) changed)")

    watcher = ProjectWatcher(ctx.target.source_dirs(), reload, ignore=[ctx.home])
    scheduler = build_scheduler(ctx, definitions=lambda: current["defs"])
    thread = SchedulerThread(
        scheduler, on_pass=lambda r: _report(r) if r.requested_run_ids or r.errors else None
    )
    click.echo(f"assettui daemon on {ctx.target.display_name} (instance {ctx.home}); Ctrl-C stops.")
    signal.signal(signal.SIGTERM, lambda *_: thread.stop())
    watcher.start()
    try:
        thread.run_forever()
    except KeyboardInterrupt:
        thread.stop()
    finally:
        watcher.stop()
    click.echo("daemon stopped.")


@click.group(cls=ProjectFirstGroup)
def automation() -> None:
    """Schedules and sensors: list, start, stop, reset-cursor."""


@automation.command("list")
@project_options
def automation_list(project: str | None, module: str | None, home: str | None) -> None:
    """List schedules and sensors with on/off, next tick and last tick status."""
    from assettui.automation.control import list_instigators
    from assettui.storage.instance_storage import Storage

    ctx = load(project, module, home)
    rows = list_instigators(Storage(ctx.home), ctx.defs, datetime.now(UTC))
    if not rows:
        click.echo("(no schedules or sensors)")
        return
    width = max(len(r.name) for r in rows)
    for r in rows:
        state = "on " if r.running else "off"
        upcoming = r.next_tick.isoformat() if r.next_tick else "-"
        last = r.last_tick_status.value if r.last_tick_status else "-"
        click.echo(f"{r.name:<{width}}  {r.kind:<8} {state}  next: {upcoming:<25}  last: {last}")


def _control(
    action: str, project: str | None, module: str | None, home: str | None, name: str | None
) -> None:
    from pathlib import Path

    from assettui.automation import control
    from assettui.storage.instance_storage import Storage

    if name is None:  # PROJECT is optional: a lone positional is the NAME
        if project is None or Path(project).is_dir() or project.endswith(".py"):
            fail("Name the schedule or sensor (see `assettui automation list`).", 2)
            raise SystemExit(2)
        name, project = str(project), None
    ctx = load(project, module, home)
    storage = Storage(ctx.home)
    try:
        if action == "start":
            control.start_instigator(storage, ctx.defs, name, datetime.now(UTC))
        elif action == "stop":
            control.stop_instigator(storage, ctx.defs, name)
        else:
            control.reset_cursor(storage, ctx.defs, name)
    except AssettuiError as exc:
        fail(str(exc), 2)
    click.echo(f"{name}: {action} done")


@automation.command("start")
@project_options
@click.argument("name", required=False)
def automation_start(
    project: str | None, module: str | None, home: str | None, name: str | None
) -> None:
    """Turn a schedule or sensor on."""
    _control("start", project, module, home, name)


@automation.command("stop")
@project_options
@click.argument("name", required=False)
def automation_stop(
    project: str | None, module: str | None, home: str | None, name: str | None
) -> None:
    """Turn a schedule or sensor off."""
    _control("stop", project, module, home, name)


@automation.command("reset-cursor")
@project_options
@click.argument("name", required=False)
def automation_reset(
    project: str | None, module: str | None, home: str | None, name: str | None
) -> None:
    """Clear a sensor's cursor."""
    _control("reset-cursor", project, module, home, name)


COMMANDS = [daemon, automation]
