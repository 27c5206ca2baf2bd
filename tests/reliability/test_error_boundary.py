"""One error boundary for every command (issue 18 point 3, first part): a corrupt database
is one message naming the file and what to do, exit code 1, no traceback, and the file is
left exactly as it was."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from tests.test_cli import assettui

PROJECT = """
import assettui as dg


@dg.asset
def orders():
    return [1, 2]


nightly = dg.ScheduleDefinition(
    job=dg.define_asset_job("orders_job", selection=[orders]), cron_schedule="0 6 * * *"
)
defs = dg.Definitions(assets=[orders], schedules=[nightly])
"""

COMMANDS = [
    ("runs",),
    ("logs", "latest"),
    ("materialize", "--select", "orders"),
    ("automation", "list"),
    ("daemon", "--once"),
    ("backfill", "--select", "orders", "--from", "a", "--to", "b"),
    ("wipe", "--select", "orders", "--yes"),
    ("cancel", "some-run"),
    ("ui",),
]


@pytest.fixture
def corrupt(write_project) -> tuple[Path, Path, str]:
    project = write_project(PROJECT)
    assert assettui("materialize", str(project), "--select", "orders").returncode == 0
    database = project / ".assettui" / "assettui.db"
    data = bytearray(database.read_bytes())
    data[:16] = b"not a database!!"
    database.write_bytes(bytes(data))
    return project, database, hashlib.sha256(database.read_bytes()).hexdigest()


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c))
def test_a_corrupt_database_is_one_clear_message(corrupt, command) -> None:
    project, database, digest = corrupt
    out = assettui(command[0], str(project), *command[1:])
    assert out.returncode == 1, out.stdout + out.stderr
    assert "Traceback" not in out.stderr + out.stdout
    assert f"error: {database} cannot be read as an assettui database" in out.stderr
    assert "move it away" in out.stderr
    assert hashlib.sha256(database.read_bytes()).hexdigest() == digest  # untouched
