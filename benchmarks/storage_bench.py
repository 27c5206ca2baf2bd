"""Instance storage benchmarks: bulk event append and the queries the UI lives on.

Run ``python benchmarks/storage_bench.py`` for a table, or call :func:`measurements` from the
benchmark harness. Each figure is the best of a few repetitions (``time.perf_counter``), and
the data is built through the public write path (``store_events``) in a temporary folder.
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

try:
    import assettui.storage  # noqa: F401
except ImportError:  # running from a checkout without an install
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from assettui.model.asset_key import AssetKey
from assettui.model.metadata import MetadataValue, metadata_to_json
from assettui.storage import DagsterEventType, DagsterRun, NewEvent, Storage

T = DagsterEventType
_PAYLOAD = {
    "metadata": metadata_to_json({"rows": MetadataValue.int(100), "path": MetadataValue.path("x")}),
    "tags": {},
    "code_version": "v1",
    "description": None,
}


Timing = tuple[float, float]  # (wall seconds, CPU seconds of this process)


def _timed(fn: Callable[[], object]) -> Timing:
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def _best(fn: Callable[[], object], repeat: int = 5) -> Timing:
    """The fastest of ``repeat`` runs (CPU time shown too: shared machines inflate wall time)."""
    return min((_timed(fn) for _ in range(repeat)), key=lambda timing: timing[0])


def _run_batches(
    storage: Storage, run_id: str, total: int, assets: int, batch: int, start: int = 0
) -> None:
    """Append ``total`` events as a run would: one in five is an asset materialization."""
    events: list[NewEvent] = []
    for i in range(start, start + total):
        if i % 5 == 0:
            key = AssetKey(["bench", f"asset_{(i // 5) % assets}"])
            events.append(NewEvent(run_id, T.ASSET_MATERIALIZATION, "materialized", asset_key=key,
                                   step_key=key.to_user_string(), payload=_PAYLOAD))  # fmt: skip
        else:
            events.append(NewEvent(run_id, T.LOG, f"log line {i}", level="INFO", step_key="s"))
        if len(events) == batch:
            storage.event_log.store_events(events)
            events = []
    if events:
        storage.event_log.store_events(events)


def bench_append(tmp: Path) -> Timing:
    """Seconds to append 100,000 events in batches of 500."""
    storage = Storage(tmp / "append")
    run = storage.runs.create_run(DagsterRun())
    elapsed = _timed(lambda: _run_batches(storage, run.run_id, 100_000, assets=1_000, batch=500))
    storage.close()
    return elapsed


def build_big_log(tmp: Path) -> tuple[Storage, str]:
    """1,000,000 events over 100 runs; 5,000 assets materialized (40 times each)."""
    storage = Storage(tmp / "big")
    run_id = ""
    for r in range(100):
        run_id = storage.runs.create_run(DagsterRun()).run_id
        _run_batches(storage, run_id, 10_000, assets=5_000, batch=5_000, start=r * 10_000)
    return storage, run_id


def bench_latest_materializations(storage: Storage) -> Timing:
    """Seconds to read the latest materialization of every asset (5,000)."""
    found = storage.asset_status.latest_materializations()
    assert len(found) == 5_000, len(found)
    return _best(storage.asset_status.latest_materializations)


def bench_tail(storage: Storage, run_id: str) -> Timing:
    """Seconds for one tail query: 1,000 events of a run after an id."""
    after = storage.event_log.run_events(run_id, limit=1)[0].storage_id + 500
    page = storage.event_log.events_after(after, run_id=run_id, limit=1_000)
    assert len(page) == 1_000
    return _best(lambda: storage.event_log.events_after(after, run_id=run_id, limit=1_000))


def bench_partitions(tmp: Path) -> Timing:
    """Seconds to read the status of all 3,650 daily partitions of one asset."""
    storage = Storage(tmp / "partitions")
    run_id = storage.runs.create_run(DagsterRun()).run_id
    key = AssetKey(["daily"])
    day0 = dt.date(2015, 1, 1)
    days = [(day0 + dt.timedelta(days=i)).isoformat() for i in range(3_650)]
    for chunk in range(0, len(days), 500):
        storage.event_log.store_events(
            [NewEvent(run_id, T.ASSET_MATERIALIZATION, asset_key=key, partition=d, payload=_PAYLOAD)
             for d in days[chunk : chunk + 500]]
        )  # fmt: skip
    assert len(storage.asset_status.partition_statuses(key)) == 3_650
    elapsed = _best(lambda: storage.asset_status.partition_statuses(key))
    storage.close()
    return elapsed


def measurements() -> list[tuple[str, float, str]]:
    """``(name, seconds, note)`` rows for the benchmark harness (note: target and CPU time)."""

    def row(name: str, timing: Timing, target: str) -> tuple[str, float, str]:
        wall, cpu = timing
        return (name, wall, f"target {target}; cpu {_shown(cpu)}")

    with tempfile.TemporaryDirectory(prefix="assettui-bench-") as folder:
        tmp = Path(folder)
        rows = [row("storage: append 100,000 events (batches of 500)", bench_append(tmp), "< 2 s")]
        storage, run_id = build_big_log(tmp)
        rows.append(
            row(
                "storage: latest materialization of 5,000 assets, 1M events",
                bench_latest_materializations(storage),
                "< 50 ms",
            )
        )
        rows.append(
            row("storage: tail query of 1,000 events, 1M events", bench_tail(storage, run_id),
                "< 5 ms")
        )  # fmt: skip
        storage.close()
        rows.append(
            row("storage: status of 3,650 daily partitions of one asset", bench_partitions(tmp),
                "< 20 ms")
        )  # fmt: skip
    return rows


def _shown(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def main() -> None:
    rows = measurements()
    width = max(len(name) for name, _, _ in rows)
    print(f"{'benchmark':<{width}}  {'time':>10}  note")
    for name, seconds, note in rows:
        print(f"{name:<{width}}  {_shown(seconds):>10}  {note}")


if __name__ == "__main__":
    main()
