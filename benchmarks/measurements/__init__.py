"""Benchmark measurements, one module per area (loading, storage, execution, ...).

Adding an area is dropping a module here. The harness (``python -m benchmarks.run``)
imports every module of this package and reads:

- ``MEASUREMENTS: list[Measurement]`` (required): the full-size measurements.
- ``QUICK_MEASUREMENTS: list[Measurement]`` (optional): small versions used by ``--quick``;
  a module without it contributes nothing to ``--quick``.

A :class:`Measurement` is a row of the table. For each tool it supports, the harness runs
``measurement.script(context)`` with ``python -c`` in a fresh interpreter of that tool (the
project's own Python for assettui, ``.venv-dagster/bin/python`` for Dagster), several times,
interleaving the tools, and reports the median. The script does its setup, times only the
part being measured, and prints the figure (a float, in seconds unless the measurement's
``unit`` says otherwise) as the last line of its stdout; a non-zero exit marks the figure as
failed with the last line of its stderr.
:func:`timed_script` writes that boilerplate. Measurement modules import only the standard
library at module level, since ``--quick`` and ``--only`` load them all.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ASSETTUI = "assettui"
DAGSTER = "dagster"
BOTH = (ASSETTUI, DAGSTER)


@dataclass(frozen=True)
class Context:
    """What a measurement's script and preparation may depend on.

    Attributes:
        tool: ``"assettui"`` or ``"dagster"``: the interpreter the script will run in.
        workdir: a directory for generated projects and scratch files (kept between runs,
            so generated files and their bytecode caches are reused).
    """

    tool: str
    workdir: Path


@dataclass(frozen=True)
class Measurement:
    """One row of the benchmark table.

    Attributes:
        name: the row's label; ``--only`` matches a substring of it.
        script: the Python source one repetition runs in a fresh interpreter, given the
            context (tool and workdir); prints the figure, in ``unit``, as its last stdout line.
        goal: the target shown in the goal column, e.g. ``"< 1.0 s"`` or ``"< 300 MB"``
            (``"< N <unit>"`` goals are checked against assettui's median; time goals may use
            ``s`` or ``ms``, other goals must use the row's unit); ``""`` for none.
        tools: the tools this row measures; rows with assettui alone show ``n/a`` for Dagster.
        prepare: run once in the harness before the first repetition (e.g. to write
            generated projects under ``workdir``); gets the workdir.
        unit: what the script's figure counts: ``"s"`` (seconds, shown as s/ms/µs) or any
            other label shown after the number, e.g. ``"MB"``.
    """

    name: str
    script: Callable[[Context], str]
    goal: str = ""
    tools: tuple[str, ...] = BOTH
    prepare: Callable[[Path], None] | None = None
    unit: str = "s"


def timed_script(setup: str, timed: str, check: str = "") -> str:
    """A script that runs ``setup``, times ``timed``, then runs ``check`` and prints the time.

    Args:
        setup: untimed code run first (imports, opening files).
        timed: the code whose wall-clock time is the figure.
        check: untimed code run after, to assert the timed code did its job.
    """
    parts = [
        "import time as _bench_time",
        textwrap.dedent(setup).strip(),
        "_bench_start = _bench_time.perf_counter()",
        textwrap.dedent(timed).strip(),
        "_bench_seconds = _bench_time.perf_counter() - _bench_start",
        textwrap.dedent(check).strip(),
        "print(_bench_seconds)",
    ]
    return "\n".join(p for p in parts if p) + "\n"
