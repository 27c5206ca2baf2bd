"""Storage: appending events and the instance queries the UI lives on, on SQLite.

Both tools get the same data: runs whose events are, one in five, an asset materialization
(with two metadata entries and a code version tag) and otherwise a ``context.log`` line.

- **append**: assettui stores through the engine's :class:`EventSink` (batches of 1,000,
  one transaction each); Dagster through ``instance.handle_new_event(entry)`` once per event,
  which is what a run does: its SQLite event log has no batch write (``store_event_batch``
  loops over ``store_event``), so each event is its own transaction.
- **latest materialization of 5,000 assets**: assettui's
  ``storage.asset_status.latest_materializations(keys)`` vs Dagster's
  ``instance.get_latest_materialization_events(keys)``; both return parsed events.
- **tail**: 1,000 events of a run after storage id N: assettui's
  ``storage.event_log.events_after(N, run_id=..., limit=1000)`` (the log view's query) vs
  ``instance.get_records_for_run(run_id, cursor, limit=1000)``.
- **partitions**: one asset with 3,650 daily partitions: assettui's
  ``storage.asset_status.partition_statuses(key)`` (the calendar's query: every status) vs
  ``instance.get_materialized_partitions(key)`` (materialized ones only).

Dagster's run path stores 100-400 events a second (each a committed, synced transaction),
so the issue's sizes run for assettui alone (append 100,000 events; a 1,000,000-event log)
and smaller ones for both tools (append 1,000 events; a 100,000-event log, 10 runs of
10,000). The read rows use an instance prepared once under ``<workdir>/storage/<tool>/`` and
reused while its fingerprint (this file, plus assettui's storage code or Dagster's version)
matches. Dagster's is written with the statements ``store_event`` runs, grouped into one
transaction per run and database file: even so a 1M-event log takes Dagster about 5.5
minutes to prepare (through ``handle_new_event``, about an hour), against 15 s for
assettui. Each repetition reads a fresh copy of the prepared instance, so nothing a reader
writes on open (migrations, WAL files, Dagster's schema checks) reaches the next one.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from benchmarks.measurements import ASSETTUI, DAGSTER, Context, Measurement, timed_script

ROOT = Path(__file__).resolve().parents[2]
DAGSTER_PYTHON = ROOT / ".venv-dagster" / "bin" / "python"


@dataclass(frozen=True)
class Log:
    """A prepared event log: ``runs`` runs of ``per_run`` events over ``assets`` assets."""

    runs: int
    per_run: int
    assets: int

    @property
    def name(self) -> str:
        return f"log-{self.runs}x{self.per_run}-{self.assets}"


@dataclass(frozen=True)
class Partitions:
    """A prepared instance: one asset with ``days`` daily partitions, each materialized once."""

    days: int

    @property
    def name(self) -> str:
        return f"partitions-{self.days}"


Dataset = Log | Partitions


# ---------------------------------------------------------------- events, per tool


def _days(count: int) -> list[str]:
    import datetime as dt

    first = dt.date(2015, 1, 1)
    return [(first + dt.timedelta(days=i)).isoformat() for i in range(count)]


def assettui_events(
    run_id: str, start: int, count: int, assets: int, partitions: list[str] | None = None
) -> list[Any]:
    """Events ``start`` .. ``start + count`` of a run (all materializations of ``daily``,
    one per partition, when ``partitions`` is given)."""
    from assettui.model.asset_key import AssetKey
    from assettui.model.metadata.values import MetadataValue, metadata_to_json
    from assettui.storage import DagsterEventType, NewEvent

    metadata = metadata_to_json({"rows": MetadataValue.int(100), "path": MetadataValue.path("x")})
    payload = {"metadata": metadata, "tags": {}, "code_version": "v1", "description": None}
    kind = DagsterEventType.ASSET_MATERIALIZATION
    if partitions is not None:
        key = AssetKey(["daily"])
        return [
            NewEvent(run_id, kind, asset_key=key, partition=p, payload=payload) for p in partitions
        ]
    events = []
    for i in range(start, start + count):
        if i % 5 == 0:
            key = AssetKey(["bench", f"asset_{(i // 5) % assets}"])
            step = key.to_user_string()
            events.append(
                NewEvent(
                    run_id, kind, "materialized", asset_key=key, step_key=step, payload=payload
                )
            )
        else:
            events.append(
                NewEvent(run_id, DagsterEventType.LOG, f"log line {i}", level="INFO", step_key="s")
            )
    return events


def dagster_events(
    run_id: str, start: int, count: int, assets: int, partitions: list[str] | None = None
) -> list[Any]:
    """The same events as :func:`assettui_events`, as Dagster ``EventLogEntry`` values."""
    import logging
    import time

    import dagster as dg
    from dagster._core.events import StepMaterializationData

    metadata = {"rows": dg.MetadataValue.int(100), "path": dg.MetadataValue.path("x")}
    tags = {"dagster/code_version": "v1"}

    def materialization(key: Any, partition: str | None = None) -> Any:
        step = key.to_user_string()
        data = StepMaterializationData(
            dg.AssetMaterialization(key, metadata=metadata, partition=partition, tags=tags)
        )
        event = dg.DagsterEvent(
            dg.DagsterEventType.ASSET_MATERIALIZATION.value,
            "bench",
            step_key=step,
            event_specific_data=data,
        )
        return dg.EventLogEntry(
            None, logging.DEBUG, "materialized", run_id, time.time(), step, "bench", event
        )

    if partitions is not None:
        return [materialization(dg.AssetKey(["daily"]), p) for p in partitions]
    return [
        materialization(dg.AssetKey(["bench", f"asset_{(i // 5) % assets}"]))
        if i % 5 == 0
        else dg.EventLogEntry(
            None, logging.INFO, f"log line {i}", run_id, time.time(), "s", "bench", None
        )
        for i in range(start, start + count)
    ]


def dagster_store(instance: Any, run_id: str, events: list[Any]) -> None:
    """Write ``events`` as ``store_event`` would, but in one transaction per database file.

    For preparation only: the rows are the ones ``SqliteEventLogStorage.store_event`` writes
    (the run's shard; materializations mirrored to the index shard with their tags and the
    asset's row), without opening a new engine for every event.
    """
    storage = instance.event_log_storage
    with storage.run_connection(run_id) as conn:
        for chunk in range(0, len(events), 500):
            conn.execute(storage.prepare_insert_event_batch(events[chunk : chunk + 500]))
    with storage.index_transaction() as conn:
        for event in events:
            if event.dagster_event is not None:
                result = conn.execute(storage.prepare_insert_event(event))
                event_id = result.inserted_primary_key[0]
                storage._store_asset_event_tags(conn, [event], [event_id])
                storage._store_asset_event(conn, event, event_id)


# ---------------------------------------------------------------- prepared instances


def _fingerprint(tool: str) -> str:
    digest = hashlib.sha256(Path(__file__).read_bytes())
    if tool == ASSETTUI:
        import assettui.storage

        for path in sorted(Path(assettui.storage.__file__).parent.glob("*.py")):
            digest.update(path.read_bytes())
    else:
        import dagster

        digest.update(dagster.__version__.encode())
    return digest.hexdigest()


def _build(tool: str, dataset: Dataset, home: Path) -> dict[str, Any]:
    """Write ``dataset`` into a new instance at ``home``; returns what readers need."""
    runs, per_run, assets = (
        (dataset.runs, dataset.per_run, dataset.assets) if isinstance(dataset, Log) else (1, 0, 0)
    )
    days = _days(dataset.days) if isinstance(dataset, Partitions) else None
    run_id = ""
    if tool == ASSETTUI:
        from assettui.storage import DagsterRun, Storage

        with Storage(home) as storage:
            for r in range(runs):
                run_id = storage.runs.create_run(DagsterRun()).run_id
                events = assettui_events(run_id, r * per_run, per_run, assets, days)
                for chunk in range(0, len(events), 5_000):
                    storage.event_log.store_events(events[chunk : chunk + 5_000])
    else:
        import uuid

        import dagster as dg

        home.mkdir(parents=True)
        instance = dg.DagsterInstance.local_temp(str(home))
        for r in range(runs):
            run_id = str(uuid.uuid4())
            instance.add_run(dg.DagsterRun(job_name="bench", run_id=run_id))
            dagster_store(
                instance, run_id, dagster_events(run_id, r * per_run, per_run, assets, days)
            )
        instance.dispose()
    return {"last_run_id": run_id}


def ensure_dataset(tool: str, workdir: str | Path, dataset: Dataset) -> tuple[Path, dict[str, Any]]:
    """The prepared instance folder of ``dataset`` for ``tool`` (built if missing or stale)."""
    folder = Path(workdir) / "storage" / tool / dataset.name
    marker = folder / "prepared.json"
    fingerprint = _fingerprint(tool)
    if marker.is_file():
        info = json.loads(marker.read_text())
        if info.get("fingerprint") == fingerprint:
            return folder / "home", info
    building = folder.with_name(folder.name + ".building")
    shutil.rmtree(building, ignore_errors=True)
    info = {"fingerprint": fingerprint, **_build(tool, dataset, building / "home")}
    (building / "prepared.json").write_text(json.dumps(info))
    shutil.rmtree(folder, ignore_errors=True)
    building.rename(folder)  # only a complete build ever gets the final name
    return folder / "home", info


def scratch(workdir: str | Path) -> Path:
    """A new empty folder under the workdir, removed when this process exits."""
    parent = Path(workdir) / "storage" / "scratch"
    parent.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(dir=parent))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


def open_copy(tool: str, workdir: str | Path, dataset: Dataset) -> tuple[Any, dict[str, Any]]:
    """A fresh copy of the prepared instance, opened: ``(Storage or DagsterInstance, info)``."""
    prepared, info = ensure_dataset(tool, workdir, dataset)
    home = scratch(workdir) / "home"
    shutil.copytree(prepared, home)
    if tool == ASSETTUI:
        from assettui.storage import Storage

        return Storage(home), info
    import dagster as dg

    return dg.DagsterInstance.local_temp(str(home)), info


def _prepare(datasets: tuple[Dataset, ...], tools: tuple[str, ...], workdir: Path) -> None:
    """Build the datasets ahead of the first repetition, in each tool's interpreter.

    A failure is only reported: the measured script then builds (or fails) in its own setup.
    """
    # No script runs now: copies left by a killed repetition can go.
    shutil.rmtree(workdir / "storage" / "scratch", ignore_errors=True)
    pythons = {ASSETTUI: sys.executable, DAGSTER: str(DAGSTER_PYTHON)}
    for tool in tools:
        if tool == DAGSTER and not DAGSTER_PYTHON.is_file():
            continue
        for dataset in datasets:
            code = (
                "from benchmarks.measurements.storage import Log, Partitions, ensure_dataset\n"
                f"ensure_dataset({tool!r}, {str(workdir.resolve())!r}, {dataset!r})\n"
            )
            done = subprocess.run(
                [pythons[tool], "-c", code], cwd=ROOT, capture_output=True, text=True
            )
            if done.returncode != 0:
                last = (done.stderr.strip().splitlines() or ["?"])[-1]
                print(
                    f"storage: preparing {dataset.name} for {tool} failed: {last}", file=sys.stderr
                )


# ---------------------------------------------------------------- scripts


SQLITE_INSTANCES = {
    ASSETTUI: "storage = Storage(scratch(WORKDIR))",
    DAGSTER: "instance = dg.DagsterInstance.local_temp(str(scratch(WORKDIR)))",
}


def append_script(count: int, context: Context, instances: dict[str, str] | None = None) -> str:
    """Append ``count`` events as a run writes them, into the instance ``instances[tool]``
    opens (a statement assigning ``storage`` or ``instance``; SQLite by default)."""
    opened = (instances or SQLITE_INSTANCES)[context.tool]
    if context.tool == ASSETTUI:
        setup = f"""
            from assettui.execution.event_sink import EventSink
            from assettui.storage import DagsterRun, Storage
            from benchmarks.measurements.cluster import fresh_database
            from benchmarks.measurements.storage import assettui_events, scratch
            {opened}
            run_id = storage.runs.create_run(DagsterRun()).run_id
            events = assettui_events(run_id, 0, COUNT, 1_000)
            sink = EventSink(storage.event_log.store_events)  # the engine's batching
        """
        timed = """
            for event in events:
                sink.emit(event)
            sink.close()
        """
        check = "assert len(storage.event_log.run_events(run_id)) == COUNT"
    else:
        setup = f"""
            import dagster as dg
            from benchmarks.measurements.cluster import dagster_instance, fresh_database
            from benchmarks.measurements.storage import dagster_events, scratch
            {opened}
            run_id = instance.add_run(dg.DagsterRun(job_name="bench")).run_id
            events = dagster_events(run_id, 0, COUNT, 1_000)
        """
        timed = """
            for event in events:
                instance.handle_new_event(event)
        """
        check = "assert len(instance.get_records_for_run(run_id).records) == COUNT"
    return _fill(timed_script(setup, timed, check), context, COUNT=count)


def _latest_script(log: Log, context: Context) -> str:
    opened = f"target, info = open_copy({context.tool!r}, WORKDIR, {log!r})"
    if context.tool == ASSETTUI:
        setup = f"""
            from assettui.model.asset_key import AssetKey
            from benchmarks.measurements.storage import Log, open_copy
            {opened}
            keys = [AssetKey(["bench", f"asset_{{i}}"]) for i in range(ASSETS)]
        """
        timed = "found = target.asset_status.latest_materializations(keys)"
        check = "assert len(found) == ASSETS"
    else:
        setup = f"""
            import dagster as dg
            from benchmarks.measurements.storage import Log, open_copy
            {opened}
            keys = [dg.AssetKey(["bench", f"asset_{{i}}"]) for i in range(ASSETS)]
        """
        timed = "found = target.get_latest_materialization_events(keys)"
        check = "assert sum(entry is not None for entry in found.values()) == ASSETS"
    return _fill(timed_script(setup, timed, check), context, ASSETS=log.assets)


def _tail_script(log: Log, context: Context) -> str:
    opened = f"target, info = open_copy({context.tool!r}, WORKDIR, {log!r})"
    run = "run_id = info['last_run_id']"
    if context.tool == ASSETTUI:
        setup = f"""
            from benchmarks.measurements.storage import Log, open_copy
            {opened}
            {run}
            after = target.event_log.run_events(run_id, limit=1)[0].storage_id + PER_RUN // 20
        """
        timed = "page = target.event_log.events_after(after, run_id=run_id, limit=1_000)"
        check = "assert len(page) == 1_000 and page[0].storage_id == after + 1"
    else:
        setup = f"""
            from dagster._core.event_api import EventLogCursor
            from benchmarks.measurements.storage import Log, open_copy
            {opened}
            {run}
            first = target.get_records_for_run(run_id, limit=1).records[0].storage_id
            cursor = EventLogCursor.from_storage_id(first + PER_RUN // 20).to_string()
        """
        timed = "page = target.get_records_for_run(run_id, cursor, limit=1_000).records"
        check = "assert len(page) == 1_000 and page[0].storage_id == first + PER_RUN // 20 + 1"
    return _fill(timed_script(setup, timed, check), context, PER_RUN=log.per_run)


def _partitions_script(dataset: Partitions, context: Context) -> str:
    opened = f"target, info = open_copy({context.tool!r}, WORKDIR, {dataset!r})"
    if context.tool == ASSETTUI:
        setup = f"""
            from assettui.model.asset_key import AssetKey
            from benchmarks.measurements.storage import Partitions, open_copy
            {opened}
            key = AssetKey(["daily"])
        """
        timed = "statuses = target.asset_status.partition_statuses(key)"
    else:
        setup = f"""
            import dagster as dg
            from benchmarks.measurements.storage import Partitions, open_copy
            {opened}
            key = dg.AssetKey(["daily"])
        """
        timed = "statuses = target.get_materialized_partitions(key)"
    check = "assert len(statuses) == DAYS"
    return _fill(timed_script(setup, timed, check), context, DAYS=dataset.days)


def _fill(script: str, context: Context, **constants: int) -> str:
    """Put the workdir and the row's sizes into ``script`` (as leading assignments)."""
    values = {"WORKDIR": str(context.workdir.resolve()), **constants}
    return "".join(f"{name} = {value!r}\n" for name, value in values.items()) + script


# ---------------------------------------------------------------- rows


def _count(number: int) -> str:
    return f"{number // 1_000_000}M" if number % 1_000_000 == 0 else f"{number:,}"


def _rows(append: int, append_both: int, big: Log, small: Log, days: int) -> list[Measurement]:
    """The rows: issue-sized ones for assettui alone, smaller ones for both tools."""
    ours, both = (ASSETTUI,), (ASSETTUI, DAGSTER)
    rows = [
        Measurement(
            name=f"storage: append {_count(count)} events (as a run writes them)",
            script=partial(append_script, count),
            goal=goal,
            tools=tools,
        )
        for count, tools, goal in ((append, ours, "< 2 s"), (append_both, both, ""))
    ]
    for log, tools, issue_sized in ((big, ours, True), (small, both, False)):
        size = _count(log.runs * log.per_run)
        prepare = partial(_prepare, (log,), tools)
        rows.append(
            Measurement(
                name=f"storage: latest materialization of {log.assets:,} assets, {size}-event log",
                script=partial(_latest_script, log),
                goal="< 50 ms" if issue_sized else "",
                tools=tools,
                prepare=prepare,
            )
        )
        rows.append(
            Measurement(
                name=f"storage: tail 1,000 events of a run after id N, {size}-event log",
                script=partial(_tail_script, log),
                goal="< 5 ms" if issue_sized else "",
                tools=tools,
                prepare=prepare,
            )
        )
    partitions = Partitions(days)
    rows.append(
        Measurement(
            name=f"storage: status of all {days:,} daily partitions of one asset",
            script=partial(_partitions_script, partitions),
            goal="< 20 ms",
            tools=both,
            prepare=partial(_prepare, (partitions,), both),
        )
    )
    return rows


MEASUREMENTS = _rows(
    append=100_000,
    append_both=1_000,
    big=Log(runs=100, per_run=10_000, assets=5_000),
    small=Log(runs=10, per_run=10_000, assets=5_000),
    days=3_650,
)
QUICK_MEASUREMENTS = _rows(
    append=2_000,
    append_both=200,
    big=Log(runs=3, per_run=2_000, assets=200),
    small=Log(runs=2, per_run=2_000, assets=200),
    days=100,
)
