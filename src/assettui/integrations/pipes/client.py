"""``PipesSubprocessClient``: run an external script as part of a step; the script's
``open_dagster_pipes()`` reports logs, materializations and check results back into the run.

The context goes to the script in ``DAGSTER_PIPES_CONTEXT`` and the script appends JSON
lines to the file named in ``DAGSTER_PIPES_MESSAGES`` (the environment variables and message
shape of Dagster Pipes). Canceling the run stops the script.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import tempfile
import time
import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from assettui.errors import DagsterInvariantViolationError, ExecutionError
from assettui.model.asset_key import AssetKey
from assettui.model.resources import ConfigurableResource
from assettui.model.results import AssetCheckResult, AssetCheckSeverity, MaterializeResult

EXTERNAL_DIR = Path(__file__).parent / "external"  # holds the standalone dagster_pipes module
STOP_GRACE_SECONDS = 5.0


class DagsterPipesExecutionError(ExecutionError):
    """The external process failed (Dagster's name)."""


def encode_env_var(value: Mapping[str, Any]) -> str:
    return base64.b64encode(zlib.compress(json.dumps(value).encode())).decode()


class PipesClientCompletedInvocation:
    """What the script reported."""

    def __init__(self, results: list[Any]):
        self._results = results

    def get_results(self) -> list[Any]:
        return list(self._results)

    def get_materialize_result(self) -> MaterializeResult:
        found = [r for r in self._results if isinstance(r, MaterializeResult)]
        if len(found) != 1:
            raise DagsterInvariantViolationError(
                f"Expected one materialization from the external process, got {len(found)}; "
                "use get_results() for several assets."
            )
        return found[0]

    def get_asset_check_result(self) -> AssetCheckResult:
        found = [r for r in self._results if isinstance(r, AssetCheckResult)]
        if len(found) != 1:
            raise DagsterInvariantViolationError(
                f"Expected one check result from the external process, got {len(found)}."
            )
        return found[0]

    def get_custom_messages(self) -> list[Any]:
        return []


class _Session:
    """Reads the script's messages and turns them into log records and results."""

    def __init__(self, context: Any, keys: list[AssetKey]):
        self.context = context
        self.keys = keys
        self.results: list[Any] = []
        self.reported: set[AssetKey] = set()
        self.offset = 0
        self.closed_with: dict[str, Any] | None = None

    def _key(self, raw: Any) -> AssetKey:
        if raw:
            return (
                AssetKey.from_user_string(raw)
                if isinstance(raw, str)
                else AssetKey.from_coercible(raw)
            )
        if len(self.keys) != 1:
            raise DagsterInvariantViolationError(
                f"The external process reported for no asset, but the step has {len(self.keys)}"
                " assets; pass asset_key=... in the report."
            )
        return self.keys[0]

    def read(self, path: Path) -> None:
        try:
            with path.open("r", encoding="utf-8") as handle:
                handle.seek(self.offset)
                chunk = handle.read()
        except FileNotFoundError:
            return
        complete, _, _rest = chunk.rpartition("\n")
        if not complete and not chunk.endswith("\n"):
            return
        self.offset += len(complete) + 1
        for line in complete.splitlines():
            if line.strip():
                self.handle(json.loads(line))

    def handle(self, message: Mapping[str, Any]) -> None:
        method, params = message.get("method"), message.get("params") or {}
        log = getattr(self.context, "log", None)
        if method == "log" and log is not None:
            level = str(params.get("level", "INFO")).lower()
            getattr(log, level if level != "critical" else "error", log.info)(
                params.get("message", "")
            )
        elif method == "report_asset_materialization":
            key = self._key(params.get("asset_key"))
            self.reported.add(key)
            self.results.append(
                MaterializeResult(
                    asset_key=key,
                    metadata=params.get("metadata") or {},
                    data_version=params.get("data_version"),
                )
            )
        elif method == "report_asset_check":
            severity = (
                AssetCheckSeverity.WARN
                if params.get("severity") == "WARN"
                else AssetCheckSeverity.ERROR
            )
            self.results.append(
                AssetCheckResult(
                    passed=bool(params.get("passed")),
                    asset_key=self._key(params.get("asset_key")),
                    check_name=params.get("check_name"),
                    metadata=params.get("metadata") or {},
                    severity=severity,
                )
            )
        elif method == "closed":
            self.closed_with = params


class PipesSubprocessClient(ConfigurableResource):
    """Runs an external command with Pipes (Dagster's ``PipesSubprocessClient``).

    Args:
        env: environment variables for every command it runs.
        cwd: the working directory of the commands.
    """

    env: dict[str, str] | None = None
    cwd: str | None = None

    def run(
        self,
        command: str | Sequence[str],
        *,
        context: Any,
        extras: Mapping[str, Any] | None = None,
        env: Mapping[str, str] | None = None,
        cwd: str | None = None,
    ) -> PipesClientCompletedInvocation:
        """Run ``command`` to its end, relaying what it reports.

        Raises:
            DagsterPipesExecutionError: the command exited with a non-zero code.
        """
        keys = sorted(getattr(context, "selected_asset_keys", None) or (), key=str)
        partition = (
            getattr(context, "partition_key", None)
            if getattr(context, "has_partition_key", False)
            else None
        )
        data = {
            "run_id": getattr(context, "run_id", ""),
            "job_name": getattr(context, "job_name", None),
            "asset_keys": [k.to_user_string() for k in keys],
            "partition_key": partition,
            "extras": dict(extras or {}),
            "retry_number": getattr(context, "retry_number", 0),
        }
        session = _Session(context, list(keys))
        with tempfile.TemporaryDirectory(prefix="assettui-pipes-") as folder:
            messages = Path(folder) / "messages.jsonl"
            messages.touch()
            child_env = {**os.environ, **(self.env or {}), **(env or {})}
            child_env["DAGSTER_PIPES_CONTEXT"] = encode_env_var({"data": data})
            child_env["DAGSTER_PIPES_MESSAGES"] = encode_env_var({"path": str(messages)})
            python_path = child_env.get("PYTHONPATH")
            child_env["PYTHONPATH"] = os.pathsep.join(
                p for p in (python_path, str(EXTERNAL_DIR)) if p
            )
            process = subprocess.Popen(
                command, shell=isinstance(command, str), cwd=cwd or self.cwd, env=child_env
            )
            try:
                while process.poll() is None:
                    session.read(messages)
                    time.sleep(0.05)
            except BaseException:  # the run was canceled: stop the script too
                process.terminate()
                try:
                    process.wait(STOP_GRACE_SECONDS)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
                raise
            session.read(messages)
        if process.returncode != 0:
            raise DagsterPipesExecutionError(
                f"External execution process failed with code {process.returncode}"
                + (
                    f": {session.closed_with['exception']['message']}"
                    if session.closed_with and session.closed_with.get("exception")
                    else ""
                )
                + "."
            )
        for key in keys:  # as Dagster: an asset the script did not report is materialized
            if key not in session.reported:
                session.results.append(MaterializeResult(asset_key=key))
        return PipesClientCompletedInvocation(session.results)
