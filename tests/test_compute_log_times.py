"""Captured stdout/stderr carry the time each line was written and interleave with the
run's events in time order: in `assettui logs` (after the run and while following it) and
in the UI's log view (issue 16 point 5)."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from tests.test_cli import assettui

from assettui.storage import Storage

TALKER = """
import sys, time
import assettui as dg


@dg.asset
def talker(context):
    print("first print")
    time.sleep(0.05)
    context.log.info("between the prints")
    time.sleep(0.05)
    print("to stderr", file=sys.stderr)
    time.sleep(0.05)
    context.log.info("after stderr")
    return 1


defs = dg.Definitions(assets=[talker])
"""

ORDER = ["first print", "between the prints", "to stderr", "after stderr"]


@pytest.fixture
def project(write_project) -> Path:
    return write_project(TALKER)


def _order(lines: list[str]) -> list[str]:
    return [text for line in lines for text in ORDER if line.endswith(text)]


def test_logs_interleave_captured_lines_with_events_at_their_write_time(project: Path) -> None:
    assert assettui("materialize", str(project), "--select", "talker").returncode == 0
    time.sleep(1.1)  # a viewing time stamp would differ from the writing time by this much
    first = assettui("logs", str(project), "latest").stdout.splitlines()
    assert _order(first) == ORDER
    time.sleep(1.1)
    again = assettui("logs", str(project), "latest").stdout.splitlines()
    assert again == first  # the stamps are the writing times, not the viewing times
    stamps = [line.split(" ", 1)[0] for line in first if re.match(r"\d\d:\d\d:\d\d\.\d{3} ", line)]
    assert stamps == sorted(stamps)


def test_the_ui_log_view_interleaves_captured_lines_in_time_order(project: Path) -> None:
    from assettui.tui.widgets.log_view import RunTail

    assert assettui("materialize", str(project), "--select", "talker").returncode == 0
    with Storage(project / ".assettui") as storage:
        [run] = storage.runs.list_runs()
        tail = RunTail(storage, run.run_id)
        lines = tail.poll()
    assert _order([line.text for line in lines]) == ORDER
    printed = next(line for line in lines if line.text == "first print")
    logged = next(line for line in lines if line.text == "between the prints")
    assert printed.level == "STDOUT" and printed.timestamp is not None
    assert logged.timestamp is not None and 0 < logged.timestamp - printed.timestamp < 1.0
    stamps = [line.timestamp or 0 for line in lines]
    assert stamps == sorted(stamps)


def test_a_follower_gets_lines_written_before_an_event_ahead_of_it(tmp_path: Path) -> None:
    """Lines written after the follower's read of the events wait for the next read."""
    from assettui.storage.compute_logs import CapturedOutput

    with Storage(tmp_path / "home") as storage:
        paths = storage.step_log_paths("r1", "s")
        now = time.time()
        paths.stdout.write_bytes(b"early\nlate\n")
        paths.stdout.with_name("s.out.times").write_text(f"0 {now - 1}\n6 {now + 60}\n")
        captured = CapturedOutput(storage, "r1")
        assert [line.text for _, line in captured.lines_until(["s"], now)] == ["early"]
        assert [line.text for _, line in captured.lines_until(["s"], now)] == []
        assert [line.text for _, line in captured.lines_until(["s"], now, final=True)] == ["late"]
