"""Runs that can only fail are refused up front, with what to do (issue 16 point 8), and
``daemon --once --now T`` runs its schedule's partition as of T."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.test_cli import assettui

from assettui.storage import Storage

PROJECT = """
import assettui as dg

daily = dg.DailyPartitionsDefinition(start_date="2024-01-01")


@dg.asset(partitions_def=daily)
def per_day(context):
    return context.partition_key


@dg.asset(partitions_def=daily, backfill_policy=dg.BackfillPolicy.single_run())
def reads_one_key(context):
    return context.partition_key


@dg.asset(partitions_def=daily, backfill_policy=dg.BackfillPolicy.single_run())
def reads_the_range(context):
    return {key: key for key in context.partition_keys}


per_day_job = dg.define_asset_job("per_day_job", selection=["per_day"], partitions_def=daily)
nightly = dg.build_schedule_from_partitioned_job(per_day_job, hour_of_day=2)

defs = dg.Definitions(
    assets=[per_day, reads_one_key, reads_the_range], jobs=[per_day_job], schedules=[nightly]
)
"""


@pytest.fixture
def project(write_project) -> Path:
    return write_project(PROJECT)


def run_count(project: Path) -> int:
    with Storage(project / ".assettui") as storage:
        return len(storage.runs.list_runs())


def test_a_partitioned_asset_without_a_partition_is_refused(project: Path) -> None:
    out = assettui("materialize", str(project), "--select", "per_day")
    assert out.returncode == 2
    assert "per_day is partitioned" in out.stderr and "--partition KEY" in out.stderr
    assert "assettui backfill --select per_day" in out.stderr
    assert "Traceback" not in out.stderr
    assert run_count(project) == 0


def test_a_range_run_needs_a_single_run_policy(project: Path) -> None:
    out = assettui(
        "materialize", str(project), "--select", "per_day",
        "--partition-range", "2024-01-01...2024-01-03",
    )  # fmt: skip
    assert out.returncode == 2
    assert "BackfillPolicy.single_run()" in out.stderr
    assert "assettui backfill --select per_day --from 2024-01-01 --to 2024-01-03" in out.stderr
    assert run_count(project) == 0


def test_a_range_run_of_an_asset_reading_partition_key_is_refused(project: Path) -> None:
    refused = assettui(
        "materialize", str(project), "--select", "reads_one_key",
        "--partition-range", "2024-01-01...2024-01-03",
    )  # fmt: skip
    assert refused.returncode == 2
    assert "reads_one_key reads context.partition_key" in refused.stderr
    assert "context.partition_key_range" in refused.stderr
    ran = assettui(
        "materialize", str(project), "--select", "reads_the_range",
        "--partition-range", "2024-01-01...2024-01-03",
    )  # fmt: skip
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert run_count(project) == 1


def test_a_backfill_refuses_range_runs_of_assets_reading_partition_key(project: Path) -> None:
    out = assettui(
        "backfill", str(project), "--select", "reads_one_key",
        "--from", "2024-01-01", "--to", "2024-01-03",
    )  # fmt: skip
    assert out.returncode == 2, out.stdout + out.stderr
    assert "reads_one_key reads context.partition_key" in out.stderr
    assert run_count(project) == 0


def test_reading_the_partition_key_is_found_in_nested_code() -> None:
    from assettui.model.assets.partition_reads import reads_single_partition_key

    def nested(context):
        return [lambda: context.partition_key for _ in range(1)]

    def ranged(context):
        return context.partition_key_range

    assert reads_single_partition_key(nested)
    assert not reads_single_partition_key(ranged) and not reads_single_partition_key(None)


def test_daemon_once_now_runs_the_partition_of_its_time(project: Path) -> None:
    later = (datetime.now(UTC) + timedelta(days=3)).replace(hour=2, minute=30, second=0)
    assert assettui("automation", str(project), "start", "per_day_job_schedule").returncode == 0
    out = assettui("daemon", str(project), "--once", "--now", later.isoformat())
    assert out.returncode == 0, out.stdout + out.stderr
    with Storage(project / ".assettui") as storage:
        [run] = storage.runs.list_runs()
    expected = (later - timedelta(days=1)).date().isoformat()
    assert run.tags["dagster/partition"] == expected  # of T, not of the wall clock
    assert run.status.value == "SUCCESS"
