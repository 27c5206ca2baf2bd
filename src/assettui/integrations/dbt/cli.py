"""``DbtCliResource``: runs dbt commands; ``.stream()`` turns dbt's JSON log into asset
materializations (one per model, seed or snapshot as it finishes, with dbt's metadata: the
adapter's response such as rows affected, execution time, compiled SQL) and check results (one
per dbt test), and passes dbt's own lines (info level and above) to the step's log.

dbt is asked for its debug-level log so that each node's ``NodeFinished`` event, which carries
the adapter's response, reaches us; debug lines themselves are not printed."""

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
from assettui.model.metadata.values import normalize_metadata
from assettui.model.resources import ConfigurableResource
from assettui.model.results import AssetCheckResult, AssetCheckSeverity, MaterializeResult

_RESULT_EVENTS = {"LogModelResult", "LogSeedResult", "LogSnapshotResult"}
_SUCCESS = {"success", "ok", "pass"}
_COUNTED_MATERIALIZATIONS = {"table", "view", "incremental", "seed", "snapshot"}
ROW_COUNT_KEY = "dagster/row_count"


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
        connection: Sequence[str] = (),
        cwd: Path | None = None,
    ):
        self.process = process
        self.command = list(command)
        self.args = list(args)
        self._connection = list(connection)  # --project-dir, --profiles-dir, --target, ...
        self._cwd = cwd
        self.target_path = target_path
        self._info = info
        self._selected = selected_keys
        self._raise_on_error = raise_on_error
        self._failed: list[str] = []
        self._tail: list[str] = []
        # reported as done, awaiting its NodeFinished: (asset key, metadata)
        self._pending: dict[str, tuple[Any, dict[str, Any]]] = {}
        self._print_debug = "--debug" in command or "-d" in command
        self.relations: dict[Any, str] = {}  # asset key -> the relation dbt built for it

    def _events(self) -> Iterator[dict[str, Any]]:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            try:
                event = json.loads(line)
            except ValueError:  # not JSON: dbt printing something else
                print(line.rstrip(), flush=True)
                continue
            info = event.get("info") or {}
            message = info.get("msg")
            if message and (self._print_debug or info.get("level") != "debug"):
                print(message, flush=True)  # dbt's own output, in the step's captured log
                self._tail = [*self._tail, message][-20:]
            yield event

    def stream(self) -> DbtEventIterator:
        """Materializations and check results as dbt reports them; dbt's lines to stdout.

        Raises:
            DagsterDbtCliRuntimeError: at the end, if dbt failed and ``raise_on_error`` is set
                (the materializations before are kept).
        """
        return DbtEventIterator(self._results(), self)

    def _results(self) -> Iterator[Any]:
        for event in self._events():
            result = self._result_of(event)
            if result is not None:
                yield result
        for key, metadata in self._pending.values():  # no NodeFinished came (another log level)
            yield MaterializeResult(asset_key=key, metadata=metadata)
        self._pending.clear()
        self.wait()

    def stream_raw_events(self) -> Iterator[dict[str, Any]]:
        yield from self._events()

    def _result_of(self, event: Mapping[str, Any]) -> Any:
        name = (event.get("info") or {}).get("name")
        data = event.get("data") or {}
        node = data.get("node_info") or {}
        uid = str(node.get("unique_id") or "")
        status = str(node.get("node_status") or data.get("status") or "").lower()
        if name == "NodeFinished":
            return self._finished(uid, data.get("run_result") or {})
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
            if relation and (
                name != "LogModelResult" or node.get("materialized") in _COUNTED_MATERIALIZATIONS
            ):
                self.relations[key] = relation
            self._pending[uid] = (key, metadata)
            return None
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

    def _finished(self, uid: str, run_result: Mapping[str, Any]) -> MaterializeResult | None:
        """The materialization of a node dbt reported done, with the adapter's response."""
        pending = self._pending.pop(uid, None)
        if pending is None:
            return None
        key, metadata = pending
        metadata.update(adapter_response_metadata(run_result.get("adapter_response")))
        if run_result.get("execution_time") is not None:
            metadata["Execution Duration"] = round(float(run_result["execution_time"]), 3)
        return MaterializeResult(asset_key=key, metadata=metadata)

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

    def count_rows(self) -> dict[Any, int]:
        """The row count of each relation this command built, by asset key (one query)."""
        keys = list(self.relations)
        if not keys:
            return {}
        query = " union all ".join(
            f"select {index} as asset_index, count(*) as row_count from {self.relations[key]}"
            for index, key in enumerate(keys)
        )
        command = [self.command[0], "--log-format", "json", "show", "--inline", query]
        command += ["--output", "json", "--limit", "-1", *self._connection]
        out = subprocess.run(command, cwd=self._cwd, capture_output=True, text=True, check=False)
        for line in out.stdout.splitlines():
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if (event.get("info") or {}).get("name") == "ShowNode":
                rows = json.loads(event["data"]["preview"])
                return {keys[int(row["asset_index"])]: int(row["row_count"]) for row in rows}
        print(f"Could not count the rows dbt built (dbt show exited {out.returncode}).")
        return {}

    def is_successful(self) -> bool:
        return self.process.wait() == 0

    def get_artifact(self, artifact: str) -> dict[str, Any]:
        """A dbt artifact of this command (``run_results.json``, ``manifest.json``)."""
        return json.loads((self.target_path / artifact).read_text())


