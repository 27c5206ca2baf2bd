"""``AssetExecutionContext``: what an asset or check function sees of its run."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from assettui.errors import DagsterInvalidPropertyError
from assettui.execution.run_logger import RunLogger
from assettui.model.asset_key import AssetKey
from assettui.model.metadata.values import MetadataValue, normalize_metadata
from assettui.model.partitions.definitions import PartitionKeyRange
from assettui.model.partitions.multi import MultiPartitionsDefinition
from assettui.model.resources import ConfigurableResource, Resources


class AssetExecutionContext:
    """The context of one step: run, partition(s), resources, logging and metadata.

    Attributes:
        log: log records go to the run's event log.
        run_id: the run's id.
        run: the run record (``DagsterRun``).
        resources: the run's resources, as attributes.
        instance: the ``DagsterInstance`` the run writes to.
        retry_number: 0 on the first attempt, then 1, 2, ...
    """

    def __init__(
        self,
        *,
        run_id: str = "",
        run: Any = None,
        log: RunLogger | None = None,
        resources: Mapping[str, Any] | Resources | None = None,
        instance: Any = None,
        asset_keys: Sequence[AssetKey] = (),
        selected_asset_keys: Sequence[AssetKey] | None = None,
        selected_asset_check_keys: Sequence[Any] = (),
        partition_key: str | None = None,
        partition_keys: Sequence[str] | None = None,
        partitions_def: Any = None,
        op_config: Any = None,
        retry_number: int = 0,
        run_tags: Mapping[str, str] | None = None,
        step_key: str = "",
        partition_keys_by_input: Mapping[str, Sequence[str]] | None = None,
        partitions_defs_by_input: Mapping[str, Any] | None = None,
        assets_def: Any = None,
    ):
        self.run_id = run_id
        self._run = run
        self.log = log or RunLogger()
        self.resources = (
            resources if isinstance(resources, Resources) else Resources(resources or {})
        )
        self.instance = instance
        self._asset_keys = list(asset_keys)
        self._selected = list(
            selected_asset_keys if selected_asset_keys is not None else asset_keys
        )
        self.selected_asset_check_keys = set(selected_asset_check_keys)
        self._partition_key = partition_key
        self._partition_keys = (
            list(partition_keys) if partition_keys else ([partition_key] if partition_key else [])
        )
        self._partitions_def = partitions_def
        self.op_config = op_config
        self.retry_number = retry_number
        self._run_tags = dict(run_tags or {})
        self.step_key = step_key
        self._input_partitions = dict(partition_keys_by_input or {})
        self._input_defs = dict(partitions_defs_by_input or {})
        self.assets_def = assets_def
        self.output_metadata: dict[AssetKey | None, dict[str, MetadataValue]] = {}
        self.logged_events: list[Any] = []

    # ---- identity ----------------------------------------------------------------------

    @property
    def run(self) -> Any:
        return self._run

    dagster_run = run

    @property
    def job_name(self) -> str | None:
        return getattr(self._run, "job_name", None)

    @property
    def op_execution_context(self) -> AssetExecutionContext:
        return self

    @property
    def asset_key(self) -> AssetKey:
        if len(self._selected) != 1:
            raise DagsterInvalidPropertyError(
                f"This step materializes {len(self._selected)} assets; use "
                "context.selected_asset_keys instead of context.asset_key."
            )
        return self._selected[0]

    @property
    def selected_asset_keys(self) -> set[AssetKey]:
        return set(self._selected)

    @property
    def asset_keys(self) -> list[AssetKey]:
        return list(self._asset_keys)

    @property
    def is_subset(self) -> bool:
        return set(self._selected) != set(self._asset_keys)

    @property
    def run_tags(self) -> dict[str, str]:
        return dict(self._run_tags)

    def has_tag(self, key: str) -> bool:
        return key in self._run_tags

    def get_tag(self, key: str) -> str | None:
        return self._run_tags.get(key)

    # ---- partitions --------------------------------------------------------------------

    @property
    def has_partition_key(self) -> bool:
        return self._partition_key is not None

    @property
    def has_partition_key_range(self) -> bool:
        return len(self._partition_keys) > 1

    @property
    def partition_key(self) -> str:
        if self._partition_key is None:
            if len(self._partition_keys) > 1:
                raise DagsterInvalidPropertyError(
                    "This run covers a partition range; use context.partition_keys or "
                    "context.partition_key_range."
                )
            raise DagsterInvalidPropertyError(
                "This asset is not partitioned (or no partition was chosen for the run); "
                "context.partition_key has no value."
            )
        if isinstance(self._partitions_def, MultiPartitionsDefinition):
            # As in Dagster: a multi-partitioned asset's key is a MultiPartitionKey (a str).
            return self._partitions_def.get_partition_key_from_str(self._partition_key)
        return self._partition_key

    @property
    def asset_partition_key(self) -> str:
        return self.partition_key

    @property
    def multi_partition_key(self) -> Any:
        """The run's ``MultiPartitionKey`` (``keys_by_dimension``) of a multi-partitioned asset."""
        key = self.partition_key
        if not isinstance(self._partitions_def, MultiPartitionsDefinition):
            raise DagsterInvalidPropertyError(
                "This asset is not multi-partitioned; use context.partition_key."
            )
        return key

    @property
    def partition_keys(self) -> list[str]:
        if not self._partition_keys:
            raise DagsterInvalidPropertyError("This run has no partitions.")
        return list(self._partition_keys)

    @property
    def partition_key_range(self) -> Any:

        keys = self.partition_keys
        return PartitionKeyRange(keys[0], keys[-1])

    asset_partition_key_range = partition_key_range

    @property
    def partition_time_window(self) -> Any:
        pdef = self._time_partitions_def()
        keys = self.partition_keys
        first = pdef.time_window_for_partition_key(keys[0])
        last = pdef.time_window_for_partition_key(keys[-1])
        return type(first)(first.start, last.end)

    asset_partitions_time_window = partition_time_window

    @property
    def asset_partitions_def(self) -> Any:
        return self._partitions_def

    def _time_partitions_def(self) -> Any:
        pdef = self._partitions_def
        inner = getattr(pdef, "time_window_partitions_def", None)
        if inner is not None and not hasattr(pdef, "time_window_for_partition_key"):
            pdef = inner
        if pdef is None or not hasattr(pdef, "time_window_for_partition_key"):
            raise DagsterInvalidPropertyError(
                "context.partition_time_window needs a time-partitioned asset."
            )
        return pdef

    def asset_partition_keys_for_input(self, input_name: str) -> list[str]:
        """The upstream partitions that input ``input_name`` reads."""
        if input_name not in self._input_partitions:
            raise DagsterInvalidPropertyError(
                f"Input {input_name!r} is not partitioned (or is not an input of this asset)."
            )
        return list(self._input_partitions[input_name])

    def asset_partition_key_range_for_input(self, input_name: str) -> Any:

        keys = self.asset_partition_keys_for_input(input_name)
        return PartitionKeyRange(keys[0], keys[-1])

    def asset_partition_key_for_input(self, input_name: str) -> str:
        keys = self.asset_partition_keys_for_input(input_name)
        if len(keys) != 1:
            raise DagsterInvalidPropertyError(
                f"Input {input_name!r} spans {len(keys)} partitions; use "
                "asset_partition_keys_for_input."
            )
        return keys[0]

    def asset_partitions_time_window_for_input(self, input_name: str) -> Any:
        keys = self.asset_partition_keys_for_input(input_name)
        pdef = self._input_defs.get(input_name)
        if pdef is None or not hasattr(pdef, "time_window_for_partition_key"):
            raise DagsterInvalidPropertyError(f"Input {input_name!r} is not time-partitioned.")
        first = pdef.time_window_for_partition_key(keys[0])
        last = pdef.time_window_for_partition_key(keys[-1])
        return type(first)(first.start, last.end)

    # ---- metadata and events -------------------------------------------------------------

    def add_output_metadata(
        self,
        metadata: Mapping[str, Any],
        output_name: str | None = None,
        mapping_key: str | None = None,
    ) -> None:
        """Metadata to record on this step's materialization (per output in multi-assets)."""
        key: AssetKey | None = None
        if output_name is not None and self.assets_def is not None:
            key = self.assets_def.keys_by_output_name.get(output_name)
        self.output_metadata.setdefault(key, {}).update(normalize_metadata(metadata))

    def add_asset_metadata(
        self, metadata: Mapping[str, Any], asset_key: Any = None, partition_key: str | None = None
    ) -> None:
        key = AssetKey.from_coercible(asset_key) if asset_key is not None else None
        self.output_metadata.setdefault(key, {}).update(normalize_metadata(metadata))

    def log_event(self, event: Any) -> None:
        """Record an ``AssetMaterialization`` or ``AssetObservation`` from inside the step."""
        self.logged_events.append(event)

    @property
    def pdb(self) -> Any:
        import pdb

        return pdb.Pdb()

    def __enter__(self) -> AssetExecutionContext:
        return self

    def __exit__(self, *exc: Any) -> None:
        return None


