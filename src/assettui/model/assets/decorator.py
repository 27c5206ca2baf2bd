"""``@asset`` and ``@multi_asset``: turn a function into an :class:`AssetsDefinition`."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, overload

from assettui.errors import DefinitionError
from assettui.model.asset_key import AssetKey, key_prefix_parts
from assettui.model.assets.compute_fn import FunctionParams, analyze_params
from assettui.model.assets.definition import (
    AssetCheckSpec,
    AssetsDefinition,
    InputInfo,
    OutputInfo,
    ensure_unique,
    input_info,
    shared_partitions_def,
)
from assettui.model.assets.spec import AssetDep, AssetIn, AssetOut, AssetSpec, coerce_deps
from assettui.model.automation.legacy_policies import resolve_automation_condition

IO_MANAGER_METADATA_KEY = "dagster/io_manager_key"


def _resolve_inputs(
    params: FunctionParams,
    ins: Mapping[str, AssetIn] | None,
    what: str,
) -> dict[str, InputInfo]:
    ins = dict(ins or {})
    unknown = set(ins) - set(params.input_params)
    if unknown and not params.has_kwargs:
        raise DefinitionError(
            f"{what} declares ins {sorted(unknown)} but its function has no parameter of that "
            f"name (parameters: {list(params.input_params)})."
        )
    inputs: dict[str, InputInfo] = {}
    for name in [*params.input_params, *sorted(unknown)]:
        asset_in = ins.get(name)
        if asset_in is not None and not isinstance(asset_in, AssetIn):
            raise DefinitionError(f"{what}: ins[{name!r}] must be an AssetIn, got {asset_in!r}.")
        inputs[name] = input_info(name, asset_in)
    return inputs


def _input_mappings(inputs: Mapping[str, InputInfo]) -> dict[AssetKey, Any]:
    return {i.key: i.partition_mapping for i in inputs.values() if i.partition_mapping is not None}


def _dep_mappings(deps: Iterable[AssetDep]) -> dict[AssetKey, Any]:
    return {d.key: d.partition_mapping for d in deps if d.partition_mapping is not None}


def _kinds(kinds: Iterable[str] | None, compute_kind: str | None) -> set[str]:
    out = set(kinds or ())
    if compute_kind:
        out.add(compute_kind)
    return out


def _check_specs(check_specs: Sequence[AssetCheckSpec] | None) -> tuple[AssetCheckSpec, ...]:
    specs = tuple(check_specs or ())
    for spec in specs:
        if not isinstance(spec, AssetCheckSpec):
            raise DefinitionError(f"check_specs must hold AssetCheckSpec values; got {spec!r}.")
    return specs


@overload
def asset(compute_fn: Callable[..., Any], /) -> AssetsDefinition: ...


@overload
def asset(
    compute_fn: None = None, /, **kwargs: Any
) -> Callable[[Callable[..., Any]], AssetsDefinition]: ...


def asset(
    compute_fn: Callable[..., Any] | None = None,
    /,
    *,
    name: str | None = None,
    key_prefix: str | Sequence[str] | None = None,
    ins: Mapping[str, AssetIn] | None = None,
    deps: Iterable[Any] | None = None,
    metadata: Mapping[str, Any] | None = None,
    tags: Mapping[str, str] | None = None,
    description: str | None = None,
    config_schema: Any = None,
    required_resource_keys: Iterable[str] | None = None,
    resource_defs: Mapping[str, Any] | None = None,
    io_manager_def: Any = None,
    io_manager_key: str | None = None,
    dagster_type: Any = None,
    partitions_def: Any = None,
    op_tags: Mapping[str, Any] | None = None,
    group_name: str | None = None,
    output_required: bool = True,
    automation_condition: Any = None,
    backfill_policy: Any = None,
    retry_policy: Any = None,
    code_version: str | None = None,
    key: Any = None,
    check_specs: Sequence[AssetCheckSpec] | None = None,
    owners: Sequence[str] | None = None,
    kinds: Iterable[str] | None = None,
    pool: str | None = None,
    compute_kind: str | None = None,
    non_argument_deps: Iterable[Any] | None = None,
    freshness_policy: Any = None,
    **_unsupported: Any,
) -> Any:
    """Declare a software-defined asset computed by the decorated function.

    The asset's key is ``key``, or ``key_prefix + [name or function name]``. Parameters of the
    function named like upstream assets receive their values (or use ``ins``); ``deps`` names
    upstream assets whose values are not passed in. The docstring is the description.

    Args:
        name: the asset's name (default: the function's name).
        key_prefix: parts put in front of the name.
        ins: per-parameter ``AssetIn`` (upstream key, partition mapping, input manager).
        deps: upstream assets not passed as values.
        metadata: definition metadata shown with the asset.
        tags: tags of the asset.
        description: overrides the docstring.
        io_manager_key: resource key of the IO manager that stores the output.
        partitions_def: how the asset is partitioned.
        group_name: the asset's group (default ``"default"``).
        output_required: if False the function may return nothing; downstream is then skipped.
        automation_condition: when the scheduler should materialize it.
        backfill_policy: how backfills group partitions into runs.
        retry_policy: retries of a failed step.
        code_version: a version of the code; a change marks the asset stale.
        key: the full key (instead of name/key_prefix).
        check_specs: checks whose results the function yields.
        owners: owners (emails or ``team:name``).
        kinds: up to three kinds (``"polars"``, ``"sqlite"``...).

    Returns:
        An :class:`AssetsDefinition`.
    """

    def wrap(fn: Callable[..., Any]) -> AssetsDefinition:
        node_name = name or (AssetKey.from_coercible(key).path[-1] if key else fn.__name__)
        if key is not None and (name or key_prefix):
            raise DefinitionError(
                f"@asset {node_name!r}: give either key= or name=/key_prefix=, not both."
            )
        asset_key = (
            AssetKey.from_coercible(key)
            if key is not None
            else AssetKey([*key_prefix_parts(key_prefix), node_name])
        )
        what = f"@asset {asset_key.to_user_string()!r}"
        condition = resolve_automation_condition(
            automation_condition, _unsupported.get("auto_materialize_policy"), what
        )
        params = analyze_params(fn, what)
        inputs = _resolve_inputs(params, ins, what)
        input_keys = [i.key for i in inputs.values()]
        mappings = _input_mappings(inputs)
        extra_deps = coerce_deps([*(deps or ()), *(non_argument_deps or ())])
        mappings.update(_dep_mappings(extra_deps))
        all_deps = [AssetDep(k, mappings.get(k)) for k in input_keys]
        all_deps += [d for d in extra_deps if d.key not in input_keys]
        if asset_key in {d.key for d in all_deps}:
            raise DefinitionError(
                f"{what} depends on itself. Rename the parameter or the dependency."
            )
        spec = AssetSpec(
            key=asset_key,
            deps=all_deps,
            description=description or _docstring(fn),
            metadata=metadata or {},
            skippable=not output_required,
            group_name=group_name,
            code_version=code_version,
            automation_condition=condition,
            owners=owners or (),
            tags=tags or {},
            kinds=_kinds(kinds, compute_kind),
            partitions_def=partitions_def,
            freshness_policy=freshness_policy or _unsupported.get("legacy_freshness_policy"),
        )
        manager = io_manager_key or "io_manager"
        return AssetsDefinition(
            specs=(spec,),
            node_name=asset_key.to_python_identifier() if len(asset_key.path) > 1 else node_name,
            compute_fn=fn,
            params=params,
            inputs=inputs,
            outputs={asset_key: OutputInfo("result", manager, output_required, dagster_type)},
            check_specs=_check_specs(check_specs),
            retry_policy=retry_policy,
            backfill_policy=backfill_policy,
            required_resource_keys=frozenset(
                {*(required_resource_keys or ()), *params.resource_params, manager}
            ),
            op_tags=dict(op_tags or {}),
            pool=pool,
            source_file=params.source_file,
            source_line=params.source_line,
            resource_defs=dict(resource_defs or {}),
        )

    return wrap(compute_fn) if compute_fn is not None else wrap


def multi_asset(
    *,
    outs: Mapping[str, AssetOut] | None = None,
    name: str | None = None,
    ins: Mapping[str, AssetIn] | None = None,
    deps: Iterable[Any] | None = None,
    description: str | None = None,
    config_schema: Any = None,
    required_resource_keys: Iterable[str] | None = None,
    compute_kind: str | None = None,
    internal_asset_deps: Mapping[str, set[AssetKey]] | None = None,
    partitions_def: Any = None,
    backfill_policy: Any = None,
    op_tags: Mapping[str, Any] | None = None,
    can_subset: bool = False,
    resource_defs: Mapping[str, Any] | None = None,
    group_name: str | None = None,
    retry_policy: Any = None,
    code_version: str | None = None,
    specs: Sequence[AssetSpec] | None = None,
    check_specs: Sequence[AssetCheckSpec] | None = None,
    pool: str | None = None,
    **_unsupported: Any,
) -> Callable[[Callable[..., Any]], AssetsDefinition]:
    """Declare several assets computed by one function.

    Give either ``outs`` (output name -> :class:`AssetOut`) or ``specs`` (:class:`AssetSpec`
    per asset). The function returns one value per output (a tuple in ``outs`` order, or
    ``Output(value, output_name=...)`` objects), or yields ``MaterializeResult(asset_key=...)``.

    Args:
        outs: the outputs, by name.
        specs: the assets, as specs (output names are the keys as identifiers).
        ins: per-parameter ``AssetIn``.
        deps: upstream assets not passed as values (for every output).
        internal_asset_deps: per output name, the upstream keys that output depends on.
        can_subset: whether a run may select only some of the outputs.
        group_name: the group of outputs that do not name one.

    Returns:
        An :class:`AssetsDefinition`.
    """
    if bool(outs) == bool(specs):
        raise DefinitionError("@multi_asset needs exactly one of outs= or specs=.")

    def wrap(fn: Callable[..., Any]) -> AssetsDefinition:
        node_name = name or fn.__name__
        what = f"@multi_asset {node_name!r}"
        params = analyze_params(fn, what)
        inputs = _resolve_inputs(params, ins, what)
        input_keys = [i.key for i in inputs.values()]
        mappings = _input_mappings(inputs)
        extra_deps = coerce_deps(deps)
        mappings.update(_dep_mappings(extra_deps))
        shared = [AssetDep(k, mappings.get(k)) for k in input_keys]
        shared += [d for d in extra_deps if d.key not in input_keys]
        built: list[AssetSpec] = []
        outputs: dict[AssetKey, OutputInfo] = {}
        if outs:
            for out_name, out in outs.items():
                if not isinstance(out, AssetOut):
                    raise DefinitionError(f"{what}: outs[{out_name!r}] must be an AssetOut.")
                out_deps: Iterable[Any] = shared
                if internal_asset_deps and out_name in internal_asset_deps:
                    out_deps = [AssetDep(k, mappings.get(k)) for k in internal_asset_deps[out_name]]
                spec = out.to_spec(out_name, out_deps, partitions_def)
                if spec.group_name is None and group_name:
                    spec = spec.replace_attributes(group_name=group_name)
                if spec.code_version is None and code_version:
                    spec = spec.replace_attributes(code_version=code_version)
                if spec.description is None and description:
                    spec = spec.replace_attributes(description=description)
                built.append(spec)
                outputs[spec.key] = OutputInfo(
                    out_name, out.io_manager_key or "io_manager", out.is_required
                )
        else:
            declared = {d.key for s in specs or () for d in s.deps}
            missing_inputs = [AssetDep(k, mappings.get(k)) for k in input_keys if k not in declared]
            for s in specs or ():
                if not isinstance(s, AssetSpec):
                    raise DefinitionError(f"{what}: specs must hold AssetSpec values; got {s!r}.")
                spec = s.replace_attributes(
                    deps=(*s.deps, *missing_inputs, *extra_deps),
                    partitions_def=s.partitions_def or partitions_def,
                    group_name=s.group_name or group_name,
                    code_version=s.code_version or code_version,
                )
                built.append(spec)
                manager = str(s.metadata.get(IO_MANAGER_METADATA_KEY, "io_manager"))
                outputs[spec.key] = OutputInfo(
                    spec.key.to_python_identifier(), manager, not s.skippable
                )
        ensure_unique([s.key for s in built], what)
        shared_partitions_def(built, what)
        managers_needed = {info.io_manager_key for info in outputs.values()}
        return AssetsDefinition(
            specs=tuple(built),
            node_name=node_name,
            compute_fn=fn,
            params=params,
            inputs=inputs,
            outputs=outputs,
            check_specs=_check_specs(check_specs),
            can_subset=can_subset,
            retry_policy=retry_policy,
            backfill_policy=backfill_policy,
            required_resource_keys=frozenset(
                {*(required_resource_keys or ()), *params.resource_params, *managers_needed}
            ),
            op_tags=dict(op_tags or {}),
            pool=pool,
            source_file=params.source_file,
            source_line=params.source_line,
        )

    return wrap


def _docstring(fn: Callable[..., Any]) -> str | None:
    import inspect

    doc = inspect.getdoc(fn)
    return doc or None
