"""Jobs: asset jobs (``define_asset_job``), op jobs (``@job``, ``GraphDefinition.to_job``)
and the ``JobDefinition`` both resolve to."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from assettui.errors import DefinitionError
from assettui.model.asset_key import AssetKey
from assettui.model.executor import ExecutorDefinition
from assettui.model.results import AssetCheckKey
from assettui.model.selection.asset_selection import AssetSelection

if TYPE_CHECKING:
    from assettui.model.asset_graph import AssetGraph

IMPLICIT_JOB_NAME = "__ASSET_JOB"


@dataclass(frozen=True, eq=False)
class UnresolvedAssetJobDefinition:
    """A job declared by :func:`define_asset_job`, resolved against the graph in ``Definitions``."""

    name: str
    selection: Any = None
    config: Any = None
    description: str | None = None
    tags: Mapping[str, Any] = field(default_factory=dict)
    run_tags: Mapping[str, Any] = field(default_factory=dict)
    metadata: Mapping[str, Any] = field(default_factory=dict)
    partitions_def: Any = None
    executor_def: ExecutorDefinition | None = None
    op_retry_policy: Any = None
    # what define_asset_job was given (assets, keys, strings), before it became an
    # AssetSelection: a partitioned schedule reads the assets' partitions from it
    selection_source: Any = None

    def resolve(
        self,
        asset_graph: AssetGraph,
        resources: Mapping[str, Any] | None = None,
        default_executor: ExecutorDefinition | None = None,
        definitions: Any = None,
    ) -> JobDefinition:

        selection = AssetSelection.from_coercible(self.selection or AssetSelection.all())
        keys = frozenset(selection.resolve(asset_graph))
        checks = frozenset(selection.resolve_checks(asset_graph))
        partitions_def = self.partitions_def
        if partitions_def is None:
            defs = {asset_graph.get(k).partitions_def for k in keys} - {None}
            if len(defs) == 1:
                partitions_def = defs.pop()
        return JobDefinition(
            name=self.name,
            asset_keys=keys,
            asset_check_keys=checks,
            asset_graph=asset_graph,
            config=self.config,
            description=self.description,
            tags={**self.tags},
            run_tags={**self.tags, **self.run_tags},
            partitions_def=partitions_def,
            executor_def=self.executor_def or default_executor,
            resources=dict(resources or {}),
            op_retry_policy=self.op_retry_policy,
            definitions=definitions,
        )

    def __repr__(self) -> str:
        return f"<UnresolvedAssetJobDefinition {self.name}>"


def define_asset_job(
    name: str,
    selection: Any = None,
    config: Any = None,
    description: str | None = None,
    tags: Mapping[str, Any] | None = None,
    run_tags: Mapping[str, Any] | None = None,
    metadata: Mapping[str, Any] | None = None,
    partitions_def: Any = None,
    executor_def: ExecutorDefinition | None = None,
    hooks: Any = None,
    op_retry_policy: Any = None,
) -> UnresolvedAssetJobDefinition:
    """Declare a job that materializes a selection of assets.

    Args:
        name: the job's name.
        selection: what it materializes (an AssetSelection, a selection string, keys or
            assets); default: every asset.
        config: default run config.
        description: a description.
        tags: tags put on every run of the job.
        partitions_def: the job's partitions (default: that of its assets, if they share one).
        executor_def: the executor (default: the Definitions' executor).
        op_retry_policy: retry policy for steps that have none.

    Returns:
        An unresolved job; ``Definitions`` resolves it against the asset graph.
    """

    if not isinstance(name, str) or not name:
        raise DefinitionError(f"define_asset_job needs a name; got {name!r}.")
    return UnresolvedAssetJobDefinition(
        name=name,
        # as in Dagster, a job's selection is an AssetSelection
        selection=AssetSelection.from_coercible(selection) if selection is not None else None,
        selection_source=selection,
        config=config,
        description=description,
        tags=dict(tags or {}),
        run_tags=dict(run_tags or {}),
        metadata=dict(metadata or {}),
        partitions_def=partitions_def,
        executor_def=executor_def,
        op_retry_policy=op_retry_policy,
    )


@dataclass(frozen=True, eq=False)
class JobDefinition:
    """A job: the assets and checks a run of it covers (an asset job), or a graph of ops it
    runs (an op job, ``graph_def`` set)."""

    name: str
    asset_keys: frozenset[AssetKey]
    asset_check_keys: frozenset[AssetCheckKey]
    asset_graph: AssetGraph | None
    config: Any = None
    description: str | None = None
    tags: Mapping[str, Any] = field(default_factory=dict)
    run_tags: Mapping[str, Any] = field(default_factory=dict)
    partitions_def: Any = None
    executor_def: ExecutorDefinition | None = None
    resources: Mapping[str, Any] = field(default_factory=dict)
    op_retry_policy: Any = None
    definitions: Any = None
    graph_def: Any = None
    hooks: frozenset[Any] = frozenset()
    input_values: Mapping[str, Any] = field(default_factory=dict)
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @property
    def selected_asset_keys(self) -> frozenset[AssetKey]:
        return self.asset_keys

    @property
    def is_op_job(self) -> bool:
        return self.graph_def is not None

    @property
    def graph(self) -> Any:
        """The op job's graph (Dagster's ``JobDefinition.graph``)."""
        return self.graph_def

    @property
    def partitioned_config(self) -> Any:
        return self.config if hasattr(self.config, "get_run_config_for_partition_key") else None

    def run_config_for_partition_key(self, partition_key: str) -> dict[str, Any]:
        """The run config of one partition's run (from a ``PartitionedConfig``, else the
        job's own config)."""
        if self.partitioned_config is not None:
            return self.partitioned_config.get_run_config_for_partition_key(partition_key)
        return dict(self.config) if isinstance(self.config, Mapping) else {}

    def tags_for_partition_key(self, partition_key: str) -> dict[str, str]:
        if self.partitioned_config is not None:
            return self.partitioned_config.get_tags_for_partition_key(partition_key)
        return {}

    def with_hooks(self, hooks: Any) -> JobDefinition:
        """The same job with ``hooks`` run after each of its ops."""
        return replace(self, hooks=self.hooks | frozenset(hooks))

    def execute_in_process(
        self,
        run_config: Any = None,
        instance: Any = None,
        partition_key: str | None = None,
        raise_on_error: bool = True,
        op_selection: Any = None,
        asset_selection: Any = None,
        run_id: str | None = None,
        input_values: Any = None,
        tags: Mapping[str, Any] | None = None,
        resources: Mapping[str, Any] | None = None,
    ) -> Any:
        """Run the job in this process and return its result (see ``materialize``).

        For an op job, ``op_selection`` (op names or ``"name*"`` / ``"*name"`` patterns)
        picks the ops to run, and ``input_values`` feeds the job graph's own inputs.
        """
        # The one upward import of the model layer, declared in pyproject's layer contract.
        from assettui.execution.in_process import execute_job_in_process

        return execute_job_in_process(
            self,
            run_config=run_config
            if run_config is not None or self.graph_def is not None
            else self.config,
            instance=instance,
            partition_key=partition_key,
            raise_on_error=raise_on_error,
            asset_selection=asset_selection,
            run_id=run_id,
            tags=tags,
            resources=resources,
            op_selection=op_selection,
            input_values=input_values,
        )

    def __repr__(self) -> str:
        if self.graph_def is not None:
            return f"<JobDefinition {self.name} ({len(self.graph_def.nodes)} ops)>"
        return f"<JobDefinition {self.name} ({len(self.asset_keys)} assets)>"


