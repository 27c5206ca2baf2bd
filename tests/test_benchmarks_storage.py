"""The storage benchmark rows run end to end (quick sizes, assettui only)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_quick_storage_rows_measure_every_figure_and_leave_no_copies(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    workdir = tmp_path / "generated"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.run",
            "--quick",
            "--only",
            "storage:",
            "--workdir",
            str(workdir),
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
    names = [row["name"] for row in rows]
    assert len(names) >= 5 and all(n.startswith("storage:") for n in names)
    for row in rows:
        values = row["assettui"]["samples"]
        assert values and all(isinstance(v, float) and v > 0 for v in values), row
    # prepared datasets are kept for the next run; per-repetition copies are gone
    assert (workdir / "storage" / "assettui").is_dir()
    assert not any((workdir / "storage" / "scratch").glob("*/*"))


@pytest.mark.slow
def test_quick_cluster_rows_measure_postgres_and_dask(tmp_path: Path) -> None:
    """The PostgreSQL and Dask rows start their real servers and measure every figure."""
    out = tmp_path / "results.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.run",
            "--quick",
            "--only",
            "postgres:|fan-out",
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
    rows = json.loads(out.read_text())["results"]
    assert len(rows) == 4, [row["name"] for row in rows]
    for row in rows:
        values = row["assettui"]["samples"]
        assert values and all(isinstance(v, float) and v > 0 for v in values), row
