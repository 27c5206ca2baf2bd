"""One error boundary for every command (issue 18 point 3, first part): a corrupt database
is one message naming the file and what to do, exit code 1, no traceback, and the file is
left exactly as it was."""

from __future__ import annotations

import hashlib
import sqlite3
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
    # Everything into the main file first: a page still in the WAL would be read from there.
    with sqlite3.connect(database) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
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


@pytest.mark.slow
def test_a_lock_held_past_the_busy_timeout_is_one_clear_message(write_project) -> None:
    """Another process holds the database's write lock for 70 s (the busy timeout is 60 s):
    a command that must write waits, then says so and exits 1. Reading commands keep working
    meanwhile (the database is in WAL mode), and afterwards everything works as before."""
    import subprocess
    import sys
    import time

    project = write_project(PROJECT)
    assert assettui("materialize", str(project), "--select", "orders").returncode == 0
    database = project / ".assettui" / "assettui.db"
    holder = subprocess.Popen(
        [sys.executable, "-c", (
            "import sqlite3, sys, time\n"
            "db = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
            "db.execute('BEGIN EXCLUSIVE')\n"
            "print('locked', flush=True)\n"
            "time.sleep(70)\n"
            "db.execute('ROLLBACK')\n"
        ), str(database)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        assert assettui("runs", str(project)).returncode == 0  # reading is not blocked
        started = time.monotonic()
        out = assettui("materialize", str(project), "--select", "orders")
        waited = time.monotonic() - started
    finally:
        holder.kill()
        holder.wait()
    assert out.returncode == 1, out.stdout + out.stderr
    assert "Traceback" not in out.stderr
    assert f"error: {database} stayed locked by another process for more than 60 s" in out.stderr
    assert waited >= 55  # it waited for the lock rather than failing at once
    assert (
        "orders" in assettui("runs", str(project)).stdout
        or assettui("runs", str(project)).returncode == 0
    )  # afterwards the instance works as before


def _read_only_mounts_work() -> bool:
    import shutil
    import subprocess
    import tempfile

    if shutil.which("unshare") is None:
        return False
    with tempfile.TemporaryDirectory() as folder:
        probe = subprocess.run(
            ["unshare", "-m", "sh", "-c", f"mount --bind -o ro {folder} {folder}"],
            capture_output=True,
        )
    return probe.returncode == 0


@pytest.mark.skipif(
    not _read_only_mounts_work(), reason="needs `unshare -m` and bind mounts (root in Linux)"
)
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c))
def test_a_read_only_instance_folder_is_one_clear_message(write_project, command) -> None:
    """The instance folder is a read-only bind mount (a real one, in a private mount
    namespace): every command says so, exits 1, and the database is left as it was."""
    import shlex
    import subprocess
    import sys

    project = write_project(PROJECT)
    assert assettui("materialize", str(project), "--select", "orders").returncode == 0
    home = project / ".assettui"
    database = home / "assettui.db"
    digest = hashlib.sha256(database.read_bytes()).hexdigest()
    argv = [sys.executable, "-m", "assettui.cli.main_entry", command[0], str(project), *command[1:]]
    script = f"mount --bind -o ro {home} {home} && exec {shlex.join(argv)}"
    out = subprocess.run(
        ["unshare", "-m", "sh", "-c", script], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 1, out.stdout + out.stderr
    assert "Traceback" not in out.stderr + out.stdout
    assert f"error: {database} cannot be opened for writing: its folder is read-only" in out.stderr
    assert hashlib.sha256(database.read_bytes()).hexdigest() == digest
