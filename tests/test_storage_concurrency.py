"""Several real processes on one instance: no lock errors, no lost events, crash safety."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections import defaultdict
from pathlib import Path

import pytest

import assettui.storage
from assettui.storage import DagsterEventType, NewEvent, Storage

pytestmark = pytest.mark.slow

SRC = Path(assettui.storage.__file__).resolve().parents[2]


def _spawn(script: str, *args: object) -> subprocess.Popen:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(script), *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


WRITER = """
    import sys
    from assettui.storage import DagsterEventType, NewEvent, Storage

    home, writer, total, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    storage = Storage(home)
    for start in range(0, total, batch):
        storage.event_log.store_events(
            [NewEvent(f"w{writer}", DagsterEventType.LOG, f"{writer}:{i}", level="INFO")
             for i in range(start, min(total, start + batch))]
        )
"""


def test_eight_writers_and_a_tailing_reader(tmp_path):
    writers, per_writer = 8, 2_000
    storage = Storage(tmp_path)
    procs = [_spawn(WRITER, tmp_path, w, per_writer, 50) for w in range(writers)]
    seen: list[tuple[int, str]] = []
    last = 0
    while True:
        page = storage.event_log.events_after(last, limit=1_000)
        for record in page:
            assert record.storage_id > last  # strictly increasing: no repeats, id order
            last = record.storage_id
            seen.append((record.storage_id, record.message))
        if not page:
            if all(p.poll() is not None for p in procs):
                if not storage.event_log.events_after(last, limit=1):
                    break
            else:
                time.sleep(0.005)  # poll interval, not a timing assumption
    for proc in procs:
        _, err = proc.communicate()
        assert proc.returncode == 0, err
        assert "locked" not in err
    messages = [message for _, message in seen]
    assert len(messages) == writers * per_writer == len(set(messages))
    by_writer: dict[str, list[int]] = defaultdict(list)
    for message in messages:
        writer, index = message.split(":")
        by_writer[writer].append(int(index))
    assert all(indices == list(range(per_writer)) for indices in by_writer.values())
    # Every id in the log was seen by the reader: none committed "behind" its cursor.
    all_ids = [row[0] for row in storage.database().execute("SELECT id FROM events ORDER BY id")]
    assert all_ids == [storage_id for storage_id, _ in seen]
    storage.close()


OPENER = """
    import sys
    from assettui.storage import DagsterEventType, NewEvent, Storage

    storage = Storage(sys.argv[1])
    storage.event_log.store_events([NewEvent(sys.argv[2], DagsterEventType.RUN_START)])
"""


def test_processes_creating_one_new_instance_at_once(tmp_path):
    procs = [_spawn(OPENER, tmp_path / "new", f"r{i}") for i in range(6)]
    for proc in procs:
        _, err = proc.communicate()
        assert proc.returncode == 0, err
    with Storage(tmp_path / "new") as storage:
        assert len(storage.event_log.events_after(0)) == 6
        assert storage.schema_version == len(assettui.storage.sqlite.schema.MIGRATIONS._migrations)


KILLED_WRITER = """
    import sys
    from assettui.storage import DagsterEventType, NewEvent, Storage

    storage = Storage(sys.argv[1])
    batch = 0
    while True:
        storage.event_log.store_events(
            [NewEvent("victim", DagsterEventType.LOG, f"{batch}:{i}", payload={"i": i})
             for i in range(1_000)]
        )
        print(batch, flush=True)  # reported only after the commit returned
        batch += 1
"""


def test_sigkill_mid_stream_keeps_every_committed_batch(tmp_path):
    proc = _spawn(KILLED_WRITER, tmp_path)
    assert proc.stdout is not None
    reported = []
    while len(reported) < 15:
        line = proc.stdout.readline()
        assert line, proc.stderr.read() if proc.stderr else "writer exited"
        reported.append(int(line))
    os.kill(proc.pid, signal.SIGKILL)
    rest, _ = proc.communicate()
    reported += [int(line) for line in rest.split()]
    assert proc.returncode == -signal.SIGKILL

    with Storage(tmp_path) as storage:
        db = storage.database()
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        counts: dict[int, int] = defaultdict(int)
        for record in storage.event_log.run_events("victim"):
            counts[int(record.message.split(":")[0])] += 1
    assert set(reported) <= set(counts)
    assert all(count == 1_000 for count in counts.values())  # batches are all-or-nothing
    assert set(counts) - set(reported) <= {max(reported) + 1}  # committed, not yet reported
    assert sorted(counts) == list(range(len(counts)))


LOCK_HOLDER = """
    import sys, time
    from assettui.storage import Storage

    storage = Storage(sys.argv[1])
    conn = storage.database().conn
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO kv (key, value, updated_at) VALUES ('holder', '1', 0)")
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))  # the scenario: another process holds the write lock
    conn.execute("COMMIT")
"""


def test_writer_waits_for_a_lock_held_ten_seconds(tmp_path):
    storage = Storage(tmp_path)
    holder = _spawn(LOCK_HOLDER, tmp_path, 10)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    [record] = storage.event_log.store_events([NewEvent("r", DagsterEventType.RUN_START)])
    _, err = holder.communicate()
    assert holder.returncode == 0, err
    assert storage.settings.get("holder") == 1  # the holder committed first
    assert storage.event_log.get_event(record.storage_id) is not None
    storage.close()
