"""The Dask executor: each step of a run as a task on a Dask cluster.

Configured as dagster-dask's ``dask_executor``: ``{"cluster": {"existing": {"address":
"tcp://host:8786"}}}`` joins a running cluster, ``{"cluster": {"local": {...}}}`` starts a
``LocalCluster`` for the run (its parameters; ``timeout`` is the client's), and no config
starts a local cluster of worker processes. The run worker schedules: a step is submitted
once every step it depends on has an outcome, and its task (see :mod:`.step_task`) runs it
on a worker, where the step reads its inputs and writes its values through the IO managers
(so they must be reachable from every worker: a shared folder) and its events to the run's
storage. Retries happen inside the task, cancel reaches running tasks through a Dask
``Event``, and a worker that dies fails its step with a message naming it.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Mapping
from typing import Any

from assettui.errors import DefinitionError, ExecutionError
from assettui.execution.executors.multiprocess import CHILD_STOP_GRACE_SECONDS, record_report
from assettui.execution.executors.parallel import ParallelRun
from assettui.execution.plan import ExecutionPlan, Step
from assettui.execution.step_runner import RunInterrupted, RunOutcome, StepOutcome, StepRunner
from assettui.integrations.dask.step_task import cancel_event_name, run_step
from assettui.model.asset_key import AssetKey
from assettui.model.executor import ExecutorDefinition
from assettui.storage.postgres.connection import without_password

CLUSTER_KINDS = ("existing", "local")
UNSUPPORTED_KINDS = ("yarn", "ssh", "pbs", "moab", "sge", "lsf", "slurm", "oar", "kube")
CONNECT_TIMEOUT_SECONDS = 10.0
POLL_SECONDS = 0.02  # between looks at the futures
# Dask queues what its workers cannot take yet: every ready step is submitted at once.
SUBMIT_LIMIT = 100_000


def cluster_config(config: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """The cluster kind and its parameters from the executor's config (checked)."""
    cluster = config.get("cluster") or {}
    if not isinstance(cluster, Mapping):
        raise DefinitionError(
            "The dask_executor's 'cluster' config must be a mapping such as "
            "{'existing': {'address': 'tcp://127.0.0.1:8786'}} or {'local': {}}."
        )
    if not cluster:
        return "local", {}
    if len(cluster) != 1:
        raise DefinitionError(
            f"The dask_executor's 'cluster' config names {sorted(cluster)}: give exactly one "
            f"of {', '.join(CLUSTER_KINDS)}."
        )
    kind, params = next(iter(cluster.items()))
    if kind in UNSUPPORTED_KINDS:
        raise DefinitionError(
            f"assettui's dask_executor does not start {kind!r} clusters: start the cluster "
            "yourself and use {'existing': {'address': <its scheduler address>}}."
        )
    if kind not in CLUSTER_KINDS:
        raise DefinitionError(
            f"Unknown Dask cluster kind {kind!r} in the dask_executor's config; use one of "
            f"{', '.join(CLUSTER_KINDS)}."
        )
    params = dict(params or {})
    if kind == "existing" and not params.get("address"):
        raise DefinitionError(
            "The dask_executor's cluster.existing config needs the scheduler's 'address' "
            "(for example 'tcp://127.0.0.1:8786')."
        )
    return kind, params


class DaskExecutor:
    """Runs each step of a run as a Dask task (see the module docstring).

    Args:
        config: the executor's config (``cluster``).
        project: the project the run worker loaded; every Dask worker loads it again.
    """

    name = "dask"

    def __init__(self, config: Mapping[str, Any], project: Any):
        self.kind, self.params = cluster_config(config)
        self.project = project

    def execute(
        self, plan: ExecutionPlan, runner: StepRunner, cancel: threading.Event
    ) -> RunOutcome:
        client, cluster = self._connect()
        try:
            return _DaskRun(plan, runner, cancel, client, self.project).execute()
        finally:
            with contextlib.suppress(Exception):
                client.close()
            if cluster is not None:
                with contextlib.suppress(Exception):
                    cluster.close()

    def _connect(self) -> tuple[Any, Any]:
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:
            raise ExecutionError(
                "The dask_executor needs Dask's distributed package: pip install 'assettui[dask]'."
            ) from exc
        params = dict(self.params)
        timeout = float(params.pop("timeout", CONNECT_TIMEOUT_SECONDS))
        if self.kind == "existing":
            address = str(params["address"])
            try:
                return Client(address, timeout=timeout, set_as_default=False), None
            except (OSError, TimeoutError) as exc:
                raise ExecutionError(
                    f"The Dask scheduler at {address} could not be reached ({exc}). Start it "
                    "(dask scheduler, then dask worker <address>) or fix the dask_executor's "
                    "cluster.existing.address."
                ) from None  # the message says it all; Dask's traceback would bury it
        params.setdefault("processes", True)
        params.setdefault("host", "127.0.0.1")
        params.setdefault("dashboard_address", None)
        try:
            cluster = LocalCluster(**params)
        except TypeError as exc:
            raise ExecutionError(f"The dask_executor's cluster.local config: {exc}") from exc
        return Client(cluster, timeout=timeout, set_as_default=False), cluster