class OpExecutionContext(AssetExecutionContext):
    """The context of one op's step (an op job's node, or a direct call in a test).

    Beyond what an asset's context has: the op (``op_def``), the mapping key of a dynamic
    step (``get_mapping_key()``), and metadata per output (``add_output_metadata``).
    """

    def __init__(
        self,
        *,
        op_def: Any = None,
        mapping_key: str | None = None,
        node_handle: str = "",
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.op_def = op_def
        self._mapping_key = mapping_key
        self.node_handle = node_handle
        self.op_output_metadata: dict[tuple[str, str | None], dict[str, MetadataValue]] = {}

    @property
    def op(self) -> Any:
        return self.op_def

    @property
    def op_handle(self) -> str:
        return self.node_handle

    def get_mapping_key(self) -> str | None:
        return self._mapping_key

    @property
    def has_assets_def(self) -> bool:
        return self.assets_def is not None

    def add_output_metadata(
        self,
        metadata: Mapping[str, Any],
        output_name: str | None = None,
        mapping_key: str | None = None,
    ) -> None:
        """Metadata recorded with one of the op's outputs (default: its only output)."""
        if self.assets_def is not None:
            super().add_output_metadata(metadata, output_name, mapping_key)
            return
        name = output_name or "result"
        key = (name, mapping_key or self._mapping_key)
        self.op_output_metadata.setdefault(key, {}).update(normalize_metadata(metadata))


AssetCheckExecutionContext = AssetExecutionContext


def build_asset_context(
    resources: Mapping[str, Any] | None = None,
    resources_config: Mapping[str, Any] | None = None,
    asset_config: Any = None,
    instance: Any = None,
    partition_key: str | None = None,
    partition_key_range: Any = None,
    run_tags: Mapping[str, str] | None = None,
    event_loop: Any = None,
    **_unsupported: Any,
) -> AssetExecutionContext:
    """A context for calling an asset function directly in a unit test.

    Args:
        resources: resources by key (``ConfigurableResource`` values get their EnvVars
            resolved, plain objects such as a ``MagicMock`` are used as they are).
        asset_config: the config the asset's ``Config`` parameter receives.
        instance: a ``DagsterInstance`` (e.g. ``DagsterInstance.ephemeral()``).
        partition_key: the partition being materialized.
        partition_key_range: a ``PartitionKeyRange`` being materialized.
        run_tags: tags of the pretend run.

    Returns:
        An :class:`AssetExecutionContext` (also usable as a context manager).
    """

    values, keys = _test_context_parts(resources, partition_key_range)
    return AssetExecutionContext(
        run_id="EPHEMERAL",
        resources=values,
        instance=instance,
        partition_key=partition_key,
        partition_keys=keys,
        op_config=asset_config if asset_config is not None else _unsupported.get("config"),
        run_tags=run_tags,
    )


def _test_context_parts(
    resources: Mapping[str, Any] | None, partition_key_range: Any
) -> tuple[dict[str, Any], list[str] | None]:
    """A test context's resources (EnvVars resolved) and the keys of its partition range."""
    values = {}
    for key, value in (resources or {}).items():
        values[key] = (
            value.with_resolved_env(key) if isinstance(value, ConfigurableResource) else value
        )
    keys: list[str] | None = None
    if partition_key_range is not None:
        keys = [partition_key_range.start, partition_key_range.end]
        if partition_key_range.start == partition_key_range.end:
            keys = [partition_key_range.start]
    return values, keys


def build_op_context(
    resources: Mapping[str, Any] | None = None,
    op_config: Any = None,
    resources_config: Mapping[str, Any] | None = None,
    instance: Any = None,
    config: Any = None,
    partition_key: str | None = None,
    partition_key_range: Any = None,
    mapping_key: str | None = None,
    run_tags: Mapping[str, str] | None = None,
    event_loop: Any = None,
) -> OpExecutionContext:
    """A context for calling an op directly in a unit test (Dagster's ``build_op_context``).

    Args:
        resources: resources by key (``ConfigurableResource`` values get their EnvVars
            resolved).
        op_config: the op's config (its ``Config`` parameter or ``context.op_config``);
            ``config`` is Dagster's older name for it.
        instance: a ``DagsterInstance``.
        partition_key / partition_key_range: the partition(s) of the pretend run.
        mapping_key: the mapping key of a pretend dynamic step.
        run_tags: tags of the pretend run.
    """
    values, keys = _test_context_parts(resources, partition_key_range)
    return OpExecutionContext(
        run_id="EPHEMERAL",
        resources=values,
        instance=instance,
        partition_key=partition_key,
        partition_keys=keys,
        op_config=op_config if op_config is not None else config,
        run_tags=run_tags,
        mapping_key=mapping_key,
    )
