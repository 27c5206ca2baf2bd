"""A benchmark of one scheduler pass, for the benchmark table (target: < 50 ms)."""

from __future__ import annotations

import statistics
import tempfile
from datetime import UTC, datetime, timedelta

from assettui.automation.clock import ManualClock
from assettui.automation.scheduler import Scheduler, SchedulerSettings
from assettui.model.assets.decorator import asset
from assettui.model.automation.schedules import DefaultScheduleStatus, ScheduleDefinition
from assettui.model.automation.sensors import DefaultSensorStatus, SkipReason, sensor
from assettui.model.definitions import Definitions
from assettui.model.jobs import define_asset_job
from assettui.storage.instance_storage import Storage


def _definitions(n_schedules: int, n_sensors: int) -> Definitions:
    @asset
    def bench_asset() -> int:
        return 1

    job = define_asset_job("bench_job", selection=[bench_asset])
    schedules = [
        ScheduleDefinition(
            name=f"schedule_{i}",
            cron_schedule=f"{i % 60} {i % 24} * * *",
            job=job,
            execution_timezone="Europe/Berlin" if i % 2 else "UTC",
            default_status=DefaultScheduleStatus.RUNNING,
        )
        for i in range(n_schedules)
    ]

    def make_sensor(i: int):  # type: ignore[no-untyped-def]
        @sensor(
            name=f"sensor_{i}",
            job=job,
            minimum_interval_seconds=30,
            default_status=DefaultSensorStatus.RUNNING,
        )
        def trivial(context):  # type: ignore[no-untyped-def]
            return SkipReason("nothing new")

        return trivial

    return Definitions(
        assets=[bench_asset],
        jobs=[job],
        schedules=schedules,
        sensors=[make_sensor(i) for i in range(n_sensors)],
    )


def scheduler_pass_seconds(n_schedules: int = 200, n_sensors: int = 50, repeat: int = 5) -> float:
    """Seconds one steady-state scheduler pass takes (median of ``repeat`` passes).

    Every pass evaluates all ``n_sensors`` trivial sensors (each records a SKIPPED tick) and
    checks all ``n_schedules`` schedules for due ticks (a few tick on some passes); the
    instance is a real SQLite file in a temporary folder. A first pass, which only stores
    each schedule's starting cursor, is not counted.
    """
    defs = _definitions(n_schedules, n_sensors)
    with tempfile.TemporaryDirectory(prefix="assettui-bench-") as home:
        storage = Storage(home)
        try:
            clock = ManualClock(datetime(2026, 3, 1, 5, 0, tzinfo=UTC))
            scheduler = Scheduler(
                storage,
                defs,
                launcher=None,
                clock=clock,
                settings=SchedulerSettings(),
                monitor_runs=False,
            )
            scheduler.run_once()
            timings = []
            for _ in range(repeat):
                clock.advance(timedelta(seconds=30))
                report = scheduler.run_once()
                timings.append(report.duration_seconds)
            return statistics.median(timings)
        finally:
            storage.close()


if __name__ == "__main__":
    print(f"one scheduler pass: {scheduler_pass_seconds() * 1000:.1f} ms")