def adapter_response_metadata(response: Any) -> dict[str, Any]:
    """The adapter's response to a node (``rows_affected``, ``bytes_processed``, ``code``,
    ``query_id``, ...) as metadata, as dagster-dbt records it; dbt's ``_message`` is left out."""
    if not isinstance(response, Mapping):
        return {}
    return {
        str(name): value
        for name, value in response.items()
        if not str(name).startswith("_") and isinstance(value, (int, float, str, bool))
    }


class DbtEventIterator(Iterator[Any]):
    """What ``.stream()`` returns: the results, plus dagster-dbt's ``fetch_row_counts()``."""

    def __init__(self, results: Iterator[Any], invocation: DbtCliInvocation):
        self._results = results
        self._invocation = invocation

    def __next__(self) -> Any:
        return next(self._results)

    def __iter__(self) -> DbtEventIterator:
        return self

    def fetch_row_counts(self) -> DbtEventIterator:
        """Add ``dagster/row_count`` to each materialization: the rows of the table or view
        dbt built, counted in one ``dbt show`` query once dbt has finished (a warehouse like
        DuckDB admits one writer, so the count waits for the build to let go of it).

        The results are therefore yielded when the command ends, not as each model finishes.
        """
        return DbtEventIterator(self._with_row_counts(), self._invocation)

    def _with_row_counts(self) -> Iterator[Any]:
        results = list(self._results)
        counts = self._invocation.count_rows()
        for result in results:
            count = counts.get(getattr(result, "asset_key", None))
            if isinstance(result, MaterializeResult) and count is not None:
                result.metadata.update(normalize_metadata({ROW_COUNT_KEY: count}))
            yield result


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
        connection = ["--project-dir", str(project.project_dir)]
        profiles = self.profiles_dir or (
            str(project.profiles_dir) if project.profiles_dir else None
        )
        if profiles:
            connection += ["--profiles-dir", profiles]
        if self.profile or project.profile:
            connection += ["--profile", str(self.profile or project.profile)]
        if self.target or project.target:
            connection += ["--target", str(self.target or project.target)]
        command = [executable, *self.global_config_flags, "--log-format", "json"]
        if not any(flag in args for flag in ("--log-level", "--debug", "-d")):
            command += ["--log-level", "debug"]  # for NodeFinished: the adapter's response
        command += [*args, *connection, "--target-path", str(target)]
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
        return DbtCliInvocation(
            process, command, target, info, selected, raise_on_error, args, connection,
            cwd=project.project_dir,
        )  # fmt: skip

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
