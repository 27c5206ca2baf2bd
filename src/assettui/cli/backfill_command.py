"""``assettui backfill``: submit a backfill and drive it in the foreground (or detach)."""

from __future__ import annotations

import signal
import sys
import time
from collections.abc import Sequence
from typing import Any

import click

from assettui.cli.common import ProjectContext, fail, load, project_options
from assettui.errors import AssettuiError

POLL_SECONDS = 0.2


def _selected_keys(graph: Any, select: str) -> list[Any]:
    from assettui.model.selection.asset_selection import AssetSelection

    if select.strip() == "*":
        keys = set(graph.materializable_asset_keys)
    else:
        try:
            resolved = AssetSelection.from_string(select).resolve(graph)
        except AssettuiError as exc:
            fail(str(exc), 2)
            raise
        keys = {k for k in resolved if graph.get(k).is_materializable}
    if not keys:
        fail(f"The selection {select!r} matches no materializable asset.", 2)
    return graph.toposort(keys)


def _partition_keys(
    graph: Any,
    keys: Sequence[Any],
    from_key: str | None,
    to_key: str | None,
    partitions: str | None,
    store: Any,
) -> list[str]:
    """The requested partitions of the anchor definition (a range, a list, or all)."""
    from assettui.automation.backfill_plan import anchor_partitions_def
    from assettui.model.partitions.definitions import PartitionKeyRange

    try:
        wanted = [k for k in (from_key, to_key) if k]
        if partitions:
            wanted = [p.strip() for p in partitions.split(",") if p.strip()]
        anchor = anchor_partitions_def(graph, keys, wanted, store)
        if partitions is not None:
            if from_key or to_key:
                fail("Give either --partitions or --from/--to, not both.", 2)
            return [p.strip() for p in partitions.split(",") if p.strip()]
        all_keys = anchor.get_partition_keys(dynamic_partitions_store=store)
        if not all_keys:
            fail(f"{anchor} has no partitions yet; there is nothing to backfill.", 2)
        start = from_key or all_keys[0]
        end = to_key or all_keys[-1]
        found = anchor.get_partition_keys_in_range(
            PartitionKeyRange(start, end), dynamic_partitions_store=store
        )
    except AssettuiError as exc:
        fail(str(exc), 2)
        raise
    if not found:
        fail(f"--from {start} comes after --to {end}; there is nothing to backfill.", 2)
    return list(found)


def _job_partition_keys(
    job: Any, from_key: str | None, to_key: str | None, partitions: str | None, store: Any
) -> list[str]:
    """The partitions of a job's backfill: a list, a range, or all of them."""
    from assettui.model.partitions.definitions import PartitionKeyRange

    if partitions is not None:
        if from_key or to_key:
            fail("Give either --partitions or --from/--to, not both.", 2)
        return [p.strip() for p in partitions.split(",") if p.strip()]
    pdef = job.partitions_def
    if pdef is None:
        fail(f"Job {job.name!r} is not partitioned, so it cannot be backfilled.", 2)
    try:
        all_keys = pdef.get_partition_keys(dynamic_partitions_store=store)
        if not all_keys:
            fail(f"Job {job.name!r} has no partitions yet; there is nothing to backfill.", 2)
        found = pdef.get_partition_keys_in_range(
            PartitionKeyRange(from_key or all_keys[0], to_key or all_keys[-1]),
            dynamic_partitions_store=store,
        )
    except AssettuiError as exc:
        fail(str(exc), 2)
        raise
    return list(found)


def _print_plan(plan: Any) -> None:
    click.echo(f"{len(plan.runs)} runs would be launched:")
    for index, run in enumerate(plan.runs):
        after = f"  (after run {', '.join(str(i + 1) for i in run.after)})" if run.after else ""
        assets = ", ".join(k.to_user_string() for k in run.asset_keys)
        click.echo(f"run {index + 1}: {run.label}: {assets}{after}")
    click.echo("asset partitions:")
    for key, partition in plan.asset_partitions():
        click.echo(f"  {key.to_user_string()} {partition if partition is not None else '-'}")


def _line(progress: Any) -> str:
    width = 30
    filled = int(width * progress.finished / progress.total) if progress.total else width
    return (
        f"[{'#' * filled}{'.' * (width - filled)}] {progress.finished}/{progress.total} runs: "
        f"{progress.done} done, {progress.failed} failed, {progress.in_progress} running, "
        f"{progress.queued} queued" + (f", {progress.blocked} skipped" if progress.blocked else "")
    )


