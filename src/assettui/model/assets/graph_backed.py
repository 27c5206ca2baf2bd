"""Graph-backed assets: ``@graph_asset``, ``@graph_multi_asset``,
``AssetsDefinition.from_graph`` and ``from_op``.

The assets' values are the outputs of a graph of ops; the step that materializes them runs
the graph's ops (step keys ``<asset node>.<op>``) with the upstream assets as the graph's
inputs. Everything else — partitions, IO managers, checks, lineage — is the asset's.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from assettui.errors import DagsterInvalidDefinitionError, DagsterInvalidInvocationError
from assettui.model.asset_key import AssetKey, key_prefix_parts
from assettui.model.assets.decorator import asset, multi_asset
from assettui.model.assets.definition import AssetsDefinition
from assettui.model.assets.spec import AssetIn, AssetOut
from assettui.model.ops.graph import GraphDefinition, build_graph
from assettui.model.ops.ins_outs import GraphOut
from assettui.model.ops.op_definition import OpDefinition


def _runs_in_the_engine(name: str, inputs: Sequence[str]) -> Callable[..., Any]:
    """The function an asset step 'calls' for a graph: the engine runs the graph instead."""

    def compute(context: Any, **values: Any) -> Any:
        raise DagsterInvalidInvocationError(
            f"Graph-backed asset {name!r} runs its ops in a run: use materialize([...]) rather "
            "than calling it directly."
        )

    parameters = [inspect.Parameter("context", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    parameters += [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY) for n in inputs]
    compute.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    compute.__name__ = name
    compute.__annotations__ = {}
    return compute


def _resource_keys(graph: GraphDefinition) -> set[str]:
    keys: set[str] = set()
    for node in graph.nodes.values():
        definition = node.definition
        if isinstance(definition, GraphDefinition):
            keys |= _resource_keys(definition)
        else:
            keys |= set(definition.required_resource_keys)
            keys |= {o.io_manager_key for o in definition.outs.values()} - {"io_manager"}
    return keys


def _backed_by(adef: AssetsDefinition, graph: GraphDefinition) -> AssetsDefinition:
    return replace(adef, graph_def=graph)


def graph_asset(
    compose_fn: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    description: str | None = None,
    ins: Mapping[str, AssetIn] | None = None,
    config: Any = None,
    key_prefix: str | Sequence[str] | None = None,
    group_name: str | None = None,
    partitions_def: Any = None,
    metadata: Mapping[str, Any] | None = None,
    tags: Mapping[str, str] | None = None,
    owners: Sequence[str] | None = None,
    kinds: Sequence[str] | None = None,
    automation_condition: Any = None,
    backfill_policy: Any = None,
    resource_defs: Mapping[str, Any] | None = None,
    check_specs: Sequence[Any] | None = None,
    code_version: str | None = None,
    key: Any = None,
) -> Any:
    """Dagster's ``@graph_asset``: one asset computed by a graph of ops."""

    def wrap(fn: Callable[..., Any]) -> AssetsDefinition:
        node_name = name or fn.__name__
        graph = build_graph(fn, name=node_name, description=description)
        if len(graph.output_mappings) != 1:
            raise DagsterInvalidDefinitionError(
                f"@graph_asset {node_name!r} must return the output of one op; it returns "
                f"{len(graph.output_mappings)} outputs (use @graph_multi_asset for several)."
            )
        inputs = list(graph.ins)
        adef = asset(
            name=node_name,
            key_prefix=key_prefix,
            key=key,
            ins=ins,
            description=graph.description,
            group_name=group_name,
            partitions_def=partitions_def,
            metadata=metadata,
            tags=tags,
            owners=owners,
            kinds=kinds,
            automation_condition=automation_condition,
            backfill_policy=backfill_policy,
            resource_defs=resource_defs,
            check_specs=check_specs,
            code_version=code_version,
            required_resource_keys=_resource_keys(graph),
        )(_runs_in_the_engine(node_name, inputs))
        return _backed_by(adef, graph)

    return wrap(compose_fn) if compose_fn is not None else wrap


def graph_multi_asset(
    *,
    outs: Mapping[str, AssetOut],
    name: str | None = None,
    ins: Mapping[str, AssetIn] | None = None,
    partitions_def: Any = None,
    backfill_policy: Any = None,
    group_name: str | None = None,
    can_subset: bool = False,
    resource_defs: Mapping[str, Any] | None = None,
    check_specs: Sequence[Any] | None = None,
    config: Any = None,
    description: str | None = None,
) -> Callable[[Callable[..., Any]], AssetsDefinition]:
    """Dagster's ``@graph_multi_asset``: several assets, each an output of one graph."""

    def wrap(fn: Callable[..., Any]) -> AssetsDefinition:
        node_name = name or fn.__name__
        graph = build_graph(
            fn,
            name=node_name,
            description=description,
            out={n: GraphOut() for n in outs},
        )
        missing = sorted(set(outs) - set(graph.output_mappings))
        if missing:
            raise DagsterInvalidDefinitionError(
                f"@graph_multi_asset {node_name!r} declares outs {missing} that its graph does "
                "not return: return a dict with a value per output name."
            )
        adef = multi_asset(
            outs=dict(outs),
            name=node_name,
            ins=ins,
            partitions_def=partitions_def,
            backfill_policy=backfill_policy,
            group_name=group_name,
            can_subset=can_subset,
            resource_defs=resource_defs,
            check_specs=check_specs,
            description=graph.description,
            required_resource_keys=_resource_keys(graph),
        )(_runs_in_the_engine(node_name, list(graph.ins)))
        return _backed_by(adef, graph)

    return wrap


