"""``DbtCliResource``: runs dbt commands; ``.stream()`` turns dbt's JSON log into asset
materializations (one per model, seed or snapshot as it finishes, with dbt's metadata) and
check results (one per dbt test), and passes dbt's own lines to the step's log."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from assettui.errors import ExecutionError
from assettui.integrations.dbt.assets import UNIQUE_ID_KEY, DbtAssetsInfo, dbt_info
from assettui.integrations.dbt.project import DbtProject, dbt_executable
from assettui.model.resources import ConfigurableResource
from assettui.model.results import AssetCheckResult, AssetCheckSeverity, MaterializeResult

_RESULT_EVENTS = {"LogModelResult", "LogSeedResult", "LogSnapshotResult"}
_SUCCESS = {"success", "ok", "pass"}


class DagsterDbtCliRuntimeError(ExecutionError):
    """A dbt command failed (dagster-dbt's name)."""


class DbtCliInvocation:
    """One running dbt command."""

    def __init__(
        self,
        process: subprocess.Popen[str],
        command: Sequence[str],
        target_path: Path,
        info: DbtAssetsInfo | None,
        selected_keys: Any,
        raise_on_error: bool,
        args: Sequence[str] = (),
    ):
        self.process = process
        self.command = list(command)
        self.args = list(args)
        self.target_path = target_path
        self._info = info
        self._selected = selected_keys
        self._raise_on_error = raise_on_error
        self._failed: list[str] = []
        self._tail: list[str] = []

    def _events(self) -> Iterator[dict[str, Any]]:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            try:
                event = json.loads(line)
            except ValueError:  # not JSON: dbt printing something else
                print(line.rstrip(), flush=True)
                continue
            message = (event.get("info") or {}).get("msg")
            if message:
                print(message, flush=True)  # dbt's own output, in the step's captured log
                self._tail = [*self._tail, message][-20:]
            yield event

    def stream(self) -> Iterator[Any]:
        """Materializations and check results as dbt reports them; dbt's lines to stdout.

        Raises:
            DagsterDbtCliRuntimeError: at the end, if dbt failed and ``raise_on_error`` is set
                (the materializations before are kept).
        """
        for event in self._events():
            result = self._result_of(event)
            if result is not None:
                yield result
        self.wait()

    def stream_raw_events(self) -> Iterator[dict[str, Any]]:
        yield from self._events()

    def _result_of(self, event: Mapping[str, Any]) -> Any:
        name = (event.get("info") or {}).get("name")
        data = event.get("data") or {}
        node = data.get("node_info") or {}
        uid = str(node.get("unique_id") or "")
        status = str(node.get("node_status") or data.get("status") or "").lower()
        if name in _RESULT_EVENTS and self._info is not None:
            key = self._info.keys_by_unique_id.get(uid)
            if status not in _SUCCESS:
                self._failed.append(uid)
                return None
            if key is None or (self._selected is not None and key not in self._selected):
                return None
            metadata: dict[str, Any] = {
                UNIQUE_ID_KEY: uid,
                "Execution Duration": round(float(data.get("execution_time") or 0.0), 3),
            }
            relation = (node.get("node_relation") or {}).get("relation_name")
            if relation:
                metadata["dagster/relation_identifier"] = relation
            sql = self._compiled_sql(uid)
            if sql:
                metadata["compiled_sql"] = sql
            return MaterializeResult(asset_key=key, metadata=metadata)
        if name == "LogTestResult" and self._info is not None:
            check = self._info.checks_by_unique_id.get(uid)
            if status not in ("pass", "warn"):
                self._failed.append(uid)
            if check is None or (self._selected is not None and check[0] not in self._selected):
                return None
            return AssetCheckResult(
                asset_key=check[0],
                check_name=check[1],
                passed=status == "pass",
                severity=AssetCheckSeverity.WARN if status == "warn" else AssetCheckSeverity.ERROR,
                metadata={
                    UNIQUE_ID_KEY: uid,
                    "dagster_dbt/failed_row_count": int(data.get("num_failures") or 0),
                    "status": status,
                },
            )
        return None

    def _compiled_sql(self, uid: str) -> str | None:
        if self._info is None or not uid:
            return None
        node = self._info.manifest.get("nodes", {}).get(uid) or {}
        path = (
            self.target_path
            / "compiled"
            / node.get("package_name", "")
            / node.get("original_file_path", "")
        )
        try:
            return path.read_text() if path.is_file() else None
        except OSError:
            return None

    def wait(self) -> DbtCliInvocation:
        """Wait for dbt to end.

        Raises:
            DagsterDbtCliRuntimeError: dbt failed and ``raise_on_error`` was set.
        """
        for _ in self._events():
            pass
        code = self.process.wait()
        if code != 0 and self._raise_on_error:
            failed = f" Failed: {', '.join(self._failed)}." if self._failed else ""
            tail = "\n".join(self._tail[-8:])
            raise DagsterDbtCliRuntimeError(
                f"`dbt {' '.join(self.args)}` failed with exit code {code}.{failed}\n{tail}"
            )
        return self

    def is_successful(self) -> bool:
        return self.process.wait() == 0

    def get_artifact(self, artifact: str) -> dict[str, Any]:
        """A dbt artifact of this command (``run_results.json``, ``manifest.json``)."""
        return json.loads((self.target_path / artifact).read_text())


class DbtCliResource(ConfigurableResource):
    """Runs dbt (dagster-dbt's ``DbtCliResource``)."""

    project_dir: Any
    global_config_flags: list[str] = []
    profiles_dir: str | None = None
    profile: str | None = None
    target: str | None = None
    dbt_executable: str = "dbt"
    state_path: str | None = None

    def _project(self) -> DbtProject:
        if isinstance(self.project_dir, DbtProject):
            return self.project_dir
        return DbtProject(self.project_dir, profiles_dir=self.profiles_dir)

    def cli(
        self,
        args: Sequence[str],
        *,
        raise_on_error: bool = True,
        manifest: Any = None,
        dagster_dbt_translator: Any = None,
        context: Any = None,
        target_path: str | Path | None = None,
    ) -> DbtCliInvocation:
        """Start ``dbt <args>``; with the ``context`` of ``@dbt_assets``, only the selected
        assets' nodes run (``--select``), and ``.stream()`` reports them as they finish."""
        project = self._project()
        target = Path(target_path) if target_path else project.target_path
        executable = dbt_executable(None if self.dbt_executable == "dbt" else self.dbt_executable)
        command = [executable, *self.global_config_flags, "--log-format", "json", *args]
        command += ["--project-dir", str(project.project_dir), "--target-path", str(target)]
        profiles = self.profiles_dir or (
            str(project.profiles_dir) if project.profiles_dir else None
        )
        if profiles:
            command += ["--profiles-dir", profiles]
        if self.profile or project.profile:
            command += ["--profile", str(self.profile or project.profile)]
        if self.target or project.target:
            command += ["--target", str(self.target or project.target)]
        info: DbtAssetsInfo | None = None
        selected = None
        assets_def = getattr(context, "assets_def", None) if context is not None else None
        if assets_def is not None:
            info = dbt_info(assets_def)
            selected = set(context.selected_asset_keys)
            if info is not None and "--select" not in args and "-s" not in args:
                command += self._selection_args(info, assets_def, selected)
        process = subprocess.Popen(
            command,
            cwd=project.project_dir,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
        )
        sys.stdout.flush()
        return DbtCliInvocation(process, command, target, info, selected, raise_on_error, args)

    @staticmethod
    def _selection_args(info: DbtAssetsInfo, assets_def: Any, selected: set[Any]) -> list[str]:
        if selected >= set(assets_def.keys):  # the whole definition: dbt's own selection
            args = ["--select", info.select]
            return args + (["--exclude", info.exclude] if info.exclude else [])
        nodes = info.manifest.get("nodes", {})
        names = sorted(
            ".".join(nodes[uid]["fqn"])
            for uid, key in info.keys_by_unique_id.items()
            if key in selected and uid in nodes
        )
        return ["--select", " ".join(f"fqn:{n}" for n in names)]
