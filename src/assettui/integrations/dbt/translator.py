"""``DagsterDbtTranslator``: how dbt nodes become assets (keys, groups, descriptions,
metadata, owners, tags, code versions), with dagster-dbt's defaults and hooks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from assettui.model.asset_key import AssetKey


@dataclass(frozen=True)
class DagsterDbtTranslatorSettings:
    """Switches of the translator (dagster-dbt's names)."""

    enable_asset_checks: bool = True
    enable_duplicate_source_asset_keys: bool = False
    enable_code_references: bool = False
    enable_dbt_selection_by_name: bool = False
    enable_source_tests_as_checks: bool = False


def _dagster_meta(props: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = props.get("meta") or {}
    config_meta = (props.get("config") or {}).get("meta") or {}
    return {**(config_meta.get("dagster") or {}), **(meta.get("dagster") or {})}


class DagsterDbtTranslator:
    """Override its methods to change how dbt nodes map to assets."""

    def __init__(self, settings: DagsterDbtTranslatorSettings | None = None):
        self.settings = settings or DagsterDbtTranslatorSettings()

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        """``meta.dagster.asset_key``, else ``[source_name, name]`` for a source and
        ``[name]`` (with ``_v<version>`` for a versioned model) otherwise."""
        given = _dagster_meta(dbt_resource_props).get("asset_key")
        if given:
            return AssetKey.from_coercible(given)
        if dbt_resource_props.get("resource_type") == "source":
            return AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        name = dbt_resource_props["name"]
        version = dbt_resource_props.get("version")
        return AssetKey([f"{name}_v{version}" if version else name])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return _dagster_meta(dbt_resource_props).get("group") or (
            dbt_resource_props.get("config") or {}
        ).get("group")

    def get_description(self, dbt_resource_props: Mapping[str, Any]) -> str:
        return (
            dbt_resource_props.get("description")
            or dbt_resource_props.get("raw_code")
            or dbt_resource_props.get("raw_sql")
            or ""
        )

    def get_metadata(self, dbt_resource_props: Mapping[str, Any]) -> Mapping[str, Any]:
        columns = dbt_resource_props.get("columns") or {}
        metadata: dict[str, Any] = {}
        if dbt_resource_props.get("relation_name"):
            metadata["dagster/relation_identifier"] = dbt_resource_props["relation_name"]
        if columns:
            metadata["dagster/column_schema"] = {
                name: column.get("data_type") or "" for name, column in columns.items()
            }
        metadata["dagster_dbt/unique_id"] = dbt_resource_props.get("unique_id", "")
        return metadata

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> list[str]:
        owners = list(_dagster_meta(dbt_resource_props).get("owners") or ())
        group_owner = dbt_resource_props.get("group_owner_email")
        return owners or ([group_owner] if group_owner else [])

    def get_tags(self, dbt_resource_props: Mapping[str, Any]) -> Mapping[str, str]:
        return {tag: "" for tag in dbt_resource_props.get("tags") or ()}

    def get_code_version(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        checksum = dbt_resource_props.get("checksum") or {}
        return checksum.get("checksum")

    def get_automation_condition(self, dbt_resource_props: Mapping[str, Any]) -> Any:
        return None

    def get_partition_mapping(self, dbt_resource_props: Mapping[str, Any], dbt_parent: Any) -> Any:
        return None
