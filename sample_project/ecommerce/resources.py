"""Resources: the warehouse the marts are published to, and the parquet IO manager."""

from __future__ import annotations

import dataclasses
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import assettui as dg

DEFAULT_WAREHOUSE_DSN = "duckdb:///data/warehouse.duckdb"


class Warehouse(dg.ConfigurableResource):
    """The analytics warehouse the marts are published to.

    Args:
        dsn: connection string; in Definitions it comes from ``$ECOMMERCE_WAREHOUSE_DSN``.
        schema_name: the schema the marts land in.
    """

    dsn: str
    schema_name: str = "analytics"

    def table(self, name: str) -> str:
        """The qualified name of table ``name`` in the warehouse."""
        return f"{self.schema_name}.{name}"

    @property
    def safe_dsn(self) -> str:
        """The DSN without its password, fit for logs and metadata."""
        parts = urlsplit(self.dsn)
        if parts.password is None:
            return self.dsn
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))


class ParquetIOManager(dg.PolarsParquetIOManager):
    """The polars parquet IO manager, honouring ``AssetIn(metadata={"allow_missing_partitions": True})``.

    Dagster's file IO managers skip upstream partitions that were never materialized when an
    input says ``allow_missing_partitions``; the unpartitioned marts rely on it, because the
    daily partitions run up to yesterday while a backfill may only have filled January.
    """

    def load_input(self, context: dg.InputContext) -> Any:
        keys = list(context.asset_partition_keys)
        if len(keys) <= 1 or not (context.metadata or {}).get("allow_missing_partitions"):
            return super().load_input(context)
        present = [k for k in keys if self._path(context, k).exists()]
        if not present:
            return {}
        loaded = super().load_input(dataclasses.replace(context, partition_keys_value=present))
        return loaded if isinstance(loaded, dict) else {present[0]: loaded}
