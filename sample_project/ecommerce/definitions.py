"""The sample project's Definitions: a small e-commerce data platform built with polars, with a
DuckDB warehouse modelled by dbt."""

import assettui as dg
from assettui.dbt import DbtCliResource
from assettui.duckdb import DuckDBResource
from ecommerce import automation, clean, marts, raw, report, warehouse
from ecommerce.paths import warehouse_path
from ecommerce.resources import DEFAULT_WAREHOUSE_DSN, ParquetIOManager, Warehouse

defs = dg.Definitions(
    assets=dg.load_assets_from_modules([raw, clean, marts, report, warehouse]),
    asset_checks=dg.load_asset_checks_from_modules([clean]),
    jobs=[
        automation.raw_job,
        automation.clean_job,
        automation.marts_job,
        automation.daily_orders_job,
        automation.landed_files_job,
    ],
    schedules=[automation.daily_orders_schedule],
    sensors=[automation.inbox_sensor],
    resources={
        "io_manager": ParquetIOManager(),
        "warehouse": Warehouse(
            dsn=dg.EnvVar("ECOMMERCE_WAREHOUSE_DSN", default=DEFAULT_WAREHOUSE_DSN)
        ),
        "duckdb": DuckDBResource(database=str(warehouse_path())),
        "dbt": DbtCliResource(project_dir=warehouse.warehouse_project),
    },
)
