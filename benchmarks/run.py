"""The benchmark harness: ``python -m benchmarks.run [--quick] [--only TEXT] [--json FILE]``.

Every measurement of every module in ``benchmarks/measurements/`` runs in a fresh
subprocess per tool and repetition — assettui in this interpreter (``sys.executable``),
Dagster in ``.venv-dagster/bin/python`` when ``make bench-dagster`` has created it — with
the tools interleaved (A B A B ...) so that machine drift hits both alike. The median of the
repetitions is reported in one table: measurement | assettui | dagster | ratio | goal.
Figures are seconds unless the measurement names another unit (e.g. ``"MB"`` of memory).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import pkgutil
import re
import statistics
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks import measurements as measurements_package
from benchmarks.measurements import ASSETTUI, DAGSTER, Context, Measurement

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_WORKDIR = ROOT / "benchmarks" / "generated"
DEFAULT_DAGSTER_PYTHON = ROOT / ".venv-dagster" / "bin" / "python"
NO_DAGSTER = "n/a (make bench-dagster)"
HEADERS = ("measurement", "assettui", "dagster", "ratio (dagster/assettui)", "goal")


@dataclass(frozen=True)
class Sample:
    """One repetition's outcome: the figure it measured (in its row's unit), or why it failed."""

    value: float | None = None
    error: str | None = None


@dataclass
class Result:
    """A measurement's figures: the samples per tool (or the error that stopped them)."""

    name: str
    goal: str
    tools: tuple[str, ...]
    unit: str = "s"
    samples: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def median(self, tool: str) -> float | None:
        values = self.samples.get(tool)
        return statistics.median(values) if values and tool not in self.errors else None

    def ratio(self) -> float | None:
        ours, theirs = self.median(ASSETTUI), self.median(DAGSTER)
        return theirs / ours if ours and theirs is not None else None

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "goal": self.goal,
            "unit": self.unit,
            "goal_met": goal_met(self.goal, self.median(ASSETTUI), self.unit),
            "ratio": self.ratio(),
            **{
                tool: {
                    "median": self.median(tool),
                    "samples": self.samples.get(tool, []),
                    "error": self.errors.get(tool),
                }
                for tool in self.tools
            },
        }


