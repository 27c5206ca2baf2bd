"""``assettui job list|execute``: jobs in the shape of ``dagster job list / execute``."""

from __future__ import annotations

import json

import click

from assettui.cli.common import ProjectFirstGroup, load, project_options
from assettui.cli.run_commands import execute_job, parse_tags


@click.group("job", cls=ProjectFirstGroup)
def job_group() -> None:
    """List the project's jobs, or execute one (asset jobs and op jobs)."""


@job_group.command("list")
@project_options
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
def list_jobs(project: str | None, module: str | None, home: str | None, as_json: bool) -> None:
    """List the project's jobs: name, kind (assets or ops), size and partitions."""
    ctx = load(project, module, home)
    rows: list[dict[str, object]] = []
    for job in ctx.defs.resolve_all_job_defs():
        if job.name.startswith("__"):
            continue
        op_job = job.is_op_job
        rows.append(
            {
                "name": job.name,
                "kind": "ops" if op_job else "assets",
                "size": len(job.graph_def.nodes) if op_job else len(job.asset_keys),
                "partitions": type(job.partitions_def).__name__ if job.partitions_def else None,
                "description": job.description,
            }
        )
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("(no jobs)")
        return
    width = max(len(str(r["name"])) for r in rows)
    for r in rows:
        unit = "ops" if r["kind"] == "ops" else "assets"
        extra = f"  {r['partitions']}" if r["partitions"] else ""
        click.echo(f"{r['name']:<{width}}  {r['size']} {unit}{extra}")


@job_group.command("execute")
@project_options
@click.option("-j", "--job", "job_name", required=True, help="The job to execute.")
@click.option(
    "-c",
    "--config",
    "config_file",
    default=None,
    type=click.Path(dir_okay=False),
    help="Run config YAML ({ops: {op_name: {config: {...}}}}).",
)
@click.option("--partition", default=None, help="The partition of a partitioned job.")
@click.option("--tag", "tags", multiple=True, help="A run tag key=value (repeatable).")
def execute(
    project: str | None,
    module: str | None,
    home: str | None,
    job_name: str,
    config_file: str | None,
    partition: str | None,
    tags: tuple[str, ...],
) -> None:
    """Execute a job in a worker process, streaming its log; exit 0 on success."""
    ctx = load(project, module, home)
    execute_job(ctx, job_name, config_file, partition, parse_tags(tags))


COMMANDS = [job_group]