@click.command()
@project_options
@click.option("--select", "select", default=None, help="Assets to backfill ('*': all).")
@click.option("--job", "job_name", default=None, help="Backfill this partitioned job instead.")
@click.option("--from", "from_key", default=None, help="First partition (default: the first).")
@click.option("--to", "to_key", default=None, help="Last partition, included (default: last).")
@click.option("--partitions", default=None, help="A comma-separated list instead of a range.")
@click.option("--missing-only", is_flag=True, help="Only asset partitions never materialized.")
@click.option("--failed-only", is_flag=True, help="Only failed and missing asset partitions.")
@click.option("--dry-run", is_flag=True, help="List what would run; launch nothing.")
@click.option("--detach", is_flag=True, help="Only submit it; the scheduler drives it.")
@click.option(
    "--max-concurrent",
    type=click.IntRange(min=1),
    default=4,
    show_default=True,
    help="At most this many of its runs at once.",
)
def backfill(
    project: str | None,
    module: str | None,
    home: str | None,
    select: str | None,
    job_name: str | None,
    from_key: str | None,
    to_key: str | None,
    partitions: str | None,
    missing_only: bool,
    failed_only: bool,
    dry_run: bool,
    detach: bool,
    max_concurrent: int,
) -> None:
    """Backfill the selected assets (or a partitioned job) over a partition range, one run
    per partition.

    Runs in the foreground with a progress line until the backfill ends; exits 0 only if
    every run succeeded. Run again with the same arguments to resume an unfinished backfill
    (after a crash or Ctrl-C of a detached one); its done partitions are not run again.
    """
    from assettui.automation import backfill as engine
    from assettui.storage.instance import DagsterInstance
    from assettui.storage.instance_storage import Storage

    if missing_only and failed_only:
        fail("Give --missing-only or --failed-only, not both.", 2)
    policy = "missing" if missing_only else "failed_and_missing" if failed_only else "all"
    if (select is None) == (job_name is None):
        fail("Give --select ASSETS or --job NAME (one of them).", 2)
    ctx = load(project, module, home)
    graph = ctx.defs.resolve_asset_graph()
    storage = Storage(ctx.home)
    store = DagsterInstance(storage)
    if job_name is not None:
        try:
            job = ctx.defs.resolve_job_def(job_name)
        except AssettuiError as exc:
            fail(str(exc), 2)
            raise
        if job.graph_def is not None:
            if missing_only or failed_only or dry_run:
                fail("An op job backfill runs every given partition: drop --missing-only, "
                     "--failed-only and --dry-run.", 2)  # fmt: skip
            keys_of_job = _job_partition_keys(job, from_key, to_key, partitions, store)
            try:
                job_backfill = engine.submit_job_backfill(
                    storage, job, keys_of_job, max_concurrent=max_concurrent
                )
            except AssettuiError as exc:
                fail(str(exc), 2)
                raise
            click.echo(
                f"Backfill {job_backfill}: {len(keys_of_job)} runs of job {job.name}.", err=True
            )
            if detach:
                click.echo(job_backfill)
                return
            sys.exit(_drive_in_foreground(ctx, storage, job_backfill))
        select = " or ".join(f'key:"{k.to_user_string()}"' for k in sorted(job.asset_keys))
    assert select is not None
    keys = _selected_keys(graph, select)
    partition_keys = _partition_keys(graph, keys, from_key, to_key, partitions, store)
    backfill_id = None if dry_run else engine.find_unfinished_backfill(
        storage, keys, partition_keys, policy
    )  # fmt: skip
    if backfill_id is not None:
        click.echo(f"Resuming unfinished backfill {backfill_id}.", err=True)
    else:
        try:
            plan = engine.plan_for(storage, graph, keys, partition_keys, policy=policy)
        except AssettuiError as exc:
            fail(str(exc), 2)
            raise
        if dry_run:
            _print_plan(plan)
            return
        if not plan.runs:
            click.echo("Nothing to backfill: no selected asset partition needs a run.", err=True)
            return
        backfill_id = engine.submit_backfill(
            storage, graph, keys, partition_keys, policy=policy, max_concurrent=max_concurrent,
            plan=plan,
        )  # fmt: skip
        click.echo(
            f"Backfill {backfill_id}: {len(plan.runs)} runs over {len(partition_keys)} "
            f"partitions of {len(keys)} assets.",
            err=True,
        )
    if detach:
        click.echo(backfill_id)
        return
    sys.exit(_drive_in_foreground(ctx, storage, backfill_id))


def _drive_in_foreground(ctx: ProjectContext, storage: Any, backfill_id: str) -> int:
    from assettui.automation import backfill as engine
    from assettui.automation.run_queue import RunQueue
    from assettui.execution.launcher import QueuedRunLauncher, RunLauncher, monitor_runs

    launcher = RunLauncher(ctx.home, ctx.target, storage)
    # The backfill queues its runs; the run queue starts them within the instance's limits,
    # as the scheduler does.
    queue = RunQueue(storage, QueuedRunLauncher(launcher))
    interactive = sys.stderr.isatty()

    def on_signal(signum: int, frame: Any) -> None:
        click.echo(f"\nCanceling backfill {backfill_id}...", err=True)
        engine.cancel_backfill(storage, backfill_id, launcher)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    last = ""
    while True:
        progress = engine.drive_backfill(storage, backfill_id, launcher)
        if queue.launch_queued_runs():
            progress = engine.get_backfill_progress(storage, backfill_id)
        line = _line(progress)
        if line != last:
            click.echo(("\r" + line) if interactive else line, err=True, nl=not interactive)
            last = line
        if progress.is_finished:
            break
        monitor_runs(storage)  # a worker that died must not keep the backfill waiting
        time.sleep(POLL_SECONDS)
    if interactive:
        click.echo("", err=True)
    deadline = time.monotonic() + 10  # let our workers exit, so none is left behind
    while any(launcher.is_running(r.run_id) for r in _open_runs(storage, backfill_id)):
        if time.monotonic() > deadline:
            break
        time.sleep(0.05)
    record = storage.backfills.get_backfill(backfill_id)
    status = progress.status.value
    click.echo(f"Backfill {backfill_id} {status}" + (f": {record.error}" if record and record.error else ""), err=True)  # fmt: skip
    return 0 if progress.status.value == "COMPLETED" else 1


def _open_runs(storage: Any, backfill_id: str) -> list[Any]:
    from assettui.model.records.runs import RunsFilter

    return [
        r for r in storage.runs.list_runs(RunsFilter(backfill_id=backfill_id)) if r.pid is not None
    ]


COMMANDS = [backfill]
