"""Op jobs: ``JobDefinition.execute_in_process`` of a 200-op job, the same code for both.

A chain of 200 trivial ops (one op aliased 199 times), run in process with a persistent
SQLite instance: the figure is the engine's per-op overhead (planning, inputs and outputs
through the in-memory IO manager, every event stored).
"""

from __future__ import annotations

from benchmarks.measurements import ASSETTUI, Context, Measurement, timed_script

OPS = 200


def _script(context: Context) -> str:
    module = "assettui" if context.tool == ASSETTUI else "dagster"
    instance = (
        'dg.DagsterInstance.from_home(tempfile.mkdtemp(prefix="bench-"))'
        if context.tool == ASSETTUI
        else "dg.DagsterInstance.local_temp()"
    )
    return timed_script(
        setup=f"""
        import tempfile
        import {module} as dg

        @dg.op
        def start() -> int:
            return 0

        @dg.op
        def step(x: int) -> int:
            return x + 1

        @dg.job
        def chain():
            value = start()
            for i in range({OPS - 1}):
                value = step.alias(f"step_{{i}}")(value)

        instance = {instance}
        """,
        timed="result = chain.execute_in_process(instance=instance)",
        check=f"""
        assert result.success
        assert result.output_for_node("step_{OPS - 2}") == {OPS - 1}
        """,
    )


MEASUREMENTS = [
    Measurement(name=f"execute_in_process of a {OPS}-op job", script=_script, goal="< 200 ms")
]
QUICK_MEASUREMENTS = MEASUREMENTS
