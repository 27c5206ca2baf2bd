"""assettui: Dagster-compatible software-defined assets in one terminal program.

``import assettui as dg`` gives Dagster's public names. Imports are lazy: ``import assettui``
loads nothing heavy (no Textual, no polars) until a name is used.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS: dict[str, str] = {}


def _export(module: str, *names: str) -> None:
    for name in names:
        _EXPORTS[name] = module


_export(
    "assettui.errors",
    "AssettuiError",
    "DefinitionError",
    "SelectionError",
    "PartitionError",
    "ConfigError",
    "ProjectLoadError",
    "StorageError",
    "ExecutionError",
    "ScheduleError",
    "DagsterError",
    "DagsterInvalidDefinitionError",
    "DagsterInvalidSubsetError",
    "DagsterInvalidConfigError",
    "DagsterExecutionStepExecutionError",
    "DagsterInvariantViolationError",
    "DagsterInvalidInvocationError",
    "DagsterUnknownPartitionError",
    "DagsterInvalidPropertyError",
    "DagsterTypeCheckDidNotPass",
    "DagsterUserCodeExecutionError",
    "DagsterRunNotFoundError",
)
_export("assettui.model.asset_key", "AssetKey")
_export(
    "assettui.model.metadata.values",
    "MetadataValue",
    "TextMetadataValue",
    "IntMetadataValue",
    "FloatMetadataValue",
)
_export("assettui.model.assets.spec", "AssetSpec", "AssetDep", "AssetIn", "AssetOut", "SourceAsset")
_export("assettui.model.assets.definition", "AssetsDefinition", "AssetCheckSpec")
_export("assettui.model.assets.decorator", "asset", "multi_asset")
_export("assettui.model.assets.checks", "asset_check", "multi_asset_check", "AssetChecksDefinition")
_export(
    "assettui.model.results",
    "Output",
    "MaterializeResult",
    "AssetCheckResult",
    "AssetCheckSeverity",
    "AssetCheckKey",
    "AssetCheckEvaluation",
    "AssetMaterialization",
    "AssetObservation",
    "DataVersion",
)
_export("assettui.model.policies", "RetryPolicy", "Backoff", "Jitter", "BackfillPolicy")
_export(
    "assettui.model.config",
    "Config",
    "PermissiveConfig",
    "ConfigurableResource",
    "EnvVar",
    "RunConfig",
    "ResourceParam",
    "ResourceDefinition",
    "resource",
)
_export("assettui.model.asset_graph", "AssetGraph")
_export("assettui.model.selection.asset_selection", "AssetSelection")
_export("assettui.model.jobs", "define_asset_job", "JobDefinition")
_export(
    "assettui.model.executor", "ExecutorDefinition", "in_process_executor", "multiprocess_executor"
)
_export("assettui.model.definitions", "Definitions")
_export(
    "assettui.model.assets.loaders",
    "load_assets_from_modules",
    "load_assets_from_package_module",
    "load_assets_from_package_name",
    "load_asset_checks_from_modules",
    "load_asset_checks_from_package_module",
)
_export(
    "assettui.model.partitions.definitions",
    "PartitionsDefinition",
    "StaticPartitionsDefinition",
    "DynamicPartitionsDefinition",
    "MultiPartitionsDefinition",
    "MultiPartitionKey",
    "PartitionKeyRange",
)
_export(
    "assettui.model.partitions.time_window",
    "TimeWindow",
    "TimeWindowPartitionsDefinition",
    "DailyPartitionsDefinition",
    "HourlyPartitionsDefinition",
    "WeeklyPartitionsDefinition",
    "MonthlyPartitionsDefinition",
)
_export(
    "assettui.model.partitions.mapping",
    "PartitionMapping",
    "IdentityPartitionMapping",
    "TimeWindowPartitionMapping",
    "AllPartitionMapping",
    "LastPartitionMapping",
    "StaticPartitionMapping",
    "MultiToSingleDimensionPartitionMapping",
    "MultiPartitionMapping",
    "DimensionPartitionMapping",
    "SpecificPartitionsPartitionMapping",
)

_export(
    "assettui.execution.context",
    "AssetExecutionContext",
    "AssetCheckExecutionContext",
    "OpExecutionContext",
    "build_asset_context",
    "build_op_context",
)
_export(
    "assettui.execution.io_managers.base",
    "IOManager",
    "ConfigurableIOManager",
    "ConfigurableIOManagerFactory",
    "IOManagerDefinition",
    "InputContext",
    "OutputContext",
    "io_manager",
)
_export(
    "assettui.execution.io_managers.filesystem",
    "FilesystemIOManager",
    "PickledObjectFilesystemIOManager",
    "InMemoryIOManager",
)
_export("assettui.execution.io_managers.polars", "PolarsParquetIOManager")
_export("assettui.execution.resources", "InitResourceContext")
_export("assettui.execution.in_process", "materialize", "materialize_to_memory")
_export("assettui.execution.result", "ExecuteInProcessResult")
_export("assettui.errors", "Failure", "RetryRequested")
_export("assettui.storage.instance", "DagsterInstance")
_export("assettui.storage.runs", "DagsterRun", "DagsterRunStatus", "RunsFilter", "RunRecord")
_export("assettui.storage.events", "DagsterEventType")
_export("assettui.storage.event_log_entry", "EventLogEntry", "AssetRecordsFilter")

_export(
    "assettui.model.automation.schedules",
    "ScheduleDefinition",
    "schedule",
    "ScheduleEvaluationContext",
    "build_schedule_context",
    "build_schedule_from_partitioned_job",
    "DefaultScheduleStatus",
    "RunRequest",
    "SkipReason",
)
_export(
    "assettui.model.automation.sensors",
    "SensorDefinition",
    "AssetSensorDefinition",
    "sensor",
    "asset_sensor",
    "SensorEvaluationContext",
    "build_sensor_context",
    "SensorResult",
    "DefaultSensorStatus",
)
_export("assettui.model.automation.conditions", "AutomationCondition")
_export(
    "assettui.model.partitions.definitions",
    "AddDynamicPartitionsRequest",
    "DeleteDynamicPartitionsRequest",
)

# Dagster compatibility additions (see the compat report)
_export("assettui.model.lazy_definitions", "definitions", "ComponentLoadContext")
_export("assettui.project.defs_folder", "load_from_defs_folder")
_export("assettui.logging_compat", "get_dagster_logger")
_export("assettui.file_paths", "file_relative_path")
_export("assettui.model.dagster_types", "Nothing", "DagsterType")
_export(
    "assettui.model.metadata.table",
    "TableSchema",
    "TableColumn",
    "TableColumnConstraints",
    "TableConstraints",
    "TableRecord",
    "TableColumnDep",
    "TableColumnLineage",
    "TableMetadataSet",
)
_export(
    "assettui.model.automation.legacy_policies",
    "AutoMaterializePolicy",
    "AutoMaterializeRule",
    "FreshnessPolicy",
    "LegacyFreshnessPolicy",
    "FreshnessState",
)
_export(
    "assettui.automation.run_status_sensors",
    "run_status_sensor",
    "run_failure_sensor",
    "RunStatusSensorContext",
    "RunFailureSensorContext",
    "RunStatusSensorDefinition",
    "build_run_status_sensor_context",
)
_export("assettui.model.assets.observable", "observable_source_asset", "ObserveResult")
_export("assettui.execution.observe", "observe")
_export("assettui.model.assets.bound_resources", "with_resources")
_export("assettui.model.ops.ins_outs", "In", "Out")
_export("assettui.model.ops.op_definition", "op", "OpDefinition")
_export("assettui.model.results", "ExpectationResult")
_export("assettui.compat.test_utils", "instance_for_test")

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
