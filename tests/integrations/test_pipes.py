"""Pipes with real subprocesses: a script's logs, materialization metadata and check
results land in the run; a failing script fails the step with its exit code; canceling the
run stops the script."""

from __future__ import annotations

import os
import sys
import textwrap
import time
from pathlib import Path

import pytest

import assettui as dg
from assettui.execution.launcher import RunLauncher
from assettui.model.records.runs import DagsterRunStatus
from assettui.project import find_project, resolve_home

REPORTING = """
from dagster_pipes import open_dagster_pipes

with open_dagster_pipes() as pipes:
    pipes.log.info(f"hello from outside, extras={pipes.extras}")
    pipes.report_asset_materialization(metadata={"rows": 42})
    pipes.report_asset_check(check_name="rows_positive", passed=True, metadata={"min": 1})
"""


def _script(tmp_path: Path, text: str) -> str:
    path = tmp_path / "script.py"
    path.write_text(textwrap.dedent(text))
    return str(path)


def test_a_script_reports_logs_metadata_and_checks(tmp_path: Path) -> None:
    script = _script(tmp_path, REPORTING)

    @dg.asset(check_specs=[dg.AssetCheckSpec(name="rows_positive", asset="external_table")])
    def external_table(context, pipes_subprocess_client: dg.PipesSubprocessClient):
        return pipes_subprocess_client.run(
            command=[sys.executable, script], context=context, extras={"k": 1}
        ).get_results()

    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize(
        [external_table],
        resources={"pipes_subprocess_client": dg.PipesSubprocessClient()},
        instance=instance,
    )
    (mat,) = result.asset_materializations_for_node("external_table")
    assert mat.metadata["rows"].value == 42
    (check,) = result.get_asset_check_evaluations()
    assert check.passed and check.check_name == "rows_positive"
    logs = [e.message for e in result.all_events if e.event_type_value == "LOG"]
    assert "hello from outside, extras={'k': 1}" in logs


def test_an_unreported_asset_is_materialized_and_a_failing_script_fails(tmp_path: Path) -> None:
    quiet = _script(
        tmp_path,
        "from dagster_pipes import open_dagster_pipes\nwith open_dagster_pipes():\n    pass\n",
    )

    @dg.asset
    def quiet_asset(context, pipes_subprocess_client: dg.PipesSubprocessClient):
        return pipes_subprocess_client.run(
            command=[sys.executable, quiet], context=context
        ).get_materialize_result()

    assert dg.materialize(
        [quiet_asset], resources={"pipes_subprocess_client": dg.PipesSubprocessClient()}
    ).success
    failing = tmp_path / "failing.py"
    failing.write_text(
        "from dagster_pipes import open_dagster_pipes\n"
        "with open_dagster_pipes():\n"
        "    raise ValueError('bad input file')\n"
    )

    @dg.asset
    def fragile(context, pipes_subprocess_client: dg.PipesSubprocessClient):
        return pipes_subprocess_client.run(
            command=[sys.executable, str(failing)], context=context
        ).get_materialize_result()

    with pytest.raises(dg.DagsterPipesExecutionError, match=r"failed with code 1: bad input file"):
        dg.materialize([fragile], resources={"pipes_subprocess_client": dg.PipesSubprocessClient()})


PROJECT = """
import sys
from pathlib import Path
import dagster as dg

SCRIPT = Path(__file__).parent / "sleeper.py"


@dg.asset
def slow_external(context, pipes_subprocess_client: dg.PipesSubprocessClient):
    return pipes_subprocess_client.run(command=[sys.executable, str(SCRIPT)], context=context).get_materialize_result()


defs = dg.Definitions(assets=[slow_external], resources={"pipes_subprocess_client": dg.PipesSubprocessClient()})
"""

SLEEPER = """
import os, time
from pathlib import Path
from dagster_pipes import open_dagster_pipes

with open_dagster_pipes() as pipes:
    (Path(__file__).parent / "script.pid").write_text(str(os.getpid()))
    pipes.log.info("sleeping")
    time.sleep(120)
"""


def test_canceling_the_run_stops_the_external_process(write_project) -> None:
    project = write_project(PROJECT)
    (project / "sleeper.py").write_text(textwrap.dedent(SLEEPER))
    target = find_project(project)
    launcher = RunLauncher(resolve_home(target, None), target)
    run_id = launcher.launch([dg.AssetKey("slow_external")])
    pid_file = project / "script.pid"
    deadline = time.monotonic() + 30
    while not pid_file.exists():
        assert time.monotonic() < deadline, "the script never started"
        time.sleep(0.05)
    pid = int(pid_file.read_text())
    launcher.cancel(run_id)
    run = launcher.wait(run_id, timeout=30)
    assert run is not None and run.status is DagsterRunStatus.CANCELED
    deadline = time.monotonic() + 10
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        assert time.monotonic() < deadline, "the external script is still running"
        time.sleep(0.05)
