"""``AssetsDefinition``: one or more assets computed by one function (or none, if external)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from assettui.errors import DagsterInvalidInvocationError, DefinitionError
from assettui.model.asset_key import AssetKey
from assettui.model.assets.compute_fn import FunctionParams
from assettui.model.assets.direct_invocation import invoke_directly
from assettui.model.assets.spec import AssetIn, AssetSpec
from assettui.model.results import AssetCheckKey


@dataclass(frozen=True)
class AssetCheckSpec:
    """Declares a check on an asset.

    Args:
        name: the check's name, unique per asset.
        asset: the checked asset.
        description: what the check verifies.
        blocking: whether a failed check (severity ERROR) stops downstream assets.
        additional_deps: further assets the check reads.
        metadata: metadata shown with the check.
    """

    name: str
    asset: Any
    description: str | None = None
    blocking: bool = False
    additional_deps: Sequence[Any] = ()
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @property
    def asset_key(self) -> AssetKey:
        return AssetKey.from_coercible(self.asset)

    @property
    def key(self) -> AssetCheckKey:
        return AssetCheckKey(self.asset_key, self.name)


@dataclass(frozen=True)
class OutputInfo:
    """How one asset of a definition leaves its function: output name, IO manager, required."""

    output_name: str
    io_manager_key: str = "io_manager"
    is_required: bool = True
    dagster_type: Any = None


@dataclass(frozen=True)
class InputInfo:
    """How one upstream asset enters the function: key, IO manager, metadata, partition mapping.

    ``io_manager_key`` None means the upstream asset's own IO manager loads the value.
    """

    key: AssetKey
    io_manager_key: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    partition_mapping: Any = None


def input_info(name: str, asset_in: AssetIn | None = None) -> InputInfo:
    """The input ``name`` reads: the asset named like it, or what ``asset_in`` says."""
    if asset_in is None:
        return InputInfo(AssetKey([name]))
    return InputInfo(
        asset_in.resolve_key(name),
        asset_in.input_manager_key,
        dict(asset_in.metadata or {}),
        asset_in.partition_mapping,
    )


def keys_of_inputs(inputs: Mapping[str, InputInfo]) -> dict[str, AssetKey]:
    return {name: info.key for name, info in inputs.items()}


@dataclass(frozen=True, eq=False)
class AssetsDefinition:
    """Assets computed together by one function (a ``@asset`` or ``@multi_asset``).

    External assets (``AssetSpec`` / ``SourceAsset`` in ``Definitions``) are definitions with
    no function (``is_executable`` is False).
    """

    specs: tuple[AssetSpec, ...]
    node_name: str = ""  # default: the first spec's key, as a Python name
    compute_fn: Callable[..., Any] | None = None
    params: FunctionParams | None = None
    # parameter name -> the upstream value passed to the function under that name
    inputs: Mapping[str, InputInfo] = field(default_factory=dict)
    outputs: Mapping[AssetKey, OutputInfo] = field(default_factory=dict)
    check_specs: tuple[AssetCheckSpec, ...] = ()
    can_subset: bool = False
    retry_policy: Any = None
    backfill_policy: Any = None
    required_resource_keys: frozenset[str] = frozenset()
    op_tags: Mapping[str, Any] = field(default_factory=dict)
    pool: str | None = None
    source_file: str | None = None
    source_line: int | None = None
    is_source_asset: bool = False
    resource_defs: Mapping[str, Any] = field(default_factory=dict)
    graph_def: Any = None  # a graph-backed asset's graph of ops (see graph_backed.py)

    def __post_init__(self) -> None:
        if not isinstance(self.specs, tuple):  # AssetsDefinition(specs=[...]), as in Dagster
            object.__setattr__(self, "specs", tuple(self.specs))
        if not self.node_name and self.specs:
            object.__setattr__(self, "node_name", self.specs[0].key.to_python_identifier())
        shared_partitions_def(self.specs, repr(self.node_name))

    # ---- Dagster's attributes -------------------------------------------------------------

    @property
    def partitions_def(self) -> Any:
        """The partitions of every asset here (its specs agree; see ``shared_partitions_def``)."""
        return self.specs[0].partitions_def if self.specs else None

    @property
    def keys_by_input_name(self) -> dict[str, AssetKey]:
        return keys_of_inputs(self.inputs)

    @property
    def specs_by_key(self) -> dict[AssetKey, AssetSpec]:
        return {s.key: s for s in self.specs}

    @property
    def key(self) -> AssetKey:
        if len(self.specs) != 1:
            raise DagsterInvalidInvocationError(
                f"{self.node_name!r} defines {len(self.specs)} assets; use .keys instead of .key."
            )
        return self.specs[0].key

    @property
    def keys(self) -> frozenset[AssetKey]:
        return frozenset(s.key for s in self.specs)

    @staticmethod
    def from_graph(graph_def: Any, **kwargs: Any) -> AssetsDefinition:
        """Assets computed by a graph of ops (see ``model/assets/graph_backed.py``)."""
        # Declared in pyproject's layer contract: the builders use the asset decorators,
        # which build on this module.
        from assettui.model.assets.graph_backed import assets_from_graph

        return assets_from_graph(graph_def, **kwargs)

    @staticmethod
    def from_op(op_def: Any, **kwargs: Any) -> AssetsDefinition:
        """Assets computed by one op (see ``model/assets/graph_backed.py``)."""
        from assettui.model.assets.graph_backed import assets_from_op  # declared, as above

        return assets_from_op(op_def, **kwargs)

    @property
    def asset_key(self) -> AssetKey:
        return self.key

    @property
    def is_executable(self) -> bool:
        return self.compute_fn is not None

    @property
    def is_external(self) -> bool:
        return self.compute_fn is None

    @property
    def op(self) -> _NodeHandle:
        return _NodeHandle(self.node_name, tuple(self.op_tags.items()))

    node_def = op

    @property
    def dependency_keys(self) -> frozenset[AssetKey]:
        own = self.keys
        return frozenset(d.key for s in self.specs for d in s.deps if d.key not in own)

    @property
    def asset_deps(self) -> dict[AssetKey, frozenset[AssetKey]]:
        return {s.key: frozenset(d.key for d in s.deps) for s in self.specs}

    @property
    def keys_by_output_name(self) -> dict[str, AssetKey]:
        return {info.output_name: key for key, info in self.outputs.items()}

    @property
    def group_names_by_key(self) -> dict[AssetKey, str]:
        return {s.key: s.group_name or "default" for s in self.specs}

    @property
    def descriptions_by_key(self) -> dict[AssetKey, str | None]:
        return {s.key: s.description for s in self.specs}

    @property
    def metadata_by_key(self) -> dict[AssetKey, Mapping[str, Any]]:
        return {s.key: s.metadata for s in self.specs}

    @property
    def tags_by_key(self) -> dict[AssetKey, Mapping[str, str]]:
        return {s.key: s.tags for s in self.specs}

    @property
    def owners_by_key(self) -> dict[AssetKey, Sequence[str]]:
        return {s.key: s.owners for s in self.specs}

    @property
    def code_versions_by_key(self) -> dict[AssetKey, str | None]:
        return {s.key: s.code_version for s in self.specs}

    @property
    def automation_conditions_by_key(self) -> dict[AssetKey, Any]:
        return {s.key: s.automation_condition for s in self.specs}

    @property
    def check_keys(self) -> frozenset[AssetCheckKey]:
        return frozenset(c.key for c in self.check_specs)

    @property
    def check_specs_by_output_name(self) -> dict[str, AssetCheckSpec]:
        return {f"{c.asset_key.to_python_identifier()}_{c.name}": c for c in self.check_specs}

    @property
    def group_name(self) -> str:
        names = set(self.group_names_by_key.values())
        if len(names) != 1:
            raise DagsterInvalidInvocationError(f"{self.node_name!r} spans groups {sorted(names)}.")
        return names.pop()

    def get_partition_mapping(self, upstream_key: AssetKey) -> Any:
        """The mapping an input or dep declares for ``upstream_key`` (None: the default)."""
        for info in self.inputs.values():
            if info.key == upstream_key and info.partition_mapping is not None:
                return info.partition_mapping
        for spec in self.specs:
            for dep in spec.deps:
                if dep.key == upstream_key and dep.partition_mapping is not None:
                    return dep.partition_mapping
        return None

    def get_io_manager_key(self, key: AssetKey) -> str:
        return self.outputs[key].io_manager_key if key in self.outputs else "io_manager"

    def spec_for(self, key: AssetKey) -> AssetSpec:
        for spec in self.specs:
            if spec.key == key:
                return spec
        raise KeyError(key)

    def with_attributes(
        self,
        *,
        group_names_by_key: Mapping[AssetKey, str] | None = None,
        key_prefix: Sequence[str] | None = None,
    ) -> AssetsDefinition:
        """A copy with groups set or a key prefix added (what ``load_assets_from_*`` use)."""
        specs = list(self.specs)
        if group_names_by_key:
            specs = [
                replace(s, group_name=group_names_by_key.get(s.key, s.group_name)) for s in specs
            ]
        if not key_prefix:
            return replace(self, specs=tuple(specs))
        own = self.keys

        def pre(key: AssetKey) -> AssetKey:
            return key.with_prefix(key_prefix) if key in own else key

        specs = [replace(s, key=pre(s.key)) for s in specs]
        return replace(
            self,
            specs=tuple(specs),
            outputs={pre(k): v for k, v in self.outputs.items()},
        )

    # ---- direct invocation (unit tests call assets like functions) -------------------------

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.compute_fn is None or self.params is None:
            raise DagsterInvalidInvocationError(
                f"{self.node_name!r} is an external asset and cannot be invoked."
            )
        if self.graph_def is not None:
            raise DagsterInvalidInvocationError(
                f"Graph-backed asset {self.node_name!r} runs its ops in a run: use "
                f"materialize([...]) rather than calling it directly."
            )
        return invoke_directly(self, args, kwargs)

    def __repr__(self) -> str:
        keys = ", ".join(sorted(k.to_user_string() for k in self.keys))
        return f"<AssetsDefinition {self.node_name} [{keys}]>"


@dataclass(frozen=True)
class _NodeHandle:
    """What ``assets_def.op`` exposes: the node's name and tags."""

    name: str
    _tags: tuple[tuple[str, Any], ...] = ()

    @property
    def tags(self) -> dict[str, Any]:
        return dict(self._tags)


