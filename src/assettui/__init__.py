"""assettui: Dagster-compatible software-defined assets in one terminal program.

``import assettui as dg`` gives Dagster's public names. Imports are lazy: ``import assettui``
loads nothing heavy (no Textual, no polars) until a name is used.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# The public names, each imported from the module that defines it. This block is the one
# list of exports: type checkers and editors read it as written (real types for users'
# mypy), and at run time it is read as data (see ``_exports``) so that importing assettui
# stays lazy: a name's module is imported when the name is first used.
if TYPE_CHECKING:
    from assettui.compat.test_utils import (
        instance_for_test as instance_for_test,
    )
    from assettui.errors import (
        AssettuiError as AssettuiError,
        ConfigError as ConfigError,
        DagsterError as DagsterError,
        DagsterExecutionStepExecutionError as DagsterExecutionStepExecutionError,
        DagsterInvalidConfigError as DagsterInvalidConfigError,
        DagsterInvalidDefinitionError as DagsterInvalidDefinitionError,
        DagsterInvalidInvocationError as DagsterInvalidInvocationError,
        DagsterInvalidPropertyError as DagsterInvalidPropertyError,
        DagsterInvalidSubsetError as DagsterInvalidSubsetError,
        DagsterInvariantViolationError as DagsterInvariantViolationError,
        DagsterRunNotFoundError as DagsterRunNotFoundError,
        DagsterTypeCheckDidNotPass as DagsterTypeCheckDidNotPass,
        DagsterUnknownPartitionError as DagsterUnknownPartitionError,
        DagsterUserCodeExecutionError as DagsterUserCodeExecutionError,
        DefinitionError as DefinitionError,
        ExecutionError as ExecutionError,
        Failure as Failure,
        PartitionError as PartitionError,
        ProjectLoadError as ProjectLoadError,
        RetryRequested as RetryRequested,
        ScheduleError as ScheduleError,
        SelectionError as SelectionError,
        StorageError as StorageError,
    )
    from assettui.execution.context import (
        AssetCheckExecutionContext as AssetCheckExecutionContext,
        AssetExecutionContext as AssetExecutionContext,
        OpExecutionContext as OpExecutionContext,
        build_asset_context as build_asset_context,
        build_op_context as build_op_context,
    )
    from assettui.execution.in_process import (
        materialize as materialize,
        materialize_to_memory as materialize_to_memory,
        validate_run_config as validate_run_config,
    )
    from assettui.execution.io_managers.base import (
        ConfigurableIOManager as ConfigurableIOManager,
        ConfigurableIOManagerFactory as ConfigurableIOManagerFactory,
        ConfigurableLegacyIOManagerAdapter as ConfigurableLegacyIOManagerAdapter,
        InputContext as InputContext,
        IOManager as IOManager,
        IOManagerDefinition as IOManagerDefinition,
        OutputContext as OutputContext,
        build_input_context as build_input_context,
        build_output_context as build_output_context,
        io_manager as io_manager,
    )
    from assettui.execution.io_managers.filesystem import (
        FilesystemIOManager as FilesystemIOManager,
        InMemoryIOManager as InMemoryIOManager,
        PickledObjectFilesystemIOManager as PickledObjectFilesystemIOManager,
        fs_io_manager as fs_io_manager,
        mem_io_manager as mem_io_manager,
    )
    from assettui.execution.io_managers.polars import (
        PolarsParquetIOManager as PolarsParquetIOManager,
    )
    from assettui.execution.observe import (
        observe as observe,
    )
    from assettui.execution.ops.runner import (
        HookContext as HookContext,
    )
    from assettui.execution.resources import (
        InitResourceContext as InitResourceContext,
        build_init_resource_context as build_init_resource_context,
        build_resources as build_resources,
    )
    from assettui.execution.result import (
        ExecuteInProcessResult as ExecuteInProcessResult,
    )
    from assettui.file_paths import (
        file_relative_path as file_relative_path,
    )
    from assettui.integrations.pipes.client import (
        DagsterPipesExecutionError as DagsterPipesExecutionError,
        PipesSubprocessClient as PipesSubprocessClient,
    )
    from assettui.logging_compat import (
        get_dagster_logger as get_dagster_logger,
    )
    from assettui.model.asset_graph import (
        AssetGraph as AssetGraph,
    )
    from assettui.model.asset_key import (
        AssetKey as AssetKey,
    )
    from assettui.model.assets.bound_resources import (
        with_resources as with_resources,
    )
    from assettui.model.assets.checks import (
        AssetChecksDefinition as AssetChecksDefinition,
        asset_check as asset_check,
        multi_asset_check as multi_asset_check,
    )
    from assettui.model.assets.decorator import (
        asset as asset,
        multi_asset as multi_asset,
    )
    from assettui.model.assets.definition import (
        AssetCheckSpec as AssetCheckSpec,
        AssetsDefinition as AssetsDefinition,
    )
    from assettui.model.assets.graph_backed import (
        graph_asset as graph_asset,
        graph_multi_asset as graph_multi_asset,
    )
    from assettui.model.assets.loaders import (
        load_asset_checks_from_modules as load_asset_checks_from_modules,
        load_asset_checks_from_package_module as load_asset_checks_from_package_module,
        load_assets_from_modules as load_assets_from_modules,
        load_assets_from_package_module as load_assets_from_package_module,
        load_assets_from_package_name as load_assets_from_package_name,
    )
    from assettui.model.assets.observable import (
        ObserveResult as ObserveResult,
        observable_source_asset as observable_source_asset,
    )
    from assettui.model.assets.spec import (
        AssetDep as AssetDep,
        AssetIn as AssetIn,
        AssetOut as AssetOut,
        AssetSpec as AssetSpec,
        SourceAsset as SourceAsset,
    )
    from assettui.model.automation.conditions import (
        AutomationCondition as AutomationCondition,
    )
    from assettui.model.automation.legacy_policies import (
        AutoMaterializePolicy as AutoMaterializePolicy,
        AutoMaterializeRule as AutoMaterializeRule,
        FreshnessPolicy as FreshnessPolicy,
        FreshnessState as FreshnessState,
        LegacyFreshnessPolicy as LegacyFreshnessPolicy,
    )
    from assettui.model.automation.run_status_sensors import (
        RunFailureSensorContext as RunFailureSensorContext,
        RunStatusSensorContext as RunStatusSensorContext,
        RunStatusSensorDefinition as RunStatusSensorDefinition,
        build_run_status_sensor_context as build_run_status_sensor_context,
        run_failure_sensor as run_failure_sensor,
        run_status_sensor as run_status_sensor,
    )
    from assettui.model.automation.schedules import (
        DefaultScheduleStatus as DefaultScheduleStatus,
        RunRequest as RunRequest,
        ScheduleDefinition as ScheduleDefinition,
        ScheduleEvaluationContext as ScheduleEvaluationContext,
        SkipReason as SkipReason,
        build_schedule_context as build_schedule_context,
        build_schedule_from_partitioned_job as build_schedule_from_partitioned_job,
        schedule as schedule,
    )
    from assettui.model.automation.sensors import (
        AssetSensorDefinition as AssetSensorDefinition,
        DefaultSensorStatus as DefaultSensorStatus,
        SensorDefinition as SensorDefinition,
        SensorEvaluationContext as SensorEvaluationContext,
        SensorResult as SensorResult,
        asset_sensor as asset_sensor,
        build_sensor_context as build_sensor_context,
        sensor as sensor,
    )
    from assettui.model.config import (
        Config as Config,
        EnvVar as EnvVar,
        PermissiveConfig as PermissiveConfig,
        RunConfig as RunConfig,
    )
    from assettui.model.config_schema import (
        Array as Array,
        BoolSource as BoolSource,
        Enum as Enum,
        EnumValue as EnumValue,
        Field as Field,
        IntSource as IntSource,
        Map as Map,
        Noneable as Noneable,
        Permissive as Permissive,
        ScalarUnion as ScalarUnion,
        Selector as Selector,
        Shape as Shape,
        StringSource as StringSource,
    )
    from assettui.model.dagster_types import (
        DagsterType as DagsterType,
        Nothing as Nothing,
        TypeCheck as TypeCheck,
    )
    from assettui.model.definitions import (
        Definitions as Definitions,
    )
    from assettui.model.executor import (
        ExecutorDefinition as ExecutorDefinition,
        in_process_executor as in_process_executor,
        multiprocess_executor as multiprocess_executor,
    )
    from assettui.model.jobs import (
        JobDefinition as JobDefinition,
        define_asset_job as define_asset_job,
    )
    from assettui.model.lazy_definitions import (
        ComponentLoadContext as ComponentLoadContext,
        definitions as definitions,
    )
    from assettui.model.metadata.code_references import (
        AnchorBasedFilePathMapping as AnchorBasedFilePathMapping,
        CodeReferencesMetadataValue as CodeReferencesMetadataValue,
        LocalFileCodeReference as LocalFileCodeReference,
        UrlCodeReference as UrlCodeReference,
        link_code_references_to_git as link_code_references_to_git,
        with_source_code_references as with_source_code_references,
    )
    from assettui.model.metadata.table import (
        TableColumn as TableColumn,
        TableColumnConstraints as TableColumnConstraints,
        TableColumnDep as TableColumnDep,
        TableColumnLineage as TableColumnLineage,
        TableConstraints as TableConstraints,
        TableMetadataSet as TableMetadataSet,
        TableRecord as TableRecord,
        TableSchema as TableSchema,
    )
    from assettui.model.metadata.values import (
        FloatMetadataValue as FloatMetadataValue,
        IntMetadataValue as IntMetadataValue,
        MetadataValue as MetadataValue,
        TextMetadataValue as TextMetadataValue,
    )
    from assettui.model.ops.graph import (
        DependencyDefinition as DependencyDefinition,
        GraphDefinition as GraphDefinition,
        MultiDependencyDefinition as MultiDependencyDefinition,
        NodeInvocation as NodeInvocation,
        graph as graph,
    )
    from assettui.model.ops.hooks import (
        HookDefinition as HookDefinition,
        failure_hook as failure_hook,
        success_hook as success_hook,
    )
    from assettui.model.ops.ins_outs import (
        DynamicOut as DynamicOut,
        DynamicOutput as DynamicOutput,
        GraphIn as GraphIn,
        GraphOut as GraphOut,
        In as In,
        Out as Out,
    )
    from assettui.model.ops.job_decorator import (
        job as job,
    )
    from assettui.model.ops.op_definition import (
        OpDefinition as OpDefinition,
        op as op,
    )
    from assettui.model.ops.partitioned_config import (
        PartitionedConfig as PartitionedConfig,
        daily_partitioned_config as daily_partitioned_config,
        dynamic_partitioned_config as dynamic_partitioned_config,
        hourly_partitioned_config as hourly_partitioned_config,
        monthly_partitioned_config as monthly_partitioned_config,
        static_partitioned_config as static_partitioned_config,
        weekly_partitioned_config as weekly_partitioned_config,
    )
    from assettui.model.partitions.definitions import (
        AddDynamicPartitionsRequest as AddDynamicPartitionsRequest,
        DeleteDynamicPartitionsRequest as DeleteDynamicPartitionsRequest,
        DynamicPartitionsDefinition as DynamicPartitionsDefinition,
        PartitionKeyRange as PartitionKeyRange,
        PartitionsDefinition as PartitionsDefinition,
        StaticPartitionsDefinition as StaticPartitionsDefinition,
    )
    from assettui.model.partitions.loading_context import (
        PartitionLoadingContext as PartitionLoadingContext,
        partition_loading_context as partition_loading_context,
    )
    from assettui.model.partitions.mapping import (
        AllPartitionMapping as AllPartitionMapping,
        DimensionPartitionMapping as DimensionPartitionMapping,
        IdentityPartitionMapping as IdentityPartitionMapping,
        LastPartitionMapping as LastPartitionMapping,
        MultiPartitionMapping as MultiPartitionMapping,
        MultiToSingleDimensionPartitionMapping as MultiToSingleDimensionPartitionMapping,
        PartitionMapping as PartitionMapping,
        SpecificPartitionsPartitionMapping as SpecificPartitionsPartitionMapping,
        StaticPartitionMapping as StaticPartitionMapping,
        TimeWindowPartitionMapping as TimeWindowPartitionMapping,
    )
    from assettui.model.partitions.multi import (
        MultiPartitionKey as MultiPartitionKey,
        MultiPartitionsDefinition as MultiPartitionsDefinition,
    )
    from assettui.model.partitions.time_window import (
        DailyPartitionsDefinition as DailyPartitionsDefinition,
        HourlyPartitionsDefinition as HourlyPartitionsDefinition,
        MonthlyPartitionsDefinition as MonthlyPartitionsDefinition,
        TimeWindow as TimeWindow,
        TimeWindowPartitionsDefinition as TimeWindowPartitionsDefinition,
        WeeklyPartitionsDefinition as WeeklyPartitionsDefinition,
    )
    from assettui.model.policies import (
        BackfillPolicy as BackfillPolicy,
        Backoff as Backoff,
        Jitter as Jitter,
        RetryPolicy as RetryPolicy,
    )
    from assettui.model.records.event_log_entry import (
        AssetRecordsFilter as AssetRecordsFilter,
        EventLogEntry as EventLogEntry,
    )
    from assettui.model.records.events import (
        DagsterEventType as DagsterEventType,
    )
    from assettui.model.records.runs import (
        DagsterRun as DagsterRun,
        DagsterRunStatus as DagsterRunStatus,
        RunRecord as RunRecord,
        RunsFilter as RunsFilter,
    )
    from assettui.model.repository import (
        RepositoryDefinition as RepositoryDefinition,
        SupersessionWarning as SupersessionWarning,
        repository as repository,
    )
    from assettui.model.resources import (
        ConfigurableLegacyResourceAdapter as ConfigurableLegacyResourceAdapter,
        ConfigurableResource as ConfigurableResource,
        ConfigurableResourceFactory as ConfigurableResourceFactory,
        Resource as Resource,
        ResourceDefinition as ResourceDefinition,
        ResourceDependency as ResourceDependency,
        ResourceParam as ResourceParam,
        resource as resource,
    )
    from assettui.model.results import (
        AssetCheckEvaluation as AssetCheckEvaluation,
        AssetCheckKey as AssetCheckKey,
        AssetCheckResult as AssetCheckResult,
        AssetCheckSeverity as AssetCheckSeverity,
        AssetMaterialization as AssetMaterialization,
        AssetObservation as AssetObservation,
        DataVersion as DataVersion,
        ExpectationResult as ExpectationResult,
        MaterializeResult as MaterializeResult,
        Output as Output,
    )
    from assettui.model.selection.asset_selection import (
        AssetSelection as AssetSelection,
    )
    from assettui.project.defs_folder import (
        load_from_defs_folder as load_from_defs_folder,
    )
    from assettui.storage.instance import (
        DagsterInstance as DagsterInstance,
    )


def _exports() -> dict[str, str]:
    """public name -> module, read from the ``TYPE_CHECKING`` block above."""
    tree = ast.parse(Path(__file__).read_text(encoding="utf-8"))
    block = next(
        node
        for node in tree.body
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING"
    )
    return {
        alias.name: node.module
        for node in block.body
        if isinstance(node, ast.ImportFrom) and node.module
        for alias in node.names
    }


_EXPORTS: dict[str, str] = _exports()

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(
            f"module 'assettui' has no attribute {name!r}: assettui does not provide "
            f"`{name}` (Dagster name not supported yet)"
        )
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
