"""The Dask executor through real run workers: `assettui materialize` of a project whose
definitions use ``dagster_dask.dask_executor``, on a real cluster (a ``dask scheduler`` and
two ``dask worker`` processes), or on a ``LocalCluster`` the run starts."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests.servers import free_port
from tests.test_cli import assettui

from assettui.model.records.events import DagsterEventType as E
from assettui.model.records.runs import DagsterRunStatus
from assettui.storage.instance_storage import Storage

pytest.importorskip("distributed", reason="Dask's distributed package is not installed")

pytestmark = pytest.mark.slow

DIAMOND = """
import os
import time
import dagster as dg
from dagster_dask import dask_executor
from distributed import get_worker

def where():
    return f"{{get_worker().name}} {{os.getpid()}}"

@dg.asset
def a():
    print("a ran on", where())
    return 1

@dg.asset
def b(a):
    time.sleep(0.5)
    print("b ran on", where())
    return a + 1

@dg.asset
def c(a):
    time.sleep(0.5)
    print("c ran on", where())
    return a + 2

@dg.asset
def d(context, b, c):
    context.log.info(f"d sees {{b}} and {{c}}")
    return b * c

defs = dg.Definitions(
    assets=[a, b, c, d],
    executor=dask_executor.configured({{"cluster": {{"existing": {{"address": "{address}"}}}}}}),
)
"""


def _storage(project: Path) -> Storage:
    return Storage(project / ".assettui")


def _events(project: Path, run_id: str, kind: E) -> list:
    with_storage = _storage(project)
    try:
        return [e for e in with_storage.event_log.run_events(run_id) if e.event_type is kind]
    finally:
        with_storage.close()


def _only_run(project: Path):
    storage = _storage(project)
    try:
        (run,) = storage.runs.list_runs()
        return run
    finally:
        storage.close()


def _captured(project: Path, run_id: str, step: str) -> str:
    return (project / ".assettui" / "logs" / run_id / f"{step}.out").read_text()


def test_each_step_runs_as_a_task_on_a_dask_worker(write_project, dask_address) -> None:
    project = write_project(DIAMOND.format(address=dask_address))
    out = assettui("materialize", str(project), "--select", "*")
    assert out.returncode == 0, out.stdout + out.stderr
    run = _only_run(project)
    assert run.status is DagsterRunStatus.SUCCESS
    workers = {}
    for step in "abc":
        line = _captured(project, run.run_id, step).strip()
        assert line.startswith(f"{step} ran on w"), line
        name, pid = line.split()[-2:]
        workers[step] = name
        assert int(pid) != os.getpid()
    assert set(workers.values()) <= {"w0", "w1"}
    started = {e.step_key: e.storage_id for e in _events(project, run.run_id, E.STEP_START)}
    ended = {e.step_key: e.storage_id for e in _events(project, run.run_id, E.STEP_SUCCESS)}
    assert ended["a"] < min(started["b"], started["c"])
    assert max(ended["b"], ended["c"]) < started["d"]
    (log,) = [e for e in _events(project, run.run_id, E.LOG) if e.step_key == "d"]
    assert log.message == "d sees 2 and 3"  # inputs read back through the IO manager
    value = assettui("list", str(project))  # the stored values load here too
    assert value.returncode == 0


def test_run_config_points_a_jobs_dask_executor_at_a_cluster(write_project, dask_address) -> None:
    project = write_project(
        """
        import dagster as dg
        from dagster_dask import dask_executor

        @dg.asset
        def first():
            from distributed import get_worker
            return get_worker().name

        @dg.asset
        def second(context, first):
            context.log.info(f"first ran on {first}")

        job = dg.define_asset_job("on_dask", selection="*", executor_def=dask_executor)
        defs = dg.Definitions(assets=[first, second], jobs=[job])
        """
    )
    config = project / "run.yaml"
    config.write_text(
        f"execution:\n  config:\n    cluster:\n      existing:\n        address: {dask_address}\n"
    )
    out = assettui("materialize", str(project), "--job", "on_dask", "--config", str(config))
    assert out.returncode == 0, out.stdout + out.stderr
    run = _only_run(project)
    (log,) = _events(project, run.run_id, E.LOG)
    assert log.message in {"first ran on w0", "first ran on w1"}


def test_cancel_stops_a_step_running_on_a_dask_worker(write_project, dask_address) -> None:
    project = write_project(
        """
        import os
        import time
        import dagster as dg
        from dagster_dask import dask_executor

        @dg.asset
        def slow():
            with open(os.path.join(os.path.dirname(__file__), "slow.pid"), "w") as out:
                out.write(str(os.getpid()))
            time.sleep(120)

        @dg.asset
        def after(slow):
            return slow

        defs = dg.Definitions(
            assets=[slow, after],
            executor=dask_executor.configured(
                {"cluster": {"existing": {"address": "ADDRESS"}}}
            ),
        )
        """.replace("ADDRESS", dask_address)
    )
    materialize = subprocess.Popen(
        [sys.executable, "-m", "assettui.cli.main_entry", "materialize", str(project)],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        pid_file = project / "slow.pid"
        deadline = time.monotonic() + 60
        while not pid_file.exists() or not pid_file.read_text():
            assert time.monotonic() < deadline, "the slow step never started"
            assert materialize.poll() is None, materialize.communicate()[0]
            time.sleep(0.1)
        step_pid = int(pid_file.read_text())
        run = _only_run(project)
        canceled = assettui("cancel", str(project), run.run_id)
        assert canceled.returncode == 0, canceled.stdout + canceled.stderr
        materialize.wait(60)
    finally:
        if materialize.poll() is None:
            materialize.kill()
    run = _only_run(project)
    assert run.status is DagsterRunStatus.CANCELED
    (failure,) = _events(project, run.run_id, E.STEP_FAILURE)
    assert failure.step_key == "slow" and "cancel" in failure.message
    assert _events(project, run.run_id, E.STEP_START)[0].step_key == "slow"
    assert all(e.step_key != "after" for e in _events(project, run.run_id, E.STEP_START))
    assert not Path(f"/proc/{step_pid}").exists() or _zombie(step_pid)


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    except OSError:
        return True


def test_a_dead_dask_worker_fails_its_step_clearly(write_project) -> None:
    project = write_project(
        """
        import os
        import signal
        import time
        import dagster as dg
        from dagster_dask import dask_executor

        @dg.asset
        def fine():
            return 1

        @dg.asset
        def kills_its_worker(fine):
            os.kill(os.getppid(), signal.SIGKILL)  # the step's parent: the Dask worker
            time.sleep(60)  # this step process dies with it (it never ends by itself)

        @dg.asset
        def after(kills_its_worker):
            return 2

        defs = dg.Definitions(
            assets=[fine, kills_its_worker, after],
            executor=dask_executor.configured(
                {"cluster": {"local": {"n_workers": 2, "threads_per_worker": 1}}}
            ),
        )
        """
    )
    out = assettui("materialize", str(project), "--select", "*")
    assert out.returncode == 1, out.stdout + out.stderr
    run = _only_run(project)
    assert run.status is DagsterRunStatus.FAILURE
    (failure,) = _events(project, run.run_id, E.STEP_FAILURE)
    assert failure.step_key == "kills_its_worker"
    assert 'The Dask worker running step "kills_its_worker"' in failure.message
    assert "died before the step ended" in failure.message
    (skipped,) = _events(project, run.run_id, E.STEP_SKIPPED)
    assert skipped.step_key == "after"
    assert [e.step_key for e in _events(project, run.run_id, E.STEP_SUCCESS)] == ["fine"]


def test_a_scheduler_that_is_down_fails_the_run_clearly(write_project) -> None:
    address = f"tcp://127.0.0.1:{free_port()}"  # nobody listens there
    project = write_project(
        """
        import dagster as dg
        from dagster_dask import dask_executor

        @dg.asset
        def one():
            return 1

        defs = dg.Definitions(
            assets=[one],
            executor=dask_executor.configured(
                {"cluster": {"existing": {"address": "ADDRESS", "timeout": 2}}}
            ),
        )
        """.replace("ADDRESS", address)
    )
    out = assettui("materialize", str(project))
    assert out.returncode == 1
    assert "Traceback" not in out.stdout + out.stderr
    run = _only_run(project)
    assert run.status is DagsterRunStatus.FAILURE
    assert f"The Dask scheduler at {address} could not be reached" in (run.failure_reason or "")
    assert _events(project, run.run_id, E.STEP_START) == []


def test_unsupported_cluster_kinds_say_what_to_use_instead() -> None:
    from assettui.errors import DefinitionError
    from assettui.integrations.dask.executor import cluster_config

    assert cluster_config({}) == ("local", {})
    assert cluster_config({"cluster": {"existing": {"address": "tcp://127.0.0.1:1"}}}) == (
        "existing",
        {"address": "tcp://127.0.0.1:1"},
    )
    with pytest.raises(DefinitionError, match="does not start 'slurm' clusters"):
        cluster_config({"cluster": {"slurm": {}}})
    with pytest.raises(DefinitionError, match="needs the scheduler's 'address'"):
        cluster_config({"cluster": {"existing": {}}})
    with pytest.raises(DefinitionError, match="give exactly one"):
        cluster_config({"cluster": {"local": {}, "existing": {}}})
