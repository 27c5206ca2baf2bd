"""A step that calls sys.exit or raises KeyboardInterrupt fails inside its run (a
STEP_FAILURE with that reason); the worker lives on, other steps run (issue 18 point 4)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.test_cli import assettui

PROJECT = """
import sys
import assettui as dg


@dg.asset
def quits():
    sys.exit("stop here")


@dg.asset
def interrupted():
    raise KeyboardInterrupt


@dg.asset
def exits_with_a_code():
    sys.exit(3)


@dg.asset
def fine():
    return 1


defs = dg.Definitions(assets=[quits, interrupted, exits_with_a_code, fine])
"""


@pytest.fixture
def project(write_project) -> Path:
    return write_project(PROJECT)


def test_sys_exit_and_keyboard_interrupt_are_step_failures(project: Path) -> None:
    out = assettui("materialize", str(project))
    assert out.returncode == 1
    log = assettui("logs", str(project), "latest").stdout
    assert "[quits] STEP_FAILURE" in log and "SystemExit: stop here" in log
    assert "[interrupted] STEP_FAILURE" in log and "KeyboardInterrupt" in log
    assert "[exits_with_a_code] STEP_FAILURE" in log and "SystemExit: 3" in log
    assert "Materialized fine" in log  # the run went on
    [run] = json.loads(assettui("runs", str(project), "--json").stdout)
    assert run["status"] == "FAILURE"
    reason = run["failure_reason"] or ""
    assert "killed" not in reason and "SIGINT" not in reason
    assert "quits" in reason
