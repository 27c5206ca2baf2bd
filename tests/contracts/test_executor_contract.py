"""Executor contract suite: every :class:`Executor` implementation must pass these tests.

Implementations are the params of the ``executor`` fixture: in-process, multiprocess, and
Dask on a real cluster (a scheduler and two worker processes, which load the assets from
``contract_assets.py`` as a project). Each test runs a real plan through a real
``StepRunner`` against a real instance on each storage backend (a SQLite file, a database on
a real PostgreSQL server), with values passed through the filesystem IO manager, and checks
only what the contract in ``execution/executors/base.py`` promises.
"""

from __future__ import annotations

import os
import pickle
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.contracts.contract_assets import (
    after_broken,
    after_checked,
    broken,
    checked,
    doubled,
    flaky,
    flaky_marker,
    source,
    squared,
    total,
)

import assettui as dg
from assettui.execution.event_sink import EventSink
from assettui.execution.executors import Executor, InProcessExecutor, MultiprocessExecutor
from assettui.execution.executors.multiprocess import can_fork
from assettui.execution.plan import build_plan, plan_resource_keys
from assettui.execution.resources import InitResourceContext, initialized_resources
from assettui.execution.step_runner import RunOutcome, StepRunner, StepStatus
from assettui.model.asset_key import AssetKey
from assettui.model.records.events import DagsterEventType
from assettui.model.records.runs import DagsterRun
from assettui.project import ProjectTarget
from assettui.storage.instance import DagsterInstance

PROJECT = ProjectTarget(
    root=Path(__file__).parent, python_file=Path(__file__).parent / "contract_assets.py"
)


@pytest.fixture(params=["dask", "in_process", "multiprocess"])
def executor(request: pytest.FixtureRequest) -> Executor:
    if request.param in {"multiprocess", "dask"} and not can_fork():
        pytest.skip(f"the {request.param} executor needs os.fork")
    if request.param == "dask":
        from assettui.integrations.dask import DaskExecutor

        address = request.getfixturevalue("dask_address")
        return DaskExecutor({"cluster": {"existing": {"address": address}}}, PROJECT)
    if request.param == "multiprocess":
        return MultiprocessExecutor(max_concurrent=2)
    return InProcessExecutor()


@pytest.fixture
def instance(tmp_path: Path, backend: str) -> Iterator[DagsterInstance]:
    """The run's instance, on each storage backend (SQLite, then a PostgreSQL database)."""
    with DagsterInstance.from_home(tmp_path / "home") as inst:
        yield inst


def _execute(
    executor: Executor,
    instance: DagsterInstance,
    assets: list,
    cancel: threading.Event | None = None,
) -> tuple[RunOutcome, str]:
    graph = dg.Definitions(assets=assets).resolve_asset_graph()
    keys = frozenset(graph.materializable_asset_keys)
    run = instance.storage.runs.create_run(DagsterRun(asset_selection=keys))
    plan = build_plan(graph, keys, graph.asset_check_keys)
    cancel = cancel or threading.Event()
    sink = EventSink(instance.storage.event_log.store_events)
    runner = StepRunner(plan, graph, run=run, sink=sink, instance=instance, cancel=cancel)
    init = InitResourceContext(instance=instance, run_id=run.run_id, dagster_run=run)
    needed = plan_resource_keys(plan, graph)
    try:
        with initialized_resources({}, instance.storage.home, needed, init) as resources:
            runner.use_resources(resources)
            outcome = executor.execute(plan, runner, cancel)
    finally:
        sink.close()
    return outcome, run.run_id


def _events(instance: DagsterInstance, run_id: str, kind: DagsterEventType) -> list:
    return [e for e in instance.storage.event_log.run_events(run_id) if e.event_type is kind]


def test_every_step_runs_after_its_upstream_and_values_flow(executor, instance) -> None:
    outcome, run_id = _execute(executor, instance, [source, doubled, squared, total])
    assert outcome.success and not outcome.canceled
    assert {k: o.status for k, o in outcome.steps.items()} == dict.fromkeys(
        ["source", "doubled", "squared", "total"], StepStatus.SUCCESS
    )
    order = {
        e.step_key: e.storage_id for e in _events(instance, run_id, DagsterEventType.STEP_START)
    }
    ended = {
        e.step_key: e.storage_id for e in _events(instance, run_id, DagsterEventType.STEP_SUCCESS)
    }
    assert ended["source"] < order["doubled"] and ended["source"] < order["squared"]
    assert max(ended["doubled"], ended["squared"]) < order["total"]
    stored = instance.storage.home / "storage" / "total"
    assert pickle.loads(stored.read_bytes()) == 8


def test_a_failed_step_skips_its_downstream_and_fails_the_run(executor, instance) -> None:
    outcome, run_id = _execute(executor, instance, [source, broken, after_broken, doubled])
    assert not outcome.success
    statuses = {k: o.status for k, o in outcome.steps.items()}
    assert statuses == {
        "source": StepStatus.SUCCESS,
        "broken": StepStatus.FAILURE,
        "after_broken": StepStatus.SKIPPED,
        "doubled": StepStatus.SUCCESS,
    }
    assert outcome.first_exception is not None and "broken on purpose" in str(
        outcome.first_exception
    )
    assert outcome.failure_reason == "Step(s) failed: broken"
    (failure,) = _events(instance, run_id, DagsterEventType.STEP_FAILURE)
    assert failure.step_key == "broken" and "broken on purpose" in failure.message
    (skipped,) = _events(instance, run_id, DagsterEventType.STEP_SKIPPED)
    assert skipped.step_key == "after_broken"


def test_a_failed_blocking_check_skips_the_downstream(executor, instance) -> None:
    outcome, _ = _execute(executor, instance, [checked, after_checked])
    assert not outcome.success
    assert outcome.steps["checked"].blocked == {AssetKey("checked")}
    assert outcome.steps["after_checked"].status is StepStatus.SKIPPED


def test_a_run_canceled_before_it_starts_runs_nothing(executor, instance) -> None:
    cancel = threading.Event()
    cancel.set()
    outcome, run_id = _execute(executor, instance, [source, doubled], cancel)
    assert outcome.canceled and not outcome.success
    assert {o.status for o in outcome.steps.values()} == {StepStatus.SKIPPED}
    assert set(outcome.steps) == {"source", "doubled"}
    assert _events(instance, run_id, DagsterEventType.STEP_START) == []


def test_retries_rerun_a_step_until_it_succeeds(executor, instance) -> None:
    outcome, run_id = _execute(executor, instance, [flaky])
    assert outcome.success
    assert len(_events(instance, run_id, DagsterEventType.STEP_UP_FOR_RETRY)) == 1
    assert len(_events(instance, run_id, DagsterEventType.STEP_SUCCESS)) == 1
    ran_in = flaky_marker(run_id).read_text()
    flaky_marker(run_id).unlink()
    assert (ran_in == str(os.getpid())) == (executor.name == "in_process")
