"""Beyond one machine: PostgreSQL instance storage and the Dask executor.

- **postgres: append 1,000 events**: the same events as the SQLite rows (``storage.py``),
  assettui through the engine's :class:`EventSink` into ``Storage(url=...)`` (batches, one
  transaction each) vs Dagster's ``instance.handle_new_event`` per event with
  dagster-postgres storage; a fresh database per repetition on one PostgreSQL server.
- **postgres: latest materialization of 5,000 assets**: each asset materialized once, then
  ``latest_materializations`` vs ``get_latest_materialization_events``, as on SQLite.
  assettui's database also holds the 20,000 log lines between them; Dagster's only the
  materializations (each stored through ``store_event``, its run path, which takes minutes
  for the log lines too).
- **dask / multiprocess: 200-step fan-out**: ``assettui materialize`` of one root asset and
  200 children, end to end (run worker included), once with the Dask executor on a cluster
  of 2 worker processes, once with the multiprocess executor (2 at a time): assettui alone.

The PostgreSQL server (the machine's ``initdb`` and ``pg_ctl``) and the Dask cluster are
started by the harness before the first repetition and stopped when it exits; scripts find
them through files under ``<workdir>/cluster/``. Without the binaries the rows fail with the
reason.
"""

from __future__ import annotations

import atexit
import shutil
import sys
import textwrap
import uuid
from functools import partial
from pathlib import Path
from typing import Any

from benchmarks.measurements import ASSETTUI, BOTH, DAGSTER, Context, Measurement, timed_script
from benchmarks.measurements.storage import append_script

ROOT = Path(__file__).resolve().parents[2]
_RUNNING: dict[str, Any] = {}


def _folder(workdir: Path) -> Path:
    folder = Path(workdir) / "cluster"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _start_postgres(workdir: Path) -> None:
    """Start the session's PostgreSQL server (once) and write its URL for the scripts."""
    if "postgres" in _RUNNING:
        return
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from tests.servers import postgres_server

    context = postgres_server()
    server = context.__enter__()
    _RUNNING["postgres"] = server
    atexit.register(context.__exit__, None, None, None)
    (_folder(workdir) / "postgres.url").write_text(server.url())


def _start_dask(workdir: Path) -> None:
    if "dask" in _RUNNING:
        return
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from tests.servers import dask_cluster

    context = dask_cluster(workers=2)
    cluster = context.__enter__()
    _RUNNING["dask"] = cluster
    atexit.register(context.__exit__, None, None, None)
    (_folder(workdir) / "dask.address").write_text(cluster.address)


def fresh_database(workdir: str | Path, tool: str) -> str:
    """A new empty database on the harness's server; returns its URL (in a script)."""
    base = (Path(workdir) / "cluster" / "postgres.url").read_text().strip()
    name = f"bench_{tool}_{uuid.uuid4().hex[:10]}"
    if tool == ASSETTUI:
        import psycopg

        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    else:
        import psycopg2  # dagster-postgres's driver

        conn = psycopg2.connect(base)
        conn.autocommit = True
        conn.cursor().execute(f'CREATE DATABASE "{name}"')
        conn.close()
    return base.rsplit("/", 1)[0] + "/" + name


def dagster_instance(url: str, home: Path) -> Any:
    """A Dagster instance whose run, event log and schedule storage is dagster-postgres."""
    import dagster as dg

    home.mkdir(parents=True, exist_ok=True)
    url = url.replace("postgresql://", "postgresql+psycopg2://")  # dagster-postgres's driver
    (home / "dagster.yaml").write_text(
        f"storage:\n  postgres:\n    postgres_url: {url}\ntelemetry:\n  enabled: false\n"
    )
    return dg.DagsterInstance.from_config(str(home))


POSTGRES_INSTANCES = {
    ASSETTUI: 'storage = Storage(scratch(WORKDIR), url=fresh_database(WORKDIR, "assettui"))',
    DAGSTER: 'instance = dagster_instance(fresh_database(WORKDIR, "dagster"), scratch(WORKDIR))',
}


