"""Typed metadata values, as Dagster's ``MetadataValue`` family.

Raw values attached to assets and results (``{"rows": 10}``) are normalized into typed
values, each with a ``.value``; the typed form is what results, events and the instance hold.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from assettui.errors import DefinitionError
from assettui.model.asset_key import AssetKey
from assettui.model.metadata.table import (
    COLUMN_LINEAGE,
    TABLE,
    TABLE_SCHEMA,
    TableColumnLineage,
    TableData,
    TableRecord,
    TableSchema,
    table_value_from_json,
    table_value_text,
    table_value_to_json,
)


@dataclass(frozen=True, slots=True)
class MetadataValue:
    """A typed metadata value. ``kind`` names the type; ``value`` holds the plain value."""

    kind: str
    value: Any

    # Constructors under Dagster's names.
    @staticmethod
    def text(text: str) -> MetadataValue:
        return MetadataValue("text", str(text))

    @staticmethod
    def int(value: int) -> MetadataValue:
        return MetadataValue("int", value)

    @staticmethod
    def float(value: float) -> MetadataValue:
        return MetadataValue("float", value)

    @staticmethod
    def bool(value: bool) -> MetadataValue:
        return MetadataValue("bool", value)

    @staticmethod
    def md(md_str: str) -> MetadataValue:
        return MetadataValue("md", md_str)

    @staticmethod
    def url(url: str) -> MetadataValue:
        return MetadataValue("url", url)

    @staticmethod
    def path(path: Any) -> MetadataValue:
        return MetadataValue("path", str(path))

    @staticmethod
    def json(data: Any) -> MetadataValue:
        return MetadataValue("json", data)

    @staticmethod
    def python_artifact(python_artifact: Any) -> MetadataValue:
        name = f"{python_artifact.__module__}.{python_artifact.__qualname__}"
        return MetadataValue("python_artifact", name)

    @staticmethod
    def timestamp(value: Any) -> MetadataValue:
        ts = value.timestamp() if hasattr(value, "timestamp") else value
        return MetadataValue("timestamp", ts)

    @staticmethod
    def null() -> MetadataValue:
        return MetadataValue("null", None)

    @staticmethod
    def asset(asset_key: Any) -> MetadataValue:
        return MetadataValue("asset", AssetKey.from_coercible(asset_key).to_user_string())

    @staticmethod
    def table_schema(schema: Any) -> MetadataValue:
        return MetadataValue("table_schema", schema)

    @staticmethod
    def table(records: Any, schema: Any = None) -> MetadataValue:
        return table_value(records, schema)

    @staticmethod
    def column_lineage(lineage: Any) -> MetadataValue:
        return column_lineage_value(lineage)

    @property
    def text_value(self) -> str:
        """A short human-readable form, as the UI and CLI show it."""
        if self.kind == "float" and isinstance(self.value, float):
            return f"{self.value:.6g}"
        if self.kind == "table_schema" and isinstance(self.value, Mapping):
            return ", ".join(f"{k}: {v}" for k, v in self.value.items())
        if self.kind in ("table_schema", "table", "column_lineage"):
            return table_value_text(self.kind, self.value)
        return str(self.value)

    def to_json(self) -> dict[str, Any]:
        value = self.value
        if isinstance(value, float) and not math.isfinite(value):
            value = str(value)
        if self.kind in ("table_schema", "table", "column_lineage"):
            value = table_value_to_json(self.kind, value)
        return {"kind": self.kind, "value": value}

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> MetadataValue:
        kind = data["kind"]
        value = data["value"]
        if kind == "float" and isinstance(value, str):
            value = float(value)
        if kind in ("table_schema", "table", "column_lineage"):
            value = table_value_from_json(kind, value)
        return MetadataValue(kind, value)


# Dagster's typed classes are plain names for the same thing here.
TextMetadataValue = IntMetadataValue = FloatMetadataValue = MetadataValue


def normalize_metadata_value(raw: Any) -> MetadataValue:
    """A typed value for one raw metadata value, inferred the way Dagster infers it."""
    if isinstance(raw, MetadataValue):
        return raw
    if raw is None:
        return MetadataValue.null()
    if isinstance(raw, bool):
        return MetadataValue.bool(raw)
    if isinstance(raw, int):
        return MetadataValue.int(raw)
    if isinstance(raw, float):
        return MetadataValue.float(raw)
    if isinstance(raw, str):
        return MetadataValue.text(raw)
    if isinstance(raw, (dict, list)):
        return MetadataValue.json(raw)
    if isinstance(raw, AssetKey):
        return MetadataValue.asset(raw)
    if hasattr(raw, "__fspath__"):
        return MetadataValue.path(raw)
    typed = table_metadata_value(raw)
    if typed is not None:
        return typed
    if hasattr(raw, "code_references") and hasattr(raw, "to_plain"):
        return MetadataValue("code_references", raw.to_plain())
    return MetadataValue.text(str(raw))


def normalize_metadata(raw: Mapping[str, Any] | None) -> dict[str, MetadataValue]:
    """Typed values for a whole metadata mapping."""
    if not raw:
        return {}
    return {str(k): normalize_metadata_value(v) for k, v in raw.items()}


def metadata_to_json(metadata: Mapping[str, MetadataValue]) -> dict[str, Any]:
    return {k: v.to_json() for k, v in metadata.items()}


def metadata_from_json(data: Mapping[str, Any] | None) -> dict[str, MetadataValue]:
    if not data:
        return {}
    return {k: MetadataValue.from_json(v) for k, v in data.items()}


# ---- MetadataValue constructors and normalization -------------------------------------


def table_schema_value(schema: TableSchema) -> MetadataValue:
    """``MetadataValue.table_schema(schema)``."""
    if not isinstance(schema, TableSchema):
        raise DefinitionError(f"MetadataValue.table_schema needs a TableSchema; got {schema!r}.")
    return MetadataValue(TABLE_SCHEMA, schema)


def table_value(records: Sequence[TableRecord], schema: TableSchema | None = None) -> MetadataValue:
    """``MetadataValue.table(records, schema)``."""
    return MetadataValue(TABLE, TableData(records, schema))


def column_lineage_value(lineage: TableColumnLineage) -> MetadataValue:
    """``MetadataValue.column_lineage(lineage)``."""
    if not isinstance(lineage, TableColumnLineage):
        raise DefinitionError(
            f"MetadataValue.column_lineage needs a TableColumnLineage; got {lineage!r}."
        )
    return MetadataValue(COLUMN_LINEAGE, lineage)


def table_metadata_value(raw: Any) -> MetadataValue | None:
    """The typed value of a raw table value (a schema, lineage or table), else ``None``."""
    if isinstance(raw, TableSchema):
        return table_schema_value(raw)
    if isinstance(raw, TableColumnLineage):
        return column_lineage_value(raw)
    if isinstance(raw, TableData):
        return MetadataValue(TABLE, raw)
    return None
