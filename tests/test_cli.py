"""The `assettui` command, run as a real process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

PROJECT = """
import time
import assettui as dg

@dg.asset(group_name="raw", kinds={"polars"})
def orders():
    return [1, 2, 3]

@dg.asset(group_name="marts")
def revenue(context, orders):
    context.log.info("summing")
    return sum(orders)

@dg.asset(group_name="marts")
def slow(context):
    context.log.info("slow started")
    time.sleep(60)

@dg.asset
def broken():
    raise RuntimeError("kaboom in user code")

defs = dg.Definitions(assets=[orders, revenue, slow, broken])
"""


def assettui(
    *args: str, cwd: Path | None = None, check: bool = False
) -> subprocess.CompletedProcess:
    env = {**os.environ}
    env.pop("ASSETTUI_HOME", None)
    return subprocess.run(
        [sys.executable, "-m", "assettui.cli.main_entry", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        check=check,
        timeout=120,
    )


@pytest.fixture
def project(write_project) -> Path:
    return write_project(PROJECT)


def test_validate_ok_and_summary(project: Path) -> None:
    out = assettui("validate", str(project))
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("ok: definitions.py: 4 assets in 3 groups")


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            "import assettui as dg\n@dg.asset\ndef a(b):\n    return b\n@dg.asset\ndef b(a):\n"
            "    return a\ndefs = dg.Definitions(assets=[a, b])\n",
            "cycle: a -> b -> a",
        ),
        (
            "import assettui as dg\n@dg.asset\ndef orders():\n    return 1\n@dg.asset\ndef r(orderz):\n"
            "    return 1\ndefs = dg.Definitions(assets=[orders, r])\n",
            "Did you mean 'orders'?",
        ),
        (
            "import assettui as dg\ndef make():\n    @dg.asset(name='x')\n    def f():\n        return 1\n"
            "    return f\ndefs = dg.Definitions(assets=[make(), make()])\n",
            "Duplicate asset key 'x'",
        ),
        ("import assettui as dg\n@dg.asset\ndef a(:\n    pass\n", "syntax error"),
    ],
    ids=["cycle", "missing-upstream", "duplicate", "syntax-error"],
)
def test_validate_fails_with_a_message(write_project, source: str, expected: str) -> None:
    project = write_project(source)
    out = assettui("validate", str(project))
    assert out.returncode == 1
    assert expected in out.stderr
    assert "definitions.py" in out.stderr


def test_list_json_and_select(project: Path) -> None:
    out = assettui("list", str(project), "--json")
    rows = json.loads(out.stdout)
    assert [r["key"] for r in rows][:2] == ["broken", "orders"] or "orders" in [
        r["key"] for r in rows
    ]
    revenue = next(r for r in rows if r["key"] == "revenue")
    assert revenue["group"] == "marts" and revenue["deps"] == ["orders"]
    out = assettui("list", str(project), "--select", 'group:"marts"', "--json")
    assert sorted(r["key"] for r in json.loads(out.stdout)) == ["revenue", "slow"]


def test_bad_selection_string_points_at_the_problem(project: Path) -> None:
    out = assettui("list", str(project), "--select", "key:orders and )")
    assert out.returncode == 2
    assert "^" in out.stderr


def test_materialize_streams_the_log_and_sets_the_exit_code(project: Path) -> None:
    out = assettui("materialize", str(project), "--select", "key:orders or key:revenue")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "summing" in out.stdout and "RUN_SUCCESS" in out.stdout
    failed = assettui("materialize", str(project), "--select", "key:broken")
    assert failed.returncode == 1
    assert "kaboom in user code" in failed.stdout and "definitions.py" in failed.stdout

    runs = json.loads(assettui("runs", str(project), "--json").stdout)
    assert [r["status"] for r in runs] == ["FAILURE", "SUCCESS"]
    assert set(runs[0]) >= {
        "run_id",
        "status",
        "job_name",
        "asset_selection",
        "partition",
        "tags",
        "start_time",
        "end_time",
    }
    logs = assettui("logs", str(project), "latest", "--level", "ERROR")
    assert "kaboom" in logs.stdout and "summing" not in logs.stdout
    logs = assettui("logs", str(project), runs[1]["run_id"], "--step", "revenue")
    assert "summing" in logs.stdout and "[orders]" not in logs.stdout


def test_sigterm_cancels_the_run_and_leaves_no_worker(project: Path) -> None:
    env = {**os.environ}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "assettui.cli.main_entry",
            "materialize",
            str(project),
            "--select",
            "key:slow",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    home = project / ".assettui"
    deadline = time.monotonic() + 30
    started = False
    while time.monotonic() < deadline and not started:
        logs = assettui("logs", str(project), "latest")
        started = "slow started" in logs.stdout
        time.sleep(0.2)
    assert started
    proc.send_signal(signal.SIGTERM)
    _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 1
    runs = json.loads(assettui("runs", str(project), "--json").stdout)
    assert runs[0]["status"] == "CANCELED"
    assert "CANCELED" in err
    assert home.exists()


def test_wipe_needs_confirmation_or_yes(project: Path) -> None:
    assert assettui("materialize", str(project), "--select", "key:orders").returncode == 0
    out = assettui("wipe", str(project), "--select", "key:orders", "--yes")
    assert out.returncode == 0 and "Wiped the history of 1 assets" in out.stdout


def test_init_scaffolds_a_project_that_validates_and_tests(tmp_path: Path) -> None:
    out = assettui("init", "demo", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    demo = tmp_path / "demo"
    assert assettui("validate", cwd=demo).returncode == 0
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=demo,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "2 passed" in tests.stdout
    again = assettui("init", "demo", cwd=tmp_path)
    assert again.returncode != 0 and "not empty" in again.stderr


def test_validate_summary_counts_read_naturally() -> None:
    from assettui.cli.project_commands import _count

    assert [_count(1, "check"), _count(0, "check"), _count(2, "group")] == [
        "1 check",
        "0 checks",
        "2 groups",
    ]
