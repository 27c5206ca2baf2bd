"""``materialize``, ``materialize_to_memory`` and ``JobDefinition.execute_in_process``.

These run every step in the calling process (no worker subprocess), as in Dagster, and
record the run and its events in the instance (an ephemeral one when none is given).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from assettui.errors import DefinitionError
from assettui.execution.io_managers.base import (
    ConfigurableIOManagerFactory,
    IOManager,
    IOManagerDefinition,
)
from assettui.execution.io_managers.filesystem import InMemoryIOManager
from assettui.execution.ops.in_process import (
    check_op_config,
    execute_op_job_in_process,
    filled_op_config,
)
from assettui.execution.ops.plan import build_op_plan, op_job_run_config
from assettui.execution.resources import check_resource_config
from assettui.execution.result import ExecuteInProcessResult
from assettui.execution.run_lifecycle import run_here
from assettui.model.asset_graph import AssetGraph, missing_upstream_message
from assettui.model.asset_key import AssetKey
from assettui.model.config import build_config, op_config_value, run_config_dict
from assettui.model.definitions import Definitions
from assettui.model.records.runs import ASSET_JOB_NAME
from assettui.model.results import AssetCheckKey
from assettui.model.selection.asset_selection import AssetSelection
from assettui.storage.instance import DagsterInstance


def _instance(instance: Any) -> tuple[Any, bool]:

    if instance is None:
        return DagsterInstance.ephemeral(), True
    return instance, False


def run_in_process(
    *,
    graph: AssetGraph,
    asset_keys: frozenset[AssetKey],
    check_keys: frozenset[AssetCheckKey],
    resources: Mapping[str, Any],
    run_config: Any = None,
    instance: Any = None,
    partition_key: str | None = None,
    partition_range: tuple[str, str] | None = None,
    raise_on_error: bool = True,
    tags: Mapping[str, Any] | None = None,
    job_name: str = ASSET_JOB_NAME,
    run_id: str | None = None,
    op_retry_policy: Any = None,
) -> ExecuteInProcessResult:
    """Store a run of ``asset_keys`` and execute it here; return its result."""
    config = run_config_dict(run_config)
    check_asset_config(graph, asset_keys, check_keys, config)
    check_resource_config(resources, config)
    inst, _ephemeral = _instance(instance)
    stored, outcome, sink = run_here(
        inst,
        job_name=job_name,
        run_config=config,
        tags=dict(tags or {}),
        partition_key=partition_key,
        partition_range=partition_range,
        asset_selection=asset_keys,
        asset_check_selection=check_keys,
        run_id=run_id,
        graph=graph,
        resources=resources,
        op_retry_policy=op_retry_policy,
    )
    node_keys: dict[str, list[AssetKey]] = {}
    output_names: dict[str, dict[str, AssetKey]] = {}
    for key in asset_keys:
        adef = graph.get(key).assets_def
        node_keys.setdefault(adef.node_name, []).append(key)
        output_names.setdefault(adef.node_name, {})[adef.outputs[key].output_name] = key
    result = ExecuteInProcessResult(
        run=stored,
        success=outcome.success,
        events=sink.events,
        values=outcome.values,
        check_evaluations=outcome.check_evaluations,
        node_keys=node_keys,
        output_names=output_names,
    )
    if raise_on_error and not outcome.success and outcome.first_exception is not None:
        # As Dagster does: re-raise the user's own exception (its traceback intact), so
        # ``pytest.raises(MyError)`` around ``materialize`` works after a port.
        raise outcome.first_exception
    return result


def check_asset_config(
    graph: AssetGraph,
    asset_keys: frozenset[AssetKey],
    check_keys: frozenset[AssetCheckKey],
    config: Mapping[str, Any],
) -> None:
    """Check each selected node's config before the run exists, as Dagster does.

    Raises:
        ConfigError: naming the node and each offending field.
    """
    nodes: dict[int, Any] = {}
    for key in asset_keys:
        adef = graph.get(key).assets_def
        nodes[id(adef)] = adef
    for check in check_keys:
        owner = graph.get_checks_def(check)
        nodes[id(owner)] = owner
    for node in nodes.values():
        params = getattr(node, "params", None)
        if params is None or not params.config_param or params.config_type is None:
            continue
        raw = op_config_value(config, node.node_name)
        build_config(params.config_type, raw, f"asset {node.node_name!r}")


def _selection(
    graph: AssetGraph, selection: Any
) -> tuple[frozenset[AssetKey], frozenset[AssetCheckKey]]:
    if selection is None:
        keys = graph.materializable_asset_keys
        checks = frozenset(c for c in graph.asset_check_keys if c.asset_key in keys)
        return keys, checks

    sel = AssetSelection.from_coercible(selection)
    keys = frozenset(sel.resolve(graph))
    checks = frozenset(sel.resolve_checks(graph))
    return keys, checks


def materialize(
    assets: Sequence[Any],
    run_config: Any = None,
    instance: Any = None,
    resources: Mapping[str, Any] | None = None,
    partition_key: str | None = None,
    raise_on_error: bool = True,
    tags: Mapping[str, str] | None = None,
    selection: Any = None,
) -> ExecuteInProcessResult:
    """Materialize ``assets`` in this process and return the result.

    Args:
        assets: asset definitions (and specs, source assets, checks) to put in the graph.
        run_config: config per asset (``RunConfig`` or ``{"ops": {...}}``).
        instance: where the run is recorded (default: an ephemeral instance).
        resources: resources by key.
        partition_key: the partition to materialize.
        raise_on_error: raise if a step fails (else return a failed result).
        tags: tags of the run.
        selection: which of ``assets`` to materialize (default: all of them); the others
            are loaded through their IO managers.

    Returns:
        An :class:`ExecuteInProcessResult`.
    """
    return _materialize(
        assets,
        dict(resources or {}),
        run_config,
        instance,
        partition_key,
        raise_on_error,
        tags,
        selection,
        in_memory=False,
    )


def materialize_to_memory(
    assets: Sequence[Any],
    run_config: Any = None,
    instance: Any = None,
    resources: Mapping[str, Any] | None = None,
    partition_key: str | None = None,
    raise_on_error: bool = True,
    tags: Mapping[str, str] | None = None,
    selection: Any = None,
) -> ExecuteInProcessResult:
    """Like :func:`materialize`, but every IO manager keeps values in memory."""
    # Only real IO managers are replaced: a duck-typed check would drop a MagicMock resource.
    res = {
        k: v
        for k, v in (resources or {}).items()
        if not isinstance(v, (IOManager, IOManagerDefinition, ConfigurableIOManagerFactory))
    }
    return _materialize(
        assets,
        res,
        run_config,
        instance,
        partition_key,
        raise_on_error,
        tags,
        selection,
        in_memory=True,
    )


def _materialize(
    assets: Sequence[Any],
    resources: dict[str, Any],
    run_config: Any,
    instance: Any,
    partition_key: str | None,
    raise_on_error: bool,
    tags: Mapping[str, str] | None,
    selection: Any,
    *,
    in_memory: bool,
) -> ExecuteInProcessResult:
    defs = Definitions(assets=list(assets), resources=resources)
    resources = dict(defs.resources)  # with the resources bound to the assets
    graph = defs.resolve_asset_graph()
    _refuse_missing_upstream(graph)
    if in_memory:
        memory = InMemoryIOManager()
        for adef in graph.assets_defs:
            for info in adef.outputs.values():
                resources[info.io_manager_key] = memory
        resources["io_manager"] = memory
    keys, checks = _selection(graph, selection)
    return run_in_process(
        graph=graph,
        asset_keys=keys,
        check_keys=checks,
        resources=resources,
        run_config=run_config,
        instance=instance,
        partition_key=partition_key,
        raise_on_error=raise_on_error,
        tags=tags,
    )


def _refuse_missing_upstream(graph: AssetGraph) -> None:
    """As Dagster's ``materialize``: every upstream asset whose *value* an asset reads must
    be among the assets given (or be an ``AssetSpec``/``SourceAsset`` among them), checked
    before any run exists; an upstream named only in ``deps=`` is treated as external.

    Raises:
        DefinitionError: naming the asset, its missing upstream and what to do.
    """
    known = graph.all_asset_keys
    for adef in graph.assets_defs:
        inputs_by_key = {k: p for p, k in adef.keys_by_input_name.items()}
        for spec in adef.specs:
            for dep in spec.deps:
                if dep.key not in known and dep.key in inputs_by_key:
                    raise DefinitionError(
                        missing_upstream_message(
                            spec.key, dep.key, known, parameter=inputs_by_key.get(dep.key)
                        )
                    )


def execute_job_in_process(
    job: Any,
    *,
    run_config: Any = None,
    instance: Any = None,
    partition_key: str | None = None,
    raise_on_error: bool = True,
    asset_selection: Any = None,
    run_id: str | None = None,
    tags: Mapping[str, Any] | None = None,
    resources: Mapping[str, Any] | None = None,
    op_selection: Sequence[str] | None = None,
    input_values: Mapping[str, Any] | None = None,
) -> ExecuteInProcessResult:
    """Run a resolved job in this process (``JobDefinition.execute_in_process``)."""
    if job.graph_def is not None:
        return execute_op_job_in_process(
            job,
            run_config=run_config,
            instance=instance,
            partition_key=partition_key,
            raise_on_error=raise_on_error,
            op_selection=op_selection,
            run_id=run_id,
            tags=tags,
            resources=resources,
            input_values=input_values,
        )
    graph = job.asset_graph
    keys, checks = job.asset_keys, job.asset_check_keys
    if asset_selection is not None:
        keys, checks = _selection(graph, asset_selection)
    return run_in_process(
        graph=graph,
        asset_keys=frozenset(keys),
        check_keys=frozenset(checks),
        resources={**job.resources, **(resources or {})},
        run_config=run_config,
        instance=instance,
        partition_key=partition_key,
        raise_on_error=raise_on_error,
        tags={**job.run_tags, **(tags or {})},
        job_name=job.name,
        run_id=run_id,
        op_retry_policy=job.op_retry_policy,
    )


def validate_run_config(job_def: Any, run_config: Any = None) -> dict[str, Any]:
    """Dagster's ``validate_run_config``: ``run_config`` checked against ``job_def`` (its
    ops' or assets' config and its resources' config), returned with defaults filled in.

    Raises:
        DagsterInvalidConfigError: naming each node or resource and field that does not fit.
    """
    config = run_config_dict(run_config)
    if job_def.graph_def is not None:
        config = op_job_run_config(job_def, config, None, check_partition=False)
        plan = build_op_plan(job_def, config)
        check_op_config(plan, config)
        config = filled_op_config(plan, config)
    else:
        graph = job_def.asset_graph
        check_asset_config(graph, job_def.asset_keys, job_def.asset_check_keys, config)
    check_resource_config(job_def.resources, config)
    return config
