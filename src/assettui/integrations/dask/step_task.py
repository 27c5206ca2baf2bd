"""What runs on a Dask worker: one step of a run, as one Dask task.

The task loads the project (once per run in each worker process), plans the run again,
sets up the resources, and forks a process that runs the step exactly as the multiprocess
executor's step processes do: it writes its events to the run's storage and its values
through the IO managers, and reports its outcome. The task returns that report. Running
the step in a forked child keeps the worker alive when user code crashes, and lets a
cancel (a Dask ``Event`` the run sets) stop it with SIGTERM.

A worker that dies while running a step may have Dask start the task again elsewhere; the
step is not run twice: a marker file claimed at the start says it already began, and the
second attempt reports the first one's death instead.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from assettui.errors import ExecutionError
from assettui.execution.capture import step_capture_into
from assettui.execution.event_sink import LIVE_EAGER_TYPES, EventSink
from assettui.execution.executors.multiprocess import (
    CHILD_STOP_GRACE_SECONDS,
    exit_how,
    fork_step,
)
from assettui.execution.plan import Step
from assettui.execution.resources import InitResourceContext, initialized_resources
from assettui.execution.run_lifecycle import prepare_run
from assettui.execution.step_runner import StepRunner
from assettui.execution.worker import scheduled_later_than_now
from assettui.model.asset_key import AssetKey
from assettui.model.partitions.loading_context import partition_loading_context
from assettui.project import LoadFailure, ProjectTarget, load_project
from assettui.storage.instance import DagsterInstance
from assettui.storage.instance_storage import STORAGE_ENV, Storage

CANCEL_POLL_SECONDS = 0.2
# One project load per run and worker process (imports are not thread-safe to interleave).
_LOAD_LOCK = threading.Lock()
_LOADED: dict[tuple[ProjectTarget, str], Any] = {}


def cancel_event_name(run_id: str) -> str:
    """The Dask ``Event`` a run sets when it is canceled."""
    return f"assettui-cancel-{run_id}"


def run_step(request: Mapping[str, Any]) -> dict[str, Any]:
    """Run one step of a stored run on this Dask worker; return ``{"report", "how",
    "died"}`` for the run's executor (see ``multiprocess.record_report``)."""
    home, run_id, step_key = request["home"], request["run_id"], request["step_key"]
    url = request.get("storage_url") or ""
    storage = Storage(home, url=(os.environ.get(STORAGE_ENV) or url) if url else "")
    try:
        earlier = _claim(storage, run_id, step_key)
        if earlier is not None:
            return {
                "report": None,
                "how": "",
                "died": (
                    f'The Dask worker running step "{step_key}" ({earlier}) died before the '
                    "step ended; the step was not run again."
                ),
            }
        return _run_claimed(storage, request)
    finally:
        storage.close()


def _claim(storage: Storage, run_id: str, step_key: str) -> str | None:
    """Mark the step begun (by this worker); the worker that began it before, if one did."""
    marker = _marker(storage, run_id, step_key)
    try:
        fd = os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return marker.read_text(errors="replace").strip() or "an earlier worker"
    with os.fdopen(fd, "w") as out:
        out.write(_worker_address())
    return None


def _marker(storage: Storage, run_id: str, step_key: str) -> Path:
    paths = storage.step_log_paths(run_id, step_key)
    return paths.stdout.with_suffix(".dask")


def _worker_address() -> str:
    with contextlib.suppress(Exception):
        from distributed import get_worker

        return f"worker {get_worker().address}, pid {os.getpid()}"
    return f"pid {os.getpid()}"