def _latest_script(assets: int, context: Context) -> str:
    per_run = assets  # five runs: every asset materialized once (one event in five)
    if context.tool == ASSETTUI:
        setup = """
            from assettui.model.asset_key import AssetKey
            from assettui.storage import DagsterRun, Storage
            from benchmarks.measurements.cluster import fresh_database
            from benchmarks.measurements.storage import assettui_events, scratch
            storage = Storage(scratch(WORKDIR), url=fresh_database(WORKDIR, "assettui"))
            for r in range(5):
                run_id = storage.runs.create_run(DagsterRun()).run_id
                storage.event_log.store_events(assettui_events(run_id, r * PER_RUN, PER_RUN, ASSETS))
            keys = [AssetKey(["bench", f"asset_{i}"]) for i in range(ASSETS)]
        """
        timed = "found = storage.asset_status.latest_materializations(keys)"
        check = "assert len(found) == ASSETS"
    else:
        setup = """
            import dagster as dg
            from benchmarks.measurements.cluster import dagster_instance, fresh_database
            from benchmarks.measurements.storage import dagster_events, scratch
            instance = dagster_instance(fresh_database(WORKDIR, "dagster"), scratch(WORKDIR))
            for r in range(5):
                run_id = instance.add_run(dg.DagsterRun(job_name="bench")).run_id
                events = dagster_events(run_id, r * PER_RUN, PER_RUN, ASSETS)
                for event in events:  # the materializations only: 1 s per 300 events
                    if event.dagster_event is not None:
                        instance.event_log_storage.store_event(event)
            keys = [dg.AssetKey(["bench", f"asset_{i}"]) for i in range(ASSETS)]
        """
        timed = "found = instance.get_latest_materialization_events(keys)"
        check = "assert sum(entry is not None for entry in found.values()) == ASSETS"
    return _fill(timed_script(setup, timed, check), context, ASSETS=assets, PER_RUN=per_run)


FAN_OUT = """
import dagster as dg
{executor_import}

@dg.asset
def root():
    return 1

def child(index):
    @dg.asset(name=f"child_{{index}}")
    def _child(root):
        return root + index
    return _child

defs = dg.Definitions(assets=[root, *[child(i) for i in range({steps})]], executor={executor})
"""


def _write_fan_out(workdir: Path, steps: int, kind: str) -> Path:
    project = _folder(workdir) / f"fan_out_{steps}_{kind}"
    if kind == "dask":
        address = (_folder(workdir) / "dask.address").read_text().strip()
        executor_import = "from dagster_dask import dask_executor"
        executor = (
            f'dask_executor.configured({{"cluster": {{"existing": {{"address": "{address}"}}}}}})'
        )
    else:
        executor_import = ""
        executor = 'dg.multiprocess_executor.configured({"max_concurrent": 2})'
    shutil.rmtree(project, ignore_errors=True)
    project.mkdir(parents=True)
    source = FAN_OUT.format(executor_import=executor_import, executor=executor, steps=steps)
    (project / "definitions.py").write_text(textwrap.dedent(source))
    return project


def _prepare_fan_out(steps: int, kind: str, workdir: Path) -> None:
    if kind == "dask":
        _start_dask(workdir)
    _write_fan_out(workdir, steps, kind)


def _fan_out_script(steps: int, kind: str, context: Context) -> str:
    setup = f"""
        import os, subprocess, sys
        from pathlib import Path
        from benchmarks.measurements.storage import scratch
        project = Path(WORKDIR) / "cluster" / "fan_out_{steps}_{kind}"
        env = {{**os.environ, "ASSETTUI_HOME": str(scratch(WORKDIR) / "home")}}
        env.pop("ASSETTUI_STORAGE", None)
    """
    timed = """
        done = subprocess.run(
            [sys.executable, "-m", "assettui.cli.main_entry", "materialize", str(project),
             "--select", "*"], env=env, capture_output=True, text=True,
        )
    """
    check = "assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]"
    return _fill(timed_script(setup, timed, check), context)


def _fill(script: str, context: Context, **constants: int) -> str:
    values = {"WORKDIR": str(context.workdir.resolve()), **constants}
    return "".join(f"{name} = {value!r}\n" for name, value in values.items()) + script


def _rows(append: int, assets: int, steps: int) -> list[Measurement]:
    postgres = _start_postgres
    rows = [
        Measurement(
            name=f"postgres: append {append:,} events (as a run writes them)",
            script=partial(append_script, append, instances=POSTGRES_INSTANCES),
            tools=BOTH,
            prepare=postgres,
        ),
        Measurement(
            name=f"postgres: latest materialization of {assets:,} assets",
            script=partial(_latest_script, assets),
            tools=BOTH,
            prepare=postgres,
        ),
    ]
    for kind, label in (("dask", "a 2-worker Dask cluster"), ("multiprocess", "2 processes")):
        rows.append(
            Measurement(
                name=f"{kind}: {steps}-step fan-out end to end on {label}",
                script=partial(_fan_out_script, steps, kind),
                tools=(ASSETTUI,),
                prepare=partial(_prepare_fan_out, steps, kind),
            )
        )
    return rows


MEASUREMENTS = _rows(append=1_000, assets=5_000, steps=200)
QUICK_MEASUREMENTS = _rows(append=100, assets=100, steps=10)
