"""A benchmark of planning a long backfill, for the benchmark table (target: < 100 ms)."""

from __future__ import annotations

import tempfile
import time
from datetime import date, timedelta

from assettui.automation.backfill import DEFAULT_MAX_CONCURRENT, plan_for
from assettui.model.asset_graph import AssetGraph
from assettui.model.assets.decorator import asset
from assettui.model.partitions.time_window import DailyPartitionsDefinition
from assettui.storage.instance_storage import Storage


def _chain(start: date) -> AssetGraph:
    daily = DailyPartitionsDefinition(start_date=start.isoformat())

    @asset(partitions_def=daily)
    def bench_raw() -> int:
        return 1

    @asset(partitions_def=daily)
    def bench_clean(bench_raw: int) -> int:
        return bench_raw

    @asset(partitions_def=daily)
    def bench_report(bench_clean: int) -> int:
        return bench_clean

    return AssetGraph.from_assets([bench_raw, bench_clean, bench_report])


def plan_seconds(n: int = 3650, repeat: int = 3) -> float:
    """Seconds to plan (and serialize) a backfill of ``n`` daily partitions of a 3-asset chain.

    The planning reads the partition statuses of a real (empty) SQLite instance, as
    ``assettui backfill --missing-only`` does; the best of ``repeat`` timings.
    """
    start = date(2000, 1, 1)
    graph = _chain(start)
    keys = [(start + timedelta(days=i)).isoformat() for i in range(n)]
    best = float("inf")
    with tempfile.TemporaryDirectory(prefix="assettui-bench-") as home:
        storage = Storage(home)
        try:
            for _ in range(repeat):
                began = time.perf_counter()
                plan = plan_for(storage, graph, graph.all_asset_keys, keys, policy="missing")
                plan.to_json(max_concurrent=DEFAULT_MAX_CONCURRENT)
                best = min(best, time.perf_counter() - began)
                if len(plan.runs) != n:
                    raise AssertionError(f"planned {len(plan.runs)} runs for {n} partitions")
        finally:
            storage.close()
    return best


if __name__ == "__main__":
    print(f"planning a 3,650-partition backfill: {plan_seconds() * 1000:.1f} ms")