def _run_claimed(storage: Storage, request: Mapping[str, Any]) -> dict[str, Any]:
    run_id, step_key = request["run_id"], request["step_key"]
    instance = DagsterInstance(storage)
    run = storage.runs.get_run(run_id)
    if run is None:
        raise ExecutionError(f"Run {run_id} is not in the instance at {storage.home}.")
    defs, graph, job = _project(request["project"], run_id, run.job_name)
    sink = EventSink(
        storage.event_log.store_events, flush_interval=0.1, eager_types=LIVE_EAGER_TYPES
    )
    sink.start_flusher()
    try:
        prepared = prepare_run(
            instance=instance,
            graph=graph,
            run=run,
            sink=sink,
            run_config=run.run_config,
            step_capture=step_capture_into(storage, run_id),
            op_retry_policy=job.op_retry_policy if job else None,
            job=job if job is not None and job.is_op_job else None,
        )
        runner = prepared.runner
        _take_state(runner, request["state"])
        step = _find_step(runner, step_key)
        resources = {**defs.resources, **(job.resources if job and job.is_op_job else {})}
        init = InitResourceContext(instance=instance, run_id=run_id, dagster_run=run)
        with (
            partition_loading_context(effective_dt=scheduled_later_than_now(run.tags)),
            initialized_resources(
                resources, storage.home, prepared.resource_keys, init, runner.run_config
            ) as res,
        ):
            runner.use_resources(res)
            return _fork_and_wait(runner, step, cancel_event_name(run_id))
    finally:
        sink.close()


def _project(target: ProjectTarget, run_id: str, job_name: str | None) -> tuple[Any, Any, Any]:
    with _LOAD_LOCK:
        key = (target, run_id)
        if key not in _LOADED:
            loaded = load_project(target, validate=False)
            if isinstance(loaded, LoadFailure):
                raise ExecutionError(f"The project failed to load on the Dask worker: {loaded}")
            _LOADED.clear()  # keep only the newest run's code
            _LOADED[key] = loaded.defs
        defs = _LOADED[key]
    job = defs.resolve_job_def(job_name) if job_name and job_name in defs.job_names else None
    return defs, defs.resolve_asset_graph(), job


def _take_state(runner: StepRunner, state: Mapping[str, Any]) -> None:
    """What the run knew when it launched the step: assets that did not materialize or are
    blocked, and (for op jobs) the outputs and mapping keys produced so far."""
    runner.unavailable |= {AssetKey(p) for p in state.get("unavailable", ())}
    runner.blocked |= {AssetKey(p) for p in state.get("blocked", ())}
    runner.absorb_child_state(state.get("runner") or {})


def _find_step(runner: StepRunner, step_key: str) -> Step:
    steps = {step.key: step for step in runner.plan.steps}
    if step_key in steps:
        return steps[step_key]
    for step in runner.plan.steps:  # a dynamic op's step: op[mapping key]
        if step_key.startswith(f"{step.key}["):
            for concrete in runner.expand(step) or ():
                if concrete.key == step_key:
                    return concrete
    raise ExecutionError(f"Step {step_key!r} is not in the run's plan on the Dask worker.")


def _fork_and_wait(runner: StepRunner, step: Step, cancel_name: str) -> dict[str, Any]:
    """Run ``step`` in a forked child; SIGTERM it (then SIGKILL) when the run is canceled."""
    from distributed import Event

    canceled = Event(cancel_name)
    child = fork_step(runner, step, own_signals=True)
    selector = selectors.DefaultSelector()
    selector.register(child.fd, selectors.EVENT_READ)
    stopped_at: float | None = None
    try:
        while True:
            if selector.select(timeout=CANCEL_POLL_SECONDS) and not child.read():
                break
            if stopped_at is None and canceled.is_set():
                stopped_at = time.monotonic()
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child.pid, signal.SIGTERM)
            elif stopped_at is not None and time.monotonic() - stopped_at > (
                CHILD_STOP_GRACE_SECONDS
            ):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child.pid, signal.SIGKILL)
    finally:
        selector.close()
        os.close(child.fd)
    _, status = os.waitpid(child.pid, 0)
    return {"report": child.report(), "how": exit_how(status), "died": None}
