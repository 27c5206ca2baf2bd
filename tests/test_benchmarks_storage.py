"""The storage benchmark rows run end to end (quick sizes, assettui only)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _quick(only: str, tmp_path: Path) -> list[dict]:
    """Run the harness's quick rows matching ``only`` (assettui alone); their results."""
    out = tmp_path / "results.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.run",
            "--quick",
            "--only",
            only,
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
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    rows = json.loads(out.read_text())
    rows = rows["results"] if isinstance(rows, dict) else rows
    for row in rows:
        values = row["assettui"]["samples"]
        assert values and all(isinstance(v, float) and v > 0 for v in values), row
    return rows


@pytest.mark.slow
def test_quick_storage_rows_measure_every_figure_and_leave_no_copies(tmp_path: Path) -> None:
    rows = _quick("storage:", tmp_path)
    names = [row["name"] for row in rows]
    assert len(names) >= 5 and all(n.startswith("storage:") for n in names)
    # prepared datasets are kept for the next run; per-repetition copies are gone
    workdir = tmp_path / "generated"
    assert (workdir / "storage" / "assettui").is_dir()
    assert not any((workdir / "storage" / "scratch").glob("*/*"))


@pytest.mark.slow
def test_quick_cluster_rows_measure_postgres_and_dask(tmp_path: Path) -> None:
    """The PostgreSQL and Dask rows start their real servers and measure every figure."""
    rows = _quick("postgres:|fan-out", tmp_path)
    assert len(rows) == 4, [row["name"] for row in rows]
