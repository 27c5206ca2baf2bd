"""Execution: ``materialize()`` of generated projects with a persistent SQLite instance.

The figure is the whole call (planning, every step, IO manager writes, every event stored);
the assets themselves are trivial, so it is the engine's overhead. The goal is 1 ms per
asset. Dagster runs the same generated code with ``DagsterInstance.local_temp()`` (its
persistent SQLite instance in a temporary folder).
"""

from __future__ import annotations

from functools import partial

from benchmarks.generate import build_shape, project_dir, write_pair
from benchmarks.measurements import ASSETTUI, Context, Measurement, timed_script

CASES = (("chain", 50), ("fan", 200), ("layered", 500))
QUICK_CASES = (("chain", 50),)


def _script(shape: str, size: int, context: Context) -> str:
    path = project_dir(context.workdir, shape, size, context.tool) / "definitions.py"
    count = build_shape(shape, size).asset_count
    load = f"""
        import importlib.util, sys, tempfile
        sys.setrecursionlimit(20000)
        sys.path.insert(0, {str(path.parent)!r})
        spec = importlib.util.spec_from_file_location("definitions", {str(path)!r})
        module = importlib.util.module_from_spec(spec)
        sys.modules["definitions"] = module
        spec.loader.exec_module(module)
        assets = list(module.defs.assets)
    """
    if context.tool == ASSETTUI:
        setup = (
            load
            + """
        import assettui as dg
        instance = dg.DagsterInstance.from_home(tempfile.mkdtemp(prefix="bench-"))
        """
        )
    else:
        setup = (
            load
            + """
        import dagster as dg
        instance = dg.DagsterInstance.local_temp()
        """
        )
    return timed_script(
        setup=setup,
        timed="result = dg.materialize(assets, instance=instance)",
        check=f"""
        assert result.success
        assert len(result.get_asset_materialization_events()) == {count}
        """,
    )


def materialize_measurement(shape: str, size: int) -> Measurement:
    return Measurement(
        name=f"materialize {shape} {size} (persistent instance)",
        script=partial(_script, shape, size),
        goal=f"< {size} ms",
        prepare=lambda workdir: write_pair(shape, size, workdir),
    )


MEASUREMENTS = [materialize_measurement(shape, size) for shape, size in CASES]
QUICK_MEASUREMENTS = [materialize_measurement(shape, size) for shape, size in QUICK_CASES]
