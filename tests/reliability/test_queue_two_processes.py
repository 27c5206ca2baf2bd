"""The run queue's limits hold across processes (issue 18 point 2): two schedulers claiming
from one instance at the same moment never start more runs than the limits allow."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from assettui.storage import DagsterRun, DagsterRunStatus, RunsFilter, Storage

# On SQLite and on PostgreSQL (several machines claiming from one database).
pytestmark = pytest.mark.usefixtures("backend")

CLAIMER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from assettui.automation.run_queue import RunQueue
    from assettui.storage import Storage

    class Starter:  # what the queue calls once it has claimed a run; no worker here
        def launch(self, run_id):
            pass

    home, barrier, limits = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    tag_limits = [{"key": "team", "limit": 3}] if limits == "tag" else []
    queue = RunQueue(Storage(home), Starter(), 10, tag_limits)
    while not barrier.exists():
        time.sleep(0.001)
    launched = 0
    for _ in range(5):
        launched += len(queue.launch_queued_runs())
    print(launched)
    """
)


@pytest.mark.parametrize("limits", ["global", "tag"])
def test_two_processes_claim_within_the_limits(tmp_path: Path, limits: str) -> None:
    home = tmp_path / "home"
    with Storage(home) as storage:
        for _ in range(30):
            storage.runs.create_run(DagsterRun(status=DagsterRunStatus.QUEUED, tags={"team": "a"}))
    barrier = tmp_path / "go"
    claimers = [
        subprocess.Popen(
            [sys.executable, "-c", CLAIMER, str(home), str(barrier), limits],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    time.sleep(1.5)  # both are waiting at the barrier, storage opened
    barrier.touch()
    launched = [int(c.communicate(timeout=60)[0]) for c in claimers]
    with Storage(home) as storage:
        starting = storage.runs.count_runs(RunsFilter(statuses=[DagsterRunStatus.STARTING]))
    allowed = 10 if limits == "global" else 3
    assert starting == allowed and sum(launched) == allowed, launched