class _DaskRun(ParallelRun):
    """One run's steps as Dask futures."""

    executor_name = "dask"

    def __init__(
        self,
        plan: ExecutionPlan,
        runner: StepRunner,
        cancel: threading.Event,
        client: Any,
        project: Any,
    ):
        super().__init__(plan, runner, cancel, SUBMIT_LIMIT)
        self.client = client
        self.project = project
        self.futures: dict[Any, Step] = {}

    def _launch(self, step: Step) -> None:
        self.runner.sink.flush()  # the run's events so far land before the step's
        request = {
            "home": str(self.runner.instance.storage.home),
            # A PostgreSQL storage travels without its password (no secret goes through the
            # scheduler): the worker has it from PGPASSWORD or ~/.pgpass, or its own
            # ASSETTUI_STORAGE.
            "storage_url": without_password(self.runner.instance.storage.url or ""),
            "run_id": self.runner.run_id,
            "step_key": step.key,
            "project": self.project,
            "state": {
                "unavailable": [list(k.path) for k in _sorted(self.runner.unavailable)],
                "blocked": [list(k.path) for k in _sorted(self.runner.blocked)],
                "runner": self.runner.child_state(),
            },
        }
        future = self.client.submit(
            run_step, request, key=f"assettui-{self.runner.run_id}-{step.key}", pure=False
        )
        self.futures[future] = step

    def _running(self) -> int:
        return len(self.futures)

    def _finished(self) -> list[StepOutcome]:
        while True:
            ended = self._ended()
            if ended:
                return [self._collect(f) for f in ended]
            if self.cancel.is_set():
                raise RunInterrupted()
            time.sleep(POLL_SECONDS)

    def _ended(self) -> list[Any]:
        return [future for future in self.futures if future.done()]

    def _collect(self, future: Any) -> StepOutcome:
        step = self.futures.pop(future)
        if future.status == "finished":
            result = future.result()
            return record_report(
                self.runner, step, result["report"], result["how"], died=result["died"]
            )
        error = _future_error(future)
        message = f'The Dask task of step "{step.key}" failed before the step ended: {error}'
        if error.startswith("KilledWorker"):
            message = (
                f'The Dask worker running step "{step.key}" died before the step ended ({error}).'
            )
        return record_report(self.runner, step, None, "", died=message)

    def _stop_all(self) -> None:
        """Cancel: tell running tasks to stop their steps, drop those not started, and wait
        for the rest to report (those that do not are marked interrupted)."""
        from distributed import Event

        with contextlib.suppress(Exception):
            Event(cancel_event_name(self.runner.run_id), client=self.client).set()
        deadline = time.monotonic() + 2 * CHILD_STOP_GRACE_SECONDS
        while self.futures and time.monotonic() < deadline:
            with contextlib.suppress(RunInterrupted):  # a second SIGTERM while we wait
                for future in self._ended():
                    self._collect(future)
                time.sleep(POLL_SECONDS)
        for future, step in list(self.futures.items()):
            with contextlib.suppress(Exception):
                future.cancel()
            self.runner.interrupted(step)
        self.futures.clear()


def _future_error(future: Any) -> str:
    if future.status == "error":  # (a canceled future's exception() raises instead)
        with contextlib.suppress(Exception):
            exc = future.exception()
            return f"{type(exc).__name__}: {exc}"
    return f"the task ended {future.status}"


def _sorted(keys: set[AssetKey]) -> list[AssetKey]:
    return sorted(keys, key=lambda k: k.to_user_string())


def _make(config: Mapping[str, Any], project: Any) -> DaskExecutor:
    return DaskExecutor(config, project)


dask_executor = ExecutorDefinition("dask", config_keys=frozenset({"cluster"}), make=_make)