def discover(quick: bool) -> list[Measurement]:
    """Every module's ``MEASUREMENTS`` (``QUICK_MEASUREMENTS`` when ``quick``), by module name."""
    found: list[Measurement] = []
    for info in sorted(pkgutil.iter_modules(measurements_package.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{measurements_package.__name__}.{info.name}")
        found += getattr(module, "QUICK_MEASUREMENTS" if quick else "MEASUREMENTS", [])
    return found


def measurement_env() -> dict[str, str]:
    """The environment of measured processes: this one, with bytecode caching on.

    A developer's machine caches compiled modules (``__pycache__``); an inherited
    ``PYTHONDONTWRITEBYTECODE`` would make both tools recompile the generated projects on
    every run and measure the compiler instead.
    """
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run_script(python: str, script: str, timeout: float) -> Sample:
    """Run ``script`` with ``python -c`` in a fresh process; its last stdout line is the figure."""
    try:
        done = subprocess.run(
            [python, "-c", script],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=measurement_env(),
        )
    except subprocess.TimeoutExpired:
        return Sample(error=f"timeout after {timeout:g} s")
    except OSError as exc:
        return Sample(error=f"cannot start {python}: {exc}")
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines() or [f"exit code {done.returncode}"]
        return Sample(error=lines[-1].strip())
    try:
        return Sample(value=float(done.stdout.strip().splitlines()[-1]))
    except (IndexError, ValueError):
        return Sample(error=f"no figure in the output: {done.stdout.strip()[-200:]!r}")


def measure(
    measurement: Measurement,
    pythons: dict[str, str],
    workdir: Path,
    repeat: int,
    warmup: bool,
    timeout: float,
) -> Result:
    """Run ``measurement`` ``repeat`` times per available tool, interleaving the tools."""
    tools = tuple(t for t in measurement.tools if t in pythons)
    result = Result(measurement.name, measurement.goal, measurement.tools, measurement.unit)
    if measurement.prepare is not None:
        measurement.prepare(workdir)
    scripts = {t: measurement.script(Context(t, workdir)) for t in tools}
    # the warm-up run fills bytecode caches, so every counted run starts alike
    for index in range(-1 if warmup else 0, repeat):
        for tool in tools:
            if tool in result.errors:
                continue  # a tool that failed once (e.g. a RecursionError) fails every time
            sample = run_script(pythons[tool], scripts[tool], timeout)
            if sample.error is not None:
                result.errors[tool] = sample.error
            elif index >= 0 and sample.value is not None:
                result.samples.setdefault(tool, []).append(sample.value)
    return result


def format_seconds(seconds: float) -> str:
    """Three significant figures: ``0.0123`` -> ``12.3 ms``; ``4.5`` -> ``4.50 s``."""
    value, unit = (seconds, "s") if seconds >= 1 else (seconds * 1000, "ms")
    if unit == "ms" and value < 1:
        value, unit = value * 1000, "µs"
    digits = 0 if value >= 100 else 1 if value >= 10 else 2
    return f"{value:.{digits}f} {unit}"


def format_value(value: float, unit: str) -> str:
    """A figure in its unit: seconds as :func:`format_seconds`, others to three figures."""
    if unit == "s":
        return format_seconds(value)
    digits = 0 if abs(value) >= 100 else 1 if abs(value) >= 10 else 2
    return f"{value:.{digits}f} {unit}"


_GOAL = re.compile(r"^\s*<\s*([0-9.]+)\s*(\S+)\s*$")
_TIME_UNITS = {"s": 1.0, "ms": 1e-3}


def goal_met(goal: str, value: float | None, unit: str = "s") -> bool | None:
    """Whether ``value`` (in ``unit``) meets a ``"< N <unit>"`` goal; None if it cannot be told.

    Seconds also meet ``"< N ms"`` goals; any other unit must be the goal's own.
    """
    match = _GOAL.match(goal)
    if match is None or value is None:
        return None
    limit, goal_unit = float(match.group(1)), match.group(2)
    if unit in _TIME_UNITS and goal_unit in _TIME_UNITS:
        return value * _TIME_UNITS[unit] < limit * _TIME_UNITS[goal_unit]
    return value < limit if goal_unit == unit else None


def _cell(result: Result, tool: str, dagster_available: bool) -> str:
    if tool not in result.tools:
        return "n/a"
    if tool == DAGSTER and not dagster_available:
        return NO_DAGSTER
    if tool in result.errors:
        error = result.errors[tool]
        return f"failed: {error if len(error) <= 60 else error[:57] + '...'}"
    median = result.median(tool)
    return format_value(median, result.unit) if median is not None else "n/a"


def table_rows(results: Sequence[Result], dagster_available: bool) -> list[tuple[str, ...]]:
    """The table's cells, one tuple per result (without the header)."""
    rows: list[tuple[str, ...]] = []
    for result in results:
        ratio = result.ratio()
        if DAGSTER in result.tools and not dagster_available:
            ratio_cell = NO_DAGSTER
        else:
            ratio_cell = f"{ratio:.1f}x" if ratio is not None else "n/a"
        met = goal_met(result.goal, result.median(ASSETTUI), result.unit)
        goal = result.goal + {True: " (met)", False: " (MISSED)", None: ""}[met]
        rows.append(
            (
                result.name,
                _cell(result, ASSETTUI, dagster_available),
                _cell(result, DAGSTER, dagster_available),
                ratio_cell,
                goal,
            )
        )
    return rows


def format_table(results: Sequence[Result], dagster_available: bool) -> str:
    """The results as an aligned, Markdown-compatible table."""
    rows = [HEADERS, *table_rows(results, dagster_available)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADERS))]
    lines = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
        for row in rows
    ]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def tool_version(python: str, package: str) -> str:
    """``package``'s installed version as seen by ``python`` (``"?"`` if unknown)."""
    script = f"import importlib.metadata as m, sys; print(m.version({package!r}), sys.version.split()[0])"
    done = subprocess.run([python, "-c", script], capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        return "?"
    version, python_version = done.stdout.split()
    return f"{version} (Python {python_version})"


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--quick", action="store_true", help="small sizes, one repetition, no warm-up"
    )
    parser.add_argument(
        "--only",
        metavar="SUBSTRING",
        help="run only rows whose name contains this (or one of several, split by |)",
    )
    parser.add_argument("--json", metavar="FILE", type=Path, help="also write the results as JSON")
    parser.add_argument(
        "--repeat", type=int, help="repetitions per tool (default 5; 1 with --quick)"
    )
    parser.add_argument(
        "--workdir", type=Path, default=DEFAULT_WORKDIR, help="where generated projects go"
    )
    parser.add_argument(
        "--dagster-python",
        type=Path,
        default=DEFAULT_DAGSTER_PYTHON,
        help="the interpreter with dagster",
    )
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds allowed per run")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None, log: Callable[[str], None] | None = None) -> int:
    """Run the benchmarks, print the table; returns 1 if an assettui figure failed."""
    args = _parse(argv)
    log = log or (lambda line: print(line, file=sys.stderr, flush=True))
    repeat = args.repeat or (1 if args.quick else 5)
    wanted = (args.only or "").lower().split("|")
    pythons = {ASSETTUI: sys.executable}
    if args.dagster_python.is_file():
        pythons[DAGSTER] = str(args.dagster_python)
    dagster_available = DAGSTER in pythons

    selected = [m for m in discover(args.quick) if any(w in m.name.lower() for w in wanted)]
    args.workdir.mkdir(parents=True, exist_ok=True)
    results: list[Result] = []
    for number, measurement in enumerate(selected, 1):
        log(f"[{number}/{len(selected)}] {measurement.name} ...")
        results.append(
            measure(measurement, pythons, args.workdir, repeat, not args.quick, args.timeout)
        )

    versions = {tool: tool_version(python, tool) for tool, python in pythons.items()}
    described = " vs ".join(f"{tool} {versions[tool]}" for tool in pythons)
    print(f"{described}; median of {repeat} run(s) per tool, interleaved")
    if not dagster_available:
        print(f"Dagster: {NO_DAGSTER} (looked for {args.dagster_python})")
    print(format_table(results, dagster_available))
    if args.json:
        payload = {
            "quick": args.quick,
            "repeat": repeat,
            "tools": {t: {"python": p, "version": versions[t]} for t, p in pythons.items()},
            "results": [r.to_json() for r in results],
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
    return 1 if any(ASSETTUI in r.errors for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
