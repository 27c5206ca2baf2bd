"""Warehouse layer: clean customers in DuckDB, modelled by a dbt project (sample_project/warehouse)."""

from __future__ import annotations

import polars as pl

import assettui as dg
from assettui.dbt import DbtCliResource, DbtProject, dbt_assets
from assettui.duckdb import DuckDBResource
from ecommerce.paths import PROJECT_DIR

warehouse_project = DbtProject(project_dir=PROJECT_DIR / "warehouse")
warehouse_project.prepare_if_dev()


@dg.asset(group_name="warehouse", kinds={"duckdb"})
def warehouse_customers(clean_customers: pl.DataFrame, duckdb: DuckDBResource) -> None:
    """Clean customers loaded into the DuckDB warehouse (the dbt project's source)."""
    frame = clean_customers.to_arrow()
    with duckdb.get_connection() as conn:
        conn.register("incoming", frame)
        conn.execute("create or replace table main.customers as select * from incoming")


@dbt_assets(manifest=warehouse_project.manifest_path)
def warehouse_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """The dbt models of the warehouse, with dbt's tests as checks."""
    yield from dbt.cli(["build"], context=context).stream()