def external_assets_definition(
    spec: AssetSpec, io_manager_key: str = "io_manager"
) -> AssetsDefinition:
    """An unexecutable definition for an ``AssetSpec`` or ``SourceAsset``."""
    return AssetsDefinition(
        specs=(spec,),
        node_name=spec.key.to_python_identifier(),
        outputs={spec.key: OutputInfo("result", io_manager_key, True)},
        is_source_asset=True,
    )


def shared_partitions_def(specs: Sequence[AssetSpec], what: str) -> Any:
    """The one ``partitions_def`` of ``specs``.

    Raises:
        DefinitionError: the specs disagree (a multi-asset's assets share one partitioning).
    """
    distinct: list[Any] = []
    for spec in specs:
        if not any(spec.partitions_def == seen for seen in distinct):
            distinct.append(spec.partitions_def)
    if len(distinct) <= 1:
        return distinct[0] if distinct else None
    listing = ", ".join(
        f"{spec.key.to_user_string()} ({spec.partitions_def or 'unpartitioned'})" for spec in specs
    )
    raise DefinitionError(
        f"{what}: every asset of a multi-asset must have the same partitions_def; "
        f"these differ: {listing}. Give all specs the same one, or split the multi-asset."
    )


def ensure_unique(items: Sequence[AssetKey], what: str) -> None:
    seen: set[AssetKey] = set()
    for key in items:
        if key in seen:
            raise DefinitionError(f"{what} declares asset {key.to_user_string()!r} twice.")
        seen.add(key)
