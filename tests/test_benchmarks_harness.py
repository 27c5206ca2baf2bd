"""The benchmark harness: generated projects load with the right graph, and the table prints.

No timing is asserted here, ever: figures depend on the machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assettui.project import find_project, load_project

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `benchmarks` is a top-level package beside `src/`
    sys.path.insert(0, str(ROOT))

from benchmarks import run  # noqa: E402
from benchmarks.generate import (  # noqa: E402
    SHAPES,
    build_shape,
    layer_width,
    render,
    write_pair,
    write_project,
)
from benchmarks.measurements import (  # noqa: E402
    ASSETTUI,
    DAGSTER,
    Context,
    Measurement,
    timed_script,
    ui,
)


def _expected_edges(shape: str, size: int, width: int) -> tuple[int, int]:
    """(minimum, maximum) edge count for a shape of ``size`` assets."""
    if shape == "chain":
        return size - 1, size - 1
    if shape == "fan":
        return 2 * (size - 2), 2 * (size - 2)
    later = size - width  # assets outside the first layer each have 2 or 3 parents
    return 2 * later, 3 * later


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("size", [5, 23])
def test_generated_project_loads_with_its_graph(tmp_path: Path, shape: str, size: int) -> None:
    made = write_project(shape, size, "assettui", tmp_path / shape)

    result = load_project(find_project(made.root))

    assert result.ok, result.describe()
    graph = result.defs.resolve_asset_graph()
    assert len(graph.all_asset_keys) == size
    edges = sum(len(graph.parents(key)) for key in graph.all_asset_keys)
    assert edges == made.shape.edge_count
    low, high = _expected_edges(shape, size, layer_width(size))
    assert low <= edges <= high
    assert len(graph.root_keys) == (layer_width(size) if shape == "layered" else 1)
    assert len(graph.group_names()) == len(made.shape.groups) == min(size, 10)


def test_layered_parents_come_from_the_previous_layer() -> None:
    shape = build_shape("layered", 50)
    width = layer_width(50)
    index = {a.name: i for i, a in enumerate(shape.assets)}
    for i, asset in enumerate(shape.assets[width:], start=width):
        assert len(asset.inputs) in (2, 3)
        assert {index[p] // width for p in asset.inputs} == {i // width - 1}


def test_generation_is_deterministic_and_variants_differ_only_in_the_import() -> None:
    first = render(build_shape("layered", 200), "assettui")
    again = render(build_shape("layered", 200), "assettui")
    dagster = render(build_shape("layered", 200), "dagster")

    assert first == again
    differing = [
        (a, b) for a, b in zip(first.splitlines(), dagster.splitlines(), strict=True) if a != b
    ]
    assert differing == [("import assettui as dg", "import dagster as dg")]
    assert first.rstrip().endswith("]\n)")


def test_a_different_seed_gives_a_different_layered_graph() -> None:
    assert build_shape("layered", 200, seed=1) != build_shape("layered", 200, seed=2)


def test_write_pair_writes_both_variants(tmp_path: Path) -> None:
    pair = write_pair("fan", 12, tmp_path)

    assert set(pair) == {ASSETTUI, DAGSTER}
    assert pair[DAGSTER].path.read_text().count("import dagster as dg") == 1
    assert pair[ASSETTUI].path.parent != pair[DAGSTER].path.parent


def test_unknown_shape_is_refused() -> None:
    with pytest.raises(ValueError, match="Unknown shape 'star'"):
        build_shape("star", 10)


def test_measure_runs_each_tool_in_a_fresh_process(tmp_path: Path) -> None:
    measurement = Measurement(
        name="sleepless",
        script=lambda ctx: timed_script("import sys", "x = sum(range(1000))", "assert x == 499500"),
    )
    # both "tools" are this interpreter: the test must not need .venv-dagster
    pythons = {ASSETTUI: sys.executable, DAGSTER: sys.executable}

    result = run.measure(measurement, pythons, tmp_path, repeat=2, warmup=True, timeout=60)

    assert result.errors == {}
    assert [len(result.samples[t]) for t in (ASSETTUI, DAGSTER)] == [2, 2]
    assert result.ratio() is not None


def test_a_failing_script_becomes_a_failed_cell(tmp_path: Path) -> None:
    measurement = Measurement(
        name="broken", script=lambda ctx: "raise RecursionError('too deep')", tools=(ASSETTUI,)
    )

    result = run.measure(measurement, {ASSETTUI: sys.executable}, tmp_path, 3, False, 60)
    table = run.format_table([result], dagster_available=False)

    assert result.errors == {ASSETTUI: "RecursionError: too deep"}
    assert "failed: RecursionError: too deep" in table


def test_context_reaches_the_script(tmp_path: Path) -> None:
    seen: list[Context] = []

    def script(ctx: Context) -> str:
        seen.append(ctx)
        return "print(0.5)"

    run.measure(
        Measurement("ctx", script, tools=(ASSETTUI,)),
        {ASSETTUI: sys.executable},
        tmp_path,
        1,
        False,
        60,
    )

    assert seen == [Context(ASSETTUI, tmp_path)]


def test_goal_is_checked_against_the_assettui_median() -> None:
    assert run.goal_met("< 1.0 s", 0.4) is True
    assert run.goal_met("< 150 ms", 0.2) is False
    assert run.goal_met("5x faster", 0.2) is None
    assert run.goal_met("< 1 s", None) is None


def test_goal_in_another_unit_is_checked_in_that_unit() -> None:
    assert run.goal_met("< 300 MB", 132.0, "MB") is True
    assert run.goal_met("< 300 MB", 974.0, "MB") is False
    assert run.goal_met("< 300 MB", 0.2, "s") is None  # seconds never meet a memory goal
    assert run.goal_met("< 1.5 s", 132.0, "MB") is None


def test_a_row_in_megabytes_shows_megabytes(tmp_path: Path) -> None:
    measurement = Measurement(
        name="memory", script=lambda ctx: "print(131.7)", goal="< 300 MB", unit="MB"
    )
    pythons = {ASSETTUI: sys.executable, DAGSTER: sys.executable}

    result = run.measure(measurement, pythons, tmp_path, repeat=1, warmup=False, timeout=60)
    (row,) = run.table_rows([result], dagster_available=True)

    assert row == ("memory", "132 MB", "132 MB", "1.0x", "< 300 MB (met)")
    assert result.to_json()["unit"] == "MB"
    assert result.to_json()["goal_met"] is True


def test_seconds_rows_keep_their_format() -> None:
    result = run.Result("t", "< 50 ms", (ASSETTUI,), samples={ASSETTUI: [0.0153]})

    assert run.table_rows([result], dagster_available=False)[0][1:] == (
        "15.3 ms",
        "n/a",
        "n/a",
        "< 50 ms (met)",
    )


def test_ui_rows_are_defined_with_goals_and_units() -> None:
    rows = {m.name: m for m in ui.MEASUREMENTS}
    quick = {m.name: m for m in ui.QUICK_MEASUREMENTS}

    assert all(name.startswith("ui: ") for name in [*rows, *quick])
    first, rss, key, logged, detail, filtered = ui.MEASUREMENTS
    assert (first.goal, first.unit, first.tools) == ("< 1.5 s", "s", (ASSETTUI, DAGSTER))
    assert (rss.goal, rss.unit, rss.tools) == ("< 300 MB", "MB", (ASSETTUI, DAGSTER))
    assert (key.goal, key.tools) == ("< 50 ms", (ASSETTUI,))
    assert (logged.goal, logged.tools) == ("< 100 ms", (ASSETTUI,))
    assert "5,000" in first.name and "2,000 lines/s" in logged.name
    assert (detail.goal, filtered.goal) == ("< 250 ms", "< 250 ms")
    assert "run detail of 200 steps" in detail.name and "2,000 runs" in filtered.name
    assert all(m.tools == (ASSETTUI,) for m in ui.QUICK_MEASUREMENTS)  # --quick skips dagster dev


def test_ui_scripts_call_the_tool_drivers(tmp_path: Path) -> None:
    first = ui.MEASUREMENTS[0]
    ours = first.script(Context(ASSETTUI, tmp_path))
    theirs = first.script(Context(DAGSTER, tmp_path))

    assert "assettui_ui(" in ours and "'first_frame'" in ours
    assert str(tmp_path / "layered_5000" / "assettui") in ours
    assert "dagster_ui(" in theirs and str(tmp_path / "layered_5000" / "dagster") in theirs
    compile(ours, "<ui script>", "exec")


def test_tree_rss_counts_a_child_process() -> None:
    alone = ui.tree_rss_mib(os.getpid())
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; data = b'x' * (64 * 2**20); print('ready', flush=True); sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None and child.stdout.readline() == "ready\n"
        together = ui.tree_rss_mib(os.getpid())
    finally:
        child.communicate("")

    assert alone > 0
    assert together > alone + 32


def _drive(function: str, *args: object) -> float:
    """Run a UI driver of benchmarks/measurements/ui.py in a fresh process; its figure."""
    call = f"{function}({', '.join(repr(a) for a in args)})"
    done = subprocess.run(
        [sys.executable, "-c", f"from benchmarks.measurements.ui import {function}\n{call}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    return float(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("figure", ["first_frame", "rss", "key_median"])
def test_ui_driver_measures_the_real_app(tmp_path: Path, figure: str) -> None:
    made = write_project("layered", ui.QUICK_SIZE, "assettui", tmp_path / "project")

    value = _drive("assettui_ui", str(made.root), ui.QUICK_SIZE, figure, 3, 0)

    assert value > 0


def test_ui_driver_measures_keys_while_a_worker_floods_the_log(tmp_path: Path) -> None:
    made = write_project("layered", ui.QUICK_SIZE, "assettui", tmp_path / "project")

    # the driver itself fails unless the log view took the flood and kept following
    assert _drive("assettui_ui", str(made.root), ui.QUICK_SIZE, "key_p95", 3, 2000) > 0


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert ui.percentile(values, 0.95) == 95.0
    assert ui.percentile(values, 0.5) == 50.0
    assert ui.percentile([7.0], 0.95) == 7.0


def test_quick_run_prints_the_table_without_dagster(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.run",
            "--quick",
            "--only",
            "load",
            "--workdir",
            str(tmp_path / "generated"),
            "--dagster-python",
            str(tmp_path / "no-such-python"),
            "--json",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    header = next(line for line in lines if line.startswith("| measurement"))
    assert "assettui" in header and "dagster" in header and "ratio" in header and "goal" in header
    rows = [line for line in lines if line.startswith("| load + validate")]
    assert len(rows) == 3
    assert all("n/a (make bench-dagster)" in row for row in rows)
    assert not any("failed" in row for row in rows)
    payload = json.loads(out.read_text())
    assert [r["name"] for r in payload["results"]] == [
        "load + validate layered 50",
        "load + validate chain 50",
        "load + validate fan 50",
    ]
    assert all(r["assettui"]["error"] is None for r in payload["results"])
    assert (tmp_path / "generated" / "chain_50" / "dagster" / "definitions.py").is_file()


def test_measured_processes_cache_bytecode(monkeypatch) -> None:
    from benchmarks.run import measurement_env

    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    monkeypatch.setenv("SOME_OTHER", "kept")
    env = measurement_env()
    assert "PYTHONDONTWRITEBYTECODE" not in env and env["SOME_OTHER"] == "kept"
