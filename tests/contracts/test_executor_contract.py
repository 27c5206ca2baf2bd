"""Executor contract suite: every :class:`Executor` implementation must pass these tests.

Implementations are the params of the ``executor`` fixture (in-process and multiprocess today;
a cluster executor joins by adding itself). Each test runs a real plan through a real
``StepRunner`` against a real SQLite instance, with values passed through the filesystem IO
manager, and checks only what the contract in ``execution/executors/base.py`` promises.
"""

from __future__ import annotations

import os
import pickle
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

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
from assettui.storage.instance import DagsterInstance

EXECUTORS = {
    "in_process": InProcessExecutor,
    "multiprocess": lambda: MultiprocessExecutor(max_concurrent=2),
}


@pytest.fixture(params=sorted(EXECUTORS))
def executor(request: pytest.FixtureRequest) -> Executor:
    if request.param == "multiprocess" and not can_fork():
        pytest.skip("the multiprocess executor needs os.fork")
    return EXECUTORS[request.param]()


@pytest.fixture
def instance(tmp_path: Path) -> Iterator[DagsterInstance]:
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


@dg.asset
def source() -> int:
    return 2


@dg.asset
def doubled(source: int) -> int:
    return source * 2


@dg.asset
def squared(source: int) -> int:
    return source**2


@dg.asset
def total(doubled: int, squared: int) -> int:
    return doubled + squared


@dg.asset
def broken(source: int) -> int:
    raise ValueError("broken on purpose")


@dg.asset
def after_broken(broken: int) -> int:
    return broken


@dg.asset(check_specs=[dg.AssetCheckSpec("positive", asset="checked", blocking=True)])
def checked():
    yield dg.Output(-1)
    yield dg.AssetCheckResult(passed=False, check_name="positive")


@dg.asset
def after_checked(checked: int) -> int:
    return checked


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


def test_retries_rerun_a_step_until_it_succeeds(executor, instance, tmp_path) -> None:
    marker = tmp_path / "tried"

    @dg.asset(retry_policy=dg.RetryPolicy(max_retries=2))
    def flaky() -> str:
        if not marker.exists():
            marker.write_text(str(os.getpid()))
            raise RuntimeError("first try fails")
        return "ok"

    outcome, run_id = _execute(executor, instance, [flaky])
    assert outcome.success
    assert len(_events(instance, run_id, DagsterEventType.STEP_UP_FOR_RETRY)) == 1
    assert len(_events(instance, run_id, DagsterEventType.STEP_SUCCESS)) == 1
