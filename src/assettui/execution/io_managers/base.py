"""IO managers: how asset values are stored after a step and loaded for the next.

``IOManager`` is the interface (``handle_output`` / ``load_input``); ``ConfigurableIOManager``
is one configured with pydantic fields, like a ``ConfigurableResource``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from assettui.errors import DagsterInvalidPropertyError
from assettui.model.asset_key import AssetKey
from assettui.model.metadata.values import MetadataValue, normalize_metadata
from assettui.model.resources import (
    ConfigurableLegacyResourceAdapter,
    ConfigurableResource,
    ResourceDefinition,
    Resources,
)


@dataclass
class OutputContext:
    """What an IO manager knows about the value it stores.

    Attributes:
        asset_key: the asset being stored (``None`` for an op's output).
        name: the output name (``"result"`` for a single asset).
        run_id: the run storing it.
        metadata: the asset's definition metadata.
        step_key: the step producing it.
        partition_key / asset_partition_keys: the partition(s) being stored.
        resources: the run's resources.
    """

    asset_key: AssetKey | None
    name: str = "result"
    run_id: str = ""
    metadata: Mapping[str, Any] = field(default_factory=dict)
    step_key: str = ""
    partition_key_value: str | None = None
    partition_keys_value: Sequence[str] = ()
    resources: Any = None
    definition_metadata: Mapping[str, Any] = field(default_factory=dict)
    dagster_type: Any = None
    log: Any = None
    partitions_def: Any = None
    output_metadata: dict[str, MetadataValue] = field(default_factory=dict)
    mapping_key: str | None = None
    op_def: Any = None

    @property
    def has_asset_key(self) -> bool:
        return self.asset_key is not None

    @property
    def has_partition_key(self) -> bool:
        return self.partition_key_value is not None

    @property
    def has_asset_partitions(self) -> bool:
        return bool(self.partition_keys_value)

    @property
    def partition_key(self) -> str:
        if self.partition_key_value is None:
            raise DagsterInvalidPropertyError(
                f"{self.describe()} is not stored for one partition here."
            )
        return self.partition_key_value

    def describe(self) -> str:
        if self.asset_key is None:
            return f"Output {self.name!r} of step {self.step_key!r}"
        return f"Asset {self.asset_key.to_user_string()!r}"

    @property
    def asset_partition_key(self) -> str:
        return self.partition_key

    @property
    def asset_partition_keys(self) -> Sequence[str]:
        return list(self.partition_keys_value)

    @property
    def asset_partitions_def(self) -> Any:
        return self.partitions_def

    def get_asset_identifier(self) -> list[str]:
        if self.asset_key is None:
            raise DagsterInvalidPropertyError(
                f"{self.describe()} is not an asset; use get_identifier()."
            )
        path = list(self.asset_key.path)
        return [*path, self.partition_key_value] if self.partition_key_value else path

    def get_identifier(self) -> list[str]:
        """Asset outputs: the key's path (and partition); op outputs: run id, step key,
        output name (and mapping key), as in Dagster."""
        if self.asset_key is not None:
            return self.get_asset_identifier()
        parts = [self.run_id, self.step_key, self.name]
        return [*parts, self.mapping_key] if self.mapping_key else parts

    @property
    def storage_key(self) -> AssetKey:
        """Where built-in IO managers keep the value: the asset key, or for an op's output
        a key made of its identifier."""
        if self.asset_key is not None:
            return self.asset_key
        return AssetKey([self.run_id, self.step_key, self.name])

    def add_output_metadata(self, metadata: Mapping[str, Any]) -> None:
        """Metadata recorded on the materialization (e.g. a row count)."""
        self.output_metadata.update(normalize_metadata(metadata))


@dataclass
class InputContext:
    """What an IO manager knows about the value it loads.

    ``upstream_output`` describes how the value was stored; ``asset_partition_keys`` lists
    the upstream partitions to load (several for a time-window mapping).
    """

    asset_key: AssetKey | None
    name: str = ""
    upstream_output: OutputContext | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    partition_keys_value: Sequence[str] = ()
    resources: Any = None
    dagster_type: Any = None
    log: Any = None
    partitions_def: Any = None
    definition_metadata: Mapping[str, Any] = field(default_factory=dict)
    op_def: Any = None

    @property
    def has_asset_key(self) -> bool:
        return self.asset_key is not None

    @property
    def has_partition_key(self) -> bool:
        return len(self.partition_keys_value) == 1

    @property
    def has_asset_partitions(self) -> bool:
        return bool(self.partition_keys_value)

    @property
    def partition_key(self) -> str:
        if len(self.partition_keys_value) != 1:
            raise DagsterInvalidPropertyError(
                f"Input {self.name!r} spans {len(self.partition_keys_value)} partitions; use "
                "asset_partition_keys."
            )
        return self.partition_keys_value[0]

    @property
    def asset_partition_key(self) -> str:
        return self.partition_key

    @property
    def asset_partition_keys(self) -> Sequence[str]:
        return list(self.partition_keys_value)

    @property
    def asset_partitions_def(self) -> Any:
        return self.partitions_def

    def get_asset_identifier(self) -> list[str]:
        if self.asset_key is None:
            raise DagsterInvalidPropertyError(
                f"Input {self.name!r} does not come from an asset; use get_identifier()."
            )
        path = list(self.asset_key.path)
        if len(self.partition_keys_value) == 1:
            return [*path, self.partition_keys_value[0]]
        return path

    def get_identifier(self) -> list[str]:
        if self.asset_key is None and self.upstream_output is not None:
            return self.upstream_output.get_identifier()
        return self.get_asset_identifier()

    @property
    def storage_key(self) -> AssetKey:
        """Where built-in IO managers find the value (see ``OutputContext.storage_key``)."""
        if self.asset_key is None and self.upstream_output is not None:
            return self.upstream_output.storage_key
        if self.asset_key is None:
            raise DagsterInvalidPropertyError(f"Input {self.name!r} has no upstream output.")
        return self.asset_key


class IOManager(ABC):
    """Stores the value of each asset (``handle_output``) and loads it (``load_input``)."""

    @abstractmethod
    def handle_output(self, context: OutputContext, obj: Any) -> None:
        """Store ``obj``, the value of ``context.asset_key``."""

    @abstractmethod
    def load_input(self, context: InputContext) -> Any:
        """Load the value of ``context.asset_key`` (for ``context.asset_partition_keys``)."""


class ConfigurableIOManager(ConfigurableResource, IOManager):
    """An IO manager configured by pydantic fields."""

    @abstractmethod
    def handle_output(self, context: OutputContext, obj: Any) -> None: ...

    @abstractmethod
    def load_input(self, context: InputContext) -> Any: ...


class ConfigurableIOManagerFactory(ConfigurableResource):
    """A configured object that builds an IO manager when a run starts."""

    def create_io_manager(self, context: Any) -> IOManager:
        raise NotImplementedError


class IOManagerDefinition(ResourceDefinition[IOManager]):
    """An IO manager made by a function (Dagster's ``@io_manager``); its config comes from
    the run config's ``resources: {key: {config: ...}}`` or :meth:`configured`."""

    def __init__(
        self,
        resource_fn: Callable[[Any], IOManager],
        config_schema: Any = None,
        description: str = "",
        required_resource_keys: Any = None,
    ):
        super().__init__(resource_fn, config_schema, description, required_resource_keys)

    @staticmethod
    def hardcoded_io_manager(
        value: IOManager, description: str | None = None
    ) -> IOManagerDefinition:
        return IOManagerDefinition(lambda _ctx: value, description=description or "")


def io_manager(
    fn: Any = None,
    *,
    config_schema: Any = None,
    description: str | None = None,
    required_resource_keys: Any = None,
    **_ignored: Any,
) -> Any:
    """Decorator: the function builds an :class:`IOManager` from an init context."""

    def wrap(f: Callable[[Any], IOManager]) -> IOManagerDefinition:
        return IOManagerDefinition(f, config_schema, description or "", required_resource_keys)

    return wrap(fn) if fn is not None else wrap


class ConfigurableLegacyIOManagerAdapter(ConfigurableLegacyResourceAdapter):
    """An ``@io_manager`` function configured with pydantic fields: ``wrapped_io_manager``
    gets the fields as its ``resource_config``."""

    @property
    def wrapped_io_manager(self) -> IOManagerDefinition:
        raise NotImplementedError(f"{type(self).__name__} must define wrapped_io_manager.")

    @property
    def wrapped_resource(self) -> ResourceDefinition:
        return self.wrapped_io_manager


def build_output_context(
    step_key: str | None = None,
    name: str | None = None,
    definition_metadata: Mapping[str, Any] | None = None,
    run_id: str | None = None,
    mapping_key: str | None = None,
    config: Any = None,
    dagster_type: Any = None,
    version: str | None = None,
    resource_config: Mapping[str, Any] | None = None,
    resources: Mapping[str, Any] | None = None,
    op_def: Any = None,
    asset_key: Any = None,
    partition_key: str | None = None,
    asset_partitions_def: Any = None,
    asset_partition_key_range: Any = None,
    instance: Any = None,
    asset_spec: Any = None,
    metadata: Mapping[str, Any] | None = None,
    output_metadata: Mapping[str, Any] | None = None,
) -> OutputContext:
    """An ``OutputContext`` for testing an IO manager's ``handle_output`` (Dagster's name)."""
    if asset_key is None and asset_spec is not None:
        asset_key = asset_spec.key
    keys: list[str] = []
    if asset_partition_key_range is not None:
        keys = [asset_partition_key_range.start, asset_partition_key_range.end]
    meta = dict(definition_metadata or metadata or {})
    return OutputContext(
        asset_key=AssetKey.from_coercible(asset_key) if asset_key is not None else None,
        name=name or "result",
        run_id=run_id or "EPHEMERAL",
        metadata=meta,
        definition_metadata=meta,
        step_key=step_key or "",
        partition_key_value=partition_key,
        partition_keys_value=keys or ([partition_key] if partition_key else []),
        resources=Resources(dict(resources or {})),
        dagster_type=dagster_type,
        partitions_def=asset_partitions_def,
        output_metadata=normalize_metadata(output_metadata),
        mapping_key=mapping_key,
        op_def=op_def,
    )


def build_input_context(
    name: str | None = None,
    config: Any = None,
    definition_metadata: Mapping[str, Any] | None = None,
    upstream_output: OutputContext | None = None,
    dagster_type: Any = None,
    resource_config: Mapping[str, Any] | None = None,
    resources: Mapping[str, Any] | None = None,
    op_def: Any = None,
    step_context: Any = None,
    asset_key: Any = None,
    partition_key: str | None = None,
    asset_partition_key_range: Any = None,
    asset_partitions_def: Any = None,
    instance: Any = None,
    metadata: Mapping[str, Any] | None = None,
) -> InputContext:
    """An ``InputContext`` for testing an IO manager's ``load_input`` (Dagster's name)."""
    keys: list[str] = []
    if asset_partition_key_range is not None:
        keys = [asset_partition_key_range.start, asset_partition_key_range.end]
    elif partition_key is not None:
        keys = [partition_key]
    if asset_key is None and upstream_output is not None:
        asset_key = upstream_output.asset_key
    meta = dict(definition_metadata or metadata or {})
    return InputContext(
        asset_key=AssetKey.from_coercible(asset_key) if asset_key is not None else None,
        name=name or "",
        upstream_output=upstream_output,
        metadata=meta,
        partition_keys_value=keys,
        resources=Resources(dict(resources or {})),
        dagster_type=dagster_type,
        partitions_def=asset_partitions_def,
        definition_metadata=meta,
        op_def=op_def,
    )
