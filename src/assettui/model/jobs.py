"""Asset jobs: ``define_asset_job`` and the resolved ``JobDefinition``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
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
        selection=selection,
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
    """A job resolved against an asset graph: which assets and checks a run of it covers."""

    name: str
    asset_keys: frozenset[AssetKey]
    asset_check_keys: frozenset[AssetCheckKey]
    asset_graph: AssetGraph
    config: Any = None
    description: str | None = None
    tags: Mapping[str, Any] = field(default_factory=dict)
    run_tags: Mapping[str, Any] = field(default_factory=dict)
    partitions_def: Any = None
    executor_def: ExecutorDefinition | None = None
    resources: Mapping[str, Any] = field(default_factory=dict)
    op_retry_policy: Any = None
    definitions: Any = None

    @property
    def selected_asset_keys(self) -> frozenset[AssetKey]:
        return self.asset_keys

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
        """Run the job in this process and return its result (see ``materialize``)."""
        # The one upward import of the model layer, declared in pyproject's layer contract.
        from assettui.execution.in_process import execute_job_in_process

        return execute_job_in_process(
            self,
            run_config=run_config if run_config is not None else self.config,
            instance=instance,
            partition_key=partition_key,
            raise_on_error=raise_on_error,
            asset_selection=asset_selection,
            run_id=run_id,
            tags=tags,
            resources=resources,
        )

    def __repr__(self) -> str:
        return f"<JobDefinition {self.name} ({len(self.asset_keys)} assets)>"
