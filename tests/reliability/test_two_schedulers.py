"""Two schedulers on one instance commit each tick once (issue 18 point 1): a lease taken
in one transaction covers a tick from evaluation to commit, and under it the cursor and the
last tick are read again, so two daemons keep a sensor's minimum interval between them and
never request the same items twice."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assettui.storage import InstigatorType, Storage

PROJECT = """
import os
import time
import assettui as dg

EVALUATIONS = os.environ["EVALUATIONS_LOG"]


@dg.asset
def item(context):
    return context.run.tags["item"]


item_job = dg.define_asset_job("item_job", selection=[item])


@dg.sensor(job=item_job, minimum_interval_seconds=1, default_status=dg.DefaultSensorStatus.RUNNING)
def a_slow_sensor(context):
    time.sleep(1.5)  # evaluated first in a pass: the pass's view of next_item gets old
    return dg.SkipReason("nothing")


@dg.sensor(job=item_job, minimum_interval_seconds=2, default_status=dg.DefaultSensorStatus.RUNNING)
def next_item(context):
    with open(EVALUATIONS, "a") as log:
        log.write(f"{time.time()} ")
    time.sleep(0.5)
    done = int(context.cursor or 0)
    context.update_cursor(str(done + 1))
    return dg.RunRequest(tags={"item": str(done + 1)})  # no run key: the cursor is all


defs = dg.Definitions(assets=[item], jobs=[item_job], sensors=[a_slow_sensor, next_item])
"""


@pytest.mark.slow
def test_two_daemons_keep_the_interval_and_request_each_item_once(write_project) -> None:
    project = write_project(PROJECT)
    env = {k: v for k, v in os.environ.items() if k != "ASSETTUI_HOME"}
    env["EVALUATIONS_LOG"] = str(Path(project) / "evaluations.txt")
    daemons = [
        subprocess.Popen(
            [sys.executable, "-m", "assettui.cli.main_entry", "daemon", str(project)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
        for _ in range(2)
    ]
    try:
        time.sleep(9)
    finally:
        for daemon in daemons:
            os.killpg(daemon.pid, signal.SIGTERM)
        for daemon in daemons:
            daemon.wait(timeout=30)
    with Storage(Path(project) / ".assettui") as storage:
        ticks = storage.automation.list_ticks("next_item", InstigatorType.SENSOR)
        items = [run.tags.get("item") for run in storage.runs.list_runs()]
    evaluations = sorted(float(x) for x in (Path(project) / "evaluations.txt").read_text().split())
    assert len(ticks) >= 2
    stamps = sorted(t.timestamp for t in ticks)
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    assert min(gaps) >= 1.9, gaps  # the minimum interval, between both daemons
    assert sorted(items, key=int) == [str(i) for i in range(1, len(items) + 1)]  # each once
    calls = [b - a for a, b in itertools.pairwise(evaluations)]
    assert min(calls) >= 1.9, calls  # the sensor itself runs no more often than its interval
