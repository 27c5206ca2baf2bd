"""``@asset_check`` and ``@multi_asset_check``: functions that verify an asset."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from assettui.errors import DagsterInvalidInvocationError, DefinitionError
from assettui.model.asset_key import AssetKey
from assettui.model.assets.compute_fn import FunctionParams, analyze_params
from assettui.model.assets.definition import (
    AssetCheckSpec,
    InputInfo,
    input_info,
    keys_of_inputs,
)
from assettui.model.assets.direct_invocation import invoke_directly
from assettui.model.assets.spec import AssetIn, coerce_deps
from assettui.model.results import AssetCheckKey


@dataclass(frozen=True, eq=False)
class AssetChecksDefinition:
    """One or more checks computed by one function."""

    check_specs: tuple[AssetCheckSpec, ...]
    node_name: str
    compute_fn: Callable[..., Any]
    params: FunctionParams
    inputs: Mapping[str, InputInfo] = field(default_factory=dict)
    required_resource_keys: frozenset[str] = frozenset()
    retry_policy: Any = None
    source_file: str | None = None
    source_line: int | None = None

    @property
    def keys_by_input_name(self) -> dict[str, AssetKey]:
        return keys_of_inputs(self.inputs)

    @property
    def check_keys(self) -> frozenset[AssetCheckKey]:
        return frozenset(s.key for s in self.check_specs)

    @property
    def check_key(self) -> AssetCheckKey:
        if len(self.check_specs) != 1:
            raise DagsterInvalidInvocationError(f"{self.node_name!r} defines several checks.")
        return self.check_specs[0].key

    @property
    def spec(self) -> AssetCheckSpec:
        if len(self.check_specs) != 1:
            raise DagsterInvalidInvocationError(f"{self.node_name!r} defines several checks.")
        return self.check_specs[0]

    @property
    def asset_keys(self) -> frozenset[AssetKey]:
        return frozenset(s.asset_key for s in self.check_specs)

    @property
    def dependency_keys(self) -> frozenset[AssetKey]:
        keys = {s.asset_key for s in self.check_specs}
        for s in self.check_specs:
            keys.update(AssetKey.from_coercible(d) for d in s.additional_deps)
        keys.update(self.keys_by_input_name.values())
        return frozenset(keys)

    @property
    def blocking(self) -> bool:
        return any(s.blocking for s in self.check_specs)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:

        return invoke_directly(self, args, kwargs)

    def __repr__(self) -> str:
        names = ", ".join(s.key.to_user_string() for s in self.check_specs)
        return f"<AssetChecksDefinition {names}>"


def asset_check(
    *,
    asset: Any,
    name: str | None = None,
    description: str | None = None,
    blocking: bool = False,
    additional_ins: Mapping[str, AssetIn] | None = None,
    additional_deps: Iterable[Any] | None = None,
    required_resource_keys: Iterable[str] | None = None,
    resource_defs: Mapping[str, Any] | None = None,
    config_schema: Any = None,
    compute_kind: str | None = None,
    op_tags: Mapping[str, Any] | None = None,
    retry_policy: Any = None,
    metadata: Mapping[str, Any] | None = None,
    automation_condition: Any = None,
    pool: str | None = None,
) -> Callable[[Callable[..., Any]], AssetChecksDefinition]:
    """Declare a check of ``asset``, computed by the decorated function.

    The function returns an ``AssetCheckResult``. A parameter named like the asset (or the
    one parameter that is not the context, config or a resource) receives the asset's value.

    Args:
        asset: the checked asset (a key, a string or an asset definition).
        name: the check's name (default: the function's name).
        description: what the check verifies (default: the docstring).
        blocking: if True, a failed check (severity ERROR) stops downstream assets.
        additional_ins: further inputs, by parameter name.
        additional_deps: further upstream assets not passed as values.
        metadata: metadata shown with the check.

    Returns:
        An :class:`AssetChecksDefinition`.
    """
    asset_key = AssetKey.from_coercible(asset)

    def wrap(fn: Callable[..., Any]) -> AssetChecksDefinition:
        check_name = name or fn.__name__
        what = f"@asset_check {check_name!r} on {asset_key.to_user_string()!r}"
        params = analyze_params(fn, what)
        extra = dict(additional_ins or {})
        inputs: dict[str, InputInfo] = {}
        asset_params = [p for p in params.input_params if p not in extra]
        if len(asset_params) > 1:
            raise DefinitionError(
                f"{what}: parameters {asset_params} are not the context, config, resources or "
                "additional_ins; only one parameter may receive the checked asset."
            )
        for param in asset_params:
            inputs[param] = InputInfo(asset_key)
        for param, asset_in in extra.items():
            inputs[param] = input_info(param, asset_in)
        spec = AssetCheckSpec(
            name=check_name,
            asset=asset_key,
            description=description or _doc(fn),
            blocking=blocking,
            additional_deps=tuple(d.key for d in coerce_deps(additional_deps)),
            metadata=dict(metadata or {}),
        )
        return AssetChecksDefinition(
            check_specs=(spec,),
            node_name=f"{asset_key.to_python_identifier()}_{check_name}",
            compute_fn=fn,
            params=params,
            inputs=inputs,
            required_resource_keys=frozenset(
                {*(required_resource_keys or ()), *params.resource_params}
            ),
            retry_policy=retry_policy,
            source_file=params.source_file,
            source_line=params.source_line,
        )

    return wrap


def multi_asset_check(
    *,
    specs: Sequence[AssetCheckSpec],
    name: str | None = None,
    description: str | None = None,
    ins: Mapping[str, AssetIn] | None = None,
    required_resource_keys: Iterable[str] | None = None,
    retry_policy: Any = None,
    **_unsupported: Any,
) -> Callable[[Callable[..., Any]], AssetChecksDefinition]:
    """Declare several checks computed by one function that yields ``AssetCheckResult``s."""

    def wrap(fn: Callable[..., Any]) -> AssetChecksDefinition:
        node_name = name or fn.__name__
        params = analyze_params(fn, f"@multi_asset_check {node_name!r}")
        inputs = {p: input_info(p, (ins or {}).get(p, AssetIn())) for p in params.input_params}
        return AssetChecksDefinition(
            check_specs=tuple(specs),
            node_name=node_name,
            compute_fn=fn,
            params=params,
            inputs=inputs,
            required_resource_keys=frozenset(
                {*(required_resource_keys or ()), *params.resource_params}
            ),
            retry_policy=retry_policy,
            source_file=params.source_file,
            source_line=params.source_line,
        )

    return wrap


def _doc(fn: Callable[..., Any]) -> str | None:
    import inspect

    return inspect.getdoc(fn) or None