def _output_key(
    node_name: str,
    out_name: str,
    outputs: int,
    keys_by_output_name: Mapping[str, Any] | None,
    prefix: list[str],
) -> AssetKey:
    """An output's asset key: the given one, else the prefix and the output's name (the
    node's name for a lone ``result`` output), as Dagster names them."""
    given = (keys_by_output_name or {}).get(out_name)
    if given:
        return AssetKey.from_coercible(given)
    default = node_name if out_name == "result" and outputs == 1 else out_name
    return AssetKey([*prefix, default])


def assets_from_graph(
    graph_def: GraphDefinition,
    *,
    keys_by_input_name: Mapping[str, Any] | None = None,
    keys_by_output_name: Mapping[str, Any] | None = None,
    key_prefix: str | Sequence[str] | None = None,
    group_name: str | None = None,
    group_names_by_output_name: Mapping[str, str] | None = None,
    partitions_def: Any = None,
    partition_mappings: Mapping[str, Any] | None = None,
    resource_defs: Mapping[str, Any] | None = None,
    metadata_by_output_name: Mapping[str, Any] | None = None,
    descriptions_by_output_name: Mapping[str, str] | None = None,
    can_subset: bool = False,
    check_specs: Sequence[Any] | None = None,
    backfill_policy: Any = None,
) -> AssetsDefinition:
    """``AssetsDefinition.from_graph``: the graph's outputs as assets.

    An output's key is ``keys_by_output_name[name]``, else the key prefix plus the output
    name (the graph's name for a lone ``result`` output); an input reads the asset named
    like the input unless ``keys_by_input_name`` says otherwise.
    """
    prefix = key_prefix_parts(key_prefix)
    output_names = list(graph_def.output_mappings)
    if not output_names:
        raise DagsterInvalidDefinitionError(
            f"Graph {graph_def.name!r} has no outputs, so it makes no assets: return an op's "
            "output from it."
        )
    outs: dict[str, AssetOut] = {}
    for out_name in output_names:
        outs[out_name] = AssetOut(
            key=_output_key(
                graph_def.name, out_name, len(output_names), keys_by_output_name, prefix
            ),
            group_name=(group_names_by_output_name or {}).get(out_name) or group_name,
            metadata=(metadata_by_output_name or {}).get(out_name),
            description=(descriptions_by_output_name or {}).get(out_name),
        )
    ins = {
        name: AssetIn(
            key=AssetKey.from_coercible((keys_by_input_name or {}).get(name) or name),
            partition_mapping=(partition_mappings or {}).get(name),
        )
        for name in graph_def.ins
    }
    adef = multi_asset(
        outs=outs,
        name=graph_def.name,
        ins=ins,
        partitions_def=partitions_def,
        backfill_policy=backfill_policy,
        can_subset=can_subset,
        resource_defs=resource_defs,
        check_specs=check_specs,
        description=graph_def.description,
        required_resource_keys=_resource_keys(graph_def),
    )(_runs_in_the_engine(graph_def.name, list(graph_def.ins)))
    return _backed_by(adef, graph_def)


def assets_from_op(
    op_def: OpDefinition,
    *,
    keys_by_input_name: Mapping[str, Any] | None = None,
    keys_by_output_name: Mapping[str, Any] | None = None,
    key_prefix: str | Sequence[str] | None = None,
    group_name: str | None = None,
    partitions_def: Any = None,
    resource_defs: Mapping[str, Any] | None = None,
    can_subset: bool = False,
    check_specs: Sequence[Any] | None = None,
    backfill_policy: Any = None,
    **_unsupported: Any,
) -> AssetsDefinition:
    """``AssetsDefinition.from_op``: the op's outputs as assets, computed by its function
    (step key: the op's name), its inputs read from the assets named like them."""
    prefix = key_prefix_parts(key_prefix)
    outs = {}
    for out_name, out in op_def.outs.items():
        outs[out_name] = AssetOut(
            key=_output_key(op_def.name, out_name, len(op_def.outs), keys_by_output_name, prefix),
            group_name=group_name,
            io_manager_key=None if out.io_manager_key == "io_manager" else out.io_manager_key,
            is_required=out.is_required,
        )
    ins = {
        name: AssetIn(key=AssetKey.from_coercible((keys_by_input_name or {}).get(name) or name))
        for name in op_def.value_inputs()
    }
    return multi_asset(
        outs=outs,
        name=op_def.name,
        ins=ins,
        partitions_def=partitions_def,
        backfill_policy=backfill_policy,
        can_subset=can_subset,
        resource_defs=resource_defs,
        check_specs=check_specs,
        description=op_def.description,
        config_schema=op_def.config_schema,
        required_resource_keys=set(op_def.required_resource_keys),
        op_tags=op_def.tags,
        retry_policy=op_def.retry_policy,
    )(op_def.compute_fn)
