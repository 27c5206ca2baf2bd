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
from assettui.model.resources import ConfigurableResource


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


class IOManagerDefinition:
    """An IO manager made by a function (Dagster's ``@io_manager``)."""

    def __init__(self, resource_fn: Callable[[Any], IOManager], config_schema: Any = None):
        self.resource_fn = resource_fn
        self.config_schema = config_schema

    @staticmethod
    def hardcoded_io_manager(value: IOManager) -> IOManagerDefinition:
        return IOManagerDefinition(lambda _ctx: value)


def io_manager(fn: Any = None, *, config_schema: Any = None, **_ignored: Any) -> Any:
    """Decorator: the function builds an :class:`IOManager` from an init context."""

    def wrap(f: Callable[[Any], IOManager]) -> IOManagerDefinition:
        return IOManagerDefinition(f, config_schema)

    return wrap(fn) if fn is not None else wrap
