"""Loading: importing the package, and loading + validating generated projects.

"load + validate" is what a code location does at start-up and on every reload: import the
definitions file (which builds every asset) and resolve the asset graph. For assettui that is
``load_project(find_project(path))`` (import, find ``defs``, validate) plus the graph; for
Dagster ``Definitions.validate_loadable(defs)`` plus ``defs.resolve_asset_graph()`` (or
``get_asset_graph()`` on versions before it). The package itself is imported before the
clock starts; its import is the separate "import package" row.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from benchmarks.generate import build_shape, project_dir, write_pair
from benchmarks.measurements import ASSETTUI, Context, Measurement, timed_script

SHAPES = ("layered", "chain", "fan")
SIZES = (500, 1_000, 5_000)
QUICK_SIZES = (50,)
GOALS = {5_000: "< 1.0 s"}
IMPORT_GOAL = "< 150 ms"


def _import_script(context: Context) -> str:
    return timed_script("", f"import {context.tool}")


def _assettui_load(path: Path, count: int) -> str:
    return timed_script(
        setup="""
        import sys
        import assettui.project
        """,
        timed=f"""
        result = assettui.project.load_project(assettui.project.find_project({str(path)!r}))
        if not result.ok:
            sys.exit(result.describe())
        graph = result.defs.resolve_asset_graph()
        """,
        check=f"assert len(graph.all_asset_keys) == {count}, len(graph.all_asset_keys)",
    )


def _dagster_load(path: Path, count: int) -> str:
    return timed_script(
        setup=f"""
        import importlib.util
        import sys
        import dagster as dg
        sys.path.insert(0, {str(path.parent)!r})
        """,
        timed=f"""
        spec = importlib.util.spec_from_file_location("definitions", {str(path)!r})
        module = importlib.util.module_from_spec(spec)
        sys.modules["definitions"] = module
        spec.loader.exec_module(module)
        defs = module.defs
        dg.Definitions.validate_loadable(defs)
        resolve = getattr(defs, "resolve_asset_graph", None) or defs.get_asset_graph
        graph = resolve()
        """,
        check=f"""
        keys = graph.get_all_asset_keys() if hasattr(graph, "get_all_asset_keys") else graph.all_asset_keys
        assert len(keys) == {count}, len(keys)
        """,
    )


def _load_script(shape: str, size: int, context: Context) -> str:
    path = project_dir(context.workdir, shape, size, context.tool) / "definitions.py"
    count = build_shape(shape, size).asset_count
    if context.tool == ASSETTUI:
        return _assettui_load(path, count)
    return _dagster_load(path, count)


def _prepare(shape: str, size: int, workdir: Path) -> None:
    write_pair(shape, size, workdir)


def load_measurement(shape: str, size: int) -> Measurement:
    """The "load + validate" row for one generated project."""
    return Measurement(
        name=f"load + validate {shape} {size:,}",
        script=partial(_load_script, shape, size),
        goal=GOALS.get(size, ""),
        prepare=partial(_prepare, shape, size),
    )


IMPORT_PACKAGE = Measurement(name="import package", script=_import_script, goal=IMPORT_GOAL)

MEASUREMENTS = [
    IMPORT_PACKAGE,
    *(load_measurement(shape, size) for size in SIZES for shape in SHAPES),
]
QUICK_MEASUREMENTS = [
    IMPORT_PACKAGE,
    *(load_measurement(shape, size) for size in QUICK_SIZES for shape in SHAPES),
]
