"""Commands about the project itself: ``validate`` and ``list``."""

from __future__ import annotations

import json

import click

from assettui.cli.common import fail, load, project_options, resolve_target
from assettui.errors import AssettuiError
from assettui.model.asset_graph import AssetGraph
from assettui.model.definitions import defs_summary
from assettui.project import LoadFailure, load_project


@click.command()
@project_options
def validate(project: str | None, module: str | None, home: str | None) -> None:
    """Load the project and check its definitions; exit 0 if they are valid."""
    target = resolve_target(project, module)
    result = load_project(target)
    if isinstance(result, LoadFailure):
        fail(result.describe())
        return
    s = defs_summary(result.defs)
    click.echo(
        f"ok: {target.display_name}: {_count(s['assets'], 'asset')} in "
        f"{_count(s['groups'], 'group')}, {_count(s['checks'], 'check')}, "
        f"{_count(s['jobs'], 'job')}, {_count(s['schedules'], 'schedule')}, "
        f"{_count(s['sensors'], 'sensor')} (loaded in {result.seconds * 1000:.0f} ms)"
    )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _partitions_label(node_def: object) -> str:
    if node_def is None:
        return ""
    describe = getattr(node_def, "describe", None)
    if callable(describe):
        return str(describe())
    return type(node_def).__name__


def asset_rows(graph: AssetGraph, keys: list) -> list[dict]:
    rows = []
    for key in keys:
        node = graph.get(key)
        rows.append(
            {
                "key": key.to_user_string(),
                "group": node.group_name,
                "kinds": sorted(node.kinds),
                "partitions": _partitions_label(node.partitions_def) or None,
                "deps": sorted(p.to_user_string() for p in node.parent_keys),
                "checks": sorted(c.name for c in node.check_keys),
                "external": node.is_external,
            }
        )
    return rows


@click.command("list")
@project_options
@click.option(
    "--select", "select", default=None, help='Selection, e.g. \'group:"raw"\' or "+key:orders".'
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
def list_assets(
    project: str | None, module: str | None, home: str | None, select: str | None, as_json: bool
) -> None:
    """List the project's assets (key, group, kinds, partitions, deps)."""
    ctx = load(project, module, home)
    graph = ctx.defs.resolve_asset_graph()
    keys = graph.toposorted_asset_keys
    if select:
        from assettui.model.selection.asset_selection import AssetSelection

        try:
            chosen = AssetSelection.from_string(select).resolve(graph)
        except AssettuiError as exc:
            fail(str(exc), 2)
            return
        keys = [k for k in keys if k in chosen]
    rows = asset_rows(graph, keys)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("(no assets)")
        return
    width = max(len(r["key"]) for r in rows)
    gwidth = max(len(r["group"]) for r in rows)
    for r in rows:
        extras = []
        if r["kinds"]:
            extras.append(",".join(r["kinds"]))
        if r["partitions"]:
            extras.append(r["partitions"])
        if r["external"]:
            extras.append("external")
        deps = ", ".join(r["deps"]) if r["deps"] else "-"
        click.echo(
            f"{r['key']:<{width}}  {r['group']:<{gwidth}}  {'; '.join(extras) or '-':<24}  <- {deps}"
        )


COMMANDS = [validate, list_assets]
