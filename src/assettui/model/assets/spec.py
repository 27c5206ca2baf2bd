"""Per-asset declarations: ``AssetSpec``, ``AssetDep``, ``AssetIn``, ``AssetOut``, ``SourceAsset``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from assettui.errors import DefinitionError
from assettui.model.asset_key import AssetKey, check_key_parts, key_prefix_parts


def _frozen_mapping(value: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return dict(value or {})


@dataclass(frozen=True)
class AssetDep:
    """A dependency on an upstream asset whose value is not passed in.

    Args:
        asset: the upstream asset (a key, a string, or an asset definition/spec).
        partition_mapping: how this asset's partitions map to the upstream's.
    """

    asset: Any
    partition_mapping: Any = None
    key: AssetKey = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", AssetKey.from_coercible(self.asset))

    @property
    def asset_key(self) -> AssetKey:
        return self.key


def coerce_deps(deps: Iterable[Any] | None) -> tuple[AssetDep, ...]:
    """``deps=[...]`` items (keys, strings, assets, specs, AssetDeps) as AssetDeps."""
    out: list[AssetDep] = []
    for dep in deps or ():
        if isinstance(dep, AssetDep):
            out.append(dep)
        elif hasattr(dep, "keys") and hasattr(dep, "specs_by_key") and len(dep.keys) > 1:
            out.extend(AssetDep(k) for k in sorted(dep.keys))
        else:
            out.append(AssetDep(dep))
    return tuple(out)


@dataclass(frozen=True)
class AssetSpec:
    """Everything declared about one asset, apart from how it is computed.

    On its own (in ``Definitions(assets=[AssetSpec("x")])``) it declares an external asset:
    one that assettui shows and that others depend on but that it does not materialize.
    ``@multi_asset(specs=[...])`` uses specs to declare the assets it produces.
    """

    key: Any
    deps: Iterable[Any] = ()
    description: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    skippable: bool = False
    group_name: str | None = None
    code_version: str | None = None
    automation_condition: Any = None
    owners: Sequence[str] = ()
    tags: Mapping[str, str] = field(default_factory=dict)
    kinds: Iterable[str] = ()
    partitions_def: Any = None
    freshness_policy: Any = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", AssetKey.from_coercible(self.key))
        check_key_parts(self.key)
        object.__setattr__(self, "deps", coerce_deps(self.deps))
        object.__setattr__(self, "metadata", _frozen_mapping(self.metadata))
        object.__setattr__(self, "tags", _frozen_mapping(self.tags))
        object.__setattr__(self, "owners", tuple(self.owners or ()))
        object.__setattr__(self, "kinds", frozenset(self.kinds or ()))
        kinds: frozenset[str] = self.kinds  # type: ignore[assignment]
        if len(kinds) > 3:
            raise DefinitionError(
                f"Asset {self.key.to_user_string()!r} has {len(kinds)} kinds; at most 3 "
                "are allowed (as in Dagster)."
            )
        for owner in self.owners:
            if not isinstance(owner, str):
                raise DefinitionError(f"Owners of {self.key.to_user_string()!r} must be strings.")

    def replace_attributes(self, **kwargs: Any) -> AssetSpec:
        """A copy with the given attributes replaced (Dagster's ``replace_attributes``)."""
        return replace(self, **kwargs)

    def merge_attributes(
        self,
        *,
        deps: Iterable[Any] = (),
        metadata: Mapping[str, Any] | None = None,
        owners: Sequence[str] = (),
        tags: Mapping[str, str] | None = None,
        kinds: Iterable[str] = (),
    ) -> AssetSpec:
        """A copy with the given attributes added to the existing ones."""
        return replace(
            self,
            deps=(*self.deps, *coerce_deps(deps)),
            metadata={**self.metadata, **(metadata or {})},
            owners=(*self.owners, *owners),
            tags={**self.tags, **(tags or {})},
            kinds={*self.kinds, *kinds},
        )

    def with_io_manager_key(self, io_manager_key: str) -> AssetSpec:
        return self.merge_attributes(metadata={"dagster/io_manager_key": io_manager_key})


@dataclass(frozen=True)
class AssetIn:
    """Where an asset input comes from (by default: the asset named like the parameter).

    Args:
        key: the upstream asset's key.
        metadata: metadata for the IO manager loading the input.
        key_prefix: a prefix to the parameter name, when ``key`` is not given.
        partition_mapping: how this asset's partitions map to the upstream's.
        dagster_type: accepted for compatibility, not checked.
        input_manager_key: the IO manager (resource key) that loads this input.
    """

    key: Any = None
    metadata: Mapping[str, Any] | None = None
    key_prefix: Any = None
    input_manager_key: str | None = None
    partition_mapping: Any = None
    dagster_type: Any = None

    def resolve_key(self, input_name: str) -> AssetKey:
        if self.key is not None:
            return AssetKey.from_coercible(self.key)
        return AssetKey([*key_prefix_parts(self.key_prefix), input_name])


@dataclass(frozen=True)
class AssetOut:
    """One output of a ``@multi_asset``: the asset it produces and how it is stored."""

    key_prefix: Any = None
    key: Any = None
    dagster_type: Any = None
    description: str | None = None
    is_required: bool = True
    io_manager_key: str | None = None
    metadata: Mapping[str, Any] | None = None
    group_name: str | None = None
    code_version: str | None = None
    automation_condition: Any = None
    backfill_policy: Any = None
    owners: Sequence[str] | None = None
    tags: Mapping[str, str] | None = None
    kinds: Iterable[str] | None = None

    def to_spec(self, output_name: str, deps: Iterable[Any], partitions_def: Any) -> AssetSpec:
        if self.key is not None:
            key = AssetKey.from_coercible(self.key)
        else:
            key = AssetKey([*key_prefix_parts(self.key_prefix), output_name])
        return AssetSpec(
            key=key,
            deps=deps,
            description=self.description,
            metadata=self.metadata or {},
            skippable=not self.is_required,
            group_name=self.group_name,
            code_version=self.code_version,
            automation_condition=self.automation_condition,
            owners=self.owners or (),
            tags=self.tags or {},
            kinds=self.kinds or (),
            partitions_def=partitions_def,
        )


class SourceAsset:
    """An external asset that is loaded, never materialized (Dagster's older API).

    Args:
        key: the asset's key.
        metadata: metadata shown for it.
        io_manager_key: the IO manager that loads it for downstream assets.
        description: a description.
        partitions_def: its partitions.
        group_name: its group.
    """

    def __init__(
        self,
        key: Any,
        metadata: Mapping[str, Any] | None = None,
        io_manager_key: str | None = None,
        description: str | None = None,
        partitions_def: Any = None,
        group_name: str | None = None,
        tags: Mapping[str, str] | None = None,
        owners: Sequence[str] | None = None,
        kinds: Iterable[str] | None = None,
        **_ignored: Any,
    ):
        self.key = AssetKey.from_coercible(key)
        self.metadata = dict(metadata or {})
        self.io_manager_key = io_manager_key or "io_manager"
        self.description = description
        self.partitions_def = partitions_def
        self.group_name = group_name
        self.tags = dict(tags or {})
        self.owners = tuple(owners or ())
        self.kinds = frozenset(kinds or ())

    def to_spec(self) -> AssetSpec:
        return AssetSpec(
            key=self.key,
            description=self.description,
            metadata=self.metadata,
            group_name=self.group_name,
            partitions_def=self.partitions_def,
            tags=self.tags,
            owners=self.owners,
            kinds=self.kinds,
        )

    def __repr__(self) -> str:
        return f"SourceAsset({self.key.to_user_string()!r})"
