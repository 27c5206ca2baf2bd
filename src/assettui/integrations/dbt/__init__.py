"""dbt models as assets (``assettui.dbt``, also resolved as ``dagster_dbt``)."""

from assettui.integrations.dbt.assets import (
    DbtAssetsInfo,
    build_dbt_asset_selection,
    build_schedule_from_dbt_selection,
    dbt_assets,
)
from assettui.integrations.dbt.cli import (
    DagsterDbtCliRuntimeError,
    DbtCliInvocation,
    DbtCliResource,
    DbtEventIterator,
)
from assettui.integrations.dbt.project import DbtProject
from assettui.integrations.dbt.translator import DagsterDbtTranslator, DagsterDbtTranslatorSettings

__all__ = [
    "DagsterDbtCliRuntimeError",
    "DagsterDbtTranslator",
    "DagsterDbtTranslatorSettings",
    "DbtAssetsInfo",
    "DbtCliInvocation",
    "DbtEventIterator",
    "DbtCliResource",
    "DbtProject",
    "build_dbt_asset_selection",
    "build_schedule_from_dbt_selection",
    "dbt_assets",
]