def op_job(
    graph_def: Any,
    *,
    name: str,
    description: str | None = None,
    resource_defs: Mapping[str, Any] | None = None,
    config: Any = None,
    tags: Mapping[str, Any] | None = None,
    run_tags: Mapping[str, Any] | None = None,
    metadata: Mapping[str, Any] | None = None,
    executor_def: ExecutorDefinition | None = None,
    hooks: Any = None,
    op_retry_policy: Any = None,
    partitions_def: Any = None,
    input_values: Mapping[str, Any] | None = None,
) -> JobDefinition:
    """The job running ``graph_def`` (what ``@job`` and ``GraphDefinition.to_job`` build).

    Raises:
        DefinitionError: for a partitioned config whose partitions differ from
            ``partitions_def``.
    """
    config_partitions = getattr(config, "partitions_def", None)
    if hasattr(config, "get_run_config_for_partition_key"):
        if partitions_def is not None and partitions_def != config_partitions:
            raise DefinitionError(
                f"Job {name!r} is given partitions_def and a partitioned config with other "
                "partitions; give only the partitioned config."
            )
        partitions_def = config_partitions
    return JobDefinition(
        name=name,
        asset_keys=frozenset(),
        asset_check_keys=frozenset(),
        asset_graph=None,
        config=config,
        description=description,
        tags=dict(tags or {}),
        run_tags={**(tags or {}), **(run_tags or {})},
        partitions_def=partitions_def,
        executor_def=executor_def,
        resources=dict(resource_defs or {}),
        op_retry_policy=op_retry_policy,
        graph_def=graph_def,
        hooks=frozenset(hooks or ()),
        input_values=dict(input_values or {}),
        metadata=dict(metadata or {}),
    )
